/**
 * Local mode keeps its disk use bounded: a job's log stops growing once the job has written FARGATE_JOBS_MAX_LOG_BYTES (the
 * job runs on; GET /jobs/{id}/logs says it was cut, and the CLI says so on stderr), and finished jobs older
 * than FARGATE_JOBS_RETENTION_DAYS are removed at start — record, work directory and log file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openJobsDatabase } from '#lib/adapters/local/sqlite-database.ts';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { runCli, serverEnv } from '../helpers/cli.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

const isStopped = (job: JobDocument) => job.stoppedAt !== undefined;
const DAY_MS = 24 * 60 * 60 * 1000;

async function submit(server: LocalServerProcess, command: string[]): Promise<JobDocument> {
  const response = await server.request<JobDocument>('POST', '/jobs', { body: { command } });
  assert.equal(response.status, 202, response.text);
  return response.json;
}

describe('FARGATE_JOBS_MAX_LOG_BYTES', () => {
  const MAX_LOG_BYTES = 2000;
  let server: LocalServerProcess;

  before(async () => {
    server = await startServer({ env: { FARGATE_JOBS_MAX_LOG_BYTES: String(MAX_LOG_BYTES) } });
  });
  after(async () => {
    await server.stop();
  });

  test("a job printing far more than the limit runs to its end; its log keeps the limit's worth of the job's own bytes, and says truncated", async () => {
    // Act
    const job = await server.waitForJob((await submit(server, ['sh', '-c', 'seq 1 200000; echo the-end'])).id, isStopped);

    // Assess: `seq 1 527` is exactly 2000 bytes (9 × 2 + 90 × 3 + 428 × 4).
    assert.equal(job.status, 'SUCCEEDED');
    assert.equal(job.exitCode, 0);
    const kept = Array.from({ length: 527 }, (_unused, index) => String(index + 1));
    assert.equal(Buffer.byteLength(kept.map((line) => `${line}\n`).join('')), MAX_LOG_BYTES);
    assert.deepEqual(job.logTail.at(-1), '527', 'the tail ends with the last line the job printed before the limit');
    const logs = await server.request<JobLogs>('GET', `/jobs/${job.id}/logs?limit=1000`);
    assert.equal(logs.status, 200, logs.text);
    assert.equal(logs.json.truncated, true);
    assert.equal(logs.json.complete, true);
    assert.deepEqual(logs.json.lines.map((line) => line.message), kept);
    assert.ok(logs.json.lines.every((line) => line.stream === 'stdout'), 'every line is one the job printed');
  });

  test("the CLI prints the kept output on stdout and says on stderr that the log was cut", async () => {
    // Act
    const run = await runCli(['run', '--', 'sh', '-c', 'echo early-warning >&2; sleep 0.2; seq 1 200000'], { env: serverEnv(server) });

    // Assess
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, Array.from({ length: 523 }, (_unused, index) => `${index + 1}\n`).join(''), 'stdout holds what fits after the 14 bytes of stderr, and no notice');
    assert.match(run.stderr, /^early-warning$/m, 'stderr written before the limit is kept');
    assert.match(run.stderr, /fargate-jobs: the job's log was cut at the server's size limit \(FARGATE_JOBS_MAX_LOG_BYTES\)/);
  });

  test('a job within the limit keeps every line, and its logs say truncated: false', async () => {
    // Act
    const job = await server.waitForJob((await submit(server, ['sh', '-c', 'echo one; echo two'])).id, isStopped);

    // Assess
    const logs = await server.request<JobLogs>('GET', `/jobs/${job.id}/logs`);
    assert.deepEqual(logs.json.lines.map((line) => line.message), ['one', 'two']);
    assert.equal(logs.json.truncated, false);
  });
});

describe('local settings that are not whole numbers', () => {
  for (const [name, value] of [
    ['FARGATE_JOBS_MAX_LOG_BYTES', '10MB'],
    ['FARGATE_JOBS_MAX_LOG_BYTES', '0'],
    ['FARGATE_JOBS_RETENTION_DAYS', '0'],
    ['FARGATE_JOBS_RETENTION_DAYS', '1.5'],
  ] as const) {
    test(`${name}=${value} fails the start, naming the variable`, async () => {
      await assert.rejects(startServer({ env: { [name]: value } }), (error: Error) => {
        assert.match(error.message, new RegExp(`${name} must be a whole number of at least 1; got '${value.replace('.', '\\.')}'`));
        return true;
      });
    });
  }
});

describe('FARGATE_JOBS_RETENTION_DAYS', () => {
  let dataDir: string;
  const servers: LocalServerProcess[] = [];

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-retention-'));
  });
  after(async () => {
    for (const server of servers) await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Makes a stored job look as if it had been created and had finished `days` ago (its listing key included). */
  function age(jobId: string, days: number): void {
    const at = new Date(Date.now() - days * DAY_MS).toISOString();
    const database = openJobsDatabase(dataDir);
    try {
      const { changes } = database
        .prepare(
          `UPDATE jobs SET list_key = ? || '#' || id,
             document = json_set(document, '$.createdAt', ?, '$.startedAt', ?, '$.stoppedAt', ?, '$.updatedAt', ?) WHERE id = ?`,
        )
        .run(at, at, at, at, at, jobId);
      assert.equal(changes, 1);
    } finally {
      database.close();
    }
  }

  test('at start, removes the record, work directory and log of a job finished more than 30 days ago, and keeps a recent one', async () => {
    // Prepare
    const first = await startServer({ dataDir });
    servers.push(first);
    const old = await first.waitForJob((await submit(first, ['sh', '-c', 'echo old > made-by-the-job; echo old'])).id, isStopped);
    const recent = await first.waitForJob((await submit(first, ['sh', '-c', 'echo recent > made-by-the-job; echo recent'])).id, isStopped);
    await first.stop();
    age(old.id, 40);
    age(recent.id, 20);
    const files = (id: string) => [join(dataDir, 'work', id), join(dataDir, 'logs', `${id}.log`)];
    assert.deepEqual(files(old.id).map(existsSync), [true, true], 'the old job left its files');

    // Act
    const second = await startServer({ dataDir });
    servers.push(second);

    // Assess
    assert.equal((await second.request('GET', `/jobs/${old.id}`)).status, 404);
    assert.deepEqual(files(old.id).map(existsSync), [false, false], 'its work directory and log are gone');
    const kept = await second.request<JobDocument>('GET', `/jobs/${recent.id}`);
    assert.equal(kept.status, 200, kept.text);
    assert.deepEqual(kept.json.logTail, ['recent']);
    assert.deepEqual(files(recent.id).map(existsSync), [true, true], 'the recent job keeps its files');
    const listed = await second.request<{ jobs: JobDocument[] }>('GET', '/jobs?limit=100');
    assert.deepEqual(listed.json.jobs.map((job) => job.id), [recent.id]);
  });

  test('FARGATE_JOBS_RETENTION_DAYS shortens how long finished jobs are kept', async () => {
    // Prepare: the recent job of the test before, 20 days old.
    const previous = servers.at(-1);
    assert.ok(previous, 'the previous test started a server');
    const { json: listed } = await previous.request<{ jobs: JobDocument[] }>('GET', '/jobs?limit=100');
    await previous.stop();

    // Act
    const next = await startServer({ dataDir, env: { FARGATE_JOBS_RETENTION_DAYS: '7' } });
    servers.push(next);

    // Assess
    assert.equal(listed.jobs.length, 1);
    for (const job of listed.jobs) assert.equal((await next.request('GET', `/jobs/${job.id}`)).status, 404);
  });
});
