/**
 * Malformed requests against the local server: each gets a 4xx with a stable error code in the
 * `{ error: { code, message } }` shape, as `application/json; charset=utf-8`, and none of them
 * stores a job. Then what is not an error but easy to get wrong: HEAD, OPTIONS, empty parameters.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { assertError, startServer, type LocalServerProcess, type RequestOptions } from '../helpers/local-server.ts';

interface BadRequest {
  name: string;
  method: string;
  path: string;
  options?: RequestOptions;
  status: number;
  code: string;
  /** Where a validation error must point (its details' path). */
  detailPath?: string;
  /** Headers the answer must carry. */
  headers?: Record<string, string>;
  /** What the error message must say. */
  message?: RegExp;
  /** What the validation error must say at `detailPath`. */
  detailMessage?: string;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

const SOME_JOB_ID = 'job-0123456789abcdefghjkmnpqrs';
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const post = (body: unknown, options: RequestOptions = {}): Pick<BadRequest, 'method' | 'path' | 'options'> => ({
  method: 'POST',
  path: '/jobs',
  options: { ...options, body },
});

const BAD_REQUESTS: BadRequest[] = [
  { name: 'invalid JSON', ...post('{"command": ["echo",'), status: 400, code: 'INVALID_JSON' },
  { name: 'a body with no content type', ...post(new TextEncoder().encode('{"command":["true"]}')), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  {
    name: 'a text/plain body',
    ...post('{"command":["true"]}', { headers: { 'content-type': 'text/plain' } }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  { name: 'an empty body', ...post(''), status: 400, code: 'INVALID_JSON', message: /^a JSON body is required$/ },
  { name: 'no body and no content type', method: 'POST', path: '/jobs', status: 400, code: 'INVALID_JSON', message: /^a JSON body is required$/ },
  {
    name: 'an array nested 10,000 deep',
    ...post(`${'['.repeat(10_000)}${']'.repeat(10_000)}`),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: /nested too deeply: at most 32 levels/,
  },
  {
    name: 'a value nested 100 deep inside env',
    ...post(`{"command":["true"],"env":{"A":${'['.repeat(100)}${']'.repeat(100)}}}`),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: /nested too deeply/,
  },
  { name: 'a JSON array as the body', ...post([{ command: ['true'] }]), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a JSON string as the body', ...post('"echo hello"'), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a JSON null as the body', ...post('null'), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a __proto__ key', ...post('{"command":["true"],"__proto__":{"admin":true}}'), status: 400, code: 'INVALID_JSON' },
  { name: 'an unknown field', ...post({ command: ['true'], comand: ['true'] }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'comand' },
  { name: 'no command', ...post({ env: { A: 'b' } }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'command' },
  { name: 'an empty command', ...post({ command: [] }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'command' },
  { name: 'a command of numbers', ...post({ command: [1, 2] }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'command.0' },
  {
    name: 'an argv of 1001 items',
    ...post({ command: Array.from({ length: 1001 }, () => 'x') }),
    status: 400,
    code: 'VALIDATION_FAILED',
    detailPath: 'command',
    detailMessage: 'command has 1001 items; at most 1000',
  },
  { name: 'a command with a NUL byte', ...post({ command: ['echo', 'a\u0000b'] }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a command argument over 8192 characters', ...post({ command: ['echo', 'x'.repeat(8193)] }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a command string over 8192 characters', ...post({ command: `echo ${'x'.repeat(8192)}` }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'env not an object', ...post({ command: ['true'], env: ['A=b'] }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'env' },
  { name: "an env name with '-'", ...post({ command: ['true'], env: { 'MY-VAR': 'x' } }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'timeoutSeconds 0', ...post({ command: ['true'], timeoutSeconds: 0 }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'timeoutSeconds' },
  { name: 'timeoutSeconds 1.5', ...post({ command: ['true'], timeoutSeconds: 1.5 }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'timeoutSeconds' },
  { name: 'timeoutSeconds as a string', ...post({ command: ['true'], timeoutSeconds: '10' }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'timeoutSeconds' },
  { name: 'timeoutSeconds 100000', ...post({ command: ['true'], timeoutSeconds: 100_000 }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'timeoutSeconds' },
  { name: 'cpu -1', ...post({ command: ['true'], cpu: -1 }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'cpu' },
  { name: 'cpu 2^53', ...post({ command: ['true'], cpu: 2 ** 53 }), status: 400, code: 'INVALID_TASK_SIZE', detailPath: 'cpu', message: /not a Fargate CPU size/ },
  { name: 'cpu 1e308', ...post('{"command":["true"],"cpu":1e308}'), status: 400, code: 'INVALID_TASK_SIZE', detailPath: 'cpu', message: /not a Fargate CPU size/ },
  { name: 'memory 1e308', ...post('{"command":["true"],"memory":1e308}'), status: 400, code: 'INVALID_TASK_SIZE', detailPath: 'memory', message: /not a Fargate memory size/ },
  { name: 'publicIp "yes"', ...post({ command: ['true'], publicIp: 'yes' }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'publicIp' },
  { name: 'an sshPublicKey that is not a key', ...post({ command: ['true'], sshPublicKey: 'hunter2' }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'sshPublicKey' },
  {
    name: 'an sshPublicKey for a profile that is not interactive',
    ...post({ command: ['true'], sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMqIRx2rNwvZyYz3x9PmAqJ4m2s2yqfXh9p3Q5yO7c1l' }),
    status: 400,
    code: 'NOT_INTERACTIVE',
  },
  { name: 'a label with a non-string value', ...post({ command: ['true'], labels: { team: 7 } }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'labels.team' },
  { name: 'an unknown profile', ...post({ command: ['true'], profile: 'nope' }), status: 400, code: 'UNKNOWN_PROFILE' },
  { name: 'a profile name with a space and capitals', ...post({ command: ['true'], profile: 'Bad Name' }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'profile' },
  {
    name: 'an Idempotency-Key header with a space',
    ...post({ command: ['true'] }, { headers: { 'idempotency-key': 'two words' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    detailPath: 'Idempotency-Key',
  },
  {
    name: 'an idempotencyKey in the body with a space',
    ...post({ command: ['true'], idempotencyKey: 'two words' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    detailPath: 'idempotencyKey',
  },
  {
    name: 'idempotency keys in body and header that differ',
    ...post({ command: ['true'], idempotencyKey: 'one' }, { headers: { 'idempotency-key': 'other' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'list with status=BOGUS', method: 'GET', path: '/jobs?status=BOGUS', status: 400, code: 'VALIDATION_FAILED', detailPath: 'status' },
  { name: 'list with limit=0', method: 'GET', path: '/jobs?limit=0', status: 400, code: 'VALIDATION_FAILED', detailPath: 'limit' },
  { name: 'list with limit=abc', method: 'GET', path: '/jobs?limit=abc', status: 400, code: 'VALIDATION_FAILED', detailPath: 'limit' },
  { name: 'list with limit=101', method: 'GET', path: '/jobs?limit=101', status: 400, code: 'VALIDATION_FAILED', detailPath: 'limit' },
  { name: 'list with an unknown query parameter', method: 'GET', path: '/jobs?sort=oldest', status: 400, code: 'VALIDATION_FAILED', detailPath: 'sort' },
  { name: 'list with a cursor that is not a cursor', method: 'GET', path: '/jobs?cursor=not-a-cursor', status: 400, code: 'VALIDATION_FAILED', detailPath: 'cursor' },
  {
    name: 'list with a cursor of the wrong shape',
    method: 'GET',
    path: `/jobs?cursor=${cursorOf({ offset: 10 })}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    detailPath: 'cursor',
  },
  { name: 'logs with limit=10001', method: 'GET', path: `/jobs/${SOME_JOB_ID}/logs?limit=10001`, status: 400, code: 'VALIDATION_FAILED', detailPath: 'limit' },
  // A job id that cannot exist is simply not found: the same answer as for a well-formed unknown id.
  { name: 'a malformed job id', method: 'GET', path: '/jobs/abc', status: 404, code: 'JOB_NOT_FOUND' },
  { name: 'cancel of a malformed job id', method: 'DELETE', path: '/jobs/abc', status: 404, code: 'JOB_NOT_FOUND' },
  {
    name: 'PUT /jobs',
    method: 'PUT',
    path: '/jobs',
    options: { body: { command: ['true'] } },
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    headers: { allow: 'POST, GET, HEAD, OPTIONS' },
  },
  {
    name: 'PATCH /jobs/{id}',
    method: 'PATCH',
    path: `/jobs/${SOME_JOB_ID}`,
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    headers: { allow: 'GET, HEAD, DELETE, OPTIONS' },
  },
  { name: 'an unknown route', method: 'GET', path: '/jobz', status: 404, code: 'ROUTE_NOT_FOUND' },
  { name: 'OPTIONS on an unknown route', method: 'OPTIONS', path: '/jobz', status: 404, code: 'ROUTE_NOT_FOUND' },
  { name: 'no token', method: 'GET', path: '/jobs', options: { token: null }, status: 401, code: 'UNAUTHORIZED', headers: { 'www-authenticate': 'Bearer' } },
  {
    name: 'headers over 16 KB',
    method: 'GET',
    path: '/jobs',
    options: { headers: { 'x-filler': 'x'.repeat(20 * 1024) } },
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    message: /headers are over 16 KB/,
  },
  { name: 'a path below a job that is not a route', method: 'GET', path: `/jobs/${SOME_JOB_ID}/shell`, status: 404, code: 'ROUTE_NOT_FOUND' },
  // The local `default` profile has no task size of its own: any size Fargate offers is accepted, no other.
  { name: 'cpu 300', ...post({ command: ['true'], cpu: 300 }), status: 400, code: 'INVALID_TASK_SIZE', detailPath: 'cpu' },
  { name: 'cpu 256 with memory 4096', ...post({ command: ['true'], cpu: 256, memory: 4096 }), status: 400, code: 'INVALID_TASK_SIZE', detailPath: 'memory' },
  { name: 'cpu 16384 with memory 131072', ...post({ command: ['true'], cpu: 16_384, memory: 131_072 }), status: 400, code: 'INVALID_TASK_SIZE', detailPath: 'memory' },
  { name: 'memory 1000 alone', ...post({ command: ['true'], memory: 1000 }), status: 400, code: 'INVALID_TASK_SIZE', detailPath: 'memory' },
  // Each string is within the API's 8192-character limit; together they are over ECS's limit on overrides.
  {
    name: 'an argv of three 8000-character arguments',
    ...post({ command: ['echo', 'a'.repeat(8000), 'b'.repeat(8000), 'c'.repeat(8000)] }),
    status: 400,
    code: 'OVERRIDES_TOO_LARGE',
  },
  {
    name: 'an environment of three 8000-character values',
    ...post({ command: ['env'], env: { FIRST: 'a'.repeat(8000), SECOND: 'b'.repeat(8000), THIRD: 'c'.repeat(8000) } }),
    status: 400,
    code: 'OVERRIDES_TOO_LARGE',
  },
  { name: 'a shell string of 8192 characters (it runs as /bin/sh -c)', ...post({ command: 'x'.repeat(8192) }), status: 400, code: 'OVERRIDES_TOO_LARGE' },
  {
    name: 'a body over 1 MiB',
    ...post({ command: ['echo', 'x'], labels: { filler: 'x'.repeat(200) }, env: { PAD: 'y'.repeat(1024 * 1024) } }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
];

describe('malformed requests', () => {
  let server: LocalServerProcess;

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await server?.stop();
  });

  for (const bad of BAD_REQUESTS) {
    test(`${bad.name}: ${bad.method} ${bad.path.slice(0, 60)} → ${bad.status} ${bad.code}`, async () => {
      const response = await server.request(bad.method, bad.path, bad.options);

      const body = assertError(response, bad.status, bad.code);
      assert.equal(response.headers.get('content-type'), JSON_CONTENT_TYPE, 'every JSON answer has the same content type');
      assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(response.text)));
      if (bad.message) assert.match(body.error.message, bad.message);
      if (bad.detailPath !== undefined) {
        const paths = (body.error.details ?? []).map((detail) => detail.path);
        assert.ok(paths.includes(bad.detailPath), `details should name '${bad.detailPath}', got ${JSON.stringify(paths)}`);
      }
      if (bad.detailMessage !== undefined) {
        const detail = body.error.details?.find((candidate) => candidate.path === bad.detailPath);
        assert.equal(detail?.message, bad.detailMessage);
      }
      for (const [name, value] of Object.entries(bad.headers ?? {})) assert.equal(response.headers.get(name), value, name);
    });
  }

  test('no rejected request stored a job', async () => {
    const response = await server.request<{ jobs: JobDocument[]; nextCursor: string | null }>('GET', '/jobs');

    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json, { jobs: [], nextCursor: null });
  });

  test('a malformed logs cursor for a job that exists is a 400, not a 500', async () => {
    const created = await server.request<JobDocument>('POST', '/jobs', { body: { command: ['sh', '-c', 'echo one; echo two'] } });
    assert.equal(created.status, 202, created.text);
    await server.waitForJob(created.json.id, (job) => job.stoppedAt !== undefined);
    const logsPath = `/jobs/${created.json.id}/logs`;
    const good = await server.request<JobLogs>('GET', `${logsPath}?limit=1`);
    assert.equal(good.status, 200, good.text);

    for (const cursor of ['not-a-cursor', cursorOf({ offset: -1 }), cursorOf({ offset: 'x' }), cursorOf([1, 2]), '%00']) {
      const response = await server.request('GET', `${logsPath}?cursor=${encodeURIComponent(cursor)}`);
      const body = assertError(response, 400, 'VALIDATION_FAILED');
      assert.deepEqual(body.error.details?.map((detail) => detail.path), ['cursor'], `cursor ${cursor}`);
    }
  });

  test('answers HEAD on every GET route as the GET (status, headers, Content-Length), without a body', async () => {
    // Prepare: a finished job, so that its document and logs no longer change between the two requests.
    const created = await server.request<JobDocument>('POST', '/jobs', { body: { command: ['echo', 'for HEAD'] } });
    assert.equal(created.status, 202, created.text);
    await server.waitForJob(created.json.id, (job) => job.stoppedAt !== undefined);
    const drained = await server.request<JobLogs>('GET', `/jobs/${created.json.id}/logs`);
    assert.equal(drained.json.complete, true, drained.text);
    const paths = ['/health', '/jobs', `/jobs/${created.json.id}`, `/jobs/${created.json.id}/logs`, `/jobs/${SOME_JOB_ID}`];
    const comparable = (headers: Headers) => Object.fromEntries([...headers].filter(([name]) => !['date', 'x-request-id', 'connection', 'keep-alive'].includes(name)));

    for (const path of [...paths, '/jobs?token=none']) {
      // Act
      const get = await server.request('GET', path);
      const head = await server.request('HEAD', path);

      // Assess
      assert.equal(head.status, get.status, path);
      assert.deepEqual(comparable(head.headers), comparable(get.headers), path);
      assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(get.text)), path);
      assert.equal(head.text, '', path);
    }
    const unauthenticated = await server.request('HEAD', '/jobs', { token: null });
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.headers.get('content-type'), JSON_CONTENT_TYPE);
    assert.equal(unauthenticated.text, '');
  });

  test('answers OPTIONS on every path 204 with its methods in Allow, no body, without a token', async () => {
    const expected: Record<string, string> = {
      '/jobs': 'POST, GET, HEAD, OPTIONS',
      [`/jobs/${SOME_JOB_ID}`]: 'GET, HEAD, DELETE, OPTIONS',
      [`/jobs/${SOME_JOB_ID}/logs`]: 'GET, HEAD, OPTIONS',
      '/health': 'GET, HEAD, OPTIONS',
    };
    for (const [path, allow] of Object.entries(expected)) {
      // Act
      const response = await server.request('OPTIONS', path, { token: null });

      // Assess
      assert.equal(response.status, 204, `${path}: ${response.text}`);
      assert.equal(response.headers.get('allow'), allow, path);
      assert.equal(response.text, '', path);
    }
  });

  test('takes query parameters given empty as not given, on the job list and the logs', async () => {
    // Prepare
    const created = await server.request<JobDocument>('POST', '/jobs', { body: { command: ['echo', 'empty parameters'] } });
    assert.equal(created.status, 202, created.text);
    await server.waitForJob(created.json.id, (job) => job.stoppedAt !== undefined);
    const logsPath = `/jobs/${created.json.id}/logs`;

    // Act
    const list = await server.request('GET', '/jobs');
    const listEmpty = await server.request('GET', '/jobs?status=&profile=&cursor=&limit=');
    const logs = await server.request('GET', logsPath);
    const logsEmpty = await server.request('GET', `${logsPath}?cursor=&limit=`);

    // Assess
    assert.equal(listEmpty.status, 200, listEmpty.text);
    assert.deepEqual(listEmpty.json, list.json);
    assert.equal(logsEmpty.status, 200, logsEmpty.text);
    assert.deepEqual(logsEmpty.json, logs.json);
  });

  test('answers a request that is not HTTP 400 BAD_REQUEST in the error shape, and closes the connection', async () => {
    // Act
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let received = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });

    // Assess
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(head, /\r\ncontent-type: application\/json; charset=utf-8\r\n/);
    assert.match(head, /\r\nconnection: close/);
    assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'BAD_REQUEST');
  });
});
