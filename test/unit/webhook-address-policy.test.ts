import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forbiddenAddressReason } from '#lib/notify/address-policy.ts';

describe('forbiddenAddressReason', () => {
  const forbidden: [address: string, reason: string][] = [
    ['127.0.0.1', '127.0.0.1 is a loopback address'],
    ['127.255.255.254', '127.255.255.254 is a loopback address'],
    ['::1', '::1 is a loopback address'],
    ['0.0.0.0', '0.0.0.0 is an unspecified address'],
    ['0.1.2.3', '0.1.2.3 is an unspecified address'],
    ['::', ':: is an unspecified address'],
    ['10.0.0.5', '10.0.0.5 is a private address'],
    ['10.255.255.255', '10.255.255.255 is a private address'],
    ['172.16.0.1', '172.16.0.1 is a private address'],
    ['172.31.255.255', '172.31.255.255 is a private address'],
    ['192.168.1.1', '192.168.1.1 is a private address'],
    ['fc00::1', 'fc00::1 is a private address'],
    ['fdff:ffff::1', 'fdff:ffff::1 is a private address'],
    ['169.254.0.1', '169.254.0.1 is a link-local address'],
    ['169.254.169.254', '169.254.169.254 is a link-local address (cloud metadata)'],
    ['169.254.170.2', '169.254.170.2 is a link-local address (cloud metadata)'],
    ['fe80::1', 'fe80::1 is a link-local address'],
    ['febf:ffff::1', 'febf:ffff::1 is a link-local address'],
    ['fe80::1%eth0', 'fe80::1%eth0 is a link-local address'],
    ['fd00:ec2::254', 'fd00:ec2::254 is a private address (cloud metadata)'],
    ['100.64.0.1', '100.64.0.1 is a carrier-grade NAT address'],
    ['100.127.255.255', '100.127.255.255 is a carrier-grade NAT address'],
    ['224.0.0.1', '224.0.0.1 is a multicast address'],
    ['239.255.255.250', '239.255.255.250 is a multicast address'],
    ['ff02::1', 'ff02::1 is a multicast address'],
    ['240.0.0.1', '240.0.0.1 is a reserved address'],
    ['255.255.255.255', '255.255.255.255 is a broadcast address'],
  ];
  for (const [address, reason] of forbidden) {
    it(`refuses ${address}`, () => {
      // Act
      const actual = forbiddenAddressReason(address);

      // Assess
      assert.equal(actual, reason);
    });
  }

  const wrapped: [address: string, reason: string][] = [
    ['::ffff:127.0.0.1', '::ffff:127.0.0.1 is a loopback address (IPv4-mapped 127.0.0.1)'],
    ['::ffff:7f00:1', '::ffff:7f00:1 is a loopback address (IPv4-mapped 127.0.0.1)'],
    ['::FFFF:7F00:0001', '::FFFF:7F00:0001 is a loopback address (IPv4-mapped 127.0.0.1)'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', '0:0:0:0:0:ffff:a9fe:a9fe is a link-local address (cloud metadata; IPv4-mapped 169.254.169.254)'],
    ['::ffff:a9fe:aa02', '::ffff:a9fe:aa02 is a link-local address (cloud metadata; IPv4-mapped 169.254.170.2)'],
    ['::ffff:10.1.2.3', '::ffff:10.1.2.3 is a private address (IPv4-mapped 10.1.2.3)'],
    ['::ffff:c0a8:101', '::ffff:c0a8:101 is a private address (IPv4-mapped 192.168.1.1)'],
    ['::ffff:0.0.0.0', '::ffff:0.0.0.0 is an unspecified address (IPv4-mapped 0.0.0.0)'],
    ['::ffff:100.64.0.1', '::ffff:100.64.0.1 is a carrier-grade NAT address (IPv4-mapped 100.64.0.1)'],
    ['::ffff:e000:1', '::ffff:e000:1 is a multicast address (IPv4-mapped 224.0.0.1)'],
    ['::ffff:f000:1', '::ffff:f000:1 is a reserved address (IPv4-mapped 240.0.0.1)'],
    ['::127.0.0.1', '::127.0.0.1 is a loopback address (IPv4-compatible 127.0.0.1)'],
    ['::7f00:1', '::7f00:1 is a loopback address (IPv4-compatible 127.0.0.1)'],
    ['::169.254.169.254', '::169.254.169.254 is a link-local address (cloud metadata; IPv4-compatible 169.254.169.254)'],
    ['::172.16.0.1', '::172.16.0.1 is a private address (IPv4-compatible 172.16.0.1)'],
    ['64:ff9b::10.0.0.1', '64:ff9b::10.0.0.1 is a private address (NAT64 10.0.0.1)'],
  ];
  for (const [address, reason] of wrapped) {
    it(`judges ${address} as the IPv4 address it carries`, () => {
      // Act
      const actual = forbiddenAddressReason(address);

      // Assess
      assert.equal(actual, reason);
    });
  }

  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '223.255.255.255',
    '2606:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::8.8.8.8',
    'fbff:ffff::1',
    'fe00::1',
    'fec0::1',
  ];
  for (const address of allowed) {
    it(`allows the public address ${address}`, () => {
      // Act
      const actual = forbiddenAddressReason(address);

      // Assess
      assert.equal(actual, undefined);
    });
  }

  it('refuses whatever is not an IP address, so a hostname passed by mistake fails closed', () => {
    // Act
    const reasons = ['example.com', '0177.0.0.1', '2130706433', '[::1]', ''].map(forbiddenAddressReason);

    // Assess
    assert.deepEqual(reasons, [
      "'example.com' is not an IP address",
      "'0177.0.0.1' is not an IP address",
      "'2130706433' is not an IP address",
      "'[::1]' is not an IP address",
      "'' is not an IP address",
    ]);
  });
});
