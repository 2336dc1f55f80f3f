/**
 * How the workflow paces its polls and what each poll decides. Pure, so the backoff and the
 * deadlines are tested without waiting.
 */
import type { StopRequest } from './classify-stop.ts';
import type { TaskLastStatus, TaskSnapshot } from './ports.ts';

/** WaitForNetwork's `Seconds` in statemachine/run-job.asl.json (a test keeps them equal). */
export const NETWORK_POLL_SECONDS = 2;
export const FIRST_STOP_POLL_SECONDS = 5;
export const MAX_STOP_POLL_SECONDS = 60;
/** A task still PROVISIONING/PENDING after this long is stopped and the job fails START_FAILED. */
export const PROVISIONING_TIMEOUT_SECONDS = 600;

/** 5 s, 10 s, 20 s, 40 s, then 60 s: about 70 polls in a job-hour instead of 720 at a fixed 5 s. */
export function nextPollDelay(attempt: number): number {
  return Math.min(FIRST_STOP_POLL_SECONDS * 2 ** Math.max(0, attempt), MAX_STOP_POLL_SECONDS);
}

/**
 * The wait before the next poll: the backoff delay, but never sleeping past a deadline by more than
 * the rounding to whole seconds that a Wait state needs.
 */
export function pollDelayBefore(deadline: Date | undefined, now: Date, attempt: number): number {
  const delay = nextPollDelay(attempt);
  if (!deadline) return delay;
  const secondsLeft = Math.ceil((deadline.getTime() - now.getTime()) / 1000);
  return Math.max(1, Math.min(delay, secondsLeft));
}

/** When a task started now is given up on if it has not started running. */
export function provisioningDeadlineFrom(startedAt: Date): string {
  return new Date(startedAt.getTime() + PROVISIONING_TIMEOUT_SECONDS * 1000).toISOString();
}

/** The statuses of a task that has been up: its network is as ready as it will be. */
const RUNNING_OR_LATER: ReadonlySet<TaskLastStatus> = new Set(['RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);

/** The task reached RUNNING at some point: a task stopped before it ever ran has no start time. */
export function hasRun(task: Pick<TaskSnapshot, 'lastStatus' | 'startedAt'>): boolean {
  return task.lastStatus === 'RUNNING' || task.startedAt !== undefined;
}

/** What the workflow knows between two polls of a job's task. */
export interface PollProgress {
  timeoutSeconds: number;
  /** When a task that has not started running is given up on (ISO). */
  provisioningDeadline: string | null;
  /** When the running job has used up its timeoutSeconds (ISO); set once it is seen running. */
  deadline: string | null;
  networkReady: boolean;
  /** Why the workflow already asked the task to stop, if it did. */
  stopRequest: StopRequest | null;
  /** Polls made since the network was ready (the WaitForStop backoff counts these). */
  pollAttempt: number;
}

export interface PollDecision extends PollProgress {
  taskStatus: TaskLastStatus;
  /** A deadline passed and the task must be stopped (the StopTask state runs next). */
  stopNeeded: boolean;
  /** How long WaitForStop waits before the next poll. */
  nextPollSeconds: number;
}

/**
 * What one look at the task means for the workflow: the running deadline once it has started, whether
 * a deadline has passed so the task must be stopped, and how long to wait before looking again.
 */
export function decideNextPoll(progress: PollProgress, task: TaskSnapshot, now: Date): PollDecision {
  const running = hasRun(task);
  const deadline =
    progress.deadline ??
    (running ? new Date(Date.parse(task.startedAt ?? now.toISOString()) + progress.timeoutSeconds * 1000).toISOString() : null);
  const activeDeadline = running ? deadline : progress.provisioningDeadline;
  const deadlinePassed = activeDeadline !== null && now.getTime() >= Date.parse(activeDeadline);
  const stopNeeded = task.lastStatus !== 'STOPPED' && progress.stopRequest === null && deadlinePassed;
  // The WaitForStop backoff counts only polls made once the network is ready, so a slow start
  // does not push the first stop poll out to the 60 s cap.
  const pollAttempt = progress.networkReady ? progress.pollAttempt + 1 : 1;
  return {
    timeoutSeconds: progress.timeoutSeconds,
    provisioningDeadline: progress.provisioningDeadline,
    deadline,
    taskStatus: task.lastStatus,
    networkReady: progress.networkReady || RUNNING_OR_LATER.has(task.lastStatus) || task.network !== undefined,
    stopNeeded,
    stopRequest: stopNeeded ? (running ? 'TIMEOUT' : 'PROVISIONING_TIMEOUT') : progress.stopRequest,
    pollAttempt,
    nextPollSeconds: pollDelayBefore(activeDeadline && progress.stopRequest === null ? new Date(activeDeadline) : undefined, now, pollAttempt - 1),
  };
}
