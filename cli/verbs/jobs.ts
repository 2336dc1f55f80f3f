/** The verbs about one existing job, or the list of them: wait, status, logs, list, cancel. */
import { JOB_STATUSES } from '#lib/domain/job.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { parsePositiveInteger, UsageError, type VerbSpec } from '../args.ts';
import { attach } from '../attach.ts';
import { EXIT } from '../exit-codes.ts';
import { followLogs, getJob, TRUNCATED_NOTICE } from '../follow.ts';
import { onInterrupt } from '../interrupt.ts';
import { jobOutputFor, rawHelp, sanitizeMetadata, terminalSafeJson } from '../sanitize.ts';
import { printJson, stringValue, type VerbContext } from './context.ts';

const jobPath = (id: string) => `/jobs/${encodeURIComponent(id)}`;

export const waitSpec: VerbSpec = {
  usage: 'wait <id> [--since cursor] [--raw]',
  help: `Follows a job to its end as run does (its log from the start, or from --since), and exits with its exit code.
Ctrl-C cancels the job and waits for it to stop; a second Ctrl-C detaches.
  --since cursor  start after this cursor
${rawHelp(18)}`,
  options: { since: { type: 'string' }, raw: { type: 'boolean' } },
  positionals: ['id'],
};

export async function wait(context: VerbContext): Promise<number> {
  const job = await getJob(context.client(), context.command.args.id!);
  return attach(context, job, { cursor: stringValue(context, 'since') });
}

export const statusSpec: VerbSpec = {
  usage: 'status <id>',
  help: 'Shows a job: status, exit code, failure, address, times. Control characters the server sent show as escapes (\\x1b).',
  options: {},
  positionals: ['id'],
};

export async function status(context: VerbContext): Promise<number> {
  const job = await getJob(context.client(), context.command.args.id!);
  if (context.command.globals.json) printJson(context, job);
  else context.out.stdout.write(describeJob(job));
  return EXIT.OK;
}

export function describeJob(job: JobDocument): string {
  const rows: [string, string | undefined][] = [
    ['id', job.id],
    ['status', job.status],
    ['exit code', job.exitCode === null ? '-' : String(job.exitCode)],
    ['failure', job.failure ? `${job.failure.category}: ${job.failure.message}` : undefined],
    ['profile', job.profile],
    ['command', job.command.join(' ')],
    ['created', job.createdAt],
    ['started', job.startedAt],
    ['stopped', job.stoppedAt],
    ['timeout', `${job.timeoutSeconds}s`],
    ['public IP', job.network?.publicIp ?? undefined],
    ['connect', job.connect?.ssh],
    ['labels', Object.keys(job.labels).length > 0 ? Object.entries(job.labels).map(([key, value]) => `${key}=${value}`).join(' ') : undefined],
  ];
  return rows.filter(([, value]) => value !== undefined).map(([name, value]) => `${`${name}:`.padEnd(11)}${sanitizeMetadata(value!)}\n`).join('');
}

export const logsSpec: VerbSpec = {
  usage: 'logs <id> [--follow] [--since cursor] [--raw]',
  help: `Prints a job's log: stdout lines on stdout, stderr lines on stderr. --json: one JSON line per log line
({timestamp, message, stream}), then {"nextCursor", "complete"} to pass to --since.
  --follow        keep printing lines as they come, until the job has finished
  --since cursor  start after this cursor
${rawHelp(18)}`,
  options: { follow: { type: 'boolean', short: 'f' }, since: { type: 'string' }, raw: { type: 'boolean' } },
  positionals: ['id'],
};

export async function logs(context: VerbContext): Promise<number> {
  const json = context.command.globals.json;
  const raw = context.command.values.raw === true;
  const shown = { stdout: jobOutputFor(context.out.stdout, raw), stderr: jobOutputFor(context.out.stderr, raw) };
  const stopListening = onInterrupt(() => process.exit(EXIT.INTERRUPTED));
  try {
    const end = await followLogs(context.client(), context.command.args.id!, {
      cursor: stringValue(context, 'since'),
      follow: context.command.values.follow === true,
      onLines: (lines) => {
        if (json) context.out.stdout.write(lines.map((line) => `${terminalSafeJson(JSON.stringify(line))}\n`).join(''));
        else {
          for (const line of lines) {
            const stream = line.stream === 'stderr' ? 'stderr' : 'stdout';
            context.out[stream].write(`${shown[stream](line.message)}\n`);
          }
        }
      },
      onTruncated: () => context.out.stderr.write(`fargate-jobs: ${TRUNCATED_NOTICE}\n`),
    });
    if (json) context.out.stdout.write(`${JSON.stringify({ nextCursor: end.cursor, complete: end.complete })}\n`);
    return EXIT.OK;
  } finally {
    stopListening();
  }
}

export const listSpec: VerbSpec = {
  usage: 'list [--status s] [--profile p] [--limit n]',
  help: `Lists jobs, newest first.
  --status s   only jobs with this status (${JOB_STATUSES.join(', ')})
  --profile p  only jobs of this profile
  --limit n    at most n jobs (default 20, at most 100)`,
  options: { status: { type: 'string' }, profile: { type: 'string' }, limit: { type: 'string' } },
  positionals: [],
};

export async function list(context: VerbContext): Promise<number> {
  const statusFilter = stringValue(context, 'status')?.toUpperCase();
  if (statusFilter !== undefined && !(JOB_STATUSES as readonly string[]).includes(statusFilter)) {
    throw new UsageError(`--status must be one of ${JOB_STATUSES.join(', ')}, got '${stringValue(context, 'status')}'`, 'list');
  }
  const limitFlag = stringValue(context, 'limit');
  const limit = limitFlag === undefined ? 20 : parsePositiveInteger(limitFlag, '--limit', 'list');
  const query = { status: statusFilter, profile: stringValue(context, 'profile'), limit };
  const { body } = await context.client().request<{ jobs: JobDocument[]; nextCursor?: string }>('GET', '/jobs', { query, retry: true });
  if (context.command.globals.json) printJson(context, body);
  else context.out.stdout.write(jobTable(body.jobs));
  return EXIT.OK;
}

function jobTable(jobs: readonly JobDocument[]): string {
  if (jobs.length === 0) return 'No jobs.\n';
  const rows = [
    ['ID', 'STATUS', 'EXIT', 'PROFILE', 'CREATED', 'COMMAND'],
    ...jobs.map((job) => [job.id, job.status, job.exitCode === null ? '-' : String(job.exitCode), job.profile, job.createdAt, job.command.join(' ')].map(sanitizeMetadata)),
  ];
  const widths = rows[0]!.map((_cell, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') + '\n';
}

export const cancelSpec: VerbSpec = {
  usage: 'cancel <id>',
  help: 'Cancels a job that has not finished: it becomes CANCELLED at once and its task is stopped.',
  options: {},
  positionals: ['id'],
};

export async function cancel(context: VerbContext): Promise<number> {
  const { body: job } = await context.client().request<JobDocument>('POST', `${jobPath(context.command.args.id!)}/cancel`, { retry: true });
  if (context.command.globals.json) printJson(context, job);
  else context.out.stderr.write(`fargate-jobs: ${sanitizeMetadata(`${job.id} is ${job.status}`)}\n`);
  return EXIT.OK;
}
