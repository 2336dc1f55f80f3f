import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallbackUrlError, checkCallbackUrl, isAllowedHost, parseAllowHosts } from '#lib/notify/callback-url.ts';

function refusal(raw: string, allowHosts = parseAllowHosts(undefined)): CallbackUrlError {
  try {
    checkCallbackUrl(raw, allowHosts);
  } catch (error) {
    assert.ok(error instanceof CallbackUrlError, `expected a CallbackUrlError, got ${String(error)}`);
    assert.equal(error.name, 'CallbackUrlError');
    return error;
  }
  assert.fail(`${raw} was accepted`);
}

describe('checkCallbackUrl', () => {
  it('accepts an https URL on a public name and returns it parsed', () => {
    // Act
    const url = checkCallbackUrl('https://hooks.example.com:8443/jobs?team=ops', []);

    // Assess
    assert.equal(url.href, 'https://hooks.example.com:8443/jobs?team=ops');
  });

  it('accepts an https URL on a public address literal', () => {
    // Act
    const url = checkCallbackUrl('https://8.8.8.8/hook', []);

    // Assess
    assert.equal(url.hostname, '8.8.8.8');
  });

  it('refuses plain http, other schemes and text that is not a URL', () => {
    // Act
    const messages = ['http://hooks.example.com/', 'ftp://hooks.example.com/', 'file:///etc/passwd', 'not a url'].map((raw) => refusal(raw).message);

    // Assess
    assert.deepEqual(messages, [
      'callbackUrl must use https',
      'callbackUrl must use https',
      'callbackUrl must use https',
      'callbackUrl is not a valid URL',
    ]);
  });

  it('refuses a user name or password in the URL, even on an allow-listed host', () => {
    // Prepare
    const allowHosts = parseAllowHosts('hooks.example.com');

    // Act
    const messages = ['https://user:pass@hooks.example.com/', 'https://user@hooks.example.com/', 'https://:pass@hooks.example.com/'].map(
      (raw) => refusal(raw, allowHosts).message,
    );

    // Assess
    assert.deepEqual(messages, new Array(3).fill('callbackUrl must not contain a user name or password'));
  });

  it('refuses URLs longer than 2048 characters', () => {
    // Act
    const error = refusal(`https://hooks.example.com/${'a'.repeat(2048)}`);

    // Assess
    assert.equal(error.message, 'callbackUrl must be at most 2048 characters');
  });

  const literals: [raw: string, message: string][] = [
    ['https://127.0.0.1/', 'callbackUrl host 127.0.0.1 is a loopback address'],
    ['https://127.0.0.1./', 'callbackUrl host 127.0.0.1 is a loopback address'],
    ['https://[::1]/', 'callbackUrl host ::1 is a loopback address'],
    ['https://0.0.0.0/', 'callbackUrl host 0.0.0.0 is an unspecified address'],
    ['https://[::]/', 'callbackUrl host :: is an unspecified address'],
    ['https://10.0.0.5/', 'callbackUrl host 10.0.0.5 is a private address'],
    ['https://172.16.3.4/', 'callbackUrl host 172.16.3.4 is a private address'],
    ['https://192.168.0.10/', 'callbackUrl host 192.168.0.10 is a private address'],
    ['https://[fd12:3456::1]/', 'callbackUrl host fd12:3456::1 is a private address'],
    ['https://169.254.169.254/latest/meta-data/', 'callbackUrl host 169.254.169.254 is a link-local address (cloud metadata)'],
    ['https://169.254.170.2/v2/credentials', 'callbackUrl host 169.254.170.2 is a link-local address (cloud metadata)'],
    ['https://[fe80::1]/', 'callbackUrl host fe80::1 is a link-local address'],
    ['https://[fd00:ec2::254]/', 'callbackUrl host fd00:ec2::254 is a private address (cloud metadata)'],
    ['https://100.64.0.1/', 'callbackUrl host 100.64.0.1 is a carrier-grade NAT address'],
    ['https://224.0.0.1/', 'callbackUrl host 224.0.0.1 is a multicast address'],
    ['https://[ff02::1]/', 'callbackUrl host ff02::1 is a multicast address'],
    ['https://255.255.255.255/', 'callbackUrl host 255.255.255.255 is a broadcast address'],
    ['https://240.0.0.1/', 'callbackUrl host 240.0.0.1 is a reserved address'],
    ['https://[::ffff:127.0.0.1]/', 'callbackUrl host ::ffff:7f00:1 is a loopback address (IPv4-mapped 127.0.0.1)'],
    ['https://[::ffff:7f00:1]/', 'callbackUrl host ::ffff:7f00:1 is a loopback address (IPv4-mapped 127.0.0.1)'],
    ['https://[::ffff:169.254.169.254]/', 'callbackUrl host ::ffff:a9fe:a9fe is a link-local address (cloud metadata; IPv4-mapped 169.254.169.254)'],
    ['https://[::ffff:a9fe:a9fe]/', 'callbackUrl host ::ffff:a9fe:a9fe is a link-local address (cloud metadata; IPv4-mapped 169.254.169.254)'],
    ['https://[::10.0.0.1]/', 'callbackUrl host ::a00:1 is a private address (IPv4-compatible 10.0.0.1)'],
    // WHATWG URL rewrites decimal, hex and octal IPv4 forms as dotted quads; the check must see through them.
    ['https://2130706433/', 'callbackUrl host 127.0.0.1 is a loopback address'],
    ['https://0x7f.1/', 'callbackUrl host 127.0.0.1 is a loopback address'],
    ['https://0177.0.0.1/', 'callbackUrl host 127.0.0.1 is a loopback address'],
    ['https://0xa9.0xfe.0xa9.0xfe/', 'callbackUrl host 169.254.169.254 is a link-local address (cloud metadata)'],
    ['https://3232235777/', 'callbackUrl host 192.168.1.1 is a private address'],
  ];
  for (const [raw, message] of literals) {
    it(`refuses ${raw}`, () => {
      // Act
      const error = refusal(raw);

      // Assess
      assert.equal(error.message, message);
    });
  }

  it('refuses ports other than 443 and 8443 on a host that is not allow-listed', () => {
    // Act
    const accepted = ['https://hooks.example.com:443/', 'https://hooks.example.com:8443/', 'https://8.8.8.8:8443/'].map((raw) => checkCallbackUrl(raw, []).href);
    const messages = ['https://hooks.example.com:22/', 'https://hooks.example.com:8080/', 'https://8.8.8.8:6379/', 'https://[2606:4700::1111]:1/'].map(
      (raw) => refusal(raw).message,
    );

    // Assess
    assert.deepEqual(accepted, ['https://hooks.example.com/', 'https://hooks.example.com:8443/', 'https://8.8.8.8:8443/']);
    assert.deepEqual(messages, [
      'callbackUrl port must be 443 or 8443 (got 22)',
      'callbackUrl port must be 443 or 8443 (got 8080)',
      'callbackUrl port must be 443 or 8443 (got 6379)',
      'callbackUrl port must be 443 or 8443 (got 1)',
    ]);
  });

  it('allows any port on an allow-listed host', () => {
    // Prepare
    const allowHosts = parseAllowHosts('hooks.example.com');

    // Act
    const url = checkCallbackUrl('https://hooks.example.com:9443/hook', allowHosts);

    // Assess
    assert.equal(url.port, '9443');
  });

  const globalOnly: [raw: string, message: string][] = [
    ['https://198.18.0.1/', 'callbackUrl host 198.18.0.1 is a benchmarking address'],
    ['https://192.0.0.170/', 'callbackUrl host 192.0.0.170 is an IETF protocol assignment'],
    ['https://[64:ff9b:1::a00:1]/', 'callbackUrl host 64:ff9b:1::a00:1 is a local-use NAT64 address'],
    ['https://[2002:a00:1::]/', 'callbackUrl host 2002:a00:1:: is a private address (6to4 10.0.0.1)'],
    ['https://[::ffff:8.8.8.8]/', 'callbackUrl host ::ffff:808:808 is an IPv4-mapped address'],
    ['https://[fec0::1]/', 'callbackUrl host fec0::1 is a site-local address'],
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'callbackUrl host 2001:0:4136:e378:8000:63bf:3fff:fdd2 is a Teredo address'],
  ];
  for (const [raw, message] of globalOnly) {
    it(`refuses ${raw}, which is not global unicast`, () => {
      // Act
      const error = refusal(raw);

      // Assess
      assert.equal(error.message, message);
    });
  }

  it('refuses localhost and names under it, in any case and with a root dot', () => {
    // Act
    const messages = ['https://localhost/', 'https://LOCALHOST:8443/', 'https://localhost./', 'https://foo.localhost/', 'https://a.b.LocalHost/'].map(
      (raw) => refusal(raw).message,
    );

    // Assess
    assert.deepEqual(messages, [
      'callbackUrl host localhost is a loopback name',
      'callbackUrl host localhost is a loopback name',
      'callbackUrl host localhost is a loopback name',
      'callbackUrl host foo.localhost is a loopback name',
      'callbackUrl host a.b.localhost is a loopback name',
    ]);
  });

  it('does not mistake names that merely contain localhost for it', () => {
    // Act
    const url = checkCallbackUrl('https://localhost.example.com/', []);

    // Assess
    assert.equal(url.hostname, 'localhost.example.com');
  });

  it('accepts http on an allow-listed address and port, and refuses the same address on another port', () => {
    // Prepare
    const allowHosts = parseAllowHosts('127.0.0.1:4010');

    // Act
    const accepted = checkCallbackUrl('http://127.0.0.1:4010/hook', allowHosts);
    const otherPort = refusal('http://127.0.0.1:4011/hook', allowHosts);
    const otherPortHttps = refusal('https://127.0.0.1:4011/hook', allowHosts);

    // Assess
    assert.equal(accepted.href, 'http://127.0.0.1:4010/hook');
    assert.equal(otherPort.message, 'callbackUrl must use https');
    assert.equal(otherPortHttps.message, 'callbackUrl host 127.0.0.1 is a loopback address');
  });

  it('lets a host entry without a port allow every port', () => {
    // Prepare
    const allowHosts = parseAllowHosts('LocalHost');

    // Act
    const urls = ['http://localhost/', 'http://localhost:3000/', 'https://LOCALHOST:9/'].map((raw) => checkCallbackUrl(raw, allowHosts).href);

    // Assess
    assert.deepEqual(urls, ['http://localhost/', 'http://localhost:3000/', 'https://localhost:9/']);
  });

  it('matches an allow-listed IPv6 address however the URL spells it', () => {
    // Prepare
    const allowHosts = parseAllowHosts('[::1]:8080');

    // Act
    const accepted = checkCallbackUrl('http://[0:0:0:0:0:0:0:1]:8080/', allowHosts);
    const otherPort = refusal('http://[::1]:8081/', allowHosts);

    // Assess
    assert.equal(accepted.hostname, '[::1]');
    assert.equal(otherPort.message, 'callbackUrl must use https');
  });
});

describe('isAllowedHost', () => {
  it("compares an entry's port with the URL's port, the scheme's default when none is written", () => {
    // Prepare
    const allowHosts = parseAllowHosts('hooks.test:443, plain.test:80');

    // Act
    const answers = ['https://hooks.test/', 'http://hooks.test/', 'http://plain.test/', 'https://plain.test/', 'https://other.test/'].map((raw) =>
      isAllowedHost(new URL(raw), allowHosts),
    );

    // Assess
    assert.deepEqual(answers, [true, false, true, false, false]);
  });
});

describe('parseAllowHosts', () => {
  it('reads comma-separated host and host:port entries, spelling hosts as URLs do', () => {
    // Act
    const allowHosts = parseAllowHosts(' Hooks.Test , 127.0.0.1:4010,[::1]:8080,,[0:0::1], example.com.');

    // Assess
    assert.deepEqual(allowHosts, [
      { host: 'hooks.test' },
      { host: '127.0.0.1', port: 4010 },
      { host: '[::1]', port: 8080 },
      { host: '[::1]' },
      { host: 'example.com' },
    ]);
  });

  it('is empty when the variable is unset or blank', () => {
    // Act
    const lists = [parseAllowHosts(undefined), parseAllowHosts(''), parseAllowHosts(' , ')];

    // Assess
    assert.deepEqual(lists, [[], [], []]);
  });

  const badEntries: [value: string, message: string][] = [
    ['good.test,::1', "FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS entry '::1' is not host or host:port (write IPv6 addresses in brackets, e.g. [::1]:8080)"],
    ['hooks.test:0', "FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS entry 'hooks.test:0' has a port outside 1-65535"],
    ['hooks.test:70000', "FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS entry 'hooks.test:70000' has a port outside 1-65535"],
    ['hooks.test:http', "FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS entry 'hooks.test:http' is not host or host:port (write IPv6 addresses in brackets, e.g. [::1]:8080)"],
    ['https://hooks.test', "FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS entry 'https://hooks.test' is not host or host:port (write IPv6 addresses in brackets, e.g. [::1]:8080)"],
    ['hooks.test/path', "FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS entry 'hooks.test/path' is not host or host:port (write IPv6 addresses in brackets, e.g. [::1]:8080)"],
    ['user@hooks.test', "FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS entry 'user@hooks.test' is not host or host:port (write IPv6 addresses in brackets, e.g. [::1]:8080)"],
    ['[::1', "FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS entry '[::1' is not host or host:port (write IPv6 addresses in brackets, e.g. [::1]:8080)"],
    ['[1:2:3]:80', "FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS entry '[1:2:3]:80' is not a valid host name"],
  ];
  for (const [value, message] of badEntries) {
    it(`names the bad entry in ${JSON.stringify(value)}`, () => {
      // Act & Assess
      assert.throws(() => parseAllowHosts(value), { message });
    });
  }
});
