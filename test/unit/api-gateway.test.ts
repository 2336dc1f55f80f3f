/**
 * The API Gateway emulation of local mode (local/api-gateway.ts) on a loopback port, with the real
 * middy stack behind it: its own answers (401, 404, 405, 413, 421, 429, 431, 400, 500) are JSON in
 * the error shape with one content type, HEAD answers as GET without a body, OPTIONS answers 204.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Logger } from '#lib/domain/logger.ts';
import { healthHandler } from '#lib/http/health.ts';
import { httpHandler } from '#lib/http/http-handler.ts';
import { json } from '#lib/http/responses.ts';
import { answerClientError, apiGateway, type ApiGatewayOptions, type RouteHandler } from '#local/api-gateway.ts';
import { RateLimiter } from '#local/rate-limiter.ts';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const TOKEN = `fjt_${'a'.repeat(43)}`;

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function handlers(): Record<string, RouteHandler> {
  return {
    health: healthHandler,
    'list-jobs': httpHandler(async () => json(200, { jobs: [], nextCursor: null }), { logger: silent }),
    'create-job': httpHandler(async () => json(202, { id: 'job-1' }), { jsonBody: true, logger: silent }),
    // 'get-job' is left out: a route without a handler is the emulation's own failure (500).
  };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Gateway {
  port: number;
  send(method: string, path: string, options?: { headers?: Record<string, string>; body?: string }): Promise<Answer>;
  close(): Promise<void>;
}

async function startGateway(overrides: Partial<ApiGatewayOptions> = {}): Promise<Gateway> {
  const server: Server = createServer(
    apiGateway({
      handlers: handlers(),
      authorizer: async () => ({ isAuthorized: true, context: { caller: 'ci', profiles: '*' } }),
      limiter: new RateLimiter({ ratePerSecond: 1000, burst: 1000 }),
      logger: silent,
      ...overrides,
    }),
  );
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    send: (method, path, options = {}) =>
      new Promise((resolve, reject) => {
        const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, headers: { authorization: `Bearer ${TOKEN}`, ...options.headers } }, (incoming) => {
          let body = '';
          incoming.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }));
        });
        outgoing.on('error', reject);
        outgoing.end(options.body);
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The error shape as JSON with the API's one content type and the length of what was sent. */
function assertJsonError(answer: Answer, status: number, code: string): void {
  const context = `${answer.status} ${answer.body}`;
  assert.equal(answer.status, status, context);
  assert.equal(answer.headers['content-type'], JSON_CONTENT_TYPE, context);
  assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)), context);
  const body = JSON.parse(answer.body) as { error?: { code?: string; message?: string } };
  assert.equal(body.error?.code, code, context);
  assert.ok((body.error?.message ?? '').length > 0, context);
}

describe('the API Gateway emulation', () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway();
  });
  after(async () => {
    await gateway.close();
  });

  it("answers each of its own refusals as JSON in the error shape, with the API's one content type", async () => {
    // Act + Assess
    assertJsonError(await gateway.send('GET', '/jobs', { headers: { authorization: '' } }), 401, 'UNAUTHORIZED');
    assertJsonError(await gateway.send('GET', '/jobz'), 404, 'ROUTE_NOT_FOUND');
    assertJsonError(await gateway.send('PUT', '/jobs'), 405, 'METHOD_NOT_ALLOWED');
    assertJsonError(await gateway.send('POST', '/jobs', { headers: { 'content-type': 'application/json' }, body: 'x'.repeat(1024 * 1024 + 1) }), 413, 'PAYLOAD_TOO_LARGE');
    assertJsonError(await gateway.send('GET', '/jobs', { headers: { host: 'rebound.example' } }), 421, 'MISDIRECTED_REQUEST');
    assertJsonError(await gateway.send('GET', '/jobs/job-1'), 500, 'INTERNAL');
  });

  it('answers the handlers\' own errors, middy\'s included, with the same content type', async () => {
    // Act + Assess
    assertJsonError(await gateway.send('POST', '/jobs', { headers: { 'content-type': 'text/plain' }, body: '{}' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertJsonError(await gateway.send('POST', '/jobs', { headers: { 'content-type': 'application/json' }, body: '{"command":' }), 400, 'INVALID_JSON');
    assertJsonError(await gateway.send('POST', '/jobs', { headers: { 'content-type': 'application/json' } }), 400, 'INVALID_JSON');
  });

  it('answers headers over 16 KB 431 HEADERS_TOO_LARGE in the error shape, and closes the connection', async () => {
    // Act
    const answer = await gateway.send('GET', '/jobs', { headers: { 'x-filler': 'x'.repeat(20 * 1024) } });

    // Assess
    assertJsonError(answer, 431, 'HEADERS_TOO_LARGE');
    assert.match(answer.body, /over 16 KB/);
    assert.equal(answer.headers.connection, 'close');
  });

  it('answers a HEAD with headers over 16 KB as its GET, without the body', async () => {
    // Prepare
    const filler = { 'x-filler': 'x'.repeat(20 * 1024) };

    // Act
    const get = await gateway.send('GET', '/health', { headers: filler });
    const head = await gateway.send('HEAD', '/health', { headers: filler });

    // Assess
    assert.equal(head.status, 431);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-type'], JSON_CONTENT_TYPE);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)));
  });

  it('answers a request that is not HTTP 400 BAD_REQUEST in the error shape', async () => {
    // Act
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(gateway.port, '127.0.0.1', () => socket.write('\u0001\u0002 nonsense\r\n\r\n'));
      let received = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });

    // Assess
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(head, new RegExp(`\\r\\ncontent-type: ${JSON_CONTENT_TYPE.replace(/[;]/g, '\\$&')}\\r\\n`));
    assert.match(head, new RegExp(`\\r\\ncontent-length: ${Buffer.byteLength(body)}\\r\\n`));
    assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'BAD_REQUEST');
  });

  it('answers HEAD as GET, with its Content-Length and without its body, for handlers and its own answers alike', async () => {
    for (const [path, headers] of [
      ['/health', {}],
      ['/jobs', {}],
      ['/jobs', { authorization: '' }],
      ['/jobz', {}],
    ] as const) {
      // Act
      const get = await gateway.send('GET', path, { headers });
      const head = await gateway.send('HEAD', path, { headers });

      // Assess
      assert.equal(head.status, get.status, path);
      assert.equal(head.body, '', path);
      assert.equal(head.headers['content-type'], get.headers['content-type'], path);
      assert.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)), path);
    }
  });

  it('answers OPTIONS on a path 204 with its methods in Allow and no body, without asking for a token', async () => {
    // Act
    const jobs = await gateway.send('OPTIONS', '/jobs', { headers: { authorization: '' } });
    const logs = await gateway.send('OPTIONS', '/jobs/job-1/logs', { headers: { authorization: '' } });
    const unknown = await gateway.send('OPTIONS', '/jobs/job-1/shell');

    // Assess
    assert.equal(jobs.status, 204);
    assert.equal(jobs.headers.allow, 'POST, GET, HEAD, OPTIONS');
    assert.equal(jobs.body, '');
    assert.equal(jobs.headers['content-length'], undefined, 'a 204 has no Content-Length');
    assert.equal(logs.status, 204);
    assert.equal(logs.headers.allow, 'GET, HEAD, OPTIONS');
    assertJsonError(unknown, 404, 'ROUTE_NOT_FOUND');
  });
});

describe('the API Gateway emulation over its rate', () => {
  it('answers 429 RATE_LIMITED as JSON in the error shape, with Retry-After', async () => {
    // Prepare
    const gateway = await startGateway({ limiter: new RateLimiter({ ratePerSecond: 0.01, burst: 1 }) });
    try {
      // Act
      const first = await gateway.send('GET', '/jobs');
      const second = await gateway.send('GET', '/jobs');

      // Assess
      assert.equal(first.status, 200);
      assertJsonError(second, 429, 'RATE_LIMITED');
      assert.ok(Number(second.headers['retry-after']) > 0);
    } finally {
      await gateway.close();
    }
  });
});

describe('the API Gateway emulation with a streamed answer (a local log download)', () => {
  /** Answers `chunks` as a streamed body, failing after them when `failing`. */
  function streaming(chunks: string[], failing = false): RouteHandler {
    return async () => ({
      statusCode: 200,
      headers: { 'content-type': 'application/x-ndjson; charset=utf-8' },
      streamedBody: (async function* () {
        yield* chunks;
        if (failing) throw new Error('the log could not be read');
      })(),
    });
  }

  it('writes the body as it comes, chunked, with no Content-Length', async () => {
    // Prepare
    const gateway = await startGateway({ handlers: { 'get-job-logs': streaming(['{"message":"a"}\n', '{"message":"b"}\n']) } });
    try {
      // Act
      const answer = await gateway.send('GET', '/jobs/job-1/logs?download=1');

      // Assess
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['transfer-encoding'], 'chunked');
      assert.equal(answer.headers['content-length'], undefined);
      assert.equal(answer.body, '{"message":"a"}\n{"message":"b"}\n');
    } finally {
      await gateway.close();
    }
  });

  it('cuts the answer short, and logs why, when the body fails once begun', async () => {
    // Prepare
    const errors: unknown[] = [];
    const gateway = await startGateway({ handlers: { 'get-job-logs': streaming(['{"message":"a"}\n'], true) }, logger: { ...silent, error: (...args: unknown[]) => void errors.push(args) } });
    try {
      // Act + Assess: the client sees the connection end before the answer did
      const response = await fetch(`http://127.0.0.1:${gateway.port}/jobs/job-1/logs?download=1`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(5000) });
      assert.equal(response.status, 200);
      await assert.rejects(response.text(), { name: 'TypeError' });
      assert.equal(errors.length, 1);
    } finally {
      await gateway.close();
    }
  });
});
