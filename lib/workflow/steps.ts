/**
 * The steps of `statemachine/run-job.asl.json`, one function per Task state. Each takes the
 * workflow state and returns the next one, and writes the job record as it goes so that
 * `GET /jobs/{id}` is current without reading the workflow.
 */
import { classifyStop, type StopRequest } from '#lib/domain/classify-stop.ts';
import { JobRecordMissingError } from '#lib/domain/errors.ts';
import { isTerminal, type Job, type JobNetwork } from '#lib/domain/job.ts';
import type { Logger } from '#lib/domain/logger.ts';
import { DEFAULT_PROVISIONING_TIMEOUT_SECONDS, pollDelayBefore, FIRST_STOP_POLL_SECONDS } from '#lib/domain/polling.ts';
import type { JobStore, LogReader, TaskLastStatus, TaskRunner, TaskSnapshot } from '#lib/domain/ports.ts';
import { connectHint, REDACTED, type Profile } from '#lib/domain/profile.ts';

/** The JSON that flows between states. Every field the Choice states read is always present. */
export interface WorkflowState {
  jobId: string;
  started: boolean;
  taskArn: string | null;
  timeoutSeconds: number;
  /** When a task that has not started running is given up on (ISO). */
  provisioningDeadline: string | null;
  /** When the running job has used up its timeoutSeconds (ISO); set once it is seen running. */
  deadline: string | null;
  taskStatus: TaskLastStatus | null;
  networkReady: boolean;
  /** A deadline passed and the task must be stopped (the StopTask state runs next). */
  stopNeeded: boolean;
  stopRequest: StopRequest | null;
  pollAttempt: number;
  nextPollSeconds: number;
}

/** What a Catch hands MarkFailed: the state the failing step got, plus the error. */
export interface FailedWorkflowState extends Partial<WorkflowState> {
  jobId: string;
  error?: { Error?: string; Cause?: string };
}

export interface FinalizeResult {
  jobId: string;
  status: Job['status'];
  exitCode: number | null;
}

export interface StepDependencies {
  store: JobStore;
  taskRunner: TaskRunner;
  logReader: LogReader;
  /** For the connect hint of interactive profiles. */
  profiles: ReadonlyMap<string, Profile>;
  logger: Logger;
  now?: () => Date;
  logTailLines?: number;
  provisioningTimeoutSeconds?: number;
}

export interface Steps {
  /** `secretEnv`: the values of variables the job record holds as `***` (the execution's input). */
  startTask(input: { jobId: string; secretEnv?: Record<string, string> }): Promise<WorkflowState>;
  pollTask(state: WorkflowState): Promise<WorkflowState>;
  stopTask(state: WorkflowState): Promise<WorkflowState>;
  finalizeJob(state: WorkflowState): Promise<FinalizeResult>;
  markFailed(state: FailedWorkflowState): Promise<FinalizeResult>;
}

const DEFAULT_LOG_TAIL_LINES = 20;
const RUNNING_OR_LATER: ReadonlySet<TaskLastStatus> = new Set(['RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);

export function createSteps(deps: StepDependencies): Steps {
  const now = deps.now ?? (() => new Date());
  const logTailLines = deps.logTailLines ?? DEFAULT_LOG_TAIL_LINES;
  const provisioningTimeoutSeconds = deps.provisioningTimeoutSeconds ?? DEFAULT_PROVISIONING_TIMEOUT_SECONDS;

  async function loadJob(jobId: string): Promise<Job> {
    const job = await deps.store.get(jobId);
    if (!job) throw new JobRecordMissingError(jobId);
    return job;
  }

  function notStarted(job: Job): WorkflowState {
    return {
      jobId: job.id,
      started: false,
      taskArn: null,
      timeoutSeconds: job.timeoutSeconds,
      provisioningDeadline: null,
      deadline: null,
      taskStatus: null,
      networkReady: false,
      stopNeeded: false,
      stopRequest: null,
      pollAttempt: 0,
      nextPollSeconds: 0,
    };
  }

  return {
    async startTask({ jobId, secretEnv = {} }) {
      const job = await loadJob(jobId);
      // Cancelled before its task was started: nothing to run, and nothing to wait for.
      if (isTerminal(job.status)) {
        if (job.stoppedAt === undefined) await deps.store.update(job.id, { stoppedAt: now().toISOString() });
        return notStarted(job);
      }

      const { profile, command, publicIp, cpu, memory } = job;
      const env = withSecrets(job.env, secretEnv);
      const result = await deps.taskRunner.runTask({ jobId: job.id, profile, command, env, publicIp, cpu, memory });
      if (!result.started) {
        await deps.store.transition(job.id, 'FAILED', {
          failure: result.failure,
          exitCode: null,
          stoppedAt: now().toISOString(),
        });
        deps.logger.info('task did not start', { jobId, failure: result.failure });
        return notStarted(job);
      }

      const { applied, job: current } = await deps.store.transition(job.id, 'PROVISIONING', { taskArn: result.taskArn });
      if (!applied) {
        // Cancelled while the task was being started: stop it, and let the loop drain its logs.
        await deps.store.update(job.id, { taskArn: result.taskArn });
        await deps.taskRunner.stopTask(result.taskArn, current.failure?.message ?? `job is already ${current.status}`);
      }
      const startedAt = now();
      return {
        ...notStarted(job),
        started: true,
        taskArn: result.taskArn,
        provisioningDeadline: new Date(startedAt.getTime() + provisioningTimeoutSeconds * 1000).toISOString(),
        taskStatus: 'PROVISIONING',
      };
    },

    async pollTask(state) {
      const taskArn = requireTaskArn(state);
      const job = await loadJob(state.jobId);
      // Addresses are looked up until known: a public IP, once seen, does not change.
      const resolveNetwork = !state.networkReady || (job.publicIp && !job.network?.publicIp);
      const task = await deps.taskRunner.describeTask(taskArn, { resolveNetwork });
      await recordProgress(job, task);

      const current = now();
      const running = hasRun(task);
      const deadline =
        state.deadline ??
        (running ? new Date(Date.parse(task.startedAt ?? current.toISOString()) + state.timeoutSeconds * 1000).toISOString() : null);
      const activeDeadline = running ? deadline : state.provisioningDeadline;
      const deadlinePassed = activeDeadline !== null && current.getTime() >= Date.parse(activeDeadline);
      const stopNeeded = task.lastStatus !== 'STOPPED' && state.stopRequest === null && deadlinePassed;
      // The WaitForStop backoff counts only polls made once the network is ready, so a slow start
      // does not push the first stop poll out to the 60 s cap.
      const attempt = state.networkReady ? state.pollAttempt + 1 : 1;

      return {
        ...state,
        deadline,
        taskStatus: task.lastStatus,
        networkReady: state.networkReady || RUNNING_OR_LATER.has(task.lastStatus) || task.network !== undefined,
        stopNeeded,
        stopRequest: stopNeeded ? (running ? 'TIMEOUT' : 'PROVISIONING_TIMEOUT') : state.stopRequest,
        pollAttempt: attempt,
        nextPollSeconds: pollDelayBefore(
          activeDeadline && state.stopRequest === null ? new Date(activeDeadline) : undefined,
          current,
          attempt - 1,
        ),
      };
    },

    async stopTask(state) {
      const taskArn = requireTaskArn(state);
      const reason =
        state.stopRequest === 'PROVISIONING_TIMEOUT'
          ? `fargate-jobs: not running after ${provisioningTimeoutSeconds} s of provisioning`
          : `fargate-jobs: timeout after ${state.timeoutSeconds} s`;
      await deps.taskRunner.stopTask(taskArn, reason);
      deps.logger.info('stopped task past its deadline', { jobId: state.jobId, reason });
      return { ...state, stopNeeded: false, pollAttempt: 0, nextPollSeconds: FIRST_STOP_POLL_SECONDS };
    },

    async finalizeJob(state) {
      const taskArn = requireTaskArn(state);
      const task = await deps.taskRunner.describeTask(taskArn, { resolveNetwork: false });
      const job = await loadJob(state.jobId);
      const outcome = classifyStop(task, state.stopRequest ?? undefined);
      // The verdict comes from the task; logs that cannot be read must not turn it into a failure.
      const logTail = await deps.logReader.tail({ ...job, taskArn }, logTailLines).catch((error: unknown) => {
        deps.logger.warn('could not read the log tail', { jobId: job.id, error: String(error) });
        return [];
      });
      const reported = {
        exitCode: outcome.exitCode,
        stoppedAt: task.stoppedAt ?? now().toISOString(),
        logTail,
        // A job cancelled before any poll saw it running still gets its start time and network.
        ...(job.startedAt === undefined && hasRun(task) && task.startedAt ? { startedAt: task.startedAt } : {}),
        ...(job.network === undefined && task.network ? networkPatch(job, task.network) : {}),
      };
      const { applied, job: finished } = await deps.store.transition(job.id, outcome.status, {
        ...reported,
        ...(outcome.failure ? { failure: outcome.failure } : {}),
      });
      // Already terminal (cancelled while running): keep that verdict, add what the task reported.
      const final = applied ? finished : await deps.store.update(job.id, reported);
      deps.logger.info('job finished', { jobId: job.id, status: final.status, exitCode: final.exitCode });
      return { jobId: final.id, status: final.status, exitCode: final.exitCode };
    },

    async markFailed(state) {
      deps.logger.error('workflow step failed', { jobId: state.jobId, error: state.error });
      if (state.taskArn) {
        await deps.taskRunner.stopTask(state.taskArn, 'fargate-jobs: internal error').catch((error: unknown) => {
          deps.logger.warn('could not stop the task after an internal error', { jobId: state.jobId, error });
        });
      }
      const errorName = state.error?.Error ?? 'unknown';
      const { job } = await deps.store.transition(state.jobId, 'FAILED', {
        failure: { category: 'INTERNAL', message: `the job runner hit an internal error (${errorName})` },
        stoppedAt: now().toISOString(),
      });
      if (job.stoppedAt === undefined) await deps.store.update(job.id, { stoppedAt: now().toISOString() });
      return { jobId: job.id, status: job.status, exitCode: job.exitCode };
    },
  };

  /** Writes what changed since the last poll: RUNNING with its start time, and the network (and connect hint) once known. */
  async function recordProgress(job: Job, task: TaskSnapshot): Promise<void> {
    const seen = task.network && mergeNetwork(job.network, task.network);
    const network: Partial<ReturnType<typeof networkPatch>> = seen && !sameNetwork(job.network, seen) ? networkPatch(job, seen) : {};
    if (hasRun(task) && (job.status === 'QUEUED' || job.status === 'PROVISIONING')) {
      await deps.store.transition(job.id, 'RUNNING', { startedAt: task.startedAt ?? now().toISOString(), ...network });
    } else if (network.network && !isTerminal(job.status)) {
      await deps.store.update(job.id, network);
    }
  }

  function networkPatch(job: Job, network: JobNetwork): { network: JobNetwork; connect?: Job['connect'] } {
    const profile = deps.profiles.get(job.profile);
    const connect = profile && network.publicIp ? connectHint(profile, network.publicIp) : undefined;
    return { network, ...(connect ? { connect } : {}) };
  }
}

/** Restores redacted values; only variables the record holds as `***` can be filled this way. */
function withSecrets(env: Record<string, string>, secretEnv: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, value === REDACTED ? (secretEnv[name] ?? value) : value]),
  );
}

/** The task reached RUNNING at some point: a task stopped before it ever ran has no start time. */
function hasRun(task: TaskSnapshot): boolean {
  return task.lastStatus === 'RUNNING' || task.startedAt !== undefined;
}

function requireTaskArn(state: WorkflowState): string {
  if (!state.taskArn) throw new Error(`workflow state for job ${state.jobId} has no taskArn`);
  return state.taskArn;
}

/** What a poll saw, without forgetting an address seen before (a stopping task's interface is deleted). */
function mergeNetwork(known: JobNetwork | undefined, seen: JobNetwork): JobNetwork {
  const eniId = seen.eniId ?? known?.eniId;
  const privateIp = seen.privateIp ?? known?.privateIp;
  return { ...(eniId ? { eniId } : {}), ...(privateIp ? { privateIp } : {}), publicIp: seen.publicIp ?? known?.publicIp ?? null };
}

function sameNetwork(a: JobNetwork | undefined, b: JobNetwork): boolean {
  return a?.eniId === b.eniId && a?.privateIp === b.privateIp && (a?.publicIp ?? null) === (b.publicIp ?? null);
}
