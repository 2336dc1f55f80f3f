/**
 * Schedules (design §12): a job request run on a schedule, as EventBridge Scheduler runs ECS
 * scheduled tasks. Each fire is a normal job, submitted on behalf of the schedule's creator with the
 * label `schedule=<name>` and an idempotency key of the schedule's name and fire time, so that a fire
 * delivered twice makes one job. The expression is EventBridge Scheduler's: `rate(5 minutes)`,
 * `cron(0 12 * * ? *)` or `at(2026-12-24T18:00:00)`, in `timezone` (IANA, UTC by default).
 *
 * Where schedules fire is a port (ScheduleTrigger): EventBridge Scheduler on AWS, an in-process
 * scheduler in local mode. The schedules themselves are kept in the job store's database (ScheduleStore).
 */

/** `allow`: every fire makes a job; `skip`: a fire while the schedule's previous job is active makes none (recorded as skipped). */
export const OVERLAP_POLICIES = ['allow', 'skip'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** The POST /jobs body a schedule submits (as sent: the profile's rules are applied at each fire). */
export type ScheduledJobRequest = Record<string, unknown> & { profile?: string };

/** What became of the last fire. */
export interface ScheduleFire {
  /** The fire time the schedule was due at (not when it was handled). */
  at: string;
  outcome: 'submitted' | 'skipped' | 'failed';
  /** `submitted`: the job it made. */
  jobId?: string;
  /** `skipped` and `failed`: why, for the person reading the schedule. */
  reason?: string;
}

export interface Schedule {
  /** Unique per deployment; `[a-z0-9][a-z0-9-]{0,63}`. */
  name: string;
  /** `rate(…)`, `cron(…)` or `at(…)`, as EventBridge Scheduler takes it. */
  schedule: string;
  /** IANA time zone of `cron` and `at`; UTC when absent. */
  timezone?: string;
  job: ScheduledJobRequest;
  overlap: OverlapPolicy;
  enabled: boolean;
  /**
   * The token name of its creator: each fire's job is submitted as the active token of this name,
   * with its scope at the fire; none when it is revoked (schedule-fire.ts).
   */
  createdBy: string;
  /** The profiles the creator's token could use when the schedule was made: a record, not the scope of its fires. */
  createdByProfiles: string[];
  createdAt: string;
  updatedAt: string;
  /** The last few fires, newest last. */
  fires?: ScheduleFire[];
}

/** How many fires a schedule keeps. */
export const MAX_SCHEDULE_FIRES = 20;

/**
 * A schedule's fires once `fire` is recorded: in the place of the fire of the same time (a fire
 * delivered again), else after the others; the last MAX_SCHEDULE_FIRES kept. The stores' rule.
 */
export function withFire(fires: readonly ScheduleFire[], fire: ScheduleFire): ScheduleFire[] {
  const index = fires.findIndex((recorded) => recorded.at === fire.at);
  const recorded = index === -1 ? [...fires, fire] : fires.map((each, at) => (at === index ? fire : each));
  return recorded.slice(-MAX_SCHEDULE_FIRES);
}

export const SCHEDULE_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The label every job of a schedule carries. */
export const SCHEDULE_LABEL = 'schedule';

/** The idempotency key of a fire: one job per schedule and fire time, however often the fire is delivered. */
export function fireIdempotencyKey(name: string, fireTime: Date): string {
  return `schedule:${name}:${fireTime.toISOString()}`;
}
