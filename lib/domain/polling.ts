/**
 * How the workflow paces its polls and what each poll decides. Pure, so the backoff and the
 * deadlines are tested without waiting.
 */
import type { StopRequest } from './classify-stop.ts';
import type { TaskLastStatus, TaskSnapshot } from './ports.ts';

/**
 * The longest an execution waits for its task's STOPPED event before it looks itself (belt and
 * braces: the reconciler repairs a lost event within minutes, so an execution's cost does not grow
 * with the job's length). Two hours: a job of up to an hour, with its provisioning, is never looked at.
 */
export const SAFETY_NET_SECONDS = 7200;
/**
 * A task still PROVISIONING/PENDING after this long is stopped and the job fails START_FAILED: by the
 * reconciler's next run (reconcile.ts; the execution is not woken for it), or by PollTask if it looks first.
 */
export const PROVISIONING_TIMEOUT_SECONDS = 600;

/**
 * How long AwaitTask waits for the task's next event: until the deadline that applies (whole seconds,
 * at least 1, as a Task state's timeout must be), and never longer than SAFETY_NET_SECONDS.
 */
export function waitSecondsBefore(deadline: Date | undefined, now: Date): number {
  if (!deadline) return SAFETY_NET_SECONDS;
  const secondsLeft = Math.ceil((deadline.getTime() - now.getTime()) / 1000);
  return Math.max(1, Math.min(SAFETY_NET_SECONDS, secondsLeft));
}

/**
 * How long AwaitTask waits after StartTask: until the earliest the job's timeout can pass (it counts
 * from when the task runs, which is later), at most the safety net. Only the task's STOPPED event
 * wakes the execution, so a job that ends before then costs no look; one still running then is looked
 * at once, and waited for until its real deadline (decideNextPoll).
 */
export function firstWaitSeconds(timeoutSeconds: number): number {
  return Math.max(1, Math.min(SAFETY_NET_SECONDS, timeoutSeconds));
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
}

export interface PollDecision extends PollProgress {
  taskStatus: TaskLastStatus;
  /** A deadline passed and the task must be stopped (the StopTask state runs next). */
  stopNeeded: boolean;
  /** How long AwaitTask waits for the task's STOPPED event before PollTask looks. */
  waitSeconds: number;
}

/**
 * What one look at the task (a poll, or an event) means for the workflow: the running deadline once
 * it has started, whether a deadline has passed so the task must be stopped, and how long to wait
 * for the next event.
 */
export function decideNextPoll(progress: PollProgress, task: TaskSnapshot, now: Date): PollDecision {
  const running = hasRun(task);
  const deadline =
    progress.deadline ??
    (running ? new Date(Date.parse(task.startedAt ?? now.toISOString()) + progress.timeoutSeconds * 1000).toISOString() : null);
  const activeDeadline = running ? deadline : progress.provisioningDeadline;
  const deadlinePassed = activeDeadline !== null && now.getTime() >= Date.parse(activeDeadline);
  const stopNeeded = task.lastStatus !== 'STOPPED' && progress.stopRequest === null && deadlinePassed;
  return {
    timeoutSeconds: progress.timeoutSeconds,
    provisioningDeadline: progress.provisioningDeadline,
    deadline,
    taskStatus: task.lastStatus,
    networkReady: progress.networkReady || RUNNING_OR_LATER.has(task.lastStatus) || task.network !== undefined,
    stopNeeded,
    stopRequest: stopNeeded ? (running ? 'TIMEOUT' : 'PROVISIONING_TIMEOUT') : progress.stopRequest,
    // Once a stop is asked for, only its STOPPED event (or the safety net) is waited for.
    waitSeconds: waitSecondsBefore(activeDeadline && progress.stopRequest === null && !stopNeeded ? new Date(activeDeadline) : undefined, now),
  };
}
