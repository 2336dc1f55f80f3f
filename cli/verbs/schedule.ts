/**
 * `fargate-jobs schedule create|list|show|pause|resume|delete`: the schedules of the API
 * (`/schedules`), each fire of which is a job labelled `schedule=<name>` (`list` and `logs` show them).
 */
import type { ScheduleDocument } from '#lib/http/schedule-document.ts';
import { parseDuration, parseKeyValues, parsePositiveInteger, UsageError, type VerbSpec } from '../args.ts';
import { EXIT } from '../exit-codes.ts';
import { sanitizeMetadata } from '../sanitize.ts';
import { listValue, printJson, stringValue, type Verb, type VerbContext } from './context.ts';

const schedulePath = (name: string) => `/schedules/${encodeURIComponent(name)}`;

export const scheduleCreateSpec: VerbSpec = {
  usage:
    "schedule create <name> --schedule 'rate(5 minutes)'|'cron(…)'|'at(…)' [--timezone tz] [--overlap allow|skip] [--disabled] [--profile p] [--env K=V]… [--label k=v]… [--timeout d] [--cpu n] [--memory n] -- cmd args…",
  help: `Makes a schedule: each fire runs cmd as a job (as run would submit it), labelled schedule=<name>.
  --schedule expr      when, as EventBridge Scheduler takes it: 'rate(5 minutes)', 'rate(1 hour)',
                       'cron(0 12 * * ? *)' (minutes hours day-of-month month day-of-week year, ? in one of
                       the two day fields, days of the week 1-7 = SUN-SAT) or 'at(2030-12-24T18:00:00)' (once)
  --timezone tz        the IANA time zone of cron and at (default UTC), e.g. Europe/Paris
  --overlap allow|skip skip: make no job while the job of the previous fire is not finished (default allow)
  --disabled           make it paused (schedule resume starts it)
  --profile p          the profile its jobs run under (default: the token's only one, else default)
  --env K=V            an environment variable of its jobs (repeat for more; never a secret one: its value
                       would have to be kept)
  --label k=v          a label of its jobs (repeat for more)
  --timeout d          how long each job may run once started: 90s, 10m, 1h30m or seconds
  --cpu n, --memory n  CPU units and MiB (a size Fargate offers)
In local mode the server fires it while it runs: fires missed while it was stopped are not made up for.`,
  options: {
    schedule: { type: 'string' },
    timezone: { type: 'string' },
    overlap: { type: 'string' },
    disabled: { type: 'boolean' },
    profile: { type: 'string' },
    env: { type: 'string', multiple: true },
    label: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    cpu: { type: 'string' },
    memory: { type: 'string' },
  },
  positionals: ['name'],
  command: true,
};

export const scheduleCreate: Verb = async (context) => {
  const verb = 'schedule create';
  const expression = stringValue(context, 'schedule');
  if (expression === undefined) throw new UsageError("schedule create needs --schedule, e.g. --schedule 'rate(5 minutes)'", verb);
  const overlap = stringValue(context, 'overlap');
  if (overlap !== undefined && overlap !== 'allow' && overlap !== 'skip') throw new UsageError(`--overlap must be allow or skip, got '${overlap}'`, verb);
  const timezone = stringValue(context, 'timezone');
  const body = {
    name: context.command.args.name,
    schedule: expression,
    ...(timezone === undefined ? {} : { timezone }),
    ...(overlap === undefined ? {} : { overlap }),
    ...(context.command.values.disabled === true ? { enabled: false } : {}),
    job: jobOf(context, verb),
  };
  const { body: schedule } = await context.client().request<ScheduleDocument>('POST', '/schedules', { body });
  if (context.command.globals.json) printJson(context, schedule);
  else context.out.stderr.write(`fargate-jobs: ${sanitizeMetadata(`schedule ${schedule.name} made; ${nextFire(schedule)}`)}\n`);
  return EXIT.OK;
};

/** The POST /jobs body the job flags describe (run's, but for those that make no sense on a schedule). */
function jobOf(context: VerbContext, verb: string): Record<string, unknown> {
  const job: Record<string, unknown> = { command: context.command.rest };
  const profile = stringValue(context, 'profile');
  if (profile !== undefined) job.profile = profile;
  const env = parseKeyValues(listValue(context, 'env'), '--env', verb);
  if (Object.keys(env).length > 0) job.env = env;
  const labels = parseKeyValues(listValue(context, 'label'), '--label', verb);
  if (Object.keys(labels).length > 0) job.labels = labels;
  for (const name of ['cpu', 'memory'] as const) {
    const value = stringValue(context, name);
    if (value !== undefined) job[name] = parsePositiveInteger(value, `--${name}`, verb);
  }
  const timeout = stringValue(context, 'timeout');
  if (timeout !== undefined) job.timeoutSeconds = parseDuration(timeout, '--timeout', verb);
  return job;
}

export const scheduleListSpec: VerbSpec = {
  usage: 'schedule list',
  help: 'Lists the schedules of the profiles the token may use, by name: when each fires next and what its last fire did.',
  options: {},
  positionals: [],
};

export const scheduleList: Verb = async (context) => {
  const { body } = await context.client().request<{ schedules: ScheduleDocument[] }>('GET', '/schedules', { retry: true });
  if (context.command.globals.json) printJson(context, body);
  else context.out.stdout.write(scheduleTable(body.schedules));
  return EXIT.OK;
};

function scheduleTable(schedules: readonly ScheduleDocument[]): string {
  if (schedules.length === 0) return 'No schedules.\n';
  const rows = [
    ['NAME', 'SCHEDULE', 'TIMEZONE', 'ENABLED', 'NEXT FIRE', 'LAST FIRE'],
    ...schedules.map((schedule) =>
      [schedule.name, schedule.schedule, schedule.timezone, schedule.enabled ? 'yes' : 'no', schedule.nextFireAt ?? '-', lastFire(schedule)].map(sanitizeMetadata),
    ),
  ];
  const widths = rows[0]!.map((_cell, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') + '\n';
}

function lastFire(schedule: ScheduleDocument): string {
  const fire = schedule.fires.at(-1);
  if (!fire) return '-';
  return `${fire.at} ${fire.outcome}${fire.jobId ? ` ${fire.jobId}` : ''}`;
}

function nextFire(schedule: ScheduleDocument): string {
  if (!schedule.enabled) return 'paused';
  return schedule.nextFireAt ? `next fire ${schedule.nextFireAt}` : 'it fires no more';
}

export const scheduleShowSpec: VerbSpec = {
  usage: 'schedule show <name>',
  help: 'Shows a schedule: when, its job, whether it is enabled, when it fires next, and its last fires with the job each made.',
  options: {},
  positionals: ['name'],
};

export const scheduleShow: Verb = async (context) => {
  const { body: schedule } = await context.client().request<ScheduleDocument>('GET', schedulePath(context.command.args.name!), { retry: true });
  if (context.command.globals.json) printJson(context, schedule);
  else context.out.stdout.write(describeSchedule(schedule));
  return EXIT.OK;
};

export function describeSchedule(schedule: ScheduleDocument): string {
  const job = schedule.job as { profile?: string; command?: string[] | string };
  const rows: [string, string | undefined][] = [
    ['name', schedule.name],
    ['schedule', schedule.schedule],
    ['timezone', schedule.timezone],
    ['enabled', schedule.enabled ? 'yes' : 'no (paused)'],
    ['next fire', schedule.enabled ? (schedule.nextFireAt ?? 'none: it fires no more') : undefined],
    ['overlap', schedule.overlap],
    ['profile', job.profile],
    ['command', Array.isArray(job.command) ? job.command.join(' ') : job.command],
    ['created', `${schedule.createdAt} by ${schedule.createdBy}`],
    ['updated', schedule.updatedAt],
    ['jobs', schedule.links.jobs],
  ];
  const fires = schedule.fires.map((fire) => `  ${fire.at}  ${fire.outcome}${fire.jobId ? `  ${fire.jobId}` : ''}${fire.reason ? `  ${fire.reason}` : ''}`);
  const shown = rows.filter(([, value]) => value !== undefined).map(([name, value]) => `${`${name}:`.padEnd(11)}${sanitizeMetadata(value!)}\n`);
  return shown.join('') + (fires.length > 0 ? `fires:\n${fires.map((line) => `${sanitizeMetadata(line)}\n`).join('')}` : 'fires:     none yet\n');
}

export const schedulePauseSpec: VerbSpec = {
  usage: 'schedule pause <name>',
  help: 'Pauses a schedule: it makes no job until it is resumed. Its jobs running now go on.',
  options: {},
  positionals: ['name'],
};

export const scheduleResumeSpec: VerbSpec = {
  usage: 'schedule resume <name>',
  help: 'Resumes a paused schedule: it fires again from its next fire time (a rate counts from now).',
  options: {},
  positionals: ['name'],
};

/** pause and resume: PATCH enabled, which repeating does not change (so it is retried). */
function setEnabled(enabled: boolean): Verb {
  return async (context) => {
    const { body: schedule } = await context.client().request<ScheduleDocument>('PATCH', schedulePath(context.command.args.name!), { body: { enabled }, retry: true });
    if (context.command.globals.json) printJson(context, schedule);
    else context.out.stderr.write(`fargate-jobs: ${sanitizeMetadata(`schedule ${schedule.name} ${enabled ? 'resumed' : 'paused'}; ${nextFire(schedule)}`)}\n`);
    return EXIT.OK;
  };
}

export const schedulePause = setEnabled(false);
export const scheduleResume = setEnabled(true);

export const scheduleDeleteSpec: VerbSpec = {
  usage: 'schedule delete <name>',
  help: 'Deletes a schedule: it fires no more. The jobs it made stay, and one running now goes on.',
  options: {},
  positionals: ['name'],
};

export const scheduleDelete: Verb = async (context) => {
  const name = context.command.args.name!;
  await context.client().request('DELETE', schedulePath(name));
  if (context.command.globals.json) printJson(context, { name, deleted: true });
  else context.out.stderr.write(`fargate-jobs: ${sanitizeMetadata(`schedule ${name} deleted`)}\n`);
  return EXIT.OK;
};
