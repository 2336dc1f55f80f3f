/**
 * The use cases behind the HTTP API. Handlers parse and respond; this decides.
 */
import { createHash } from 'node:crypto';
import { mayUse, profilesVisibleTo, type Caller } from './caller.ts';
import { ConflictError, JobNotFoundError, ProfileForbiddenError, ProfileRejectedError } from './errors.ts';
import { isJobId, jobIdForIdempotencyKey, newJobId } from './ids.ts';
import { ACTIVE_STATUSES, isTerminal, type Job, type JobStatus } from './job.ts';
import type { JobPage, JobStore, LogLine, LogReader, TaskRunner, Workflow } from './ports.ts';
import { resolveJobRequest, separateSecrets, type Profile } from './profile.ts';
import type { Logger } from './logger.ts';

export interface SubmitJobInput {
  profile: string;
  command: string[] | string;
  env: Record<string, string>;
  cpu?: number;
  memory?: number;
  timeoutSeconds?: number;
  publicIp?: boolean;
  sshPublicKey?: string;
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

export interface JobServiceDependencies {
  store: JobStore;
  taskRunner: TaskRunner;
  logReader: LogReader;
  workflow: Workflow;
  profiles: ReadonlyMap<string, Profile>;
  logger: Logger;
  now?: () => Date;
}

export class JobService {
  readonly #deps: JobServiceDependencies;
  readonly #now: () => Date;

  constructor(deps: JobServiceDependencies) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  async submit(input: SubmitJobInput, caller: Caller): Promise<SubmitJobResult> {
    // Scope first: a token learns nothing about profiles it may not use, not even whether they exist.
    if (!mayUse(caller, input.profile)) throw new ProfileForbiddenError(caller.name, input.profile, caller.profiles);
    const profile = this.#deps.profiles.get(input.profile);
    if (!profile) {
      throw new ProfileRejectedError('UNKNOWN_PROFILE', `profile '${input.profile}' does not exist`);
    }
    const resolved = resolveJobRequest(profile, input);
    // Secret values are never stored: the record keeps `***`, the workflow carries the values.
    const { stored: storedEnv, secrets } = separateSecrets(profile, resolved.env);
    const requestHash = hashRequest({ ...input, idempotencyKey: undefined });
    const now = this.#now().toISOString();
    const id = input.idempotencyKey ? jobIdForIdempotencyKey(caller.name, input.idempotencyKey) : newJobId(this.#now());
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
      createdAt: now,
      updatedAt: now,
      exitCode: null,
      logTail: [],
      submittedBy: caller.name,
      requestHash,
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    };

    const { created, job: stored } = await this.#deps.store.create(job);
    if (!created && stored.requestHash !== requestHash) {
      throw new ConflictError(
        'IDEMPOTENCY_KEY_REUSED',
        `idempotency key '${input.idempotencyKey}' was already used for a different request (job ${stored.id})`,
      );
    }
    // A replay of a job still QUEUED starts the workflow again: starting is idempotent per job id,
    // and it recovers a first attempt that stored the job but failed to start its workflow.
    if (created || stored.status === 'QUEUED') await this.#startWorkflow(stored, secrets);
    return { created, job: created ? stored : ((await this.#deps.store.get(stored.id)) ?? stored) };
  }

  /** A job of a profile outside the caller's scope is as absent as one that does not exist. */
  async get(jobId: string, caller: Caller): Promise<Job> {
    const job = isJobId(jobId) ? await this.#deps.store.get(jobId) : undefined;
    if (!job || !mayUse(caller, job.profile)) throw new JobNotFoundError(jobId);
    return job;
  }

  /** Newest first, only jobs of profiles in the caller's scope; asking for another profile is a 403. */
  async list(query: { status?: JobStatus; profile?: string; limit: number; cursor?: string }, caller: Caller): Promise<JobPage> {
    const { profile, ...rest } = query;
    if (profile !== undefined && !mayUse(caller, profile)) throw new ProfileForbiddenError(caller.name, profile, caller.profiles);
    const profiles = profile === undefined ? profilesVisibleTo(caller) : [profile];
    return this.#deps.store.list({ ...rest, ...(profiles ? { profiles } : {}) });
  }

  async readLogs(jobId: string, options: { cursor?: string; limit: number }, caller: Caller): Promise<JobLogs> {
    const job = await this.get(jobId, caller);
    const page = await this.#deps.logReader.read(job, options);
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
  async cancel(jobId: string, caller: Caller): Promise<Job> {
    const job = await this.get(jobId, caller);
    if (isTerminal(job.status)) throw alreadyFinished(job);
    const message = `cancelled by ${caller.name}`;
    const { applied, job: cancelled } = await this.#deps.store.transition(jobId, 'CANCELLED', {
      failure: { category: 'CANCELLED', message },
    });
    if (!applied) throw alreadyFinished(cancelled);
    if (cancelled.taskArn) await this.#deps.taskRunner.stopTask(cancelled.taskArn, message);
    return cancelled;
  }

  /**
   * After the runner died (e.g. the local server stopped), marks the jobs that were active FAILED and
   * finalizes the cancelled ones whose workflow never recorded the stop, so that no job is left
   * RUNNING or unfinished forever. Returns how many active jobs were marked FAILED.
   */
  async recoverInterruptedJobs(message: string): Promise<number> {
    const stoppedAt = this.#now().toISOString();
    let marked = 0;
    for await (const job of this.#jobsWithStatus(ACTIVE_STATUSES)) {
      const { applied } = await this.#deps.store.transition(job.id, 'FAILED', {
        failure: { category: 'INTERNAL', message },
        stoppedAt,
      });
      if (applied) marked += 1;
    }
    for await (const job of this.#jobsWithStatus(['CANCELLED'])) {
      if (job.stoppedAt === undefined) await this.#deps.store.update(job.id, { stoppedAt });
    }
    return marked;
  }

  async *#jobsWithStatus(statuses: readonly JobStatus[]): AsyncGenerator<Job> {
    for (const status of statuses) {
      let cursor: string | undefined;
      do {
        const page = await this.#deps.store.list({ status, limit: 100, ...(cursor ? { cursor } : {}) });
        yield* page.jobs;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
  }

  async #startWorkflow(job: Job, secrets: Record<string, string>): Promise<void> {
    try {
      await this.#deps.workflow.start(job.id, secrets);
    } catch (error) {
      this.#deps.logger.error('workflow could not be started', { jobId: job.id, error });
      await this.#deps.store.transition(job.id, 'FAILED', {
        failure: { category: 'INTERNAL', message: 'the job could not be started; submit it again (with a new idempotency key if it had one)' },
        stoppedAt: this.#now().toISOString(),
      });
      throw error;
    }
  }
}

/** Terminal and done with: the workflow (or cancel) has recorded when it stopped. */
export function isFinalized(job: Job): boolean {
  return isTerminal(job.status) && job.stoppedAt !== undefined;
}

function alreadyFinished(job: Job): ConflictError {
  return new ConflictError('JOB_ALREADY_FINISHED', `job '${job.id}' has already finished with status ${job.status}`);
}

/** A stable hash of a request: same fields and values give the same hash whatever the key order. */
export function hashRequest(request: object): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
