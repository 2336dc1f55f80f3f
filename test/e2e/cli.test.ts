/**
 * `fargate-jobs` end to end: the CLI as a child process against the real local server, as a user or
 * a CI step runs it. Its exit code is the job's (or 124/125/127/130/1/2), its stdout and stderr are
 * the job's, each line once and in order.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { JobDocument } from '#lib/http/job-document.ts';
import { runCli, serverEnv, startCli, untilStderr, untilStdout } from '../helpers/cli.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

/** Waits until the job has logged `count` lines (the record's log tail is written only at the end). */
async function untilLogLines(server: LocalServerProcess, id: string, count: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { json } = await server.request<{ lines: unknown[] }>('GET', `/jobs/${id}/logs`);
    if (json.lines.length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`job ${id} never logged ${count} lines`);
}

describe('fargate-jobs CLI against the local server', () => {
  let server: LocalServerProcess;
  let env: Record<string, string>;

  before(async () => {
    server = await startServer();
    env = serverEnv(server);
  });

  after(async () => {
    await server?.stop();
  });

  test('run exits 0 with the job\'s stdout on stdout and progress on stderr only', async () => {
    const result = await runCli(['run', '--', 'echo', 'hello'], { env });

    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'hello\n');
    assert.match(result.stderr, /SUCCEEDED/);
  });

  test('run exits with the command\'s own exit code', async () => {
    const result = await runCli(['run', '--', 'sh', '-c', 'echo to stderr >&2; exit 3'], { env });

    assert.equal(result.code, 3, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^to stderr$/m);
  });

  test('run exits 124 when the job times out', async () => {
    const result = await runCli(['run', '--timeout', '1s', '--', 'sleep', '30'], { env });

    assert.equal(result.code, 124, result.stderr);
    assert.match(result.stderr, /TIMED_OUT/);
  });

  test('run exits 125 when the API refuses the job (a task size Fargate does not offer)', async () => {
    const result = await runCli(['run', '--cpu', '300', '--', 'true'], { env });

    assert.equal(result.code, 125, result.stderr);
    assert.match(result.stderr, /cpu 300 is not a Fargate CPU size.*INVALID_TASK_SIZE/);
  });

  test('run exits 125 when an idempotency key is reused for another command (409)', async () => {
    const key = `reuse-${Date.now()}`;
    const first = await runCli(['run', '--idempotency-key', key, '--detach', '--', 'true'], { env });
    assert.equal(first.code, 0, first.stderr);

    const second = await runCli(['run', '--idempotency-key', key, '--', 'false'], { env });

    assert.equal(second.code, 125, second.stderr);
    assert.match(second.stderr, /409 IDEMPOTENCY_KEY_REUSED/);
  });

  test('run exits 127 when the command does not exist', async () => {
    const result = await runCli(['run', '--', 'no-such-command-xyz'], { env });

    assert.equal(result.code, 127, result.stderr);
    assert.match(result.stderr, /could not start 'no-such-command-xyz'/);
  });

  test('a bad flag exits 2 with a one-line error and the usage', async () => {
    const result = await runCli(['run', '--no-such-flag', '--', 'true'], { env });

    assert.equal(result.code, 2);
    const [error, usage] = result.stderr.split('\n');
    assert.equal(error, "fargate-jobs: unknown option '--no-such-flag'");
    assert.match(usage ?? '', /^usage: fargate-jobs run /);
    assert.equal(result.stdout, '');
  });

  test('a missing argument exits 2 naming it', async () => {
    const result = await runCli(['wait'], { env });

    assert.equal(result.code, 2);
    assert.match(result.stderr, /^fargate-jobs: wait needs <id>\nusage: fargate-jobs wait <id>/);
  });

  test('run of a 5,000-line job prints every line once, in order, each on its stream', async () => {
    const script = 'seq 1 5000; for i in 1 2 3 4 5; do echo "err $i" >&2; done; seq 5001 5010';

    const result = await runCli(['run', '--', 'sh', '-c', script], { env });

    assert.equal(result.code, 0, result.stderr);
    const expected = [...Array.from({ length: 5000 }, (_, index) => String(index + 1)), ...Array.from({ length: 10 }, (_, index) => String(5001 + index))];
    assert.deepEqual(result.stdout.split('\n').slice(0, -1), expected);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('err '));
    assert.deepEqual(errors, ['err 1', 'err 2', 'err 3', 'err 4', 'err 5']);
  });

  test('--json prints the finished job as one JSON document, before or after the verb', async () => {
    const after = await runCli(['run', '--json', '--', 'sh', '-c', 'echo hidden; exit 4'], { env });
    const before = await runCli(['--json', 'list', '--limit', '2'], { env });

    assert.equal(after.code, 4, after.stderr);
    const job = JSON.parse(after.stdout) as JobDocument;
    assert.equal(job.status, 'FAILED');
    assert.equal(job.exitCode, 4);
    assert.equal(before.code, 0, before.stderr);
    assert.equal((JSON.parse(before.stdout) as { jobs: JobDocument[] }).jobs.length, 2);
  });

  test('run --detach prints only the job id; wait then follows it and exits with its code', async () => {
    const detached = await runCli(['run', '--detach', '--', 'sh', '-c', 'sleep 1; echo late; exit 6'], { env });
    assert.equal(detached.code, 0, detached.stderr);
    const id = detached.stdout.trim();
    assert.match(id, /^job-[0-9a-z]+$/);

    const waited = await runCli(['wait', id], { env });

    assert.equal(waited.code, 6, waited.stderr);
    assert.equal(waited.stdout, 'late\n');
  });

  test('status, logs --json and cancel speak of the job', async () => {
    const { stdout } = await runCli(['run', '--detach', '--', 'sh', '-c', 'echo one; echo two >&2; sleep 30'], { env });
    const id = stdout.trim();
    await untilLogLines(server, id, 2);

    const logs = await runCli(['logs', id, '--json'], { env });
    const cancelled = await runCli(['cancel', id, '--json'], { env });
    const status = await runCli(['status', id], { env });

    const lines = logs.stdout.trim().split('\n').map((line) => JSON.parse(line) as { message?: string; stream?: string; nextCursor?: string });
    assert.deepEqual(lines.slice(0, 2).map(({ message, stream }) => ({ message, stream })), [
      { message: 'one', stream: 'stdout' },
      { message: 'two', stream: 'stderr' },
    ]);
    assert.equal(typeof lines[2]?.nextCursor, 'string');
    assert.equal((JSON.parse(cancelled.stdout) as JobDocument).status, 'CANCELLED');
    assert.match(status.stdout, /^status:\s+CANCELLED$/m);
  });

  test('Ctrl-C cancels the job, waits for it to be CANCELLED and exits 130', async () => {
    const cli = startCli(['run', '--', 'sh', '-c', 'echo started; sleep 60'], { env });
    await untilStderr(cli, (stderr) => /RUNNING/.test(stderr));
    // RUNNING comes before the command's first line: interrupting earlier would cancel it unprinted.
    await untilStdout(cli, (stdout) => stdout === 'started\n');
    const id = /(job-[0-9a-z]+) RUNNING/.exec(cli.stderr())![1]!;

    cli.child.kill('SIGINT');
    const result = await cli.exited;

    assert.equal(result.code, 130, result.stderr);
    assert.equal(result.stdout, 'started\n');
    assert.match(result.stderr, /cancelling/);
    const { json: job } = await server.request<JobDocument>('GET', `/jobs/${id}`);
    assert.equal(job.status, 'CANCELLED');
  });

  test('a Ctrl-C delivered twice within a second (npm forwarding it) counts once; a later one detaches and says how to re-attach', async () => {
    const cli = startCli(['run', '--', 'sh', '-c', 'trap "" TERM; sleep 60'], { env });
    await untilStderr(cli, (stderr) => /RUNNING/.test(stderr));

    cli.child.kill('SIGINT');
    cli.child.kill('SIGINT');
    await untilStderr(cli, (stderr) => /cancelling/.test(stderr));
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    assert.equal(cli.child.exitCode, null, 'the repeated signal was taken for a second press');
    cli.child.kill('SIGINT');
    const result = await cli.exited;

    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /detached from job-[0-9a-z]+/);
    assert.match(result.stderr, /re-attach:\s+fargate-jobs wait job-[0-9a-z]+/);
  });

  test('a wrong token exits 1 with a message that the token is unknown or revoked', async () => {
    const unknown = await runCli(['run', '--', 'true'], { env: { ...env, FARGATE_JOBS_TOKEN: `fjt_${'A'.repeat(43)}` } });
    const created = await runCli(['token', 'create', '--name', 'cli-revoked', '--profiles', 'default'], { env: { FARGATE_JOBS_DATA_DIR: server.dataDir } });
    assert.equal(created.code, 0, created.stderr);
    await runCli(['token', 'revoke', '--name', 'cli-revoked'], { env: { FARGATE_JOBS_DATA_DIR: server.dataDir } });
    const revoked = await runCli(['list'], { env: { ...env, FARGATE_JOBS_TOKEN: created.stdout.trim() } });

    for (const result of [unknown, revoked]) {
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr, `fargate-jobs: ${server.url} refused the request (401): the token is unknown or has been revoked\n`);
    }
  });

  test('a token that may not use the profile exits 1 naming the profile', async () => {
    const created = await runCli(['token', 'create', '--name', 'cli-echo-only', '--profiles', 'echo'], { env: { FARGATE_JOBS_DATA_DIR: server.dataDir } });
    assert.equal(created.code, 0, created.stderr);

    const result = await runCli(['run', '--profile', 'default', '--', 'true'], { env: { ...env, FARGATE_JOBS_TOKEN: created.stdout.trim() } });

    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /refused the request \(403\): token 'cli-echo-only' may not use profile 'default'/);
  });

  test('an API nobody answers on exits 1 naming it', async () => {
    // A refused connection is not retried (nothing listens there): it fails at once.
    const result = await runCli(['run', '--', 'true'], { env: { FARGATE_JOBS_URL: 'http://127.0.0.1:9', FARGATE_JOBS_TOKEN: 'fjt_x' } });

    assert.equal(result.code, 1);
    assert.match(result.stderr, /could not reach http:\/\/127\.0\.0\.1:9/);
  });

  test('with no URL or token, finds the local server through its data directory', async () => {
    const result = await runCli(['run', '--', 'echo', 'found it'], { env: { FARGATE_JOBS_DATA_DIR: server.dataDir } });

    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'found it\n');
  });

  test('with no server in the data directory, says how to start one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'fargate-jobs-cli-empty-'));
    try {
      const result = await runCli(['list'], { env: { FARGATE_JOBS_DATA_DIR: empty } });

      assert.equal(result.code, 1);
      assert.equal(result.stderr, `fargate-jobs: no fargate-jobs server found in ${empty}: start one with npm start, or pass --url and --token\n`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('login saves a context that --context then uses', async () => {
    const config = mkdtempSync(join(tmpdir(), 'fargate-jobs-cli-config-'));
    try {
      const isolated = { XDG_CONFIG_HOME: config, FARGATE_JOBS_DATA_DIR: join(config, 'no-server') };
      const login = await runCli(['login', '--context', 'e2e', '--url', server.url, '--token', server.token], { env: isolated });
      assert.equal(login.code, 0, login.stderr);

      const result = await runCli(['--context', 'e2e', 'run', '--', 'echo', 'via context'], { env: isolated });

      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'via context\n');
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
  });

  test('token list works as npm run token does', async () => {
    const result = await runCli(['token', 'list', '--json'], { env: { FARGATE_JOBS_DATA_DIR: server.dataDir } });

    assert.equal(result.code, 0, result.stderr);
    assert.ok((JSON.parse(result.stdout) as { name: string }[]).some((token) => token.name === 'local'));
  });

  test('--help and --version answer on the program and on every verb', async () => {
    for (const args of [['--help'], ['run', '--help'], ['logs', '--help'], ['ssh', '--help']]) {
      const result = await runCli(args, { env });
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /usage: fargate-jobs/);
    }
    const version = await runCli(['wait', '--version'], { env });
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});

