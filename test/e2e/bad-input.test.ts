/**
 * Malformed requests against the local server: each gets a 4xx with a stable error code in the
 * `{ error: { code, message } }` shape, and none of them stores a job.
 */
import assert from 'node:assert/strict';
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
}

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
  { name: 'an empty body', ...post(''), status: 400, code: 'INVALID_JSON' },
  { name: 'a JSON array as the body', ...post([{ command: ['true'] }]), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a JSON string as the body', ...post('"echo hello"'), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a JSON null as the body', ...post('null'), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'a __proto__ key', ...post('{"command":["true"],"__proto__":{"admin":true}}'), status: 400, code: 'INVALID_JSON' },
  { name: 'an unknown field', ...post({ command: ['true'], comand: ['true'] }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'comand' },
  { name: 'no command', ...post({ env: { A: 'b' } }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'command' },
  { name: 'an empty command', ...post({ command: [] }), status: 400, code: 'VALIDATION_FAILED', detailPath: 'command' },
  { name: 'a command of numbers', ...post({ command: [1, 2] }), status: 400, code: 'VALIDATION_FAILED' },
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
  { name: 'PUT /jobs', method: 'PUT', path: '/jobs', options: { body: { command: ['true'] } }, status: 405, code: 'METHOD_NOT_ALLOWED', headers: { allow: 'POST, GET' } },
  { name: 'PATCH /jobs/{id}', method: 'PATCH', path: `/jobs/${SOME_JOB_ID}`, status: 405, code: 'METHOD_NOT_ALLOWED', headers: { allow: 'GET, DELETE' } },
  { name: 'an unknown route', method: 'GET', path: '/jobz', status: 404, code: 'ROUTE_NOT_FOUND' },
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
      if (bad.detailPath !== undefined) {
        const paths = (body.error.details ?? []).map((detail) => detail.path);
        assert.ok(paths.includes(bad.detailPath), `details should name '${bad.detailPath}', got ${JSON.stringify(paths)}`);
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
});
