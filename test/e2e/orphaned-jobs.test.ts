/**
 * A killed server leaves its jobs' processes running (each is a process group of its own). The next
 * start stops them — SIGTERM, then SIGKILL for one that ignores it — and marks their jobs FAILED
 * with what they wrote; a pid that names another process by then is never signalled.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { openJobsDatabase } from '#lib/adapters/local/sqlite-database.ts';
import { SqliteJobStore } from '#lib/adapters/local/sqlite-job-store.ts';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

/** Whether `pid` is a running process: one that exists and is not a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    if (process.platform === 'linux') return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/** The pid a job's shell wrote to `file`. */
async function readPid(file: string): Promise<number> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const pid = existsSync(file) ? Number.parseInt(readFileSync(file, 'utf8'), 10) : Number.NaN;
    if (Number.isInteger(pid) && pid > 0) return pid;
    await delay(25);
  }
  assert.fail(`the job never wrote its pid to ${file}`);
}

describe('after the local server is killed (kill -9)', () => {
  let dataDir: string;
  let scratchDir: string;
  let unrelated: ChildProcess;
  const pids: number[] = [];
  const servers: LocalServerProcess[] = [];

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-orphans-'));
    scratchDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-orphans-pid-'));
  });

  after(async () => {
    for (const server of servers) await server.stop();
    for (const pid of pids) killGroup(pid);
    unrelated?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratchDir, { recursive: true, force: true });
  });

  async function submitRunning(server: LocalServerProcess, name: string, script: string): Promise<{ id: string; pid: number }> {
    const pidFile = join(scratchDir, `${name}.pid`);
    const response = await server.request<JobDocument>('POST', '/jobs', { body: { command: ['sh', '-c', `echo $$ > '${pidFile}'; ${script}`] } });
    assert.equal(response.status, 202, response.text);
    const { id } = response.json;
    await server.waitForJob(id, (job) => job.status === 'RUNNING');
    const pid = await readPid(pidFile);
    pids.push(pid);
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const logs = await server.request<JobLogs>('GET', `/jobs/${id}/logs`);
      if (logs.json.lines.some((line) => line.message === 'started')) return { id, pid };
      await delay(25);
    }
    assert.fail(`job ${name} never logged 'started'`);
  }

  test('the next start stops the processes left running, marks their jobs FAILED/INTERNAL with their log tail, and signals no process whose pid was reused', async () => {
    // Prepare
    const first = await startServer({ dataDir });
    servers.push(first);
    const sleeper = await submitRunning(first, 'sleeper', 'echo started; sleep 300');
    const stubborn = await submitRunning(first, 'stubborn', "trap '' TERM; echo started; while :; do sleep 1; done");
    const reused = await submitRunning(first, 'reused', 'echo started; sleep 300');
    await first.kill();
    assert.equal(isRunning(sleeper.pid), true, 'a job process outlives the killed server');
    assert.equal(isRunning(stubborn.pid), true, 'a job process outlives the killed server');
    // The third job's process goes, and its pid is taken to be another process's now: one the test started.
    killGroup(reused.pid);
    unrelated = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    const unrelatedPid = unrelated.pid ?? 0;
    const database = openJobsDatabase(dataDir);
    try {
      await new SqliteJobStore({ database }).update(reused.id, { process: { pid: unrelatedPid, processGroup: unrelatedPid, startTime: '1' } });
    } finally {
      database.close();
    }

    // Act
    const second = await startServer({ dataDir });
    servers.push(second);

    // Assess
    assert.equal(isRunning(sleeper.pid), false, 'the orphan that took SIGTERM is gone once the server is up');
    assert.equal(isRunning(stubborn.pid), false, 'the orphan that ignored SIGTERM was SIGKILLed');
    assert.equal(isRunning(unrelatedPid), true, 'a process whose pid a job had recorded, but started later, is left alone');
    assert.match(second.output(), /Marked 3 job\(s\) FAILED/);
    for (const { id, pid } of [sleeper, stubborn]) {
      const { json: job } = await second.request<JobDocument>('GET', `/jobs/${id}`);
      assert.equal(job.status, 'FAILED');
      assert.equal(job.exitCode, null);
      assert.deepEqual(job.failure, {
        category: 'INTERNAL',
        message: `the local server restarted while this job was running; its process (pid ${pid}) was stopped`,
      });
      assert.ok(job.logTail.includes('started'), `the log tail of ${id}: ${JSON.stringify(job.logTail)}`);
      assert.ok(job.stoppedAt);
    }
    const { json: notSignalled } = await second.request<JobDocument>('GET', `/jobs/${reused.id}`);
    assert.equal(notSignalled.status, 'FAILED');
    assert.deepEqual(notSignalled.failure, { category: 'INTERNAL', message: 'the local server stopped while this job was active; its process did not survive' });
    assert.deepEqual(notSignalled.logTail, ['started']);
  });
});
