/**
 * What `exec` and `run -i` share: waiting until a job takes an exec (it has started and its exec
 * agent is ready), opening the session with `POST /jobs/{id}/exec`, and attaching to it — an ECS
 * session through session-manager-plugin, a local one over the local server's connection.
 *
 * The server decides whether the job takes an exec now (it asks the task): its 409s say "not yet"
 * with a Retry-After. Waiting then costs what following a job costs: a long poll on the job's status
 * while it starts, and one request per Retry-After while its exec agent gets ready. Never longer
 * than `--wait`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { JobStatus } from '#lib/domain/job.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { ApiError, retryDelay } from './api-client.ts';
import { EXIT, ExitError } from './exit-codes.ts';
import { getJob, LONG_POLL_SECONDS } from './follow.ts';
import { attachLocalExec } from './local-exec.ts';
import { sanitizeMetadata } from './sanitize.ts';
import { SessionManagerPlugin, type EcsExecSession } from './session-manager-plugin.ts';
import { formatElapsed, type StatusLine } from './terminal.ts';
import type { VerbContext } from './verbs/context.ts';

/** How long `exec` and `run -i` wait for a job to take an exec, unless `--wait` says otherwise. */
export const DEFAULT_EXEC_WAIT_SECONDS = 120;

export type ExecSession = EcsExecSession;

/** At most four exec requests a second, whatever the server answers. */
const MIN_ASKING_INTERVAL_MS = 250;

export interface OpenSessionOptions {
  /** argv to run; none: the profile's shell. */
  command: readonly string[] | undefined;
  /** Give up after this many seconds (`--wait`). */
  waitSeconds: number;
  status: StatusLine;
  plugin: SessionManagerPlugin;
}

/**
 * An ECS task's ARN (`arn:aws:ecs:…`, `arn:aws-cn:ecs:…`), not a local process's (`arn:local:…`):
 * an exec into it will need session-manager-plugin.
 */
export function isEcsTask(taskArn: string | undefined): boolean {
  return taskArn !== undefined && /^arn:aws[a-z-]*:ecs:/.test(taskArn);
}

/** Opens an exec session into `first`'s job once it can take one; an ExitError (124) at the --wait deadline. */
export async function openExecSession(context: VerbContext, first: JobDocument, options: OpenSessionOptions): Promise<ExecSession> {
  const wait = { deadline: Date.now() + options.waitSeconds * 1000, seconds: options.waitSeconds };
  const progress = unlessSaidLast((message: string) => options.status.say(message));
  let job = first;
  for (;;) {
    // The plugin is checked before a session is opened (and recorded on the job), as the AWS CLI checks it before
    // ExecuteCommand: none is opened for nothing. Only for a job whose task is on ECS: a local one needs no plugin,
    // and a job with no task yet is only told "not yet" (nothing opened); the long poll then brings its task ARN.
    // A server that shows no task ARN gets the plugin checked as its session is attached to (SessionManagerPlugin.start).
    if (isEcsTask(job.taskArn)) await options.plugin.version();
    try {
      return await postExec(context, job.id, options.command);
    } catch (error) {
      const retryAfterMs = retryAfterOf(error);
      // A job that has finished (no Retry-After), or any other refusal: the server's message says it.
      if (retryAfterMs === undefined) throw error;
      const refusal = error as ApiError;
      if (refusal.code === 'EXEC_NOT_READY') {
        progress(`waiting for exec into ${job.id} to be ready…`);
        await pause(retryAfterMs, wait, job, 'RUNNING, its exec agent not ready yet');
        continue;
      }
      // The status the refusal names is the job record's: the long poll waits for the record to leave it.
      const named = (refusal.details.find((detail) => detail.path === 'status')?.message ?? job.status) as JobStatus;
      progress(`waiting for ${job.id} to start (${named})…`);
      const asked = Date.now();
      job = await nextStatus(context, job, named, wait);
      // A poll answered at once (a server whose refusal and record disagree) must not make a loop of requests.
      if (Date.now() - asked < MIN_ASKING_INTERVAL_MS) await pause(MIN_ASKING_INTERVAL_MS - (Date.now() - asked), wait, job, named);
    }
  }
}

/** The 409 that says "not yet" (JOB_NOT_RUNNING while it starts, EXEC_NOT_READY): how long to wait before asking again. */
function retryAfterOf(error: unknown): number | undefined {
  if (!(error instanceof ApiError) || error.status !== 409 || error.retryAfter === null) return undefined;
  if (error.code !== 'JOB_NOT_RUNNING' && error.code !== 'EXEC_NOT_READY') return undefined;
  return retryDelay(1, { attempts: 1, firstDelayMs: 2000, maxDelayMs: 2000 }, error.retryAfter);
}

async function postExec(context: VerbContext, jobId: string, command: readonly string[] | undefined): Promise<ExecSession> {
  const body = command === undefined ? {} : { command };
  const { body: session } = await context.client().request<ExecSession>('POST', `/jobs/${encodeURIComponent(jobId)}/exec`, { body });
  return session;
}

interface Deadline {
  /** When to give up (ms since the epoch). */
  deadline: number;
  /** The --wait it comes from, for the message. */
  seconds: number;
}

/** The job once its status is no longer `status` (a long poll), or an ExitError at the deadline. */
async function nextStatus(context: VerbContext, job: JobDocument, status: JobStatus, wait: Deadline): Promise<JobDocument> {
  const left = wait.deadline - Date.now();
  if (left <= 0) throw gaveUp(job, status, wait);
  const next = await getJob(context.client(), job.id, { seconds: Math.max(1, Math.min(LONG_POLL_SECONDS, Math.ceil(left / 1000))), ifStatus: status });
  if (next.status === status && Date.now() >= wait.deadline) throw gaveUp(next, status, wait);
  return next;
}

async function pause(ms: number, wait: Deadline, job: JobDocument, waitingFor: string): Promise<void> {
  const left = wait.deadline - Date.now();
  if (left <= 0) throw gaveUp(job, waitingFor, wait);
  await delay(Math.min(ms, left));
  if (Date.now() >= wait.deadline) throw gaveUp(job, waitingFor, wait);
}

function gaveUp(job: JobDocument, waitingFor: string, wait: Deadline): ExitError {
  return new ExitError(
    `gave up after ${formatElapsed(wait.seconds * 1000)}: ${job.id} is still ${waitingFor}; wait longer with --wait (e.g. --wait 10m), or try again later`,
    EXIT.TIMED_OUT,
  );
}

/** Calls `say` with a message unless it is the one it said last: once per state waited through. */
function unlessSaidLast(say: (message: string) => void): (message: string) => void {
  let last: string | undefined;
  return (message) => {
    if (message !== last) say(message);
    last = message;
  };
}

/**
 * Attaches our terminal (or pipes) to the session until it ends; resolves to its exit code: on ECS
 * the plugin's, locally the command's.
 */
export async function attachExecSession(context: VerbContext, session: ExecSession, plugin: SessionManagerPlugin): Promise<number> {
  if (session.target.startsWith('ecs:')) return plugin.start(session);
  if (session.target.startsWith('local:')) {
    const apiUrl = context.client().target.url;
    try {
      return await attachLocalExec(session, { apiUrl, stdin: process.stdin, stdout: context.out.stdout, stderr: context.out.stderr });
    } catch (error) {
      throw new ExitError(`could not attach to the exec session: ${(error as Error).message}`, EXIT.API_UNREACHABLE_OR_REFUSED_CALLER);
    }
  }
  throw new ExitError(
    `the server opened an exec session of a kind this CLI does not know (target ${sanitizeMetadata(JSON.stringify(session.target.slice(0, 40)))}): update fargate-jobs`,
    EXIT.API_UNREACHABLE_OR_REFUSED_CALLER,
  );
}
