/**
 * The ScheduleTrigger of local mode: a timer per enabled schedule in the server's process, at the
 * next fire time its ScheduleCalendar (croner) gives; when it goes off it hands the schedule's name
 * and the time it was due to `fire` (fireSchedule: the same submit path as AWS's), then arms the
 * next. Fires missed while the server was down, or while the machine slept, are not made up for:
 * the next fire is the first after now. Timers never keep the process alive, and `stop` clears them
 * all and waits for the fires under way.
 */
import type { Logger } from '#lib/domain/logger.ts';
import type { ScheduleCalendar, ScheduleTrigger } from '#lib/domain/ports.ts';
import type { Schedule } from '#lib/domain/schedule.ts';

/** A timer waits at most this long (Node's limit, about 24.8 days); a later fire is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LocalSchedulerOptions {
  calendar: ScheduleCalendar;
  /** Fires schedule `name` for its due time `fireTime`; what it throws is logged. */
  fire: (name: string, fireTime: Date) => Promise<unknown>;
  logger: Logger;
  now?: () => Date;
}

export class LocalScheduler implements ScheduleTrigger {
  readonly #options: LocalSchedulerOptions;
  readonly #now: () => Date;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #firing = new Set<Promise<unknown>>();
  #stopped = false;

  constructor(options: LocalSchedulerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** Arms every enabled schedule of `schedules` (the store's, at start-up); returns how many. */
  start(schedules: readonly Schedule[]): number {
    for (const schedule of schedules) this.#replace(schedule);
    return this.#timers.size;
  }

  async upsert(schedule: Schedule): Promise<void> {
    this.#replace(schedule);
  }

  async remove(name: string): Promise<void> {
    this.#disarm(name);
  }

  /** Whether a timer is set for schedule `name` (it is enabled and fires again). */
  isArmed(name: string): boolean {
    return this.#timers.has(name);
  }

  /** Clears every timer, arms none again, and waits for the fires under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const name of [...this.#timers.keys()]) this.#disarm(name);
    await Promise.allSettled([...this.#firing]);
  }

  #replace(schedule: Schedule): void {
    this.#disarm(schedule.name);
    if (schedule.enabled && !this.#stopped) this.#arm(schedule, this.#now());
  }

  #disarm(name: string): void {
    clearTimeout(this.#timers.get(name));
    this.#timers.delete(name);
  }

  #arm(schedule: Schedule, after: Date): void {
    let due: Date | undefined;
    try {
      due = this.#options.calendar.nextFireTime(schedule, after);
    } catch (error) {
      this.#options.logger.warn('a schedule cannot be run here; it does not fire', { schedule: schedule.name, expression: schedule.schedule, error: String(error) });
      return;
    }
    if (due === undefined) {
      this.#options.logger.info('a schedule fires no more', { schedule: schedule.name, expression: schedule.schedule });
      return;
    }
    this.#waitFor(schedule, due);
  }

  #waitFor(schedule: Schedule, due: Date): void {
    const timer = setTimeout(() => {
      if (this.#timers.get(schedule.name) !== timer) return;
      if (this.#now().getTime() < due.getTime()) this.#waitFor(schedule, due);
      else this.#fire(schedule, due);
    }, Math.min(Math.max(0, due.getTime() - this.#now().getTime()), MAX_TIMER_MS));
    timer.unref();
    this.#timers.set(schedule.name, timer);
  }

  #fire(schedule: Schedule, due: Date): void {
    this.#timers.delete(schedule.name);
    const firing: Promise<unknown> = this.#options
      .fire(schedule.name, due)
      .catch((error: unknown) => this.#options.logger.error('a schedule could not fire', { schedule: schedule.name, at: due.toISOString(), error: String(error) }))
      .finally(() => this.#firing.delete(firing));
    this.#firing.add(firing);
    // Not a replay of fires missed: the next is after now, however late this one went off.
    if (!this.#stopped) this.#arm(schedule, new Date(Math.max(due.getTime(), this.#now().getTime())));
  }
}
