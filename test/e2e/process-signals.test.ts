/**
 * However `npm start` is stopped — SIGTERM (systemd, Docker, CI runners, `timeout`), SIGINT, SIGHUP
 * (a closed terminal) or SIGKILL sent to npm's pid, or Ctrl-C reaching the whole process group — the server
 * stops as Ctrl-C does: the running job ends CANCELLED with its stop time and logs, the store is
 * closed, the port freed, the lock file removed, and no process of npm, the server or the job is left.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { startServer } from '../helpers/local-server.ts';
import {
  PROJECT_ROOT,
  acceptsConnections,
  exitWithin,
  formatTable,
  killLeftovers,
  processesOf,
  processTable,
  spawnNpmStart,
  waitUntil,
  waitUntilListening,
  type ListeningServer,
  type NpmStart,
} from '../helpers/npm-start.ts';

/** Well inside the runner's 5 s grace: a job that exits on SIGTERM is stopped at once. */
const STOP_TIMEOUT_MS = 5_000;

interface Running {
  npm: NpmStart;
  server: ListeningServer;
  dataDir: string;
  job: { id: string; pid: number };
}

/** `npm start` on a fresh data directory, running one job (by default `sleep 30` after a first log line). */
async function startWithRunningJob(context: TestContext, options: { detached?: boolean; command?: string } = {}): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-signals-'));
  const npm = spawnNpmStart({ dataDir, ...(options.detached ? { detached: true } : {}) });
  const leftovers: number[] = [npm.pid];
  context.after(() => {
    killLeftovers(leftovers);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const server = await waitUntilListening(npm);
  leftovers.push(server.serverPid);
  const job = await submitRunningJob(server, options.command ?? 'echo started; exec sleep 30');
  leftovers.push(job.pid);
  return { npm, server, dataDir, job };
}

async function submitRunningJob(server: ListeningServer, script: string): Promise<{ id: string; pid: number }> {
  const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
  const submitted = await fetch(`${server.url}/jobs`, { method: 'POST', headers, body: JSON.stringify({ command: ['sh', '-c', script] }) });
  assert.equal(submitted.status, 202, await submitted.clone().text());
  const { id } = (await submitted.json()) as JobDocument;
  let jobPid: number | undefined;
  await waitUntil(
    async () => {
      const job = (await (await fetch(`${server.url}/jobs/${id}`, { headers })).json()) as JobDocument;
      // The job's process is the server's child that leads a process group of its own.
      jobPid = processTable().find((row) => row.ppid === server.serverPid && row.pgid === row.pid)?.pid;
      return job.status === 'RUNNING' && jobPid !== undefined;
    },
    10_000,
    () => `job ${id} never ran as a child of the server (pid ${server.serverPid}):\n${formatTable(processTable())}`,
  );
  return { id, pid: jobPid as number };
}

/** The port is closed and nothing of npm, the server or the job runs any more. */
async function assertAllGone({ npm, server, dataDir, job }: Running): Promise<void> {
  await waitUntil(async () => !(await acceptsConnections(server.port)), STOP_TIMEOUT_MS, () => `port ${server.port} still accepts connections`);
  const pids = [npm.pid, server.serverPid, job.pid];
  await waitUntil(() => processesOf(pids).length === 0, STOP_TIMEOUT_MS, () => `still running:\n${formatTable(processesOf(pids))}`);
  assert.equal(existsSync(join(dataDir, 'server.lock')), false, 'the lock file is removed');
}

/** The job as the store has it, read through a new server on the same data directory. */
async function storedJob(dataDir: string, id: string): Promise<{ job: JobDocument; logs: JobLogs; startOutput: string }> {
  const server = await startServer({ dataDir });
  try {
    const job = await server.request<JobDocument>('GET', `/jobs/${id}`);
    assert.equal(job.status, 200, job.text);
    const logs = await server.request<JobLogs>('GET', `/jobs/${id}/logs`);
    return { job: job.json, logs: logs.json, startOutput: server.output() };
  } finally {
    await server.stop();
  }
}

/** What a graceful stop leaves: the job CANCELLED with its stop time and logs, nothing for the next start to mark. */
async function assertStoppedGracefully(running: Running): Promise<void> {
  const { job, logs, startOutput } = await storedJob(running.dataDir, running.job.id);
  assert.equal(job.status, 'CANCELLED', JSON.stringify(job));
  assert.equal(job.failure?.category, 'CANCELLED');
  assert.ok(job.stoppedAt, 'the cancelled job has a stop time');
  assert.deepEqual(
    logs.lines.map((line) => line.message),
    ['started'],
  );
  assert.equal(logs.complete, true);
  assert.doesNotMatch(startOutput, /Marked \d+ job\(s\) FAILED/, 'the stopped server left no active job behind');
}

describe('stopping npm start with a signal', () => {
  // SIGKILL: npm dies without a word, as on SIGHUP; the server notices its parent has gone.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGKILL'] as const) {
    it(`${signal} sent to npm's pid cancels the running job, frees the port and leaves no process`, async (context) => {
      // Prepare
      const running = await startWithRunningJob(context);

      // Act
      process.kill(running.npm.pid, signal);

      // Assess
      await exitWithin(running.npm, STOP_TIMEOUT_MS);
      await assertAllGone(running);
      await assertStoppedGracefully(running);
    });
  }

  it('Ctrl-C (SIGINT to the whole process group: node gets it, and again from npm) stops gracefully, not at once', async (context) => {
    // Prepare
    const running = await startWithRunningJob(context, { detached: true });

    // Act
    process.kill(-running.npm.pid, 'SIGINT');

    // Assess
    await exitWithin(running.npm, STOP_TIMEOUT_MS);
    await assertAllGone(running);
    await assertStoppedGracefully(running);
  });

  it('a signal repeated within a second (one Ctrl-C seen twice) counts once', async (context) => {
    // Prepare: the job takes half a second to stop, so the repeat arrives while the server stops.
    const running = await startWithRunningJob(context, { command: "trap 'sleep 0.5; exit 143' TERM; echo started; sleep 30 & wait" });

    // Act
    process.kill(running.server.serverPid, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(running.server.serverPid, 'SIGINT');

    // Assess
    const exit = await exitWithin(running.npm, STOP_TIMEOUT_MS);
    assert.equal(exit.code, 0, `npm start exited ${exit.code ?? exit.signal}:\n${running.npm.stderr()}`);
    await assertAllGone(running);
    await assertStoppedGracefully(running);
  });

  it('a second signal more than a second later exits at once, without waiting for a job that ignores SIGTERM', async (context) => {
    // Prepare: the job ignores SIGTERM, so the graceful stop would wait out the 5 s grace before SIGKILL.
    const running = await startWithRunningJob(context, { command: "trap '' TERM; echo started; exec sleep 30" });
    context.after(() => killLeftovers([running.job.pid]));

    // Act
    const firstAt = Date.now();
    process.kill(running.npm.pid, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    process.kill(running.server.serverPid, 'SIGTERM');

    // Assess
    const exit = await exitWithin(running.npm, STOP_TIMEOUT_MS);
    assert.ok(Date.now() - firstAt < 3_500, `npm start exited ${Date.now() - firstAt} ms after the first signal: the second did not hurry it`);
    assert.notEqual(exit.code, 0);
    assert.match(running.npm.stderr(), /exiting now, without waiting for running jobs/);
    await waitUntil(async () => !(await acceptsConnections(running.server.port)), STOP_TIMEOUT_MS, () => `port ${running.server.port} still accepts connections`);
    assert.equal(existsSync(join(running.dataDir, 'server.lock')), false, 'the lock file is removed even then');
  });
});

describe('a server started without npm', () => {
  it('outlives the shell that started it in the background (as `nohup node local/server.ts &` means it to)', async (context) => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-nohup-'));
    const environment: NodeJS.ProcessEnv = { ...process.env, PORT: '0', FARGATE_JOBS_DATA_DIR: dataDir, LOG_LEVEL: 'WARN' };
    for (const name of Object.keys(environment)) if (name.startsWith('npm_')) delete environment[name];
    const logFile = join(dataDir, 'server.out');
    // The shell stays until the server listens (so the server starts as its child), then exits.
    const script = `"${process.execPath}" local/server.ts > "${logFile}" 2>&1 & echo $!; for i in $(seq 200); do grep -q 'API:' "${logFile}" && exit 0; sleep 0.1; done`;
    const launched = spawnSync('sh', ['-c', script], { cwd: PROJECT_ROOT, env: environment, encoding: 'utf8' });
    const pid = Number(launched.stdout.trim());
    context.after(() => {
      killLeftovers([pid]);
      rmSync(dataDir, { recursive: true, force: true });
    });
    assert.match(readFileSync(logFile, 'utf8'), /API:\s+http:\/\/\S+/, 'the server started');

    // Act: its shell has exited; give a parent watch time to notice, were there one.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    // Assess
    const url = /API:\s+(http:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'))?.[1] ?? '';
    assert.equal(processesOf([pid]).length > 0, true, `the server (pid ${pid}) stopped when its shell exited:\n${readFileSync(logFile, 'utf8')}`);
    assert.equal((await fetch(`${url}/health`)).status, 200);
  });
});
