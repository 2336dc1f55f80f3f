/**
 * `npm start`: fargate-jobs on this machine. PORT (default 3000) and FARGATE_JOBS_DATA_DIR
 * (default .data) change where it listens and what it keeps; LOG_LEVEL (default WARN) how much it
 * logs; FARGATE_JOBS_RATE_LIMIT (`<requests per second>/<burst>`, default 100/200) how fast a token
 * may call it; FARGATE_JOBS_RUNNER (`process`, the default, or `ecs`) what runs the jobs.
 */
import { resolve } from 'node:path';
import { TASK_RUNNERS, type TaskRunnerKind } from '#lib/composition/local.ts';
import { createLogger } from '#lib/logger.ts';
import { parseRateLimit, type RateLimit } from '#local/rate-limiter.ts';
import { startLocalServer } from './local-server.ts';

const DEFAULT_PORT = 3000;

const port = parsePort(process.env.PORT);
const rateLimit = readRateLimit(process.env.FARGATE_JOBS_RATE_LIMIT);
const runner = readRunner(process.env.FARGATE_JOBS_RUNNER);
const dataDir = resolve(process.env.FARGATE_JOBS_DATA_DIR ?? '.data');
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'WARN' });

let server;
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

const example = JSON.stringify({ command: ['sh', '-c', 'echo hello; exit 3'] });
const jobs =
  runner === 'ecs'
    ? `as Fargate tasks in cluster ${process.env.ECS_CLUSTER} (profiles ${[...server.dependencies.profiles.keys()].join(', ')})`
    : 'as child processes of this server';
console.log(`fargate-jobs local mode
  API:    ${server.url}
  Token:  ${server.token}
  Jobs:   ${jobs}
  Data:   ${dataDir}${server.interruptedJobs > 0 ? `\n  Marked ${server.interruptedJobs} job(s) FAILED that were active when the server last stopped.` : ''}

Run a job, then read it back (use the id the first call prints):
  curl -s -X POST ${server.url}/jobs -H "Authorization: Bearer ${server.token}" -H 'content-type: application/json' -d '${example}'
  curl -s ${server.url}/jobs/<id> -H "Authorization: Bearer ${server.token}"
  curl -s ${server.url}/jobs/<id>/logs -H "Authorization: Bearer ${server.token}"

Ctrl-C stops the server (running jobs are stopped and recorded).`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\nfargate-jobs: stopping running jobs and shutting down…');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`fargate-jobs: shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  });
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
