/**
 * The CLI against a stand-in for the API that answers what a real deployment sometimes does: API
 * Gateway's bare 500 when Lambda throttles, a 503, a 429; and answers no fargate-jobs API gives (a
 * proxy's HTML page, `{}`). Plus `login`'s care with the token: never to plain http on the network
 * without --insecure, and read from stdin rather than from a command line `ps` shows.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { closeServer } from '../helpers/http-server.ts';

const TOKEN = `fjt_${'s'.repeat(43)}`;

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

type Answer = (request: Received, response: ServerResponse) => void;

/** A server that answers each request with the next of `answers` (the last one repeats), recording the requests. */
async function startStandIn(context: TestContext, answers: Answer[]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const seen = { method: request.method ?? '', path: request.url ?? '', headers: request.headers };
      received.push(seen);
      (answers.length > 1 ? answers.shift()! : answers[0]!)(seen, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  context.after(() => closeServer(server));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function answer(status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Answer {
  return (_request, response) => {
    response.writeHead(status, headers);
    response.end(body);
  };
}

function jobDocument(id: string): Record<string, unknown> {
  return {
    id,
    profile: 'default',
    command: ['true'],
    status: 'QUEUED',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    exitCode: null,
    logTail: [],
    timeoutSeconds: 3600,
    labels: {},
    submittedBy: 'ci',
    links: { self: `/jobs/${id}`, logs: `/jobs/${id}/logs` },
  };
}

describe('run against an API that is throttled', () => {
  it('sends an Idempotency-Key and retries a bare 500, a 503 and a 429 with it: one job, submitted once', async (context) => {
    // Prepare: like the real API, the stand-in makes one job per key, even when its answer is lost in a 500.
    const jobsByKey = new Map<string, string>();
    const submit: Answer = (request, response) => {
      const key = String(request.headers['idempotency-key']);
      const known = jobsByKey.get(key);
      if (known === undefined) jobsByKey.set(key, `job-${jobsByKey.size + 1}`);
      answer(known === undefined ? 202 : 200, JSON.stringify(jobDocument(jobsByKey.get(key)!)))(request, response);
    };
    const api = await startStandIn(context, [
      (request, response) => {
        submit(request, { writeHead() {}, end() {} } as unknown as ServerResponse); // made, then lost
        answer(500, '{"message":"Internal Server Error"}')(request, response);
      },
      answer(503, JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'busy' } })),
      answer(429, JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'slow down' } }), { 'content-type': 'application/json', 'retry-after': '0' }),
      submit,
    ]);

    // Act
    const result = await runCli(['run', '--detach', '--', 'true'], { env: { FARGATE_JOBS_URL: api.url, FARGATE_JOBS_TOKEN: TOKEN } });

    // Assess
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'job-1\n');
    assert.equal(jobsByKey.size, 1, 'one job');
    const keys = api.received.map((request) => request.headers['idempotency-key']);
    assert.equal(keys.length, 4);
    assert.match(String(keys[0]), /^cli-[0-9a-f-]{36}$/);
    assert.deepEqual(new Set(keys).size, 1, `the same key each time: ${keys.join(', ')}`);
  });

  it('sends the key given with --idempotency-key', async (context) => {
    const api = await startStandIn(context, [answer(202, JSON.stringify(jobDocument('job-7')))]);

    const result = await runCli(['run', '--detach', '--idempotency-key', 'nightly-2026-01-01', '--', 'true'], { env: { FARGATE_JOBS_URL: api.url, FARGATE_JOBS_TOKEN: TOKEN } });

    assert.equal(result.code, 0, result.stderr);
    assert.equal(api.received[0]?.headers['idempotency-key'], 'nightly-2026-01-01');
  });
});

describe('an answer that is not the fargate-jobs API', () => {
  for (const [what, args, body, contentType, expected] of [
    ['an HTML page for a job', ['status', 'job-1'], '<html><body>Welcome to nginx</body></html>', 'text/html', 'GET /jobs/job-1: "<html><body>Welcome to nginx</body></html>" (not JSON)'],
    ['{} for a job', ['status', 'job-1'], '{}', 'application/json', "GET /jobs/job-1: a job without a string 'id'"],
    ['{} for a list', ['list'], '{}', 'application/json', "GET /jobs: not a list of jobs (no 'jobs')"],
    ['{} for a submitted job', ['run', '--', 'true'], '{}', 'application/json', "POST /jobs: a job without a string 'id'"],
    ['{} for a log page', ['logs', 'job-1'], '{}', 'application/json', "GET /jobs/job-1/logs: a log page whose 'lines' are not log lines"],
    ['{} for a cancelled job', ['cancel', 'job-1'], '{}', 'application/json', "POST /jobs/job-1/cancel: a job without a string 'id'"],
  ] as const) {
    it(`is a clear error, exit 1, for ${what}`, async (context) => {
      const api = await startStandIn(context, [answer(200, body, { 'content-type': contentType })]);

      const result = await runCli(args, { env: { FARGATE_JOBS_URL: api.url, FARGATE_JOBS_TOKEN: TOKEN } });

      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr, `fargate-jobs: the server at ${api.url} answered something that is not a fargate-jobs API: ${expected}\n`);
    });
  }
});

describe('login', () => {
  function scratchConfig(context: TestContext): { env: Record<string, string>; file: string } {
    const home = mkdtempSync(join(tmpdir(), 'fargate-jobs-login-'));
    context.after(() => rmSync(home, { recursive: true, force: true }));
    return { env: { XDG_CONFIG_HOME: home }, file: join(home, 'fargate-jobs', 'config.json') };
  }

  it('refuses plain http:// to another machine without --insecure, and saves nothing', async (context) => {
    const { env, file } = scratchConfig(context);

    const refused = await runCli(['login', '--context', 'lan', '--url', 'http://jobs.internal.example:3000', '--token', TOKEN], { env });

    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /http:\/\/jobs\.internal\.example:3000 is plain http to another machine: .*token in clear.*use https:\/\/, or pass --insecure/);
    assert.equal(existsSync(file), false);

    const insecure = await runCli(['login', '--context', 'lan', '--url', 'http://jobs.internal.example:3000', '--token', TOKEN, '--insecure'], { env });
    const loopback = await runCli(['login', '--context', 'here', '--url', 'http://127.0.0.1:3000', '--token', TOKEN], { env });
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.equal(loopback.code, 0, loopback.stderr);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, 'utf8')).contexts), ['lan', 'here']);
  });

  it('reads the token from stdin with --token-stdin, and says so in --help', async (context) => {
    const { env, file } = scratchConfig(context);

    const result = await runCli(['login', '--context', 'prod', '--url', 'https://api.example', '--token-stdin'], { env, input: `${TOKEN}\n` });
    const help = await runCli(['login', '--help'], { env });

    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).contexts.prod, { url: 'https://api.example', token: TOKEN });
    assert.match(help.stdout, /--token-stdin\s+read the token from stdin/);
    assert.match(help.stdout, /visible to every user of this machine in ps/);
  });

  it('refuses an empty stdin, and --token-stdin with --token', async (context) => {
    const { env } = scratchConfig(context);

    const empty = await runCli(['login', '--context', 'prod', '--url', 'https://api.example', '--token-stdin'], { env, input: '' });
    const both = await runCli(['login', '--context', 'prod', '--url', 'https://api.example', '--token-stdin', '--token', TOKEN], { env, input: TOKEN });

    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--token-stdin: stdin held no token/);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /not both/);
  });
});
