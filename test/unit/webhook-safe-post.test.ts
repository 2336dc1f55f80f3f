import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { parseAllowHosts } from '#lib/notify/callback-url.ts';
import { safePost, WebhookDeliveryError, type ResolvedAddress } from '#lib/notify/safe-post.ts';

interface ReceivedRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  port: number;
  requests: ReceivedRequest[];
  connections: number;
  server: Server;
}

let receiver: Receiver | undefined;

/** A webhook receiver on 127.0.0.1 that records what reaches it and answers with `respond`. */
async function startReceiver(respond: (request: IncomingMessage, response: ServerResponse) => void): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) {
      chunks.push(chunk as Buffer);
    }
    requests.push({ method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
    respond(request, response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const started: Receiver = { port: (server.address() as AddressInfo).port, requests, connections: 0, server };
  server.on('connection', () => {
    started.connections += 1;
  });
  receiver = started;
  return started;
}

/** A resolver that answers from a table and counts how often it was asked. */
function tableResolver(table: Record<string, ResolvedAddress[]>) {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    const answer = table[host];
    if (answer === undefined) {
      throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    }
    return answer;
  };
  return { resolve, calls };
}

async function deliveryError(delivery: Promise<unknown>): Promise<WebhookDeliveryError> {
  try {
    await delivery;
  } catch (error) {
    assert.ok(error instanceof WebhookDeliveryError, `expected a WebhookDeliveryError, got ${String(error)}`);
    assert.equal(error.name, 'WebhookDeliveryError');
    return error;
  }
  assert.fail('the delivery succeeded');
}

afterEach(async () => {
  if (receiver !== undefined) {
    receiver.server.closeAllConnections();
    receiver.server.close();
    await once(receiver.server, 'close');
    receiver = undefined;
  }
});

describe('safePost', () => {
  it('delivers the body and headers to an allow-listed address', async () => {
    // Prepare
    const { port, requests } = await startReceiver((_request, response) => response.writeHead(204).end());
    const body = JSON.stringify({ jobId: 'job-1', status: 'SUCCEEDED', note: 'héllo' });

    // Act
    const result = await safePost(new URL(`http://127.0.0.1:${port}/hooks/jobs?team=ops`), body, { 'Fargate-Jobs-Signature': 't=1,v1=ab', 'content-type': 'text/plain' }, {
      allowHosts: parseAllowHosts(`127.0.0.1:${port}`),
    });

    // Assess
    assert.deepEqual(result, { statusCode: 204 });
    assert.equal(requests.length, 1);
    const [received] = requests;
    assert.equal(received?.method, 'POST');
    assert.equal(received?.url, '/hooks/jobs?team=ops');
    assert.equal(received?.body, body);
    assert.equal(received?.headers['content-type'], 'application/json');
    assert.equal(received?.headers['user-agent'], 'fargate-jobs-webhook');
    assert.equal(received?.headers['content-length'], String(Buffer.byteLength(body)));
    assert.equal(received?.headers['fargate-jobs-signature'], 't=1,v1=ab');
  });

  it('connects to the address it checked, resolving the name once and keeping it in the Host header', async () => {
    // Prepare
    const { port, requests } = await startReceiver((_request, response) => response.writeHead(200).end('ok'));
    // .test names never resolve in real DNS, so success proves the resolver's answer was used.
    const { resolve, calls } = tableResolver({ 'hooks.test': [{ address: '127.0.0.1', family: 4 }] });

    // Act
    const result = await safePost(new URL(`http://hooks.test:${port}/hook`), '{}', {}, { allowHosts: parseAllowHosts('hooks.test'), resolve });

    // Assess
    assert.deepEqual(result, { statusCode: 200 });
    assert.deepEqual(calls, ['hooks.test']);
    assert.equal(requests[0]?.headers.host, `hooks.test:${port}`);
  });

  it('refuses a name that resolves to loopback before any connection is made', async () => {
    // Prepare
    const server = await startReceiver((_request, response) => response.writeHead(200).end());
    const { resolve, calls } = tableResolver({ 'rebind.test': [{ address: '127.0.0.1', family: 4 }] });

    // Act
    const error = await deliveryError(safePost(new URL('https://rebind.test:8443/'), '{}', {}, { allowHosts: [], resolve }));

    // Assess
    assert.equal(error.message, 'refused: rebind.test resolves to a forbidden address: 127.0.0.1 is a loopback address');
    assert.deepEqual(calls, ['rebind.test']);
    assert.equal(server.connections, 0);
  });

  it('refuses a name when any one of its addresses is forbidden', async () => {
    // Prepare
    const { resolve } = tableResolver({
      'mixed.test': [
        { address: '8.8.8.8', family: 4 },
        { address: '::ffff:a9fe:a9fe', family: 6 },
      ],
    });

    // Act
    const error = await deliveryError(safePost(new URL('https://mixed.test/'), '{}', {}, { allowHosts: [], resolve }));

    // Assess
    assert.equal(error.message, 'refused: mixed.test resolves to a forbidden address: ::ffff:a9fe:a9fe is a link-local address (cloud metadata; IPv4-mapped 169.254.169.254)');
  });

  it('checks the stored URL again, so a host taken off the allow-list is refused without a lookup', async () => {
    // Prepare
    const { resolve, calls } = tableResolver({ 'hooks.test': [{ address: '127.0.0.1', family: 4 }] });

    // Act
    const error = await deliveryError(safePost(new URL('http://hooks.test:4010/'), '{}', {}, { allowHosts: [], resolve }));

    // Assess
    assert.equal(error.message, 'refused: callbackUrl must use https');
    assert.deepEqual(calls, []);
  });

  it('refuses at send time a port other than 443 and 8443 on a host not allow-listed, without a lookup', async () => {
    // Prepare
    const { resolve, calls } = tableResolver({ 'hooks.test': [{ address: '8.8.8.8', family: 4 }] });

    // Act
    const error = await deliveryError(safePost(new URL('https://hooks.test:6379/'), '{}', {}, { allowHosts: [], resolve }));

    // Assess
    assert.equal(error.message, 'refused: callbackUrl port must be 443 or 8443 (got 6379)');
    assert.deepEqual(calls, []);
  });

  it('reports a name that does not resolve', async () => {
    // Prepare
    const { resolve } = tableResolver({});

    // Act
    const error = await deliveryError(safePost(new URL('https://missing.test/'), '{}', {}, { allowHosts: [], resolve }));

    // Assess
    assert.equal(error.message, 'could not resolve missing.test: getaddrinfo ENOTFOUND missing.test');
  });

  it('does not follow a redirect: the 3xx is the delivery status', async () => {
    // Prepare
    const { port, requests } = await startReceiver((_request, response) => response.writeHead(302, { Location: `http://127.0.0.1:${port}/elsewhere` }).end());

    // Act
    const result = await safePost(new URL(`http://127.0.0.1:${port}/hook`), '{}', {}, { allowHosts: parseAllowHosts('127.0.0.1') });

    // Assess
    assert.deepEqual(result, { statusCode: 302 });
    assert.deepEqual(requests.map((request) => request.url), ['/hook']);
  });

  it('gives up on a receiver that never answers', { timeout: 5_000 }, async () => {
    // Prepare
    const { port } = await startReceiver(() => {});
    const startedAt = Date.now();

    // Act
    const error = await deliveryError(safePost(new URL(`http://127.0.0.1:${port}/`), '{}', {}, { allowHosts: parseAllowHosts('127.0.0.1'), timeoutMs: 300 }));

    // Assess
    assert.equal(error.message, 'timed out after 300 ms');
    const elapsed = Date.now() - startedAt;
    assert.ok(elapsed >= 250 && elapsed < 2_000, `gave up after ${elapsed} ms`);
  });

  it('stops reading a large response body once the limit is reached, without waiting for its end', { timeout: 5_000 }, async () => {
    // Prepare
    const megabyte = 1024 * 1024;
    let receiverSawClose = false;
    const { port } = await startReceiver((_request, response) => {
      response.on('close', () => {
        receiverSawClose = true;
      });
      // Half the promised megabyte, then silence: a sender that waited for the end would hang until its timeout.
      response.writeHead(200, { 'Content-Length': String(megabyte) });
      response.write(Buffer.alloc(megabyte / 2, 'x'));
    });

    // Act
    const result = await safePost(new URL(`http://127.0.0.1:${port}/`), '{}', {}, { allowHosts: parseAllowHosts('127.0.0.1'), timeoutMs: 60_000 });

    // Assess
    assert.deepEqual(result, { statusCode: 200 });
    await waitFor(() => receiverSawClose);
  });

  it('reports a refused connection', async () => {
    // Prepare
    const { port } = await startReceiver(() => {});
    receiver?.server.close();
    receiver = undefined;

    // Act
    const error = await deliveryError(safePost(new URL(`http://127.0.0.1:${port}/`), '{}', {}, { allowHosts: parseAllowHosts('127.0.0.1') }));

    // Assess
    assert.match(error.message, /^connection to 127\.0\.0\.1 failed: .*ECONNREFUSED/);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
