/**
 * What follows an attempt that ended without success, for StartTask (a task that did not start) and
 * FinalizeJob (a task that stopped): the job's retry rules (retry.ts) and its profile's capacity
 * (capacity.ts) decide. When another attempt is due, the ended one is recorded on the job
 * (JobStore.endAttempt) and RetryAttemptError thrown: the state machine catches it and starts the
 * next (NextAttempt → StartTask), so only attempts that fail spend state transitions.
 */
import { fallbackCapacity } from '#lib/domain/capacity.ts';
import { RetryAttemptError } from '#lib/domain/errors.ts';
import { isTerminal, type Job, type JobAttempt, type JobPatch } from '#lib/domain/job.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { connectHint } from '#lib/domain/profile.ts';
import { decideRetry, type AttemptEnd } from '#lib/domain/retry.ts';

export type RetryAttemptPorts = Pick<Dependencies, 'store' | 'profiles' | 'logger'>;

export interface EndedAttempt {
  /** What the job's `attempts` keep of it. */
  record: JobAttempt;
  /** What its retry rules are matched against. */
  end: AttemptEnd;
}

/**
 * Attempt `attempt` of the job has ended and another follows it: what a step run again after its
 * first run recorded that finds (it then throws RetryAttemptError again, writing nothing).
 */
export function isRetried(job: Job, attempt: number): boolean {
  return !isTerminal(job.status) && (job.attempts?.length ?? 0) >= attempt;
}

/**
 * Records `ended` and throws RetryAttemptError when another attempt follows it; returns when none
 * does (the caller ends the job as it always has). A job already terminal (cancelled) is never
 * retried; a step run again after its record was written throws again and writes nothing.
 */
export async function retryIfDue(ports: RetryAttemptPorts, job: Job, ended: EndedAttempt, patch: JobPatch = {}): Promise<void> {
  if (isTerminal(job.status)) return;
  const { record, end } = ended;
  const profile = ports.profiles.get(job.profile);
  const fallback = profile ? fallbackCapacity(profile, record) : undefined;
  const decision = decideRetry({ strategy: job.retry, attempt: record.number, end, ...(record.capacity ? { capacity: record.capacity } : {}), ...(fallback ? { fallback } : {}) });
  if (!decision.retry) {
    if (record.number > 1 || job.retry) ports.logger.info('no further attempt', { attempt: record.number, because: decision.because });
    return;
  }
  // The next attempt starts with no task: an interactive job's hint has no host again until it has one.
  const connect = profile && connectHint(profile);
  const next: JobPatch = { exitCode: null, ...(decision.capacity ? { capacity: decision.capacity } : {}), ...(connect ? { connect } : {}), ...patch };
  const { applied, job: current } = await ports.store.endAttempt(job.id, record, next);
  // A cancel came first: the job ends as it is.
  if (!applied && !isRetried(current, record.number)) return;
  ports.logger.info('attempt ended; the next follows', { attempt: record.number, nextAttempt: decision.nextAttempt, because: decision.because, capacity: decision.capacity ?? null });
  throw new RetryAttemptError(job.id, decision.nextAttempt);
}
