/**
 * Exec into a running job in local mode, end to end: the `npm start` server as a process,
 * `POST /jobs/{id}/exec`, then the session's stream spoken by a small client of the protocol
 * (test/helpers/exec-client.ts): the command runs in the job's work directory with the job's
 * environment, its streams carried as frames, its exit code the last word.
 */
import assert from 'node:assert/strict';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { JobDocument } from '#lib/http/job-document.ts';
import { attach, attachOrFail, type ExecSessionAnswer } from '../helpers/exec-client.ts';
import { assertError, startServer, type LocalServerProcess } from '../helpers/local-server.ts';
import { rawRequest } from '../helpers/raw-http.ts';

const SECRET_VALUE = 'exec-test-secret-4f1c9a';
const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

describe('exec into a running local job', () => {
  let server: LocalServerProcess;

  before(async () => {
    // INFO: the exec's start and end are logged, and the test reads that the environment is not.
    server = await startServer({ env: { LOG_LEVEL: 'INFO' } });
  });

  after(async () => {
    await server?.stop();
  });

  async function submit(body: unknown): Promise<JobDocument> {
    const response = await server.request<JobDocument>('POST', '/jobs', { body });
    assert.equal(response.status, 202, response.text);
    return response.json;
  }

  /** A job held open to exec into (`hold: true`, what `run -i` submits), once it runs and takes an exec. */
  async function aHeldJob(env: Record<string, string> = {}): Promise<JobDocument> {
    const job = await submit({ hold: true, env });
    return server.waitForJob(job.id, (seen) => seen.status === 'RUNNING' && seen.exec?.ready === true);
  }

  async function openExec(jobId: string, command?: string[]): Promise<ExecSessionAnswer> {
    const response = await server.request<ExecSessionAnswer>('POST', `/jobs/${jobId}/exec`, { body: command === undefined ? {} : { command } });
    assert.equal(response.status, 201, response.text);
    return response.json;
  }

  async function cancel(jobId: string): Promise<void> {
    const response = await server.request('DELETE', `/jobs/${jobId}`);
    assert.ok([200, 202].includes(response.status), response.text);
  }

  test('run -i, the server side: a held job, an exec of cat, stdin in, the same bytes out, exit 0', async () => {
    const job = await aHeldJob();
    assert.deepEqual(job.command, ['sleep', '86400']);
    assert.deepEqual(job.exec, { ready: true });

    const session = await openExec(job.id, ['cat']);
    assert.match(session.sessionId, /^[0-9a-f-]{36}$/);
    assert.equal(session.streamUrl, `${server.url}/exec-sessions/${session.sessionId}`);
    assert.equal(session.target, `local:${job.id}`);
    assert.equal(session.region, 'local');
    assert.match(session.tokenValue, /^[A-Za-z0-9_-]{43}$/);
    const exec = await attachOrFail(session);
    exec.write('hi\n');
    exec.endStdin();
    const output = await exec.finished;

    assert.deepEqual(output, { stdout: 'hi\n', stderr: '', errors: [], exitCode: 0, afterExit: 0 });
    const seen = await server.waitForJob(job.id, (current) => (current.execs?.length ?? 0) === 1);
    assert.equal(seen.status, 'RUNNING', 'an exec that ends leaves its job running');
    assert.deepEqual(seen.execs?.map(({ by, command }) => ({ by, command })), [{ by: 'local', command: ['cat'] }]);
    await cancel(job.id);
  });

  test('stdout and stderr arrive apart, then the exit code of the command; its output is not in the job log', async () => {
    const job = await aHeldJob();

    const exec = await attachOrFail(await openExec(job.id, ['sh', '-c', 'echo out; echo err >&2; exit 3']));
    const output = await exec.finished;

    assert.deepEqual(output, { stdout: 'out\n', stderr: 'err\n', errors: [], exitCode: 3, afterExit: 0 });
    const logs = await server.request<{ lines: { message: string }[] }>('GET', `/jobs/${job.id}/logs`);
    assert.deepEqual(logs.json.lines, []);
    await cancel(job.id);
  });

  test("the command runs in the job's work directory with the job's environment, secrets in clear, and none of it is logged", async () => {
    const job = await aHeldJob({ GREETING: 'hello from the job', API_TOKEN: SECRET_VALUE });

    const exec = await attachOrFail(await openExec(job.id, ['sh', '-c', 'pwd; printenv GREETING; printenv API_TOKEN']));
    const output = await exec.finished;

    assert.equal(output.exitCode, 0, JSON.stringify(output));
    const [cwd, greeting, token] = output.stdout.trimEnd().split('\n');
    assert.equal(cwd, realpathSync(join(server.dataDir, 'work', job.id)));
    assert.equal(greeting, 'hello from the job');
    assert.equal(token, SECRET_VALUE);
    await cancel(job.id);
    assert.match(server.output(), new RegExp(`exec started.*${job.id}|${job.id}.*exec started`));
    assert.match(server.output(), new RegExp(`exec ended.*${job.id}|${job.id}.*exec ended`));
    assert.doesNotMatch(server.output(), new RegExp(SECRET_VALUE));
  });

  test('the profile\'s execShell when no command is given: sh -i answers with a prompt, on pipes and not a terminal', async () => {
    const job = await aHeldJob();

    const exec = await attachOrFail(await openExec(job.id));
    exec.write('if [ -t 0 ] || [ -t 1 ]; then echo terminal; else echo pipes; fi\nexit 7\n');
    const output = await exec.finished;

    assert.equal(output.stdout, 'pipes\n');
    assert.equal(output.exitCode, 7);
    // `$ `, or `# ` for root; and no job control, for want of a terminal.
    assert.match(output.stderr, /[$#] /, 'sh -i prompts on stderr');
    await cancel(job.id);
  });

  test('a SIGNAL frame reaches the command: SIGINT ends sleep with 130', async () => {
    const job = await aHeldJob();
    const exec = await attachOrFail(await openExec(job.id, ['sleep', '100']));

    exec.signal('SIGINT');
    const output = await exec.finished;

    assert.equal(output.exitCode, 130, JSON.stringify(output));
    await cancel(job.id);
  });

  test('a signal an exec does not take is refused with an ERROR frame, and the command runs on', async () => {
    const job = await aHeldJob();
    const exec = await attachOrFail(await openExec(job.id, ['cat']));

    exec.signal('SIGKILL');
    await exec.until('an ERROR frame', (output) => output.errors.length > 0);
    exec.write('still here\n');
    exec.endStdin();
    const output = await exec.finished;

    assert.match(output.errors[0] ?? '', /SIGINT.*not 'SIGKILL'/);
    assert.equal(output.stdout, 'still here\n');
    assert.equal(output.exitCode, 0);
    await cancel(job.id);
  });

  test('a command that does not exist: an ERROR frame that says so, then exit 127', async () => {
    const job = await aHeldJob();

    const exec = await attachOrFail(await openExec(job.id, ['no-such-command-fj']));
    const output = await exec.finished;

    assert.deepEqual(output, { stdout: '', stderr: '', errors: ['no such file or command: no-such-command-fj'], exitCode: 127, afterExit: 0 });
    await cancel(job.id);
  });

  test('megabytes through cat come back whole and in order, however the frames are cut', async () => {
    const job = await aHeldJob();
    const exec = await attachOrFail(await openExec(job.id, ['cat']));
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let index = 0; index < data.length; index += 1) data[index] = 97 + (index % 26);

    exec.write(data);
    exec.endStdin();
    const output = await exec.finished;

    assert.equal(output.exitCode, 0);
    assert.equal(output.stdout.length, data.length);
    assert.ok(output.stdout === data.toString('latin1'), 'the bytes came back changed');
    await cancel(job.id);
  });

  test('a session opens once, with its own token, from this server\'s names only', async () => {
    const job = await aHeldJob();
    const session = await openExec(job.id, ['cat']);
    const port = new URL(server.url).port;

    const noToken = await attach(session, { token: null });
    // As long as the real one: the comparison itself must say no.
    const wrongToken = await attach(session, { token: 'A'.repeat(session.tokenValue.length) });
    const apiToken = await attach(session, { token: server.token });
    const otherHost = await attach(session, { headers: { host: `rebound.example:${port}` } });
    const otherUpgrade = await attach(session, { headers: { upgrade: 'websocket' } });
    const unknown = await attach({ ...session, streamUrl: `${server.url}/exec-sessions/00000000-0000-4000-8000-000000000000` });
    const first = await attach(session);
    const second = await attach(session);

    for (const [outcome, status, code] of [
      [noToken, 401, 'UNAUTHORIZED'],
      [wrongToken, 401, 'UNAUTHORIZED'],
      [apiToken, 401, 'UNAUTHORIZED'],
      [otherHost, 421, 'MISDIRECTED_REQUEST'],
      [otherUpgrade, 400, 'UNSUPPORTED_UPGRADE'],
      [unknown, 404, 'EXEC_SESSION_NOT_FOUND'],
      [second, 404, 'EXEC_SESSION_NOT_FOUND'],
    ] as const) {
      assert.ok('refused' in outcome, `expected ${status} ${code}, got an attached session`);
      assert.equal(outcome.refused.status, status, JSON.stringify(outcome.refused.json));
      assert.equal(outcome.refused.json?.error?.code, code);
      assert.ok((outcome.refused.json?.error?.message ?? '').length > 0);
    }
    // The refusals before it left the session to the client with its token.
    assert.ok('attached' in first, 'the first attach with the right token was refused');
    first.attached.endStdin();
    assert.equal((await first.attached.finished).exitCode, 0);
    await cancel(job.id);
  });

  test('an ordinary request that offers another upgrade (h2c) is answered as a request', async () => {
    const answer = await rawRequest(`${server.url}/health`, { method: 'GET', headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': '' } });

    assert.equal(answer.status, 200, answer.text);
  });

  test('a malformed stream from the client: an ERROR frame, the command hung up, the connection closed', async () => {
    const job = await aHeldJob();
    const exec = await attachOrFail(await openExec(job.id, ['sleep', '100']));

    exec.sendRaw(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]));
    const output = await exec.finished;

    assert.match(output.errors[0] ?? '', /malformed/);
    assert.equal(output.exitCode, undefined);
    await cancel(job.id);
  });

  test('a client that goes away hangs its command up (SIGHUP)', async () => {
    const job = await aHeldJob();
    const exec = await attachOrFail(await openExec(job.id, ['sh', '-c', 'trap "echo > hung-up; exit 0" HUP; echo ready; while :; do sleep 0.1; done']));
    await exec.until('ready', (output) => output.stdout === 'ready\n');

    exec.disconnect();

    const marker = join(server.dataDir, 'work', job.id, 'hung-up');
    for (let attempt = 0; attempt < 500 && !existsSync(marker); attempt += 1) await delay(20);
    assert.ok(existsSync(marker), 'the command was not hung up');
    await cancel(job.id);
  });

  test('cancelling the job ends its running exec, and a finished job takes no exec', async () => {
    const job = await aHeldJob();
    const exec = await attachOrFail(await openExec(job.id, ['sleep', '100']));

    await cancel(job.id);
    const output = await exec.finished;
    const cancelled = await server.waitForJob(job.id, (seen) => TERMINAL.includes(seen.status) && seen.stoppedAt !== undefined);
    const refused = await server.request('POST', `/jobs/${job.id}/exec`, { body: { command: ['cat'] } });

    assert.equal(output.exitCode, 143, `SIGTERM: ${JSON.stringify(output)}`);
    assert.equal(cancelled.status, 'CANCELLED');
    assert.deepEqual(cancelled.exec, { ready: false });
    assert.deepEqual(cancelled.execs?.map(({ command }) => command), [['sleep', '100']]);
    assertError(refused, 409, 'JOB_NOT_RUNNING');
  });

  test('a session not attached to is forgotten when its job stops', async () => {
    const job = await aHeldJob();
    const session = await openExec(job.id, ['cat']);

    await cancel(job.id);
    await server.waitForJob(job.id, (seen) => TERMINAL.includes(seen.status));
    const outcome = await attach(session);

    assert.ok('refused' in outcome);
    assert.equal(outcome.refused.status, 404);
  });

  test('a profile without exec refuses it (403 EXEC_NOT_ALLOWED) and its job document says nothing of exec', async () => {
    const job = await submit({ profile: 'echo', command: ['echo', 'hi'] });

    const refused = await server.request('POST', `/jobs/${job.id}/exec`, { body: {} });

    assertError(refused, 403, 'EXEC_NOT_ALLOWED');
    assert.equal(job.exec, undefined);
  });
});

describe('an exec attached when the server stops', () => {
  test('ends with SIGTERM and its exit is still sent, before the server exits', async () => {
    const server = await startServer();
    try {
      const submitted = await server.request<JobDocument>('POST', '/jobs', { body: { hold: true } });
      const job = await server.waitForJob(submitted.json.id, (seen) => seen.exec?.ready === true);
      const opened = await server.request<ExecSessionAnswer>('POST', `/jobs/${job.id}/exec`, { body: { command: ['sleep', '100'] } });
      const exec = await attachOrFail(opened.json);

      await server.stop();
      const output = await exec.finished;

      assert.equal(output.exitCode, 143, JSON.stringify(output));
    } finally {
      await server.kill();
    }
  });
});
