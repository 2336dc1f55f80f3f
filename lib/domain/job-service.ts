/**
 * The use cases behind the HTTP API, one function each. Each takes the ports it uses (so a Lambda
 * that only reads jobs is given only a store), the request and the caller; handlers parse and
 * respond, these decide.
 */
import { mayUse, type Caller } from './caller.ts';
import { ConflictError, JobNotFoundError, ValidationError, ProfileForbiddenError, ProfileRejectedError, TaskNotFoundError, TooManyActiveJobsError } from './errors.ts';
import { isJobId, jobIdForIdempotencyKey, newJobId } from './ids.ts';
import { ACTIVE_STATUSES, isFinalized, isTerminal, LOG_TAIL_LINES, type CallbackEvent, type Job, type JobStatus, type SlackThread } from './job.ts';
import { clockOf, type Dependencies, type LogLine } from './ports.ts';
import { connectHint, resolveJobRequest, type JobRequest } from './profile.ts';
import { isSameRequest, requestHash } from './request-hash.ts';
import { separateSecrets } from './secrets.ts';
import { waitSlotHold } from './wait-slots.ts';
import { logPollDelayMs, realSleep, RECORD_POLL_MS, waitUntil, type JobChangeFeed, type WaitOptions } from './waiting.ts';

/** A job as a client asks for it: a request to a profile, with labels and perhaps an idempotency key. */
export interface SubmitJobInput extends JobRequest {
  profile: string;
  labels: Record<string, string>;
  idempotencyKey?: string;
  /** Where to POST the job when it finishes; the profile's own when absent. */
  callbackUrl?: string;
  /** Webhook events besides `job.finished`. */
  callbackEvents?: CallbackEvent[];
  /** Submitted from Slack: the conversation to report to. */
  slack?: SlackThread;
  /** The job this one reruns (rerun.ts). */
  rerunOf?: string;
}

export interface SubmitJobResult {
  /** false when an earlier request with the same idempotency key created the job. */
  created: boolean;
  job: Job;
}

export interface JobLogs {
  lines: LogLine[];
  nextCursor: string;
  /** true only once the job is terminal, finalized, and every line has been returned. */
  complete: boolean;
  /** true when the job wrote more than its log keeps: the lines past the limit were discarded. */
  truncated: boolean;
}

export type SubmitJobPorts = Pick<Dependencies, 'store' | 'workflow' | 'profiles' | 'callbackUrls' | 'logger' | 'now' | 'requestHashKey' | 'maxActiveJobsPerToken'>;
export type JobReadPorts = Pick<Dependencies, 'store'>;
/**
 * What a request that may wait (`wait`) uses besides the store: the feeds that wake it, else a poll;
 * the slots that limit how many waits a caller has at once.
 */
export type WaitPorts = Pick<Dependencies, 'recordChanges' | 'now' | 'sleep' | 'waitSlots' | 'maxWaitsPerToken'>;
export type JobWaitPorts = JobReadPorts & WaitPorts;
export type JobLogPorts = Pick<Dependencies, 'store' | 'logReader' | 'logChanges'> & WaitPorts;
export type CancelJobPorts = Pick<Dependencies, 'store' | 'taskRunner'>;
export type RecoveryPorts = Pick<Dependencies, 'store' | 'taskRunner' | 'logReader' | 'logger' | 'now'>;
export type RetentionPorts = Pick<Dependencies, 'store' | 'taskRunner' | 'logger'>;

/** How long a request may wait for what it asks about. */
export interface WaitLimit {
  /** At most this many seconds (0 or absent: answer at once). */
  waitSeconds?: number;
  /** At most this many milliseconds, whatever `waitSeconds` says: what the host has left (a Lambda's time); no cap when absent. */
  maxWaitMs?: number;
}

export interface JobWaitRequest extends WaitLimit {
  /** Answer once the job's status is no longer this one (or the job is finalized); at once without it. */
  ifStatus?: JobStatus;
}

export interface JobLogsRequest extends WaitLimit {
  cursor?: string;
  limit: number;
}

/** What an interrupted job's failure says, by what became of its task. */
export interface InterruptionMessages {
  /** The task outlived the runner and has been stopped now. */
  stopped(job: Job): string;
  /** The task had gone already (or could not be stopped: the server log says why). */
  gone: string;
}

export async function submitJob(ports: SubmitJobPorts, input: SubmitJobInput, caller: Caller): Promise<SubmitJobResult> {
  // Scope first: a token learns nothing about profiles it may not use, not even whether they exist.
  if (!mayUse(caller, input.profile)) throw new ProfileForbiddenError(caller.name, input.profile, caller.profiles);
  const profile = ports.profiles.get(input.profile);
  if (!profile) {
    throw new ProfileRejectedError('UNKNOWN_PROFILE', `profile '${input.profile}' does not exist`);
  }
  const resolved = resolveJobRequest(profile, input);
  const callbackUrl = input.callbackUrl ?? profile.callbackUrl;
  if (callbackUrl === undefined && input.callbackEvents?.length) {
    throw new ValidationError('callbackEvents needs a callbackUrl', [{ path: 'callbackEvents', message: `profile '${profile.name}' has no callbackUrl of its own: give one` }]);
  }
  const callback = callbackUrl === undefined ? {} : { callbackUrl: ports.callbackUrls.check(callbackUrl), ...(input.callbackEvents?.length ? { callbackEvents: input.callbackEvents } : {}) };
  // Secret values are never stored: the record keeps `***`, the workflow carries the values.
  const { stored: storedEnv, secrets } = separateSecrets(profile, resolved.env);
  const request = { ...input, idempotencyKey: undefined };
  const now = clockOf(ports)();
  const createdAt = now.toISOString();
  const id = input.idempotencyKey ? jobIdForIdempotencyKey(caller.name, input.idempotencyKey) : newJobId(now);
  await checkActiveJobLimit(ports, caller, id);
  const connect = connectHint(profile);
  const job: Job = {
    id,
    profile: profile.name,
    command: resolved.command,
    env: storedEnv,
    publicIp: resolved.publicIp,
    ...(resolved.cpu === undefined ? {} : { cpu: resolved.cpu }),
    ...(resolved.memory === undefined ? {} : { memory: resolved.memory }),
    timeoutSeconds: resolved.timeoutSeconds,
    ...(resolved.retry ? { retry: resolved.retry } : {}),
    labels: input.labels,
    status: 'QUEUED',
    createdAt,
    updatedAt: createdAt,
    exitCode: null,
    logTail: [],
    submittedBy: caller.name,
    ...(connect ? { connect } : {}),
    ...(profile.exec ? { execEnabled: true } : {}),
    ...callback,
    ...(input.slack ? { slack: input.slack } : {}),
    ...(input.rerunOf ? { rerunOf: input.rerunOf } : {}),
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey, requestHash: await requestHash(ports.requestHashKey, request) } : {}),
  };

  const { created, job: stored } = await ports.store.create(job);
  if (!created && !(await isSameRequest(stored.requestHash, request, ports.requestHashKey))) {
    throw new ConflictError(
      'IDEMPOTENCY_KEY_REUSED',
      `idempotency key '${input.idempotencyKey}' was already used for a different request (job ${stored.id})`,
    );
  }
  // A replay of a job still QUEUED starts the workflow again: starting is idempotent per job id,
  // and it recovers a first attempt that stored the job but failed to start its workflow.
  if (created || stored.status === 'QUEUED') await startWorkflow(ports, stored, secrets);
  return { created, job: created ? stored : ((await ports.store.get(stored.id)) ?? stored) };
}

/**
 * Refuses a new job to a caller with as many active jobs as its limit allows; a replay of a job it
 * already has is no new job. Checked before the job is stored, so two submissions racing for the
 * last place may both get it: the limit bounds how much one token can start, it is not a lock.
 */
async function checkActiveJobLimit(ports: Pick<SubmitJobPorts, 'store' | 'maxActiveJobsPerToken'>, caller: Caller, jobId: string): Promise<void> {
  const limit = caller.maxActiveJobs ?? ports.maxActiveJobsPerToken;
  if (limit === undefined || (await ports.store.countActive(caller.name, limit)) < limit) return;
  if (!(await ports.store.get(jobId))) throw new TooManyActiveJobsError(caller.name, limit);
}

/** A job of a profile outside the caller's scope is as absent as one that does not exist. */
export async function getJob(ports: JobReadPorts, jobId: string, caller: Caller): Promise<Job> {
  const job = isJobId(jobId) ? await ports.store.get(jobId) : undefined;
  if (!job || !mayUse(caller, job.profile)) throw new JobNotFoundError(jobId);
  return job;
}

/**
 * The job once its status is no longer `ifStatus` (at once if it is not now), or once it is
 * finalized (nothing about it changes any more), else as it is when the wait is over.
 */
export async function waitForJob(ports: JobWaitPorts, jobId: string, request: JobWaitRequest, caller: Caller): Promise<Job> {
  const { ifStatus } = request;
  if (ifStatus === undefined) return getJob(ports, jobId, caller);
  const look = async () => {
    const job = await getJob(ports, jobId, caller);
    return { done: job.status !== ifStatus || isFinalized(job), value: job };
  };
  return waitUntil(look, waitOptions(ports, request, caller, feeds(jobId, ports.recordChanges), ports.recordChanges ? undefined : RECORD_POLL_MS));
}

/**
 * A page of the job's log from `cursor`. With a wait, answers once there are lines after the
 * cursor or the job is complete, else with the empty page when the wait is over: each look reads
 * the record again (for its finalization) and the log from the same cursor.
 */
/** How long a wait that has just seen its first lines lingers for more (well inside the 300 ms a follower may lag). */
export const LOG_BATCH_MS = 100;

export async function readJobLogs(ports: JobLogPorts, jobId: string, request: JobLogsRequest, caller: Caller): Promise<JobLogs> {
  const options = { limit: request.limit, ...(request.cursor === undefined ? {} : { cursor: request.cursor }) };
  const look = async () => {
    const job = await getJob(ports, jobId, caller);
    const page = await ports.logReader.read(job, options);
    const logs = { lines: page.lines, nextCursor: page.nextCursor, complete: isFinalized(job) && page.atEnd, truncated: page.truncated };
    return { done: logs.lines.length > 0 || logs.complete, value: logs };
  };
  // A log nothing reports the growth of (CloudWatch Logs) is looked at with a backoff: GetLogEvents has one rate per account.
  const pollMs = !ports.logChanges ? logPollDelayMs : !ports.recordChanges ? RECORD_POLL_MS : undefined;
  const waiting = waitOptions(ports, request, caller, feeds(jobId, ports.recordChanges, ports.logChanges), pollMs);
  let looks = 0;
  const counted = () => {
    looks += 1;
    return look();
  };
  const logs = await waitUntil(counted, waiting);
  // Lines that ended a wait are seldom the last: a job that writes often gets them a few to an
  // answer, not one answer (and request) each.
  if (looks === 1 || logs.lines.length === 0 || logs.complete || logs.lines.length >= request.limit) return logs;
  await waiting.sleep(Math.min(LOG_BATCH_MS, Math.max(0, waiting.deadline - waiting.now())), new AbortController().signal);
  // From the same cursor a second look finds the same lines and perhaps more; should a source answer
  // it with fewer, the lines already found are the answer: none may be skipped.
  const again = (await look()).value;
  return again.lines.length >= logs.lines.length ? again : logs;
}

/** A wait by `caller` within `limit`, woken by `changes`, looking again every `pollMs` (where no feed tells). */
export function waitOptions(ports: WaitPorts, limit: WaitLimit, caller: Caller, changes: WaitOptions['changes'], pollMs: WaitOptions['pollMs']): WaitOptions {
  const now = () => clockOf(ports)().getTime();
  const waitMs = Math.max(0, Math.min((limit.waitSeconds ?? 0) * 1000, limit.maxWaitMs ?? Number.POSITIVE_INFINITY));
  const deadline = now() + waitMs;
  const hold = waitSlotHold(ports, caller, deadline);
  return { deadline, now, sleep: ports.sleep ?? realSleep, changes, ...(pollMs === undefined ? {} : { pollMs }), ...(hold ? { hold } : {}) };
}

/** The feeds there are, as subscriptions to one job's changes. */
function feeds(jobId: string, ...sources: Array<JobChangeFeed | undefined>): WaitOptions['changes'] {
  return sources.filter((source) => source !== undefined).map((source) => (wake: () => void) => source.subscribe(jobId, wake));
}

/**
 * Cancels a job that has not finished: records CANCELLED first, then stops its task. The job is
 * not final yet: its workflow sets `stoppedAt` once the task has stopped and its logs are stored
 * (or at once if it never started one), so a client following the logs misses nothing.
 *
 * The workflow's execution is deliberately left running rather than stopped (StopExecution): the
 * task's STOPPED event wakes it and it finalizes the job. The job stays in the store's view of
 * unfinished jobs until then, so that if that event is lost the reconciler finds the stop within
 * one period (the job no longer counts against its submitter's active-job cap). Stopping it would leave the job
 * without its log tail and never `complete`, and stopping it while StartTask is inside RunTask
 * would leave a task running that nothing watches.
 */
export async function cancelJob(ports: CancelJobPorts, jobId: string, caller: Caller): Promise<Job> {
  const job = await getJob(ports, jobId, caller);
  if (isTerminal(job.status)) throw alreadyFinished(job);
  const message = `cancelled by ${caller.name}`;
  const { applied, job: cancelled } = await ports.store.transition(jobId, 'CANCELLED', {
    failure: { category: 'CANCELLED', message },
  });
  if (!applied) throw alreadyFinished(cancelled);
  if (cancelled.taskArn) await ports.taskRunner.stopTask(cancelled.taskArn, message);
  return cancelled;
}

/** How many interrupted jobs are recovered at once: their tasks are stopped side by side, not one grace period after another. */
const RECOVERY_BATCH = 10;

/**
 * After the runner died (e.g. the local server stopped), marks the jobs that were active FAILED and
 * finalizes the cancelled ones whose workflow never recorded the stop, so that no job is left
 * RUNNING or unfinished forever. A task that outlived the runner (a Fargate task keeps running, a
 * local process the server left behind) is stopped first: nothing would watch it any more. Each
 * failure says which it was; the log tail is what the task wrote. Returns how many active jobs were
 * marked FAILED.
 */
export async function recoverInterruptedJobs(ports: RecoveryPorts, messages: InterruptionMessages): Promise<number> {
  const interrupted: Job[] = [];
  for await (const job of jobsWithStatus(ports, ACTIVE_STATUSES)) interrupted.push(job);
  let marked = 0;
  for (let start = 0; start < interrupted.length; start += RECOVERY_BATCH) {
    const outcomes = await Promise.all(interrupted.slice(start, start + RECOVERY_BATCH).map((job) => markInterrupted(ports, job, messages)));
    marked += outcomes.filter(Boolean).length;
  }
  const stoppedAt = clockOf(ports)().toISOString();
  for await (const job of jobsWithStatus(ports, ['CANCELLED'])) {
    if (job.stoppedAt === undefined) await ports.store.update(job.id, { stoppedAt });
  }
  return marked;
}

/** Stops the job's task if it is still there, then records the job FAILED; false when it was no longer active. */
async function markInterrupted(ports: RecoveryPorts, job: Job, messages: InterruptionMessages): Promise<boolean> {
  const stopped = await stopUnwatchedTask(ports, job, messages.stopped(job));
  // What the task wrote until now: a start-up does not wait for a log driver still flushing.
  const logTail = await ports.logReader.tail(job, LOG_TAIL_LINES, { waitForFlush: false }).catch((error: unknown) => {
    ports.logger.warn('could not read the log tail of an interrupted job', { jobId: job.id, error: String(error) });
    return [];
  });
  const { applied } = await ports.store.transition(job.id, 'FAILED', {
    failure: { category: 'INTERNAL', message: stopped ? messages.stopped(job) : messages.gone },
    stoppedAt: clockOf(ports)().toISOString(),
    logTail,
  });
  return applied;
}

/**
 * Stops the task of a job that nothing will watch any more, as far as it can: a task the runner no
 * longer finds (a local process that died with the server) needs no stop, and one that cannot be
 * stopped now is logged, not allowed to stop the others. True when a task was stopped.
 */
export async function stopUnwatchedTask(ports: Pick<Dependencies, 'taskRunner' | 'logger'>, job: Job, reason: string): Promise<boolean> {
  if (!job.taskArn) return false;
  try {
    await ports.taskRunner.stopTask(job.taskArn, reason, job.process ? { process: job.process } : {});
    return true;
  } catch (error) {
    if (!(error instanceof TaskNotFoundError)) ports.logger.warn('could not stop the task of a job', { jobId: job.id, taskArn: job.taskArn, error: String(error) });
    return false;
  }
}

/**
 * Removes the jobs that finished before `cutoff` (by their stop time, or their creation time if they
 * never recorded one): the files their task left on this machine first, then the record, so that a
 * removal cut short is finished by the next one. A job whose files cannot be removed is logged and
 * kept, not allowed to stop the others. Active jobs are kept however old. Returns how many jobs were
 * removed.
 */
export async function removeExpiredJobs(ports: RetentionPorts, cutoff: Date): Promise<number> {
  const before = cutoff.toISOString();
  let removed = 0;
  let cursor: string | undefined;
  do {
    // Only jobs created before the cutoff can have finished before it.
    const page = await ports.store.list({ createdBefore: before, limit: 100, ...(cursor ? { cursor } : {}) });
    for (const job of page.jobs.filter((candidate) => isTerminal(candidate.status) && (candidate.stoppedAt ?? candidate.createdAt) < before)) {
      try {
        await ports.taskRunner.removeTaskFiles?.(job.id);
      } catch (error) {
        ports.logger.warn('could not remove the files of an expired job; it is kept until the next removal', { jobId: job.id, error: String(error) });
        continue;
      }
      if (await ports.store.delete(job.id)) removed += 1;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (removed > 0) ports.logger.info('removed expired jobs', { removed, finishedBefore: before });
  return removed;
}

/** Every job in one of `statuses`, page by page. */
export async function* jobsWithStatus(ports: JobReadPorts, statuses: readonly JobStatus[]): AsyncGenerator<Job> {
  for (const status of statuses) {
    let cursor: string | undefined;
    do {
      const page = await ports.store.list({ status, limit: 100, ...(cursor ? { cursor } : {}) });
      yield* page.jobs;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
}

async function startWorkflow(ports: SubmitJobPorts, job: Job, secrets: Record<string, string>): Promise<void> {
  try {
    await ports.workflow.start(job.id, secrets);
  } catch (error) {
    ports.logger.error('workflow could not be started', { jobId: job.id, error });
    await ports.store.transition(job.id, 'FAILED', {
      failure: { category: 'INTERNAL', message: 'the job could not be started; submit it again (with a new idempotency key if it had one)' },
      stoppedAt: clockOf(ports)().toISOString(),
    });
    throw error;
  }
}

function alreadyFinished(job: Job): ConflictError {
  return new ConflictError('JOB_ALREADY_FINISHED', `job '${job.id}' has already finished with status ${job.status}`);
}
