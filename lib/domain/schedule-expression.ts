/**
 * EventBridge Scheduler's schedule expressions and time zones, checked as it checks them, so that a
 * schedule it would refuse (or one the local scheduler could not run) is a 400 when it is made:
 *
 * - `rate(<n> minute|minutes|hour|hours|day|days)`: a whole number, the unit singular for 1 and plural beyond;
 * - `cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)`: AWS's six fields, with
 *   `?` in exactly one of day-of-month and day-of-week, days of the week 1–7 = SUN–SAT, years 1970–2199;
 * - `at(yyyy-mm-ddThh:mm:ss)`: once, at that time of the schedule's time zone.
 *
 * This reads the syntax only: when an expression fires is the ScheduleCalendar's (a cron library's) to say.
 */
import { ValidationError } from './errors.ts';

export type ScheduleExpression =
  | { kind: 'rate'; text: string; intervalMs: number }
  | { kind: 'cron'; text: string; fields: CronFields }
  | { kind: 'at'; text: string; dateTime: string };

export interface CronFields {
  minutes: string;
  hours: string;
  dayOfMonth: string;
  month: string;
  dayOfWeek: string;
  year: string;
}

export const RATE_UNITS_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** EventBridge Scheduler's own examples, for the messages. */
const EXAMPLES = 'rate(5 minutes), cron(0 12 * * ? *) or at(2026-12-24T18:00:00)';

/** Reads an expression, or throws ValidationError pointing at `path` and saying what is wrong. */
export function parseScheduleExpression(expression: string, path = 'schedule'): ScheduleExpression {
  const refuse = (message: string) => new ValidationError(`${path} is not a schedule expression EventBridge Scheduler takes: ${message}`, [{ path, message }]);
  const match = /^\s*(rate|cron|at)\((.*)\)\s*$/s.exec(expression);
  if (!match) throw refuse(`must be rate(…), cron(…) or at(…), e.g. ${EXAMPLES}`);
  const [, kind, inside = ''] = match;
  const problem = kind === 'rate' ? rateProblem(inside) : kind === 'cron' ? cronProblem(inside) : atProblem(inside);
  if (problem !== undefined) throw refuse(problem);
  const words = inside.trim().split(/\s+/);
  if (kind === 'rate') {
    const unit = (words[1] ?? '').replace(/s$/, '') as keyof typeof RATE_UNITS_MS;
    return { kind, text: `rate(${words.join(' ')})`, intervalMs: Number(words[0]) * RATE_UNITS_MS[unit] };
  }
  if (kind === 'cron') {
    const [minutes = '', hours = '', dayOfMonth = '', month = '', dayOfWeek = '', year = ''] = words;
    return { kind, text: `cron(${words.join(' ')})`, fields: { minutes, hours, dayOfMonth, month, dayOfWeek, year } };
  }
  return { kind: 'at', text: `at(${inside.trim()})`, dateTime: inside.trim() };
}

function rateProblem(inside: string): string | undefined {
  const match = /^\s*([0-9]+)\s+(minutes?|hours?|days?)\s*$/.exec(inside);
  if (!match) return 'rate(…) takes a whole number and a unit of minute(s), hour(s) or day(s), e.g. rate(5 minutes)';
  const value = Number(match[1]);
  const unit = match[2] ?? '';
  if (!Number.isSafeInteger(value) || value < 1) return 'the rate must be a whole number of at least 1';
  if (value === 1 && unit.endsWith('s')) return `1 takes the singular: rate(1 ${unit.slice(0, -1)})`;
  if (value > 1 && !unit.endsWith('s')) return `${value} takes the plural: rate(${value} ${unit}s)`;
  return undefined;
}

function atProblem(inside: string): string | undefined {
  const match = /^\s*(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\s*$/.exec(inside);
  if (!match) return 'at(…) takes a date and time without a zone, yyyy-mm-ddThh:mm:ss, e.g. at(2026-12-24T18:00:00); the zone is the schedule\'s timezone';
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const same = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
  return same ? undefined : `${inside.trim()} is not a date and time that exists`;
}

interface CronField {
  name: string;
  min: number;
  max: number;
  /** Names for 1, 2, … (JAN…, SUN…), case-insensitive. */
  names?: readonly string[];
  /** The forms only this field takes, each alone in the field: `?`, and `L`, `W`, `#`. */
  special?: 'day-of-month' | 'day-of-week';
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, special: 'day-of-month' },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, special: 'day-of-week' },
  { name: 'year', min: 1970, max: 2199 },
];

const CRON_FORM = 'cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 12 * * ? *) or cron(0/15 8-17 ? * MON-FRI *)';

function cronProblem(inside: string): string | undefined {
  const fields = inside.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) return `cron(…) takes 6 fields, got ${inside.trim() === '' ? 0 : fields.length}: ${CRON_FORM}`;
  for (const [index, rule] of CRON_FIELDS.entries()) {
    const problem = fieldProblem(fields[index] ?? '', rule);
    if (problem !== undefined) return `${rule.name} '${fields[index]}': ${problem}`;
  }
  const [dayOfMonth, dayOfWeek] = [fields[2], fields[4]];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return 'give ? in exactly one of day-of-month and day-of-week (the other says which days), e.g. cron(0 12 * * ? *) or cron(0 12 ? * MON-FRI *)';
  }
  return undefined;
}

function fieldProblem(field: string, rule: CronField): string | undefined {
  if (field === '?') return rule.special ? undefined : '? is only for day-of-month or day-of-week';
  const special = rule.special ? specialProblem(field, rule) : undefined;
  if (special !== null && special !== undefined) return special;
  if (special === null) return undefined;
  for (const item of field.split(',')) {
    const problem = itemProblem(item, rule);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * The forms of day-of-month (`L`, `15W`) and day-of-week (`6L`, `FRIL`, `2#1`): null when the field
 * is one, a message when it is one gone wrong, undefined when it is none of them.
 */
function specialProblem(field: string, rule: CronField): string | null | undefined {
  if (rule.special === 'day-of-month') {
    if (field === 'L') return null;
    const weekday = /^([0-9]+)W$/.exec(field);
    if (weekday) return inRange(Number(weekday[1]), rule) ? null : `W takes a day of ${rule.min}–${rule.max} (15W: the weekday nearest the 15th)`;
    return /[LW]/i.test(field) ? 'L (the last day) and nW (the weekday nearest day n) stand alone in day-of-month' : undefined;
  }
  const last = /^([0-9]+|[A-Z]{3})L$/i.exec(field);
  if (last) return valueOf(last[1] ?? '', rule) === undefined ? 'nL takes a day of the week, 1–7 or SUN–SAT (6L: the last Friday)' : null;
  const nth = /^([0-9]+|[A-Z]{3})#([0-9]+)$/.exec(field.toUpperCase());
  if (nth) {
    if (valueOf(nth[1] ?? '', rule) === undefined) return 'n#k takes a day of the week, 1–7 or SUN–SAT (2#1: the first Monday)';
    return Number(nth[2]) >= 1 && Number(nth[2]) <= 5 ? null : 'n#k takes k from 1 to 5 (2#1: the first Monday)';
  }
  if (field === 'L') return 'L alone is not taken here: give the day, e.g. 7 or SAT (or 6L for the last Friday of the month)';
  return /[L#]/i.test(field.replace(/[A-Z]{3}/gi, '')) ? 'nL (the last such day of the month) and n#k (the k-th) stand alone in day-of-week' : undefined;
}

function itemProblem(item: string, rule: CronField): string | undefined {
  const [range = '', step, ...more] = item.split('/');
  if (more.length > 0) return 'one / at most in each item';
  if (step !== undefined && !(/^[0-9]+$/.test(step) && Number(step) >= 1 && Number(step) <= rule.max)) {
    return `the step after / must be a whole number from 1 to ${rule.max}`;
  }
  if (range === '*') return undefined;
  const bounds = range.split('-');
  if (bounds.length > 2) return 'a range is from-to, e.g. 8-17';
  const values = bounds.map((bound) => valueOf(bound, rule));
  if (values.some((value) => value === undefined)) return `each value must be ${describeValues(rule)}, or *`;
  const [from = 0, to = from] = values as number[];
  if (from > to) return `${bounds[0]}-${bounds[1]} runs backwards: give the smaller first`;
  return undefined;
}

function valueOf(text: string, rule: CronField): number | undefined {
  const named = rule.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return inRange(value, rule) ? value : undefined;
}

function inRange(value: number, rule: CronField): boolean {
  return value >= rule.min && value <= rule.max;
}

function describeValues(rule: CronField): string {
  const names = rule.names ? ` or ${rule.names[0]}–${rule.names.at(-1)}` : '';
  return `${rule.min}–${rule.max}${names}`;
}

/**
 * Checks an IANA time zone name (`Europe/Paris`, `UTC`): EventBridge Scheduler takes those only, so
 * an offset (`+01:00`), which JavaScript would take, is refused too.
 */
export function checkTimezone(timezone: string, path = 'timezone'): string {
  const refuse = () =>
    new ValidationError(`${path} is not a time zone: '${timezone}'`, [{ path, message: 'must be an IANA time zone name, e.g. Europe/Paris, America/New_York or UTC' }]);
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(timezone)) throw refuse();
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw refuse();
  }
  return timezone;
}
