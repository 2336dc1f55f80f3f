/**
 * Following a job without hammering the API, on the real `npm start` server: `wait` on
 * GET /jobs/{id}/logs and GET /jobs/{id} answers as soon as what was asked about happens (the server
 * is told when a log grows or a record changes), and `<data dir>/url` tells clients on this machine
 * where the server is. Elapsed times are measured loosely: what matters is "soon after the line,
 * long before the wait was over". A token may have only so many waits open at once
 * (FARGATE_JOBS_MAX_WAITS_PER_TOKEN).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { assertError, startServer, type LocalServerProcess } from '../helpers/local-server.ts';
import { tokenCommand } from '../helpers/token-command.ts';

const UNKNOWN_JOB_ID = 'job-0123456789abcdefghjkmnpqrs';

describe('long polls on the local server', () => {
  let server: LocalServerProcess;
  let dataDir: string;

  before(async () => {
    // Our own data directory: the URL file is checked after the server has stopped.
    dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-long-poll-'));
    server = await startServer({ dataDir });
  });

  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function submit(command: string[]): Promise<JobDocument> {
    const response = await server.request<JobDocument>('POST', '/jobs', { body: { command } });
    assert.equal(response.status, 202, response.text);
    return response.json;
  }

  async function timed<T>(work: () => Promise<T>): Promise<{ result: T; elapsedMs: number }> {
    const startedAt = performance.now();
    const result = await work();
    return { result, elapsedMs: performance.now() - startedAt };
  }

  it('writes <data dir>/url with its base URL once it listens', () => {
    // Assess
    const urlFile = join(dataDir, 'url');
    assert.equal(readFileSync(urlFile, 'utf8'), `${server.url}\n`);
    assert.equal(statSync(urlFile).mode & 0o777, 0o600);
  });

  for (const [what, script] of [
    ['a job that ends with it', 'sleep 1; echo late'],
    // Nothing but the line itself can wake this wait: the job's record does not change until it ends.
    ['a job that runs on after it', 'sleep 1; echo late; exec sleep 30'],
  ] as const) {
    it(`answers a logs wait with the line as soon as it is written, not before and not at the end of the wait: ${what}`, async () => {
      // Prepare
      const job = await submit(['sh', '-c', script]);

      // Act
      const { result: logs, elapsedMs } = await timed(() => server.request<JobLogs>('GET', `/jobs/${job.id}/logs?wait=5`));

      // Assess
      assert.equal(logs.status, 200, logs.text);
      assert.deepEqual(logs.json.lines.map((line) => line.message), ['late'], `answered without the line after ${Math.round(elapsedMs)} ms`);
      assert.ok(elapsedMs > 500, `answered after ${Math.round(elapsedMs)} ms, before the line could exist`);
      assert.ok(elapsedMs < 4000, `answered after ${Math.round(elapsedMs)} ms: the wait was not woken by the line`);
      await server.request('DELETE', `/jobs/${job.id}`);
    });
  }

  it('answers a logs wait with nothing new when it runs out, with a cursor that reads on from the same place', async () => {
    // Prepare
    const job = await submit(['sh', '-c', 'echo first; exec sleep 30']);
    const first = await server.request<JobLogs>('GET', `/jobs/${job.id}/logs?wait=5`);
    assert.deepEqual(first.json.lines.map((line) => line.message), ['first'], first.text);

    // Act
    const { result: quiet, elapsedMs } = await timed(() => server.request<JobLogs>('GET', `/jobs/${job.id}/logs?wait=1&cursor=${first.json.nextCursor}`));

    // Assess
    assert.equal(quiet.status, 200, quiet.text);
    assert.deepEqual(quiet.json, { lines: [], nextCursor: first.json.nextCursor, complete: false, truncated: false });
    assert.ok(elapsedMs >= 900, `answered after ${Math.round(elapsedMs)} ms, before the wait was over`);
    await server.request('DELETE', `/jobs/${job.id}`);
  });

  it('answers a job wait once the job has finished', async () => {
    // Prepare
    const job = await submit(['sleep', '1']);
    await server.waitForJob(job.id, (seen) => seen.status === 'RUNNING');

    // Act
    const { result: answer, elapsedMs } = await timed(() => server.request<JobDocument>('GET', `/jobs/${job.id}?wait=5&ifStatus=RUNNING`));

    // Assess
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.status, 'SUCCEEDED');
    assert.ok(elapsedMs < 4000, `answered after ${Math.round(elapsedMs)} ms: the wait was not woken by the change`);
  });

  it('answers a HEAD with a wait as its GET, without a body', async () => {
    // Prepare
    const job = await submit(['true']);
    const finished = await server.waitForJob(job.id, (seen) => seen.stoppedAt !== undefined);

    // Act
    const head = await server.request('HEAD', `/jobs/${job.id}?wait=20&ifStatus=RUNNING`);

    // Assess
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(finished.status, 'SUCCEEDED');
  });

  it('refuses a wait over 20 s, naming the limit', async () => {
    // Act
    const logs = await server.request('GET', `/jobs/${UNKNOWN_JOB_ID}/logs?wait=21`);
    const job = await server.request('GET', `/jobs/${UNKNOWN_JOB_ID}?wait=21&ifStatus=RUNNING`);

    // Assess
    for (const answer of [logs, job]) {
      const body = assertError(answer, 400, 'VALIDATION_FAILED');
      assert.deepEqual(body.error.details, [{ path: 'wait', message: 'must be at most 20 (seconds)' }]);
    }
  });

  it('answers a wait on an unknown job 404 at once', async () => {
    // Act
    const { result: logs, elapsedMs: logsMs } = await timed(() => server.request('GET', `/jobs/${UNKNOWN_JOB_ID}/logs?wait=20`));
    const { result: job, elapsedMs: jobMs } = await timed(() => server.request('GET', `/jobs/${UNKNOWN_JOB_ID}?wait=20&ifStatus=RUNNING`));

    // Assess
    assertError(logs, 404, 'JOB_NOT_FOUND');
    assertError(job, 404, 'JOB_NOT_FOUND');
    assert.ok(logsMs < 1000 && jobMs < 1000, `answered after ${Math.round(logsMs)} and ${Math.round(jobMs)} ms`);
  });

  it('removes <data dir>/url when it stops', async () => {
    // Act
    await server.stop();

    // Assess
    assert.equal(existsSync(join(dataDir, 'url')), false);
    assert.equal(existsSync(join(dataDir, 'token')), true, 'the token is kept for the next start');
  });
});

describe("the local server's URL file", () => {
  it('is left alone on stop when it no longer names this server', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-url-file-'));
    try {
      const server = await startServer({ dataDir });
      writeFileSync(join(dataDir, 'url'), 'http://127.0.0.1:1\n');

      // Act
      await server.stop();

      // Assess
      assert.equal(readFileSync(join(dataDir, 'url'), 'utf8'), 'http://127.0.0.1:1\n');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("the local server's limit on a token's waits", () => {
  let server: LocalServerProcess;
  let otherToken: string;
  let quietJob: string;

  before(async () => {
    server = await startServer({ env: { FARGATE_JOBS_MAX_WAITS_PER_TOKEN: '2' } });
    const created = await tokenCommand(server.dataDir, ['create', '--name', 'other', '--profiles', 'default']);
    assert.equal(created.code, 0, created.stderr);
    otherToken = created.stdout.trim();
    // Runs on and writes nothing: a wait on its log or its RUNNING status waits it out.
    const submitted = await server.request<JobDocument>('POST', '/jobs', { body: { command: ['sleep', '60'] } });
    assert.equal(submitted.status, 202, submitted.text);
    quietJob = submitted.json.id;
    await server.waitForJob(quietJob, (job) => job.status === 'RUNNING');
  });

  after(async () => {
    if (quietJob) await server?.request('DELETE', `/jobs/${quietJob}`);
    await server?.stop();
  });

  /** Opens waits of the server's token until one is refused; the ones that were not are still waiting. */
  async function waitsUntilRefused(): Promise<{ open: Array<Promise<unknown>>; refused: Awaited<ReturnType<LocalServerProcess['request']>> }> {
    const open: Array<Promise<unknown>> = [];
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const waiting = server.request('GET', `/jobs/${quietJob}/logs?wait=3`);
      // Long enough for the wait to be counted (its first look), far shorter than the wait.
      const answer = await Promise.race([waiting, delay(300).then(() => undefined)]);
      if (answer === undefined) {
        open.push(waiting);
        continue;
      }
      if (answer.status === 429) return { open, refused: answer };
    }
    assert.fail('no wait was ever refused');
  }

  it('refuses a wait beyond the limit with 429 TOO_MANY_WAITS and Retry-After, while other tokens and requests without wait get through, and lets it wait again once its waits are over', async () => {
    // Act
    const { open, refused } = await waitsUntilRefused();
    const othersWait = server.request<JobDocument>('GET', `/jobs/${quietJob}?wait=1&ifStatus=RUNNING`, { token: otherToken });
    const unwaited = await server.request<JobDocument>('GET', `/jobs/${quietJob}?ifStatus=RUNNING`);
    await Promise.all(open);
    const again = await server.request<JobDocument>('GET', `/jobs/${quietJob}?wait=1&ifStatus=RUNNING`);

    // Assess
    assert.equal(open.length, 2, 'two waits were open when the third was refused');
    const body = assertError(refused, 429, 'TOO_MANY_WAITS');
    assert.match(body.error.message, /2 request\(s\) waiting/);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal((await othersWait).status, 200, "another token's wait is its own");
    assert.equal(unwaited.status, 200, 'a request without wait is never limited');
    assert.equal(again.status, 200, 'the waits that ended gave their slots back');
  });
});
