/**
 * The fire function: a delivery of a schedule's fire (on AWS, EventBridge Scheduler invoking it with
 * the schedule's name and the time the fire was due at), read by `readEvent`, becomes the domain's
 * fireSchedule: a job submitted on behalf of the schedule's creator, keyed by the name and the due
 * time, so a fire delivered twice makes one job.
 *
 * An event that is no fire is logged and dropped: thrown, it would only be delivered again as it is.
 * A fire that fails for a moment (a throttled store or workflow) throws, and its delivery is retried.
 */
import { fireSchedule, type FireSchedulePorts } from './temporary-fire-schedule-stub.ts';
import { withLogKeys } from '#lib/logger.ts';

/** A fire to handle: which schedule, due when. */
export interface ScheduleFireRequest {
  name: string;
  fireTime: Date;
}

export type FireScheduleHandlerPorts<Event> = FireSchedulePorts & { readEvent: (event: Event) => ScheduleFireRequest | undefined };

/** How much of an event that is no fire goes to the log. */
const LOGGED_EVENT_CHARACTERS = 500;

export function fireScheduleHandler<Event>(ports: FireScheduleHandlerPorts<Event>) {
  return async (event: Event): Promise<void> => {
    const fire = ports.readEvent(event);
    if (!fire) {
      ports.logger.error('not a schedule fire: dropped', { event: preview(event) });
      return;
    }
    await withLogKeys({ schedule: fire.name, fireTime: fire.fireTime.toISOString() }, async () => {
      const outcome = await fireSchedule(ports, fire.name, fire.fireTime);
      ports.logger.info('schedule fired', { outcome: outcome.outcome, ...(outcome.jobId ? { jobId: outcome.jobId } : {}), ...(outcome.reason ? { reason: outcome.reason } : {}) });
    });
  };
}

function preview(event: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(event) ?? String(event);
  } catch {
    text = String(event);
  }
  return text.length > LOGGED_EVENT_CHARACTERS ? `${text.slice(0, LOGGED_EVENT_CHARACTERS)}…` : text;
}
