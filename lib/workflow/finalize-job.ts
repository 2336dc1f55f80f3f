/**
 * FinalizeJob: classifies the stop and stores the exit code, failure, log tail and stop time, tells
 * the job's Slack thread and webhook how it ended, and archives its whole log (archive-log.ts). The
 * last step when nothing fails: a delivery still pending throws NotificationPending (NotifyFinished
 * retries it), an archive not written LogArchivePending (the state retries this step, which then
 * only archives and delivers what is still pending, then goes on to NotifyFinished). When the job's
 * retry rules call for another attempt, it records this one and starts the next instead
 * (retry-attempt.ts).
 */
import { classifyStop, deadlineStopOf, type StopOutcome } from '#lib/domain/classify-stop.ts';
import { LogArchivePendingError, NotificationPendingError, RetryAttemptError, TaskNotFoundError } from '#lib/domain/errors.ts';
import { currentAttempt } from '#lib/domain/job-attempts.ts';
import { isFinalized, LOG_TAIL_LINES, type Job } from '#lib/domain/job.ts';
import { notifyJobEvent } from '#lib/domain/notifications.ts';
import { hasRun } from '#lib/domain/polling.ts';
import { clockOf, type Dependencies, type TaskSnapshot } from '#lib/domain/ports.ts';
import { withLogKeys } from '#lib/logger.ts';
import { archiveJobLog, type ArchiveLogPorts } from './archive-log.ts';
import { isRetried, retryIfDue, type EndedAttempt } from './retry-attempt.ts';
import { loadJob, networkPatch, requireTaskArn, type FinalizeResult, type WorkflowState } from './workflow-state.ts';

/** What a job whose task had gone, with no record of how it stopped, ends as: no guess at an outcome. */
const OUTCOME_UNKNOWN: StopOutcome = {
  status: 'FAILED',
  exitCode: null,
  failure: {
    category: 'OUTCOME_UNKNOWN',
    message: 'the task had gone before its stop was seen (ECS keeps stopped tasks about an hour) and no task-state event recorded how it ended; its logs are kept',
  },
};

export type FinalizeJobPorts = Pick<Dependencies, 'store' | 'taskRunner' | 'logReader' | 'profiles' | 'notifier' | 'logger' | 'now'> & Partial<Pick<ArchiveLogPorts, 'logArchiver'>>;

export function finalizeJobStep(ports: FinalizeJobPorts) {
  return (state: WorkflowState): Promise<FinalizeResult> =>
    withLogKeys({ jobId: state.jobId }, async () => {
      const taskArn = requireTaskArn(state);
      const job = await loadJob(ports.store, state.jobId);
      // Run again after this attempt's end was recorded (the task may have gone since): the next is due.
      if (state.attempt !== undefined && isRetried(job, state.attempt)) throw new RetryAttemptError(job.id, state.attempt + 1);
      // Run again after the job was finalized (its archive pending): what is left is done, nothing twice.
      const final = isFinalized(job) ? job : await recordEnd(ports, state, job, taskArn);
      const { retry } = await notifyJobEvent(ports, final, 'job.finished');
      const archived = await archiveJobLog(ports, final).then(
        () => true,
        (error: unknown) => {
          ports.logger.warn('could not archive the log', { error: String(error) });
          return false;
        },
      );
      // An archive to retry first: the run again also tries again a delivery still pending, and
      // NotifyFinished, where the state goes on after the last retry, keeps trying it.
      if (!archived) throw new LogArchivePendingError(final.id);
      if (retry) throw new NotificationPendingError(final.id);
      return { jobId: final.id, status: final.status, exitCode: final.exitCode };
    });
}

/** Classifies the stop and records it with the drained log tail: the job finalized (or the next attempt due, RetryAttemptError). */
async function recordEnd(ports: FinalizeJobPorts, state: WorkflowState, job: Job, taskArn: string): Promise<Job> {
  const now = clockOf(ports);
  const task = await stoppedTask(ports, job, taskArn);
  const outcome = task ? classifyStop(task, deadlineStopOf(task, state.stopRequest)) : OUTCOME_UNKNOWN;
  // The verdict comes from the task; logs that cannot be read must not turn it into a failure.
  const logTail = await ports.logReader.tail({ ...job, taskArn }, LOG_TAIL_LINES).catch((error: unknown) => {
    ports.logger.warn('could not read the log tail', { error: String(error) });
    return [];
  });
  const reported = {
    exitCode: outcome.exitCode,
    stoppedAt: task?.stoppedAt ?? now().toISOString(),
    logTail,
    // A job cancelled before any poll saw it running still gets its start time and network.
    ...(task && job.startedAt === undefined && hasRun(task) && task.startedAt ? { startedAt: task.startedAt } : {}),
    ...(task && job.network === undefined && task.network ? networkPatch(ports.profiles, job, task.network) : {}),
  };
  await retryIfDue(ports, job, endedAttempt(state, job, task, outcome, reported), { logTail });
  // Already terminal (cancelled while running, or its STOPPED event recorded the verdict): keep that verdict, add what the task reported.
  const { job: final } = await ports.store.transitionOrUpdate(
    job.id,
    outcome.status,
    { ...reported, ...(outcome.failure ? { failure: outcome.failure } : {}) },
    () => reported,
  );
  ports.logger.info('job finished', { status: final.status, exitCode: final.exitCode });
  return final;
}

/** The attempt that stopped, as the job's `attempts` keep it and its retry rules read it. */
function endedAttempt(state: WorkflowState, job: Job, task: TaskSnapshot | undefined, outcome: StopOutcome, reported: { stoppedAt: string; startedAt?: string }): EndedAttempt {
  const startedAt = reported.startedAt ?? job.startedAt;
  const { failure } = outcome;
  return {
    record: {
      // The state's: the job's count has moved on if this step runs again after recording it.
      number: state.attempt ?? currentAttempt(job),
      ...(state.taskArn ? { taskArn: state.taskArn } : {}),
      ...(job.capacity ? { capacity: job.capacity } : {}),
      ...(startedAt ? { startedAt } : {}),
      stoppedAt: reported.stoppedAt,
      exitCode: outcome.exitCode,
      ...(failure ? { failure } : {}),
    },
    end: {
      status: outcome.status,
      exitCode: outcome.exitCode,
      ...(failure ? { category: failure.category } : {}),
      ...(task?.stoppedReason ? { statusReason: task.stoppedReason } : {}),
      ...(task?.containerReason ? { reason: task.containerReason } : {}),
    },
  };
}

/**
 * The stopped task as DescribeTasks tells it, or, once ECS has forgotten it, as its STOPPED event
 * recorded it on the job; undefined when neither knows.
 */
async function stoppedTask(ports: FinalizeJobPorts, job: Job, taskArn: string): Promise<TaskSnapshot | undefined> {
  try {
    return await ports.taskRunner.describeTask(taskArn, { resolveNetwork: false });
  } catch (error) {
    if (!(error instanceof TaskNotFoundError)) throw error;
    const recorded = job.taskState;
    if (recorded?.lastStatus !== 'STOPPED') return undefined;
    const { lastStatus: _status, version: _version, ...stop } = recorded;
    return { taskArn, lastStatus: 'STOPPED', ...stop, exitCode: recorded.exitCode ?? null };
  }
}
