/**
 * Jobs outlive the local server: records and logs are on disk, the token is reused, and a job whose
 * process died with the server is marked FAILED on the next start instead of staying RUNNING.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

interface JobList {
  jobs: JobDocument[];
  nextCursor: string | null;
}

const isStopped = (job: JobDocument) => job.stoppedAt !== undefined;

/** The pid a job's shell wrote to `file` (it then `exec`s, so the pid stays the job's process). */
async function readPid(file: string): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const pid = existsSync(file) ? Number.parseInt(readFileSync(file, 'utf8'), 10) : Number.NaN;
    if (Number.isInteger(pid) && pid > 0) return pid;
    await delay(25);
  }
  assert.fail(`the job never wrote its pid to ${file}`);
}

/** Kills a job process a killed server left behind; it may have gone already. */
function killOrphan(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

describe('restarting the local server', () => {
  let dataDir: string;
  let scratchDir: string;
  let orphanPid: number | undefined;
  const servers: LocalServerProcess[] = [];

  async function start(): Promise<LocalServerProcess> {
    const server = await startServer({ dataDir });
    servers.push(server);
    return server;
  }

  async function submit(server: LocalServerProcess, command: string[]): Promise<JobDocument> {
    const response = await server.request<JobDocument>('POST', '/jobs', { body: { command } });
    assert.equal(response.status, 202, response.text);
    return response.json;
  }

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-restart-'));
    scratchDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-restart-pid-'));
  });

  after(async () => {
    for (const server of servers) await server.stop();
    killOrphan(orphanPid);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratchDir, { recursive: true, force: true });
  });

  test('after a crash, finished jobs are unchanged and the interrupted job is FAILED/INTERNAL', async () => {
    const first = await start();
    const finished = await first.waitForJob((await submit(first, ['sh', '-c', 'echo kept'])).id, isStopped);
    assert.equal(finished.status, 'SUCCEEDED');
    // The job tells the test its pid: a killed server leaves its job's process running, and the test must not.
    const pidFile = join(scratchDir, 'interrupted.pid');
    const interrupted = await submit(first, ['sh', '-c', `echo $$ > '${pidFile}'; exec sleep 30`]);
    await first.waitForJob(interrupted.id, (job) => job.status === 'RUNNING');
    orphanPid = await readPid(pidFile);

    await first.kill();
    killOrphan(orphanPid);
    const second = await start();

    assert.equal(second.token, first.token, 'the token in the data directory is reused');
    assert.match(second.output(), /Marked 1 job\(s\) FAILED/);
    const kept = await second.request<JobDocument>('GET', `/jobs/${finished.id}`);
    assert.equal(kept.status, 200, kept.text);
    assert.deepEqual(kept.json, finished);
    const keptLogs = await second.request<JobLogs>('GET', `/jobs/${finished.id}/logs`);
    assert.deepEqual(keptLogs.json.lines.map((line) => line.message), ['kept']);
    assert.equal(keptLogs.json.complete, true);

    const failed = await second.request<JobDocument>('GET', `/jobs/${interrupted.id}`);
    assert.equal(failed.status, 200, failed.text);
    assert.equal(failed.json.status, 'FAILED');
    assert.equal(failed.json.failure?.category, 'INTERNAL');
    assert.equal(failed.json.exitCode, null);
    assert.ok(failed.json.stoppedAt, 'the interrupted job has a stop time');
    assert.ok((failed.json.stoppedAt ?? '') >= (failed.json.startedAt ?? ''), 'it stopped after it started');
    const interruptedLogs = await second.request<JobLogs>('GET', `/jobs/${interrupted.id}/logs`);
    assert.equal(interruptedLogs.json.complete, true, 'nothing more will come for the interrupted job');

    for (const status of ['QUEUED', 'PROVISIONING', 'RUNNING']) {
      const active = await second.request<JobList>('GET', `/jobs?status=${status}`);
      assert.deepEqual(active.json.jobs, [], `no job is left ${status}`);
    }
  });

  test('the restarted server runs new jobs and still refuses a wrong token', async () => {
    const server = servers.at(-1);
    assert.ok(server, 'the previous test started a server');

    const job = await server.waitForJob((await submit(server, ['sh', '-c', 'echo again'])).id, isStopped);
    assert.equal(job.status, 'SUCCEEDED');
    assert.deepEqual(job.logTail, ['again']);
    const refused = await server.request('GET', '/jobs', { token: 'a-token-of-another-server' });
    assert.equal(refused.status, 401, refused.text);
  });

  test('a graceful stop records running jobs as CANCELLED, so the next start has nothing to mark', async () => {
    const server = servers.at(-1);
    assert.ok(server, 'the previous test started a server');
    const running = await submit(server, ['sleep', '30']);
    await server.waitForJob(running.id, (job) => job.status === 'RUNNING');

    await server.stop();
    const next = await start();

    assert.equal(next.token, server.token);
    assert.doesNotMatch(next.output(), /Marked \d+ job\(s\) FAILED/);
    const job = await next.request<JobDocument>('GET', `/jobs/${running.id}`);
    assert.equal(job.status, 200, job.text);
    assert.equal(job.json.status, 'CANCELLED');
    assert.equal(job.json.failure?.category, 'CANCELLED');
    assert.ok(job.json.stoppedAt, 'the stopped job has a stop time');
    const all = await next.request<JobList>('GET', '/jobs?limit=100');
    assert.deepEqual(
      all.json.jobs.map((listed) => listed.status).sort(),
      ['CANCELLED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED'],
      'every job of every run is listed, each in a final status',
    );
  });
});
