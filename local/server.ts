/**
 * `npm start`: fargate-jobs on this machine. PORT (default 3000) and FARGATE_JOBS_DATA_DIR
 * (default .data) change where it listens and what it keeps; LOG_LEVEL (default WARN) how much it
 * logs; FARGATE_JOBS_RATE_LIMIT (`<requests per second>/<burst>`, default 100/200) how fast a token
 * may call it; FARGATE_JOBS_MAX_WAITS_PER_TOKEN (default 10, `none` for no limit) how many of its
 * requests may wait (`wait`) at once; FARGATE_JOBS_RUNNER (`process`, the default, or `ecs`) what
 * runs the jobs.
 *
 * One server per data directory (local/server-lock.ts); once it listens, `<data dir>/url` holds its
 * base URL (removed when it stops, before its port is freed), beside `<data dir>/token`, for clients on this machine such as
 * the CLI. SIGINT, SIGTERM and SIGHUP, sent to this
 * process or to the npm that runs it, and the death of that npm all stop it the same graceful way
 * (local/shutdown-requests.ts).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeDataDirectoryPrivate, SERVER_URL_FILE, writePrivateFileAtomically } from '#lib/composition/data-directory.ts';
import { describeLegacyImport } from '#lib/composition/legacy-store.ts';
import { TASK_RUNNERS, type TaskRunnerKind } from '#lib/composition/local.ts';
import { watchParent } from '#lib/domain/parent-watch.ts';
import { createLogger } from '#lib/logger.ts';
import { parseRateLimit, type RateLimit } from '#local/rate-limiter.ts';
import { startLocalServer, type LocalServer } from './local-server.ts';
import { acquireServerLock, DataDirectoryInUseError, type ServerLock } from './server-lock.ts';
import { SHUTDOWN_SIGNALS, ShutdownRequests, type ShutdownDecision } from './shutdown-requests.ts';

const DEFAULT_PORT = 3000;
/** npm's pid: read now, so that an npm that dies while the server starts is noticed too. */
const parentAtStart = process.ppid;

const port = parsePort(process.env.PORT);
const rateLimit = readRateLimit(process.env.FARGATE_JOBS_RATE_LIMIT);
const runner = readRunner(process.env.FARGATE_JOBS_RUNNER);
/** As the user gave it, for messages: `.data`, not /home/…/.data. */
const shownDataDir = process.env.FARGATE_JOBS_DATA_DIR ?? '.data';
const dataDir = resolve(shownDataDir);
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'WARN' });
const urlFile = join(dataDir, SERVER_URL_FILE);
/** What this server wrote to the URL file, once it listens. */
let announcedUrl: string | undefined;

const lock = await lockDataDirectory();

let server: LocalServer;
try {
  server = await startLocalServer({ port, dataDir, logger, runner, ...(rateLimit ? { rateLimit } : {}) });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  console.error(
    code === 'EADDRINUSE'
      ? `fargate-jobs: port ${port} is already in use; start with PORT=<another port> npm start`
      : `fargate-jobs: could not start: ${(error as Error).message}`,
  );
  process.exit(1);
}
lock.setPort(Number(new URL(server.url).port));
// Last, once it answers and its token file is written: the URL file says a server is there to call.
announcedUrl = `${server.url}\n`;
writePrivateFileAtomically(urlFile, announcedUrl);

const example = JSON.stringify({ command: ['sh', '-c', 'echo hello; exit 3'] });
const profiles = [...server.dependencies.profiles.values()];
// The stage's profiles share TASK_CAPACITY: one word, unless a profile of its own says otherwise.
const capacities = [...new Set(profiles.flatMap((profile) => (profile.capacity ? [profile.capacity] : [])))];
const jobs =
  runner === 'ecs'
    ? `as Fargate tasks in cluster ${process.env.ECS_CLUSTER} (profiles ${profiles.map((profile) => profile.name).join(', ')}), capacity ${capacities.join(', ')}`
    : 'as child processes of this server';
const { legacyImport } = server.dependencies;
if (legacyImport) console.log(`fargate-jobs: ${describeLegacyImport(legacyImport)}\n`);
// The token travels in the fragment, which the browser keeps to itself: the console's page moves it to sessionStorage.
console.log(`fargate-jobs local mode
  API:     ${server.url}
  Console: ${server.url}/#token=${server.token}
  Token:   ${server.token}
  Jobs:    ${jobs}
  Data:    ${dataDir}${server.interruptedJobs > 0 ? `\n  Marked ${server.interruptedJobs} job(s) FAILED that were active when the server last stopped.` : ''}

Run a job, then read it back (use the id the first call prints):
  curl -s -X POST ${server.url}/jobs -H "Authorization: Bearer ${server.token}" -H 'content-type: application/json' -H "Idempotency-Key: hello-$(date +%s)" -d '${example}'
  curl -s ${server.url}/jobs/<id> -H "Authorization: Bearer ${server.token}"
  curl -s ${server.url}/jobs/<id>/logs -H "Authorization: Bearer ${server.token}"

Ctrl-C stops the server (running jobs are stopped and recorded).`);

const shutdownRequests = new ShutdownRequests();
for (const signal of SHUTDOWN_SIGNALS) {
  process.on(signal, () => onShutdownRequest(shutdownRequests.signal(Date.now()), signal));
}
// SIGHUP or `kill -9` of npm kills npm without telling node (see shutdown-requests.ts). Only under
// npm (which sets npm_lifecycle_event): `nohup node local/server.ts &` is meant to outlive its shell.
if (process.env.npm_lifecycle_event !== undefined) {
  watchParent(() => onShutdownRequest(shutdownRequests.parentGone(Date.now()), 'the process that started it (npm) exited'), { parent: parentAtStart });
}

function onShutdownRequest(decision: ShutdownDecision, cause: string): void {
  if (decision === 'ignore') return;
  // After a hang-up the terminal fails every write (EIO): an unhandled stream error must not cut the stop short.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  if (decision === 'exit-now') {
    console.error(`\nfargate-jobs: ${cause} again: exiting now, without waiting for running jobs`);
    process.exit(1);
  }
  console.log(`\nfargate-jobs: ${cause}: stopping running jobs and shutting down…`);
  // The URL file first, then the listener: once the port is free another user may bind it, and a
  // file still naming it would send this directory's clients there.
  if (lock.isHeld()) removeOurUrlFile();
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`fargate-jobs: shutdown failed: ${String(error)}`);
      process.exit(1);
    },
  );
}

/**
 * The data directory for this process alone, taken before the store is opened (a second server
 * would run the jobs of the first as interrupted ones). Released on every exit that runs Node's exit handlers (a stop, a
 * failed start, a forced exit); the lock a `kill -9` leaves is taken over by the next start.
 */
async function lockDataDirectory(): Promise<ServerLock> {
  try {
    // The lock file is the first thing written into the data directory.
    makeDataDirectoryPrivate(dataDir);
    const taken = await acquireServerLock(dataDir, shownDataDir);
    process.on('exit', () => {
      // While the lock is still ours, so is the URL file: no other server can have written it since.
      if (taken.isHeld()) removeOurUrlFile();
      taken.release();
    });
    return taken;
  } catch (error) {
    console.error(error instanceof DataDirectoryInUseError ? error.message : `fargate-jobs: could not start: ${(error as Error).message}`);
    process.exit(1);
  }
}

/** Removes the URL file if it still names this server (a file another server wrote is left alone). */
function removeOurUrlFile(): void {
  if (announcedUrl === undefined) return;
  try {
    if (readFileSync(urlFile, 'utf8') === announcedUrl) rmSync(urlFile, { force: true });
  } catch {
    // Gone already.
  }
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    console.error(`fargate-jobs: PORT must be a port number (0-65535), got '${value}'`);
    process.exit(1);
  }
  return parsed;
}

function readRunner(value: string | undefined): TaskRunnerKind {
  if (value === undefined || value === '') return 'process';
  if ((TASK_RUNNERS as readonly string[]).includes(value)) return value as TaskRunnerKind;
  console.error(`fargate-jobs: FARGATE_JOBS_RUNNER must be one of ${TASK_RUNNERS.join(', ')}, got '${value}'`);
  process.exit(1);
}

function readRateLimit(value: string | undefined): RateLimit | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    return parseRateLimit(value);
  } catch (error) {
    console.error(`fargate-jobs: FARGATE_JOBS_RATE_LIMIT: ${(error as Error).message}`);
    process.exit(1);
  }
}
