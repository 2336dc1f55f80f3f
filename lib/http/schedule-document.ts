/** A schedule as clients see it: its settings, its last fires and when it fires next; not its creator's scope. */
import { SCHEDULE_LABEL, type Schedule, type ScheduleFire } from '#lib/domain/schedule.ts';
import { shownCallbackUrl } from './job-document.ts';

export interface ScheduleDocument {
  name: string;
  schedule: string;
  /** IANA time zone of `cron` and `at`; `UTC` when none was given. */
  timezone: string;
  /** The POST /jobs body each fire submits (a callbackUrl's query string shown as `?***`). */
  job: Record<string, unknown>;
  overlap: Schedule['overlap'];
  enabled: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** The last fires, newest last: the job each made, or why it made none. */
  fires: ScheduleFire[];
  /** When it fires next; absent while paused, or when it never fires again (an `at` that has passed). */
  nextFireAt?: string;
  /** `jobs`: the listing of its jobs (they carry the label `schedule=<name>`). */
  links: { self: string; jobs: string };
}

export function scheduleDocument(schedule: Schedule, nextFireAt: string | undefined): ScheduleDocument {
  const self = `/schedules/${schedule.name}`;
  const { callbackUrl, ...job } = schedule.job;
  return {
    name: schedule.name,
    schedule: schedule.schedule,
    timezone: schedule.timezone ?? 'UTC',
    job: { ...job, ...(typeof callbackUrl === 'string' ? { callbackUrl: shownCallbackUrl(callbackUrl) } : {}) },
    overlap: schedule.overlap,
    enabled: schedule.enabled,
    createdBy: schedule.createdBy,
    createdAt: schedule.createdAt,
    updatedAt: schedule.updatedAt,
    fires: schedule.fires ?? [],
    ...(nextFireAt === undefined ? {} : { nextFireAt }),
    links: { self, jobs: `/jobs?label=${SCHEDULE_LABEL}=${schedule.name}` },
  };
}
