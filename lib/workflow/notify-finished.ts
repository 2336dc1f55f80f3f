/**
 * NotifyFinished: tells the job's Slack thread and webhook how it ended. Runs on every path that
 * ends a job; the state machine retries it with backoff while a delivery is pending, and a job's
 * outcome never depends on it. The execution of a job that ended well ends here; after MarkFailed
 * it throws JobFailed, which ends the execution failed.
 */
import { isTerminal } from '#lib/domain/job.ts';
import { JobFailedError, NotificationPendingError } from '#lib/domain/errors.ts';
import { notifyJobEvent, type NotifyPorts } from '#lib/domain/notifications.ts';
import { withLogKeys } from '#lib/logger.ts';
import { loadJob } from './workflow-state.ts';

export type NotifyFinishedPorts = NotifyPorts;

export function notifyFinishedStep(ports: NotifyFinishedPorts) {
  return (input: { jobId: string; error?: unknown }): Promise<void> =>
    withLogKeys({ jobId: input.jobId }, async () => {
      const job = await loadJob(ports.store, input.jobId);
      if (isTerminal(job.status)) {
        const { retry } = await notifyJobEvent(ports, job, 'job.finished');
        if (retry) throw new NotificationPendingError(job.id);
      } else {
        ports.logger.warn('not notifying about a job that has not finished', { status: job.status });
      }
      // A step failed (MarkFailed ran, `error` beside the state): the execution ends failed.
      if (input.error !== undefined) throw new JobFailedError(job.id);
    });
}
