import type { FailureCategory, JobFailure, JobStatus } from './job.ts';

/** What the task runner saw when the task stopped, reduced to what classification needs. */
export interface StoppedTask {
  stopCode?: string;
  stoppedReason?: string;
  /** The watched container's exit code; null or absent when it never ran or was never reported. */
  exitCode?: number | null;
  /** The watched container's own reason, e.g. `OutOfMemoryError: Container killed due to memory usage`. */
  containerReason?: string;
}

/** Why the workflow itself asked the task to stop, if it did. */
export type StopRequest = 'TIMEOUT' | 'PROVISIONING_TIMEOUT';

/** The start of the reason the workflow gives ECS when it stops a task itself (a deadline, an internal error). */
export const WORKFLOW_STOP_PREFIX = 'fargate-jobs:';
const TIMEOUT_REASON = `${WORKFLOW_STOP_PREFIX} timeout after`;
const PROVISIONING_REASON = `${WORKFLOW_STOP_PREFIX} not running after`;

/**
 * The reason a stop at a deadline gives ECS. The task's STOPPED event carries it back, so whoever
 * sees the event (the event handler, the reconciler, FinalizeJob) knows why the task stopped, not
 * only the execution that asked (stopRequestOf).
 */
export function workflowStopReason(request: StopRequest, seconds: number): string {
  return request === 'TIMEOUT' ? `${TIMEOUT_REASON} ${seconds} s` : `${PROVISIONING_REASON} ${seconds} s of provisioning`;
}

/** The deadline a stopped task's reason says the workflow stopped it at; undefined for any other stop. */
export function stopRequestOf(stoppedReason: string | undefined): StopRequest | undefined {
  if (stoppedReason?.startsWith(TIMEOUT_REASON)) return 'TIMEOUT';
  if (stoppedReason?.startsWith(PROVISIONING_REASON)) return 'PROVISIONING_TIMEOUT';
  return undefined;
}

/**
 * The deadline the task was stopped at: what its own reason says, else what the execution that asked
 * recorded (`asked`, its state's stopRequest; a runner may not report the reason back).
 */
export function deadlineStopOf(task: StoppedTask, asked: StopRequest | null | undefined): StopRequest | undefined {
  return stopRequestOf(task.stoppedReason) ?? asked ?? undefined;
}

export interface StopOutcome {
  status: Extract<JobStatus, 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED'>;
  exitCode: number | null;
  failure?: JobFailure;
}

const STOPPED_REASON_PREFIXES: ReadonlyArray<[string, FailureCategory]> = [
  ['CannotPullContainerError', 'IMAGE_PULL'],
  ['ResourceInitializationError', 'RESOURCE_INIT'],
  ['CannotStartContainerError', 'START_FAILED'],
];

const SPOT_STOP_CODES = new Set(['SpotInterruption', 'TerminationNotice']);

/**
 * Decides the terminal status of a stopped task, in the spirit of ecspresso: a job failed if its task
 * failed to start or the watched container exited non-zero. Pure: the same facts give the same verdict.
 */
export function classifyStop(task: StoppedTask, stopRequest?: StopRequest): StopOutcome {
  const exitCode = typeof task.exitCode === 'number' ? task.exitCode : null;
  const facts = { stopCode: task.stopCode, stoppedReason: task.stoppedReason };
  const failed = (category: FailureCategory, message: string): StopOutcome => ({
    status: 'FAILED',
    exitCode,
    failure: withFacts({ category, message }, facts),
  });

  if (stopRequest === 'TIMEOUT') {
    return {
      status: 'TIMED_OUT',
      exitCode,
      failure: withFacts({ category: 'TIMEOUT', message: 'the job ran past its timeoutSeconds and was stopped' }, facts),
    };
  }
  if (stopRequest === 'PROVISIONING_TIMEOUT') {
    return failed('START_FAILED', 'the task did not start running within the provisioning limit and was stopped');
  }

  const prefixMatch = STOPPED_REASON_PREFIXES.find(([prefix]) => task.stoppedReason?.startsWith(prefix));
  if (prefixMatch) return failed(prefixMatch[1], task.stoppedReason ?? prefixMatch[0]);

  if (task.stopCode && SPOT_STOP_CODES.has(task.stopCode)) {
    return failed('SPOT_INTERRUPTED', 'the capacity running the task was reclaimed (Spot interruption)');
  }
  if (task.containerReason?.startsWith('OutOfMemoryError')) {
    return failed('OOM', `the container ran out of memory: ${task.containerReason}`);
  }
  if (task.stopCode === 'UserInitiated') {
    return {
      status: 'CANCELLED',
      exitCode,
      failure: withFacts({ category: 'CANCELLED', message: task.stoppedReason ?? 'the task was stopped' }, facts),
    };
  }
  if (task.stopCode === 'TaskFailedToStart' && exitCode === null) {
    return failed('START_FAILED', task.stoppedReason ?? 'the task failed to start');
  }
  if (exitCode === 0) return { status: 'SUCCEEDED', exitCode };
  if (exitCode !== null) return failed('USER_EXIT', `the command exited with code ${exitCode}`);
  return failed('INTERNAL', task.stoppedReason ?? 'the task stopped without reporting an exit code');
}

function withFacts(failure: JobFailure, facts: { stopCode?: string | undefined; stoppedReason?: string | undefined }): JobFailure {
  return {
    ...failure,
    ...(facts.stopCode ? { stopCode: facts.stopCode } : {}),
    ...(facts.stoppedReason ? { stoppedReason: facts.stoppedReason } : {}),
  };
}
