/**
 * The verdict on an attempt whose STOPPED event has come, recorded at once (task-events.ts) so that
 * the job's end shows within seconds of its task's stop, while FinalizeJob still drains the log and
 * records `stoppedAt` (the mark that the job is done with, isFinalized) afterwards. Pure.
 *
 * A stop at a deadline is told by its reason (workflowStopReason), so that one too has its verdict
 * at once: TIMED_OUT, or START_FAILED at the provisioning limit. No verdict when the workflow still
 * has a say: another attempt follows (retry.ts, a Spot fallback), or the workflow stopped the task
 * after an internal error (MarkFailed records that).
 */
import { fallbackCapacity } from './capacity.ts';
import { classifyStop, deadlineStopOf, WORKFLOW_STOP_PREFIX, type StoppedTask, type StopOutcome, type StopRequest } from './classify-stop.ts';
import { currentAttempt } from './job-attempts.ts';
import { isTerminal, LOG_TAIL_LINES, type Job } from './job.ts';
import type { Dependencies, LogReader } from './ports.ts';
import type { Profile } from './profile.ts';
import { decideRetry } from './retry.ts';

/** `stopRequest`: the workflow's, as its state holds it (the event handler reads the state AwaitTask stored). */
export function stopVerdict(profiles: ReadonlyMap<string, Profile>, job: Job, task: StoppedTask, stopRequest: StopRequest | null): StopOutcome | undefined {
  if (isTerminal(job.status)) return undefined;
  const deadline = deadlineStopOf(task, stopRequest);
  if (deadline === undefined && task.stoppedReason?.startsWith(WORKFLOW_STOP_PREFIX)) return undefined;
  const outcome = classifyStop(task, deadline);
  const profile = profiles.get(job.profile);
  const fallback = profile ? fallbackCapacity(profile, { ...(job.capacity ? { capacity: job.capacity } : {}), ...(outcome.failure ? { failure: outcome.failure } : {}) }) : undefined;
  const decision = decideRetry({
    strategy: job.retry,
    attempt: currentAttempt(job),
    end: {
      status: outcome.status,
      exitCode: outcome.exitCode,
      ...(outcome.failure ? { category: outcome.failure.category } : {}),
      ...(task.stoppedReason ? { statusReason: task.stoppedReason } : {}),
      ...(task.containerReason ? { reason: task.containerReason } : {}),
    },
    ...(job.capacity ? { capacity: job.capacity } : {}),
    ...(fallback ? { fallback } : {}),
  });
  return decision.retry ? undefined : outcome;
}

/**
 * Records the verdict on `job`'s stopped task, if one is due now (stopVerdict); the job as it is after.
 * With a log reader, the log tail there is so far goes with it (read without waiting for the log
 * driver to flush: FinalizeJob writes the drained one), so that a job shown finished shows its last
 * lines too; a tail that cannot be read is left to FinalizeJob.
 */
export async function recordStopVerdict(
  ports: Pick<Dependencies, 'store' | 'profiles' | 'logger'> & { logReader?: LogReader },
  job: Job,
  task: StoppedTask,
  stopRequest: StopRequest | null,
): Promise<Job> {
  const verdict = stopVerdict(ports.profiles, job, task, stopRequest);
  if (!verdict) return job;
  const logTail = await ports.logReader?.tail(job, LOG_TAIL_LINES, { waitForFlush: false }).catch((error: unknown) => {
    ports.logger.warn('could not read the log tail at the stop', { jobId: job.id, error: String(error) });
    return undefined;
  });
  const patch = { exitCode: verdict.exitCode, ...(verdict.failure ? { failure: verdict.failure } : {}), ...(logTail && logTail.length > 0 ? { logTail } : {}) };
  const { job: current } = await ports.store.transition(job.id, verdict.status, patch);
  return current;
}
