/**
 * Local mode end to end: the `npm start` server over HTTP, running real commands as child processes.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobStatus } from '#lib/domain/job.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { assertError, startServer, type ApiResponse, type LocalServerProcess } from '../helpers/local-server.ts';

interface JobList {
  jobs: JobDocument[];
  nextCursor: string | null;
}

const TERMINAL: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
const isFinished = (job: JobDocument) => TERMINAL.includes(job.status) && job.stoppedAt !== undefined;
const isRunning = (job: JobDocument) => job.status === 'RUNNING';
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('local mode over HTTP', () => {
  let server: LocalServerProcess;

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await server?.stop();
  });

  async function submit(body: unknown, headers: Record<string, string> = {}): Promise<JobDocument> {
    const response = await server.request<JobDocument>('POST', '/jobs', { body, headers });
    assert.equal(response.status, 202, response.text);
    return response.json;
  }

  async function readAllLogs(id: string, limit: number): Promise<JobLogs[]> {
    const pages: JobLogs[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page += 1) {
      const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
      const response = await server.request<JobLogs>('GET', `/jobs/${id}/logs?${query}`);
      assert.equal(response.status, 200, response.text);
      pages.push(response.json);
      if (response.json.complete) return pages;
      cursor = response.json.nextCursor;
    }
    assert.fail(`the logs of ${id} never became complete`);
  }

  async function listAll(path: string): Promise<JobDocument[]> {
    const jobs: JobDocument[] = [];
    let next: string | null = path;
    for (let page = 0; next !== null && page < 100; page += 1) {
      const response: ApiResponse<JobList> = await server.request<JobList>('GET', next);
      assert.equal(response.status, 200, response.text);
      jobs.push(...response.json.jobs);
      const cursor = response.json.nextCursor;
      next = cursor === null ? null : `${path}&cursor=${encodeURIComponent(cursor)}`;
    }
    return jobs;
  }

  test('a succeeding job is accepted as QUEUED, then SUCCEEDED with exit code 0 and its output', async () => {
    const response = await server.request<JobDocument>('POST', '/jobs', { body: { command: ['sh', '-c', 'echo hello'] } });

    assert.equal(response.status, 202, response.text);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
    const accepted = response.json;
    assert.match(accepted.id, /^job-[0-9a-hjkmnp-tv-z]{26}$/);
    assert.equal(response.headers.get('location'), `/jobs/${accepted.id}`);
    assert.equal(accepted.status, 'QUEUED');
    assert.equal(accepted.exitCode, null);
    assert.deepEqual(accepted.command, ['sh', '-c', 'echo hello']);
    assert.deepEqual(accepted.links, { self: `/jobs/${accepted.id}`, logs: `/jobs/${accepted.id}/logs`, console: `/#/jobs/${accepted.id}` });

    const job = await server.waitForJob(accepted.id, isFinished);
    assert.equal(job.status, 'SUCCEEDED');
    assert.equal(job.exitCode, 0);
    assert.deepEqual(job.logTail, ['hello']);
    assert.equal(job.failure, undefined);
    assert.match(job.startedAt ?? '', ISO_TIMESTAMP);
    assert.match(job.stoppedAt ?? '', ISO_TIMESTAMP);
    assert.ok((job.startedAt ?? '') <= (job.stoppedAt ?? ''), 'started before it stopped');
    assert.ok(job.createdAt <= (job.startedAt ?? ''), 'created before it started');
  });

  test("the issue's example: a non-zero exit fails USER_EXIT, and the logs hold stdout and stderr", async () => {
    const accepted = await submit({ command: ['sh', '-c', 'echo hello; echo oops >&2; exit 3'] });

    const job = await server.waitForJob(accepted.id, isFinished);
    assert.equal(job.status, 'FAILED');
    assert.equal(job.exitCode, 3);
    assert.equal(job.failure?.category, 'USER_EXIT');
    assert.ok(job.failure?.message, 'the failure says what happened');

    const logs = await server.request<JobLogs>('GET', `/jobs/${job.id}/logs`);
    assert.equal(logs.status, 200, logs.text);
    assert.equal(logs.json.complete, true);
    assert.deepEqual(logs.json.lines.map((line) => line.message).sort(), ['hello', 'oops']);
    for (const line of logs.json.lines) assert.match(line.timestamp, ISO_TIMESTAMP);
  });

  test('a running job shows as not finished, then finishes with exit code, timestamps and log tail', async () => {
    const accepted = await submit({ command: ['sh', '-c', 'echo started; sleep 2; echo done'] });

    const running = await server.waitForJob(accepted.id, (job) => job.status !== 'QUEUED');
    assert.ok(['PROVISIONING', 'RUNNING'].includes(running.status), `expected the job to be under way, got ${running.status}`);
    assert.equal(running.exitCode, null);
    assert.equal(running.stoppedAt, undefined);
    const midway = await server.request<JobLogs>('GET', `/jobs/${accepted.id}/logs`);
    assert.equal(midway.json.complete, false, 'the logs of a running job are not complete');

    const job = await server.waitForJob(accepted.id, isFinished);
    assert.equal(job.status, 'SUCCEEDED');
    assert.equal(job.exitCode, 0);
    assert.match(job.startedAt ?? '', ISO_TIMESTAMP);
    assert.match(job.stoppedAt ?? '', ISO_TIMESTAMP);
    assert.deepEqual(job.logTail, ['started', 'done']);
  });

  test('5,000 log lines read back in pages of 1,000 come in order, each once', async () => {
    const accepted = await submit({ command: ['sh', '-c', 'i=0; while [ $i -lt 5000 ]; do echo line-$i; i=$((i+1)); done'] });
    const job = await server.waitForJob(accepted.id, isFinished);
    assert.equal(job.status, 'SUCCEEDED');
    assert.equal(job.logTail.at(-1), 'line-4999');

    const pages = await readAllLogs(job.id, 1000);

    const expected = Array.from({ length: 5000 }, (_, index) => `line-${index}`);
    assert.deepEqual(pages.flatMap((page) => page.lines.map((line) => line.message)), expected);
    assert.deepEqual(pages.map((page) => page.lines.length), [1000, 1000, 1000, 1000, 1000]);
    assert.deepEqual(pages.map((page) => page.complete), [false, false, false, false, true]);

    const afterTheEnd = await server.request<JobLogs>('GET', `/jobs/${job.id}/logs?cursor=${pages.at(-1)?.nextCursor}`);
    assert.equal(afterTheEnd.status, 200, afterTheEnd.text);
    assert.deepEqual(afterTheEnd.json.lines, []);
    assert.equal(afterTheEnd.json.complete, true);
  });

  test('a job over its timeoutSeconds is stopped and TIMED_OUT', async () => {
    const accepted = await submit({ command: ['sleep', '30'], timeoutSeconds: 1 });
    assert.equal(accepted.timeoutSeconds, 1);

    const job = await server.waitForJob(accepted.id, isFinished);
    assert.equal(job.status, 'TIMED_OUT');
    assert.equal(job.failure?.category, 'TIMEOUT');
    assert.match(job.stoppedAt ?? '', ISO_TIMESTAMP);
  });

  test('POST /jobs/{id}/cancel cancels a running job for good, which stays readable; a second cancel, or its DELETE alias, is a conflict', async () => {
    const accepted = await submit({ command: ['sleep', '30'] });
    await server.waitForJob(accepted.id, isRunning);

    const cancelled = await server.request<JobDocument>('POST', `/jobs/${accepted.id}/cancel`);
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.json.status, 'CANCELLED');
    assert.equal(cancelled.json.failure?.category, 'CANCELLED');

    const seen: JobStatus[] = [];
    const job = await server.waitForJob(accepted.id, (current) => {
      seen.push(current.status);
      return current.stoppedAt !== undefined;
    });
    assert.deepEqual([...new Set(seen)], ['CANCELLED'], 'once cancelled, the job stays CANCELLED');
    assert.equal(job.status, 'CANCELLED');

    for (let attempt = 0; attempt < 200; attempt += 1) {
      const logs = await server.request<JobLogs>('GET', `/jobs/${accepted.id}/logs`);
      if (logs.json.complete) break;
      assert.ok(attempt < 199, 'the logs of a cancelled job never became complete');
      await delay(50);
    }
    assert.equal((await server.request<JobDocument>('GET', `/jobs/${accepted.id}`)).json.status, 'CANCELLED');

    assertError(await server.request('POST', `/jobs/${accepted.id}/cancel`), 409, 'JOB_ALREADY_FINISHED');
    assertError(await server.request('DELETE', `/jobs/${accepted.id}`), 409, 'JOB_ALREADY_FINISHED');
  });

  test('DELETE /jobs/{id} still cancels, as an alias of POST /jobs/{id}/cancel', async () => {
    const accepted = await submit({ command: ['sleep', '30'] });

    const cancelled = await server.request<JobDocument>('DELETE', `/jobs/${accepted.id}`);
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.json.status, 'CANCELLED');
    assert.equal((await server.request<JobDocument>('GET', `/jobs/${accepted.id}`)).json.status, 'CANCELLED');
  });

  test('a job cancelled as soon as it is accepted: if its command ran, it records when it started', async () => {
    const accepted = await submit({ command: ['sh', '-c', 'echo begun; exec sleep 30'] });
    const cancelled = await server.request<JobDocument>('DELETE', `/jobs/${accepted.id}`);
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.json.status, 'CANCELLED');

    // The exit code arrives once the stopped process is reaped; a job cancelled before its process
    // was spawned never gets one.
    let job = cancelled.json;
    for (let attempt = 0; attempt < 100 && job.exitCode === null; attempt += 1) {
      await delay(50);
      job = (await server.request<JobDocument>('GET', `/jobs/${accepted.id}`)).json;
    }
    assert.equal(job.status, 'CANCELLED');
    assert.ok(job.stoppedAt, 'a cancelled job has a stop time');
    if (job.exitCode === null) {
      assert.equal(job.taskArn, undefined, 'a job with a task that stopped has an exit code');
    } else {
      assert.ok(job.startedAt, `the command ran (exit code ${job.exitCode}) but the job has no startedAt: ${JSON.stringify(job)}`);
      assert.ok(job.startedAt <= job.stoppedAt, 'it started before it stopped');
    }
  });

  test('the same Idempotency-Key with the same body returns the original job; with another body, 409', async () => {
    const key = `replay-${randomUUID()}`;
    const body = { command: ['sh', '-c', 'echo once'], labels: { purpose: 'idempotency' } };

    const first = await server.request<JobDocument>('POST', '/jobs', { body, headers: { 'idempotency-key': key } });
    assert.equal(first.status, 202, first.text);
    const replay = await server.request<JobDocument>('POST', '/jobs', { body, headers: { 'idempotency-key': key } });
    assert.equal(replay.status, 200, replay.text);
    assert.equal(replay.json.id, first.json.id);
    assert.equal(replay.headers.get('location'), `/jobs/${first.json.id}`);
    const reordered = await server.request<JobDocument>('POST', '/jobs', {
      body: { labels: body.labels, command: body.command },
      headers: { 'idempotency-key': key },
    });
    assert.equal(reordered.status, 200, 'the same fields in another order are the same request');
    assert.equal(reordered.json.id, first.json.id);

    const other = await server.request('POST', '/jobs', {
      body: { ...body, command: ['sh', '-c', 'echo twice'] },
      headers: { 'idempotency-key': key },
    });
    assertError(other, 409, 'IDEMPOTENCY_KEY_REUSED');
    await server.waitForJob(first.json.id, isFinished);
    const jobs = await listAll('/jobs?limit=100');
    assert.equal(jobs.filter((job) => job.labels.purpose === 'idempotency').length, 1, 'one job for one key');
  });

  test('the idempotency key may come in the body, and matches the same key sent as a header', async () => {
    const key = `body-${randomUUID()}`;
    const command = ['sh', '-c', 'echo keyed'];

    const first = await server.request<JobDocument>('POST', '/jobs', { body: { command, idempotencyKey: key } });
    assert.equal(first.status, 202, first.text);
    const replay = await server.request<JobDocument>('POST', '/jobs', { body: { command, idempotencyKey: key } });
    assert.equal(replay.status, 200, replay.text);
    assert.equal(replay.json.id, first.json.id);
    const viaHeader = await server.request<JobDocument>('POST', '/jobs', { body: { command }, headers: { 'idempotency-key': key } });
    assert.equal(viaHeader.status, 200, viaHeader.text);
    assert.equal(viaHeader.json.id, first.json.id);

    assertError(await server.request('POST', '/jobs', { body: { command: ['true'], idempotencyKey: key } }), 409, 'IDEMPOTENCY_KEY_REUSED');
    await server.waitForJob(first.json.id, isFinished);
  });

  test('a command that does not exist fails START_FAILED with no exit code', async () => {
    const accepted = await submit({ command: ['fargate-jobs-no-such-command-e2e', '--version'] });

    const job = await server.waitForJob(accepted.id, isFinished);
    assert.equal(job.status, 'FAILED');
    assert.equal(job.failure?.category, 'START_FAILED');
    assert.equal(job.exitCode, null);
    assert.match(job.failure?.message ?? '', /fargate-jobs-no-such-command-e2e/);
  });

  test('an unknown job id answers 404 JOB_NOT_FOUND for the job, its logs and a cancel', async () => {
    const unknown = `job-${'0123456789abcdefghjkmnpqrs'}`;
    assert.match(unknown, /^job-[0-9a-hjkmnp-tv-z]{26}$/);

    assertError(await server.request('GET', `/jobs/${unknown}`), 404, 'JOB_NOT_FOUND');
    assertError(await server.request('GET', `/jobs/${unknown}/logs`), 404, 'JOB_NOT_FOUND');
    assertError(await server.request('POST', `/jobs/${unknown}/cancel`), 404, 'JOB_NOT_FOUND');
    assertError(await server.request('DELETE', `/jobs/${unknown}`), 404, 'JOB_NOT_FOUND');
  });

  test('GET /jobs lists newest first, pages with limit and nextCursor, and filters by status', async () => {
    const submitted: JobDocument[] = [];
    for (const command of [['true'], ['false'], ['true']]) {
      submitted.push(await submit({ command, labels: { batch: 'listing' } }));
      // Distinct creation times, so "newest first" has one right answer.
      await delay(5);
    }
    for (const job of submitted) await server.waitForJob(job.id, isFinished);

    const firstPage = await server.request<JobList>('GET', '/jobs?limit=2');
    assert.equal(firstPage.status, 200, firstPage.text);
    assert.equal(firstPage.json.jobs.length, 2);
    assert.equal(typeof firstPage.json.nextCursor, 'string');
    assert.deepEqual(
      firstPage.json.jobs.map((job) => job.id),
      [submitted[2]?.id, submitted[1]?.id],
      'the newest jobs come first',
    );

    const all = await listAll('/jobs?limit=2');
    const ids = all.map((job) => job.id);
    assert.equal(new Set(ids).size, ids.length, 'no job is listed twice across pages');
    assert.deepEqual(ids.slice(0, 3), submitted.map((job) => job.id).reverse());
    const createdAt = all.map((job) => job.createdAt);
    assert.deepEqual(createdAt, [...createdAt].sort().reverse(), 'every page is newest first');
    const everything = await listAll('/jobs?limit=100');
    assert.deepEqual(everything.map((job) => job.id), ids, 'small pages list the same jobs as one large page');

    const failed = await listAll('/jobs?limit=100&status=FAILED');
    assert.ok(failed.length > 0);
    assert.ok(failed.every((job) => job.status === 'FAILED'), 'only FAILED jobs');
    assert.ok(failed.some((job) => job.id === submitted[1]?.id));
    const succeeded = await listAll('/jobs?limit=100&status=SUCCEEDED');
    assert.deepEqual(
      (await listAll('/jobs?limit=1&status=SUCCEEDED')).map((job) => job.id),
      succeeded.map((job) => job.id),
      'filtered pages of one list the same jobs as one large filtered page',
    );
    assert.ok(succeeded.every((job) => job.status === 'SUCCEEDED'), 'only SUCCEEDED jobs');
    assert.deepEqual(
      succeeded.filter((job) => job.labels.batch === 'listing').map((job) => job.id),
      [submitted[2]?.id, submitted[0]?.id],
    );
  });

  test('requests without the token, or with a wrong one, are refused 401 and store nothing', async () => {
    const body = { command: ['sh', '-c', 'echo intruder'], labels: { probe: 'unauthorized' } };

    const anonymous = await server.request('POST', '/jobs', { body, token: null });
    assertError(anonymous, 401, 'UNAUTHORIZED');
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    assertError(await server.request('POST', '/jobs', { body, token: 'not-the-token' }), 401, 'UNAUTHORIZED');
    assertError(await server.request('POST', '/jobs', { body, token: `${server.token}x` }), 401, 'UNAUTHORIZED');
    assertError(await server.request('POST', '/jobs', { body, token: null, headers: { authorization: server.token } }), 401, 'UNAUTHORIZED');
    assertError(await server.request('GET', '/jobs', { token: null }), 401, 'UNAUTHORIZED');
    assertError(await server.request('GET', '/jobs/job-0123456789abcdefghjkmnpqrs', { token: 'wrong' }), 401, 'UNAUTHORIZED');

    const jobs = await listAll('/jobs?limit=100');
    assert.deepEqual(
      jobs.filter((job) => job.labels.probe === 'unauthorized'),
      [],
      'no job was stored for a refused request',
    );
  });

  test('GET /health answers 200 without a token', async () => {
    const response = await server.request('GET', '/health', { token: null });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json, { status: 'ok' });
  });
});
