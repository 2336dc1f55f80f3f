/**
 * A schedule's fire: the one submit path of both schedulers (the local one's timers, and AWS's fire
 * function that EventBridge Scheduler invokes). Each fire is a normal job, submitted as the
 * schedule's creator with the label `schedule=<name>` and the idempotency key of the schedule's name
 * and fire time, so a fire delivered twice (EventBridge delivers at least once) makes one job.
 *
 * The creator is their token as it is at the fire: the active token of that name, with its current
 * scope and active-job limit. A schedule whose creator's token is revoked makes no job, so revoking
 * a token stops what it scheduled (a name made again acts with the new token's scope, never the old).
 *
 * What became of each fire is recorded on the schedule (submitted, skipped, failed and why). A job
 * the profile now refuses fails that fire for good (the next fire tries again): not thrown, a retry
 * would be refused the same. An internal failure (a store or the workflow unavailable, a throttled
 * call) is recorded and then thrown (FireRetryError), so that the scheduler delivers the fire again:
 * its idempotency key makes that retry the same job, and its record replaces the failed one.
 */
import { FargateJobsError, SERVICE_ERROR_CODES } from './errors.ts';
import { isTerminal, type CallbackEvent } from './job.ts';
import { submitJob, type SubmitJobInput, type SubmitJobPorts } from './job-service.ts';
import type { Dependencies } from './ports.ts';
import { callerOfToken } from './tokens.ts';
import { fireIdempotencyKey, SCHEDULE_LABEL, type Schedule, type ScheduledJobRequest, type ScheduleFire } from './schedule.ts';

export type FireSchedulePorts = SubmitJobPorts & Required<Pick<Dependencies, 'schedules' | 'tokens'>>;

/**
 * Fires schedule `name` for its fire time `fireTime` (when it was due, not when this runs): nothing
 * when it is gone or paused; else a job, or a fire recorded skipped (overlap `skip` while the job of
 * its previous fire is active) or failed. Returns the fire recorded, if any.
 */
export async function fireSchedule(ports: FireSchedulePorts, name: string, fireTime: Date): Promise<ScheduleFire | undefined> {
  const at = fireTime.toISOString();
  const schedule = await ports.schedules.get(name);
  if (!schedule || !schedule.enabled) {
    ports.logger.info('a schedule fired that is gone or paused: no job', { schedule: name, at, found: schedule !== undefined });
    return undefined;
  }
  // A delivery of a fire already made (EventBridge's at-least-once): its job exists.
  const made = schedule.fires?.find((fire) => fire.at === at && fire.outcome === 'submitted');
  if (made) return made;
  const running = schedule.overlap === 'skip' ? await activePreviousJob(ports, schedule, at) : undefined;
  const { fire, cause } = running ? { fire: { at, outcome: 'skipped' as const, reason: running } } : await submitFire(ports, schedule, fireTime);
  await ports.schedules.recordFire(name, fire);
  ports.logger.info('schedule fired', { schedule: name, ...fire });
  if (cause !== undefined) throw new FireRetryError(name, at, cause);
  return fire;
}

/** A fire that failed for a reason of the service's own: worth delivering again. */
export class FireRetryError extends Error {
  constructor(name: string, at: string, cause: unknown) {
    super(`schedule '${name}' could not submit the job of its fire at ${at}; deliver the fire again`, { cause });
    this.name = 'FireRetryError';
  }
}

/** The fire's outcome; `cause` when it failed for a reason of the service's own (worth delivering again). */
async function submitFire(ports: FireSchedulePorts, schedule: Schedule, fireTime: Date): Promise<{ fire: ScheduleFire; cause?: unknown }> {
  const at = fireTime.toISOString();
  try {
    const creator = await ports.tokens.findActiveByName(schedule.createdBy);
    // Not retried: the token stays revoked, and a token made again under the name is a new grant.
    if (!creator) return { fire: { at, outcome: 'failed', reason: revokedCreatorReason(schedule.createdBy) } };
    const input = { ...scheduledJobInput(schedule.job), idempotencyKey: fireIdempotencyKey(schedule.name, fireTime) };
    const { job } = await submitJob(ports, { ...input, labels: { ...input.labels, [SCHEDULE_LABEL]: schedule.name } }, callerOfToken(creator));
    return { fire: { at, outcome: 'submitted', jobId: job.id } };
  } catch (error) {
    if (error instanceof FargateJobsError && !SERVICE_ERROR_CODES.includes(error.code)) return { fire: { at, outcome: 'failed', reason: `${error.code}: ${error.message}` } };
    ports.logger.error('a schedule could not submit its job', { schedule: schedule.name, at, error: String(error) });
    return { fire: { at, outcome: 'failed', reason: 'the job could not be submitted (an internal error, in the server log); the fire is delivered again' }, cause: error };
  }
}

/**
 * Why this fire is skipped: the job of the schedule's last submitted fire is not finished. A second
 * delivery of that same fire is no overlap (its job is this fire's).
 */
async function activePreviousJob(ports: FireSchedulePorts, schedule: Schedule, at: string): Promise<string | undefined> {
  const previous = (schedule.fires ?? []).findLast((fire) => fire.outcome === 'submitted' && fire.jobId !== undefined);
  if (!previous?.jobId || previous.at === at) return undefined;
  const job = await ports.store.get(previous.jobId);
  if (!job || isTerminal(job.status)) return undefined;
  return `overlap skip: job ${job.id} of the fire at ${previous.at} is still ${job.status}`;
}

/** Why a schedule whose creator has no active token makes no job, and what to do about it. */
export function revokedCreatorReason(createdBy: string): string {
  return `token '${createdBy}' that made this schedule is revoked: the schedule no longer fires; pause or delete it, or make it again with an active token`;
}

/** The POST /jobs body the schedule keeps (checked when it was made), as a submission. */
export function scheduledJobInput(job: ScheduledJobRequest & { profile?: string }): SubmitJobInput {
  const { profile, env, labels, callbackEvents, idempotencyKey: _key, rerunOf: _rerun, ...request } = job as StoredJobRequest;
  return {
    ...request,
    profile: profile ?? '',
    env: env ?? {},
    labels: labels ?? {},
    ...(callbackEvents ? { callbackEvents } : {}),
  };
}

/** What a schedule's `job` holds: a POST /jobs body, its callback events already named as events. */
type StoredJobRequest = Omit<SubmitJobInput, 'env' | 'labels' | 'callbackEvents' | 'slack'> & {
  env?: Record<string, string>;
  labels?: Record<string, string>;
  callbackEvents?: CallbackEvent[];
};
