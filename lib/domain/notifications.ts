/**
 * Telling those who follow a job (its Slack thread, its webhook) about its events, and keeping a
 * record of every attempt on the job. The Notifier delivers; this decides what is recorded and
 * whether the workflow should try again. A notification never changes a job's outcome.
 */
import { MAX_NOTIFICATION_ATTEMPTS, type Job, type JobEvent, type NotificationAttempt } from './job.ts';
import type { Dependencies } from './ports.ts';

export type NotifyPorts = Pick<Dependencies, 'store' | 'notifier' | 'logger'>;

export interface NotifyResult {
  /** The job as recorded after the attempts (with the Slack message's `ts`, where one was posted). */
  job: Job;
  /** A delivery failed that is worth trying again. */
  retry: boolean;
}

/**
 * Notifies about `event` and records the attempts on the job. A notifier that throws is logged and
 * treated as nothing delivered and nothing to retry: the job must never fail for its notifications.
 */
export async function notifyJobEvent(ports: NotifyPorts, job: Job, event: JobEvent): Promise<NotifyResult> {
  let outcome;
  try {
    outcome = await ports.notifier.notify(job, event);
  } catch (error) {
    ports.logger.error('could not notify about a job', { jobId: job.id, event, error: String(error) });
    return { job, retry: false };
  }
  for (const attempt of outcome.attempts.filter((candidate) => !candidate.delivered)) {
    ports.logger.warn('a notification was not delivered', { jobId: job.id, ...attempt });
  }
  if (outcome.attempts.length === 0 && outcome.patch === undefined) return { job, retry: outcome.retry };
  const notifications = [...(job.notifications ?? []), ...outcome.attempts].slice(-MAX_NOTIFICATION_ATTEMPTS);
  const recorded = await ports.store.update(job.id, { ...outcome.patch, ...(outcome.attempts.length > 0 ? { notifications } : {}) });
  return { job: recorded, retry: outcome.retry };
}

/** Whether an earlier attempt on `channel` delivered `event` (a retry must not send it twice). */
export function wasDelivered(job: Job, channel: NotificationAttempt['channel'], event: JobEvent): boolean {
  return (job.notifications ?? []).some((attempt) => attempt.channel === channel && attempt.event === event && attempt.delivered);
}

/** The next attempt on `channel` to deliver `event`, made at `at`, before its result is known. */
export function newAttempt(job: Job, channel: NotificationAttempt['channel'], event: JobEvent, at: Date): Omit<NotificationAttempt, 'delivered'> {
  return { channel, event, attempt: nextAttempt(job, channel, event), time: at.toISOString() };
}

/** The number of the next attempt on `channel` to deliver `event`. */
function nextAttempt(job: Job, channel: NotificationAttempt['channel'], event: JobEvent): number {
  const earlier = (job.notifications ?? []).filter((attempt) => attempt.channel === channel && attempt.event === event);
  return Math.max(0, ...earlier.map((attempt) => attempt.attempt)) + 1;
}
