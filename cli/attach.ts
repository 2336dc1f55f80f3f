/**
 * Following a job to its end, for `run` and `wait`: its lines on our stdout/stderr, progress on
 * stderr, Ctrl-C to cancel it (twice to detach), and its exit code as ours. A closed output
 * (`| head`) cancels it too, silently, and exits 141 (cli/broken-pipe.ts).
 */
import type { JobStatus } from '#lib/domain/job.ts';
import type { LogLine } from '#lib/domain/ports.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { brokenPipe } from './broken-pipe.ts';
import { EXIT, exitCodeOf } from './exit-codes.ts';
import { followLogs, getJob, TRUNCATED_NOTICE, watchJob } from './follow.ts';
import { Interrupts, onInterrupt, type InterruptDecision } from './interrupt.ts';
import { sanitizeMetadata } from './sanitize.ts';
import { StatusLine } from './terminal.ts';
import { printJson, type VerbContext } from './verbs/context.ts';

const STARTING: readonly JobStatus[] = ['QUEUED', 'PROVISIONING'];

export interface AttachOptions {
  /** Where to start reading the log (a cursor from `logs --json` or a detach message); the beginning by default. */
  cursor?: string | undefined;
  status?: StatusLine;
  /** Ctrl-C was pressed before the job existed (while it was being submitted): cancel it at once. */
  interrupted?: boolean;
}

/** Follows `first` until it is finished and its log read; resolves to the exit code. */
export async function attach(context: VerbContext, first: JobDocument, options: AttachOptions = {}): Promise<number> {
  const client = context.client();
  const json = context.command.globals.json;
  const status = options.status ?? new StatusLine(context.out);
  let cursor = options.cursor;
  // The latest attempt whose lines were printed (a reattach starts again from what it reads).
  const attempts = { last: 1 };
  let cancelling: Promise<void> | undefined;
  let cancelled = false;

  const interrupts = new Interrupts();
  const onPress = (decision: InterruptDecision) => {
    if (decision === 'cancel') {
      cancelled = true;
      status.say(`cancelling ${first.id} (Ctrl-C again to detach)…`);
      cancelling = cancelJob(context, first.id, (message) => status.say(message));
      return;
    }
    status.stop();
    context.out.stderr.write(reattachMessage(first.id, cursor));
    process.exit(EXIT.INTERRUPTED);
  };
  const stopListening = onInterrupt(onPress, interrupts);
  // Nobody reads any more: cancel as Ctrl-C does, but say nothing (the pipe may be stderr too).
  const forgetLastWish = brokenPipe.beforeExit(() => (cancelling ??= cancelJob(context, first.id, () => undefined)));
  if (options.interrupted) onPress(interrupts.press(Date.now()));
  try {
    await Promise.all([
      followLogs(client, first.id, {
        cursor,
        follow: true,
        onLines: (lines, nextCursor) => {
          if (!json && !brokenPipe.broken) {
            for (const run of attemptRuns(lines, attempts)) {
              if (run.starts !== undefined) status.say(`attempt ${run.starts} of ${first.id}:`);
              status.printLines(run.lines, context.command.values.raw === true);
            }
          }
          cursor = nextCursor;
        },
        onTruncated: () => status.say(TRUNCATED_NOTICE),
      }),
      // Once it runs, the log's `complete` tells when it ends: watching its status as well would double the requests.
      watchJob(client, first, (job) => status.update(job), (job) => !STARTING.includes(job.status)),
    ]);
    await cancelling;
    if (brokenPipe.broken) return EXIT.BROKEN_PIPE;
    // The record the watcher saw may predate the final one (exit code, failure), written once the log is complete.
    const job = await getJob(client, first.id);
    status.finish(job);
    reportEnd(context, job);
    if (json) printJson(context, job);
    return cancelled ? EXIT.INTERRUPTED : exitCodeOf(job);
  } finally {
    status.stop();
    stopListening();
    forgetLastWish();
  }
}

/**
 * The lines in runs of one attempt each, a run that begins a later attempt than any seen so far
 * saying so (`starts`), so that a retried job's output reads as it ran: attempt 2's lines under a
 * line saying it began. Lines carry `attempt` only once a job has had more than one.
 */
export function attemptRuns(lines: readonly LogLine[], seen: { last: number }): Array<{ starts?: number; lines: LogLine[] }> {
  const runs: Array<{ starts?: number; lines: LogLine[] }> = [];
  for (const line of lines) {
    const attempt = line.attempt ?? 1;
    if (attempt > seen.last && attempt > 1) {
      seen.last = attempt;
      runs.push({ starts: attempt, lines: [line] });
    } else if (runs.length === 0) {
      runs.push({ lines: [line] });
    } else {
      runs.at(-1)!.lines.push(line);
    }
  }
  return runs;
}

async function cancelJob(context: VerbContext, jobId: string, report: (message: string) => void): Promise<void> {
  try {
    await context.client().request('POST', `/jobs/${encodeURIComponent(jobId)}/cancel`, { retry: true });
  } catch (error) {
    report(`could not cancel ${jobId}: ${(error as Error).message}`);
  }
}

/** A line for a job that did not succeed, unless its own exit code says it all. */
function reportEnd(context: VerbContext, job: JobDocument): void {
  if (job.status === 'SUCCEEDED' || job.failure === undefined || job.failure.category === 'USER_EXIT') return;
  context.out.stderr.write(`fargate-jobs: ${sanitizeMetadata(`${job.id} ${job.status} (${job.failure.category}): ${job.failure.message}`)}\n`);
}

export function reattachMessage(serverJobId: string, serverCursor: string | undefined): string {
  const jobId = sanitizeMetadata(serverJobId);
  const cursor = serverCursor === undefined ? undefined : sanitizeMetadata(serverCursor);
  const since = cursor === undefined ? '' : ` --since ${cursor}`;
  return (
    `\nfargate-jobs: detached from ${jobId}; it goes on unless its cancel went through.\n` +
    `  re-attach:  fargate-jobs wait ${jobId}${since}\n` +
    `  its log:    fargate-jobs logs ${jobId} --follow${since}\n` +
    `  cancel it:  fargate-jobs cancel ${jobId}\n`
  );
}
