/**
 * `npm run bench:cli`: what the CLI costs. Against a local server started in this process (the
 * CLI's requests counted by a pass-through in front of it):
 *
 * - start-up: `fargate-jobs --version` through the bin (cli/bin.mjs, as npx and npm link run it),
 *   median of `--runs` fresh processes after one warm-up (Node's compile cache filled);
 * - requests the CLI makes to follow a quiet job of `--seconds` (default 60: a line, a sleep, a
 *   line) to its end, POST included;
 * - lag from a line being written by the job to the CLI printing it: a chatty job prints its clock
 *   every 50 ms for `--chattySeconds` (10), the bench notes when each line reaches the CLI's stdout (and counts the
 *   requests that took).
 *
 *   npm run bench:cli -- --runs 15 --seconds 60 --chattySeconds 10
 *   npm run bench:cli -- --quick     (one run, 1-second jobs: checks the bench runs, measures nothing)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '#lib/domain/logger.ts';
import { startLocalServer } from '../local/local-server.ts';
import { benchOptions } from './options.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { values } = benchOptions({ runs: '15', seconds: '60', chattySeconds: '10' }, { runs: '1', seconds: '1', chattySeconds: '1' });
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const chattySeconds = Number(values.chattySeconds);

const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

function startUpMs(): number {
  spawnSync(process.execPath, ['cli/bin.mjs', '--version'], { cwd: ROOT });
  const samples = Array.from({ length: runs }, () => {
    const started = performance.now();
    const result = spawnSync(process.execPath, ['cli/bin.mjs', '--version'], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`fargate-jobs --version exited ${result.status}: ${result.stderr}`);
    return performance.now() - started;
  });
  return percentile(samples, 50);
}

const dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-bench-cli-'));
const server = await startLocalServer({ dataDir, port: 0, logger: silentLogger });
const requests: string[] = [];
// In front of the server, counting what the CLI asks (a pass-through on loopback: well under 1 ms).
const counter = createServer((incoming, answer) => {
  requests.push(`${incoming.method} ${incoming.url}`);
  const target = new URL(incoming.url ?? '/', server.url);
  const outgoing = request(target, { method: incoming.method, headers: { ...incoming.headers, host: target.host } }, (upstream) => {
    answer.writeHead(upstream.statusCode ?? 502, upstream.headers);
    upstream.pipe(answer);
  });
  incoming.pipe(outgoing);
});
await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
const counterUrl = `http://127.0.0.1:${(counter.address() as AddressInfo).port}`;

/** Runs the CLI on `script`; returns the lag of each line that is a clock reading (ms since the epoch). */
async function follow(script: string): Promise<{ lagsMs: number[]; code: number | null; requests: number }> {
  const before = requests.length;
  const cli = spawn(process.execPath, ['cli/bin.mjs', 'run', '--', 'sh', '-c', script], {
    cwd: ROOT,
    env: { ...process.env, FARGATE_JOBS_URL: counterUrl, FARGATE_JOBS_TOKEN: server.token, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lagsMs: number[] = [];
  let pending = '';
  cli.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const now = Date.now();
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (/^\d{13}$/.test(line)) lagsMs.push(now - Number(line));
  });
  const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
  return { lagsMs, code, requests: requests.length - before };
}

const startUp = startUpMs();
const quiet = await follow(`date +%s%3N; sleep ${seconds}; date +%s%3N`);
const routes = [...new Set(requests.map((line) => line.split('?')[0]?.replace(/job-[0-9a-z]+/, '{id}')))].join(', ');
const chatty = await follow(`end=$(( $(date +%s) + ${chattySeconds} )); while [ $(date +%s) -lt $end ]; do date +%s%3N; sleep 0.05; done`);
counter.close();
await server.close();
rmSync(dataDir, { recursive: true, force: true });

console.log(`fargate-jobs CLI benchmark — ${new Date().toISOString()}, node ${process.version}

| measure | value |
| --- | --- |
| \`fargate-jobs --version\` start-up (bin, median of ${runs}) | ${startUp.toFixed(0)} ms |
| requests to follow a quiet ${seconds}-second job (POST included) | ${quiet.requests} (${routes}; exit code ${quiet.code}) |
| chatty ${chattySeconds}-second job: lines printed, requests | ${chatty.lagsMs.length} lines, ${chatty.requests} requests (exit code ${chatty.code}) |
| line written → printed by the CLI (p50 / p95 / max) | ${percentile(chatty.lagsMs, 50)} / ${percentile(chatty.lagsMs, 95)} / ${Math.max(...chatty.lagsMs)} ms |`);
