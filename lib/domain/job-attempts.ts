/**
 * A job's attempts (retry.ts): which one is current, whether the next is about to start, what an
 * ended one leaves on the job, and how log lines say whose they are.
 */
import { isTerminal, type Job } from './job.ts';

/** The number of the job's current attempt (1-based): the one running, about to start, or the last. */
export function currentAttempt(job: Pick<Job, 'attempts'>): number {
  return (job.attempts?.length ?? 0) + 1;
}

/**
 * An attempt ended and the next has no task yet: the job waits for it to start (its status stays
 * what it was, RUNNING once an attempt ran).
 */
export function isRetrying(job: Pick<Job, 'attempts' | 'status' | 'taskArn'>): boolean {
  return (job.attempts?.length ?? 0) > 0 && job.taskArn === undefined && !isTerminal(job.status);
}

/**
 * What an attempt that ended leaves on the job until the next starts: its own record is appended to
 * `attempts`, and these fields, which described its task, are cleared (JobStore.endAttempt), so that
 * the next task's events are kept aside until StartTask records it, as the first's were.
 */
export const ATTEMPT_FIELDS = ['taskArn', 'process', 'taskState', 'earlyTaskStates', 'network', 'startedAt', 'failure', 'waitToken', 'waitState'] as const satisfies ReadonlyArray<keyof Job>;

/**
 * The `attempt` a log line of `job` carries: the attempt that wrote it (`written`, 1 when the reader
 * knows none) once the job has had more than one; none before, so a job never retried reads as it
 * always did.
 */
export function logAttempt(job: Pick<Job, 'attempts'>, written: number | undefined): { attempt?: number } {
  return (job.attempts?.length ?? 0) > 0 ? { attempt: written ?? 1 } : {};
}
