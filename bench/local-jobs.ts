/**
 * `npm run bench:local` (part of `npm run bench`): local-mode throughput and latency. Starts the local server in this process on a
 * free port with a throw-away data dir, submits trivial jobs over HTTP a few at a time, follows each
 * to its terminal status with the long poll clients use (`GET /jobs/{id}?wait=20&ifStatus=<the last
 * status seen>`: one request per status change, no busy loop), and reports jobs per second, POST→terminal latency and the state
 * transitions the local Step Functions engine ran per job.
 *
 *   npm run bench:local -- --jobs 200 --concurrency 8 --command true
 *   npm run bench:local -- --quick     (a few jobs: checks the bench runs, measures nothing)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/domain/logger.ts';
import { startLocalServer } from '../local/local-server.ts';
import { benchOptions } from './options.ts';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);
/** The longest wait the API takes, in seconds. */
const LONG_POLL_SECONDS = 20;

const { values } = benchOptions({ jobs: '200', concurrency: '8', command: 'true' }, { jobs: '4', concurrency: '2', command: 'true' });
const jobCount = Number(values.jobs);
const concurrency = Number(values.concurrency);
const command = values.command.split(' ');

interface JobResult {
  /** From sending POST to reading the terminal status back (what a polling client sees). */
  clientMs: number;
  /** From the record's createdAt to its last update (the terminal write), server clock only. */
  serverMs: number;
  status: string;
}

const dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-bench-'));
// The benchmark's own polling is far above what one person sends: no limit gets in its way.
const server = await startLocalServer({ dataDir, port: 0, logger: silentLogger, rateLimit: { ratePerSecond: 1e9, burst: 1e9 } });
const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };

async function runOne(): Promise<JobResult> {
  const started = performance.now();
  const created = await fetch(`${server.url}/jobs`, { method: 'POST', headers, body: JSON.stringify({ command }) });
  if (created.status !== 202) throw new Error(`POST /jobs answered ${created.status}: ${await created.text()}`);
  const accepted = (await created.json()) as { id: string; status: string };
  let status = accepted.status;
  for (;;) {
    requests += 1;
    const response = await fetch(`${server.url}/jobs/${accepted.id}?wait=${LONG_POLL_SECONDS}&ifStatus=${status}`, { headers });
    const job = (await response.json()) as { status: string; createdAt: string; updatedAt: string; stoppedAt?: string };
    // Terminal and finalized (stoppedAt): what a client waits for before it reads the exit code.
    if (TERMINAL.has(job.status) && job.stoppedAt !== undefined) {
      return {
        clientMs: performance.now() - started,
        serverMs: Date.parse(job.updatedAt) - Date.parse(job.createdAt),
        status: job.status,
      };
    }
    status = job.status;
  }
}

/** GET /jobs/{id} requests the followers made. */
let requests = 0;

const results: JobResult[] = [];
let next = 0;
const wallStart = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < jobCount) {
      next += 1;
      results.push(await runOne());
    }
  }),
);
const wallSeconds = (performance.now() - wallStart) / 1000;
const stats = server.dependencies.workflow.stats();
await server.close();
rmSync(dataDir, { recursive: true, force: true });

const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};
const client = results.map((result) => result.clientMs);
const serverSide = results.map((result) => result.serverMs);
const byStatus = Object.groupBy(results, (result) => result.status);

console.log(`fargate-jobs local benchmark — ${new Date().toISOString()}
node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'})
jobs: ${jobCount} × [${command.join(' ')}], ${concurrency} at a time
statuses: ${Object.entries(byStatus).map(([status, list]) => `${status} ${list?.length ?? 0}`).join(', ')}

| measure | value |
| --- | --- |
| jobs per second | ${(jobCount / wallSeconds).toFixed(1)} |
| POST → terminal, client (p50 / p95) | ${percentile(client, 50).toFixed(0)} ms / ${percentile(client, 95).toFixed(0)} ms |
| createdAt → terminal write, server (p50 / p95) | ${percentile(serverSide, 50).toFixed(0)} ms / ${percentile(serverSide, 95).toFixed(0)} ms |
| state transitions per job | ${(stats.stateTransitions / stats.executions).toFixed(1)} (${stats.stateTransitions} in ${stats.executions} executions) |
| GET /jobs/{id} per job (long polls) | ${(requests / jobCount).toFixed(1)} |`);
