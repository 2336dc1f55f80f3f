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
    ['192.0.0.8', '192.0.0.8 is an IETF protocol assignment'],
    ['192.0.2.1', '192.0.2.1 is a documentation address'],
    ['192.88.99.1', '192.88.99.1 is a 6to4 relay address'],
    ['198.18.0.1', '198.18.0.1 is a benchmarking address'],
    ['198.19.255.255', '198.19.255.255 is a benchmarking address'],
    ['198.51.100.7', '198.51.100.7 is a documentation address'],
    ['203.0.113.7', '203.0.113.7 is a documentation address'],
    ['fec0::1', 'fec0::1 is a site-local address'],
    ['feff::1', 'feff::1 is a site-local address'],
    ['64:ff9b:1::a00:1', '64:ff9b:1::a00:1 is a local-use NAT64 address'],
    ['64:ff9b:1:ffff::808:808', '64:ff9b:1:ffff::808:808 is a local-use NAT64 address'],
    ['2001::1', '2001::1 is a Teredo address'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0:4136:e378:8000:63bf:3fff:fdd2 is a Teredo address'],
    ['2001:2::1', '2001:2::1 is an IETF protocol assignment'],
    ['2001:db8::1', '2001:db8::1 is a documentation address'],
    ['3fff::1', '3fff::1 is a documentation address'],
    ['::ffff:8.8.8.8', '::ffff:8.8.8.8 is an IPv4-mapped address'],
    ['::ffff:808:808', '::ffff:808:808 is an IPv4-mapped address'],
    ['::ffff:0:808:808', '::ffff:0:808:808 is an IPv4-translated address'],
    ['::8.8.8.8', '::8.8.8.8 is an IPv4-compatible address'],
    ['::1:0:1', '::1:0:1 is not a global unicast address'],
    ['100::1', '100::1 is not a global unicast address'],
    ['4000::1', '4000::1 is not a global unicast address'],
    ['fbff:ffff::1', 'fbff:ffff::1 is not a global unicast address'],
    ['fe00::1', 'fe00::1 is not a global unicast address'],
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
    ['64:ff9b::c612:1', '64:ff9b::c612:1 is a benchmarking address (NAT64 198.18.0.1)'],
    ['::ffff:0:127.0.0.1', '::ffff:0:127.0.0.1 is a loopback address (IPv4-translated 127.0.0.1)'],
    ['2002:a9fe:a9fe::1', '2002:a9fe:a9fe::1 is a link-local address (cloud metadata; 6to4 169.254.169.254)'],
    ['2002:7f00:1::', '2002:7f00:1:: is a loopback address (6to4 127.0.0.1)'],
    ['2002:c000:0201::1', '2002:c000:0201::1 is a documentation address (6to4 192.0.2.1)'],
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
    '192.0.1.255',
    '192.0.3.0',
    '198.17.255.255',
    '198.20.0.0',
    '2001:4860:4860::8888',
    '2001:200::1',
    '2002:808:808::1',
    '3fff:1000::1',
    '64:ff9b::8.8.8.8',
    '2a05:d018::1',
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
