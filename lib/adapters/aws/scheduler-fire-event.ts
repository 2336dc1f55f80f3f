/**
 * What EventBridge Scheduler hands the fire function: the Input of each schedule's target,
 * `{"name":"nightly","fireTime":"<aws.scheduler.scheduled-time>"}`, in which Scheduler replaces its
 * context attribute with the time the fire was due at (`2026-12-24T18:00:00Z`) on every delivery. A
 * retried delivery of one fire carries the same time, so the job it submits has the same idempotency
 * key (the schedule's name and fire time): one job, however often the fire comes.
 *
 * Apart from the trigger (scheduler-trigger.ts) so that the fire function's bundle carries no
 * Scheduler client.
 */
import { SCHEDULE_NAME } from '#lib/domain/schedule.ts';

/** Scheduler's context attribute for the time a fire was due at. */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

/** The event as the target's Input writes it (before Scheduler fills in the time). */
export interface ScheduleFireEvent {
  name: string;
  fireTime: string;
}

/** A fire to handle: which schedule, due when. */
export interface ScheduledFire {
  name: string;
  fireTime: Date;
}

/** An ISO 8601 time with its offset, as Scheduler writes the scheduled time. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The Input of schedule `name`'s target. */
export function scheduleFireInput(name: string): string {
  return JSON.stringify({ name, fireTime: SCHEDULED_TIME } satisfies ScheduleFireEvent);
}

/**
 * The fire an event asks for; undefined for anything else (not an object, a name no schedule can
 * have, a time that is not one, or the attribute left unreplaced).
 */
export function scheduleFireOf(event: unknown): ScheduledFire | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const { name, fireTime } = event as Partial<Record<keyof ScheduleFireEvent, unknown>>;
  if (typeof name !== 'string' || !SCHEDULE_NAME.test(name)) return undefined;
  if (typeof fireTime !== 'string' || !ISO_TIME.test(fireTime)) return undefined;
  const time = new Date(fireTime);
  return Number.isNaN(time.getTime()) ? undefined : { name, fireTime: time };
}
