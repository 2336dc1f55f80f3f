/**
 * NotifyFinished: tells the job's Slack thread and webhook how it ended. Runs on every path that
 * ends a job; the state machine retries it with backoff while a delivery is pending, and a job's
 * outcome never depends on it.
 */
import { isTerminal } from '#lib/domain/job.ts';
import { NotificationPendingError } from '#lib/domain/errors.ts';
import { notifyJobEvent, type NotifyPorts } from '#lib/domain/notifications.ts';
import { withLogKeys } from '#lib/logger.ts';
import { loadJob } from './workflow-state.ts';

export type NotifyFinishedPorts = NotifyPorts;

export function notifyFinishedStep(ports: NotifyFinishedPorts) {
  return (input: { jobId: string }): Promise<void> =>
    withLogKeys({ jobId: input.jobId }, async () => {
      const job = await loadJob(ports.store, input.jobId);
      if (!isTerminal(job.status)) {
        ports.logger.warn('not notifying about a job that has not finished', { status: job.status });
        return;
      }
      const { retry } = await notifyJobEvent(ports, job, 'job.finished');
      if (retry) throw new NotificationPendingError(job.id);
    });
}
