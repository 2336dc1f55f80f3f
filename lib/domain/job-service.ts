/**
 * The use cases behind the HTTP API, one function each. Each takes the ports it uses (so a Lambda
 * that only reads jobs is given only a store), the request and the caller; handlers parse and
 * respond, these decide.
 */
import { mayUse, profilesVisibleTo, type Caller } from './caller.ts';
import { ConflictError, JobNotFoundError, ProfileForbiddenError, ProfileRejectedError, TaskNotFoundError, TooManyActiveJobsError } from './errors.ts';
import { isJobId, jobIdForIdempotencyKey, newJobId } from './ids.ts';
import { ACTIVE_STATUSES, isTerminal, type Job, type JobStatus } from './job.ts';
import { clockOf, type Dependencies, type JobPage, type LogLine } from './ports.ts';
import { resolveJobRequest, type JobRequest } from './profile.ts';
import { isSameRequest, requestHash } from './request-hash.ts';
import { separateSecrets } from './secrets.ts';

/** A job as a client asks for it: a request to a profile, with labels and perhaps an idempotency key. */
export interface SubmitJobInput extends JobRequest {
  profile: string;
  labels: Record<string, string>;
  idempotencyKey?: string;
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
}

export type SubmitJobPorts = Pick<Dependencies, 'store' | 'workflow' | 'profiles' | 'logger' | 'now' | 'requestHashKey' | 'maxActiveJobsPerToken'>;
export type JobReadPorts = Pick<Dependencies, 'store'>;
export type JobLogPorts = Pick<Dependencies, 'store' | 'logReader'>;
export type CancelJobPorts = Pick<Dependencies, 'store' | 'taskRunner'>;
export type RecoveryPorts = Pick<Dependencies, 'store' | 'taskRunner' | 'logger' | 'now'>;

export async function submitJob(ports: SubmitJobPorts, input: SubmitJobInput, caller: Caller): Promise<SubmitJobResult> {
  // Scope first: a token learns nothing about profiles it may not use, not even whether they exist.
  if (!mayUse(caller, input.profile)) throw new ProfileForbiddenError(caller.name, input.profile, caller.profiles);
  const profile = ports.profiles.get(input.profile);
  if (!profile) {
    throw new ProfileRejectedError('UNKNOWN_PROFILE', `profile '${input.profile}' does not exist`);
  }
  const resolved = resolveJobRequest(profile, input);
  // Secret values are never stored: the record keeps `***`, the workflow carries the values.
  const { stored: storedEnv, secrets } = separateSecrets(profile, resolved.env);
  const request = { ...input, idempotencyKey: undefined };
  const now = clockOf(ports)();
  const createdAt = now.toISOString();
  const id = input.idempotencyKey ? jobIdForIdempotencyKey(caller.name, input.idempotencyKey) : newJobId(now);
  await checkActiveJobLimit(ports, caller, id);
  const job: Job = {
    id,
    profile: profile.name,
    command: resolved.command,
    env: storedEnv,
    publicIp: resolved.publicIp,
    ...(resolved.cpu === undefined ? {} : { cpu: resolved.cpu }),
    ...(resolved.memory === undefined ? {} : { memory: resolved.memory }),
    timeoutSeconds: resolved.timeoutSeconds,
    labels: input.labels,
    status: 'QUEUED',
    createdAt,
    updatedAt: createdAt,
    exitCode: null,
    logTail: [],
    submittedBy: caller.name,
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

/** Newest first, only jobs of profiles in the caller's scope; asking for another profile is a 403. */
export async function listJobs(
  ports: JobReadPorts,
  query: { status?: JobStatus; profile?: string; limit: number; cursor?: string },
  caller: Caller,
): Promise<JobPage> {
  const { profile, ...rest } = query;
  if (profile !== undefined && !mayUse(caller, profile)) throw new ProfileForbiddenError(caller.name, profile, caller.profiles);
  const profiles = profile === undefined ? profilesVisibleTo(caller) : [profile];
  return ports.store.list({ ...rest, ...(profiles ? { profiles } : {}) });
}

export async function readJobLogs(ports: JobLogPorts, jobId: string, options: { cursor?: string; limit: number }, caller: Caller): Promise<JobLogs> {
  const job = await getJob(ports, jobId, caller);
  const page = await ports.logReader.read(job, options);
  return { lines: page.lines, nextCursor: page.nextCursor, complete: isFinalized(job) && page.atEnd };
}

/**
 * Cancels a job that has not finished: records CANCELLED first, then stops its task. The job is
 * not final yet: its workflow sets `stoppedAt` once the task has stopped and its logs are stored
 * (or at once if it never started one), so a client following the logs misses nothing.
 *
 * The workflow's execution is deliberately left running rather than stopped (StopExecution): it
 * sees the task stop at its next poll and finalizes the job. Stopping it would leave the job
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

/**
 * After the runner died (e.g. the local server stopped), marks the jobs that were active FAILED and
 * finalizes the cancelled ones whose workflow never recorded the stop, so that no job is left
 * RUNNING or unfinished forever. A task that outlived the runner (a Fargate task keeps running) is
 * stopped: nothing would watch it any more. Returns how many active jobs were marked FAILED.
 */
export async function recoverInterruptedJobs(ports: RecoveryPorts, message: string): Promise<number> {
  const stoppedAt = clockOf(ports)().toISOString();
  let marked = 0;
  for await (const job of jobsWithStatus(ports, ACTIVE_STATUSES)) {
    const { applied } = await ports.store.transition(job.id, 'FAILED', {
      failure: { category: 'INTERNAL', message },
      stoppedAt,
    });
    if (!applied) continue;
    marked += 1;
    await stopUnwatchedTask(ports, job, message);
  }
  for await (const job of jobsWithStatus(ports, ['CANCELLED'])) {
    if (job.stoppedAt === undefined) await ports.store.update(job.id, { stoppedAt });
  }
  return marked;
}

/**
 * Stops the task of a job that nothing will watch any more, as far as it can: a task the runner no
 * longer knows (a local process that died with the server) needs no stop, and one that cannot be
 * stopped now is logged, not allowed to stop the others.
 */
export async function stopUnwatchedTask(ports: Pick<Dependencies, 'taskRunner' | 'logger'>, job: Job, reason: string): Promise<void> {
  if (!job.taskArn) return;
  try {
    await ports.taskRunner.stopTask(job.taskArn, reason);
  } catch (error) {
    if (!(error instanceof TaskNotFoundError)) ports.logger.warn('could not stop the task of a job', { jobId: job.id, taskArn: job.taskArn, error: String(error) });
  }
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

/** Terminal and done with: the workflow (or cancel) has recorded when it stopped. */
export function isFinalized(job: Job): boolean {
  return isTerminal(job.status) && job.stoppedAt !== undefined;
}

function alreadyFinished(job: Job): ConflictError {
  return new ConflictError('JOB_ALREADY_FINISHED', `job '${job.id}' has already finished with status ${job.status}`);
}
