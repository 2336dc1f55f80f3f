/**
 * The verdict on an attempt whose STOPPED event has come, recorded at once (task-events.ts) so that
 * the job's end shows within seconds of its task's stop, while FinalizeJob still drains the log and
 * records `stoppedAt` (the mark that the job is done with, isFinalized) afterwards. Pure.
 *
 * No verdict when the workflow still has a say: another attempt follows (retry.ts, a Spot
 * fallback), or the workflow itself stopped the task at a deadline (only its state knows whether
 * that was the timeout or the provisioning limit), so FinalizeJob decides as it always has.
 */
import { fallbackCapacity } from './capacity.ts';
import { classifyStop, type StoppedTask, type StopOutcome, type StopRequest } from './classify-stop.ts';
import { currentAttempt } from './job-attempts.ts';
import { isTerminal, type Job } from './job.ts';
import type { Dependencies } from './ports.ts';
import type { Profile } from './profile.ts';
import { decideRetry } from './retry.ts';

/** The start of the reason StopTask (and MarkFailed) gives ECS when it stops a task at a deadline (stop-task.ts). */
export const WORKFLOW_STOP_PREFIX = 'fargate-jobs:';

/** `stopRequest`: the workflow's, as its state holds it (the event handler reads the state AwaitTask stored). */
export function stopVerdict(profiles: ReadonlyMap<string, Profile>, job: Job, task: StoppedTask, stopRequest: StopRequest | null): StopOutcome | undefined {
  if (isTerminal(job.status)) return undefined;
  if (stopRequest !== null || task.stoppedReason?.startsWith(WORKFLOW_STOP_PREFIX)) return undefined;
  const outcome = classifyStop(task);
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

/** Records the verdict on `job`'s stopped task, if one is due now (stopVerdict); the job as it is after. */
export async function recordStopVerdict(ports: Pick<Dependencies, 'store' | 'profiles'>, job: Job, task: StoppedTask, stopRequest: StopRequest | null): Promise<Job> {
  const verdict = stopVerdict(ports.profiles, job, task, stopRequest);
  if (!verdict) return job;
  const { job: current } = await ports.store.transition(job.id, verdict.status, { exitCode: verdict.exitCode, ...(verdict.failure ? { failure: verdict.failure } : {}) });
  return current;
}
