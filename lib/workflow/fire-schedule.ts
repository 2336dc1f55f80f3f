/**
 * The fire function: a delivery of a schedule's fire (on AWS, EventBridge Scheduler invoking it with
 * the schedule's name and the time the fire was due at), read by `readEvent`, becomes the domain's
 * fireSchedule: a job submitted on behalf of the schedule's creator, keyed by the name and the due
 * time, so a fire delivered twice makes one job.
 *
 * An event that is no fire is logged and dropped: thrown, it would only be delivered again as it is.
 * What became of a fire is fireSchedule's to record (a job, skipped, or failed and why); only a
 * schedule that cannot be read or recorded (a throttled store) throws, and the delivery is retried.
 */
import { fireSchedule, type FireSchedulePorts } from '#lib/domain/schedule-fire.ts';
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
    // fireSchedule logs what became of the fire (a job, or why none).
    await withLogKeys({ schedule: fire.name, fireTime: fire.fireTime.toISOString() }, () => fireSchedule(ports, fire.name, fire.fireTime));
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
