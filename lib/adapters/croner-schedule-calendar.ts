/**
 * The ScheduleCalendar on croner: when an EventBridge Scheduler expression fires, on AWS (each
 * schedule's `nextFireAt`) and in local mode (the local scheduler's timers) alike.
 *
 * - `cron(m h dom mon dow y)` is croner's seven-field pattern with seconds 0, AWS's day-of-week
 *   numbering (Quartz's: 1–7 = SUN–SAT, croner's `alternativeWeekdays`), its `0/5` steps (croner's
 *   `sloppyRanges`) and its year field, read in the schedule's time zone;
 * - `at(…)` is croner's one-off date, read in the schedule's time zone;
 * - `rate(…)` is a fixed interval counted from the schedule's `updatedAt` (when it was made or last
 *   changed), as EventBridge Scheduler counts it from when the schedule was created or updated.
 */
import { Cron, type CronOptions } from 'croner';
import { ValidationError } from '#lib/domain/errors.ts';
import type { ScheduleCalendar, ScheduleTiming } from '#lib/domain/ports.ts';
import { parseScheduleExpression, type ScheduleExpression } from '#lib/domain/schedule-expression.ts';

export class CronerScheduleCalendar implements ScheduleCalendar {
  nextFireTime(schedule: ScheduleTiming, after: Date): Date | undefined {
    const expression = parseScheduleExpression(schedule.schedule);
    if (expression.kind === 'rate') return nextRate(Date.parse(schedule.updatedAt), expression.intervalMs, after);
    const timezone = schedule.timezone ?? 'UTC';
    let cron: Cron;
    try {
      cron = new Cron(patternOf(expression), { ...CRON_OPTIONS, timezone });
    } catch (error) {
      throw new ValidationError(`${schedule.schedule} cannot be run: ${(error as Error).message}`, [{ path: 'schedule', message: (error as Error).message }]);
    }
    return cron.nextRun(after) ?? undefined;
  }
}

const CRON_OPTIONS: CronOptions = { mode: '7-part', alternativeWeekdays: true, sloppyRanges: true, paused: true };

function patternOf(expression: Exclude<ScheduleExpression, { kind: 'rate' }>): string {
  if (expression.kind === 'at') return expression.dateTime;
  const { minutes, hours, dayOfMonth, month, dayOfWeek, year } = expression.fields;
  return `0 ${minutes} ${hours} ${dayOfMonth} ${month} ${dayOfWeek} ${year}`;
}

/** The first of anchor + n × interval (n ≥ 1) strictly after `after`. */
function nextRate(anchor: number, intervalMs: number, after: Date): Date {
  const elapsed = after.getTime() - anchor;
  const intervals = elapsed < 0 ? 1 : Math.floor(elapsed / intervalMs) + 1;
  return new Date(anchor + intervals * intervalMs);
}
