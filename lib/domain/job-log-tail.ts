/**
 * Reading a job's log from its end, for a reader that shows the newest lines first (the console):
 * the last lines written so far, then the lines before them a page at a time. Neither waits: the
 * tail's nextCursor is where readJobLogs follows the job from, missing and repeating no line.
 */
import type { Caller } from './caller.ts';
import { getJob, type JobLogs } from './job-service.ts';
import { isFinalized } from './job.ts';
import type { Dependencies, LogLine } from './ports.ts';

export type JobLogTailPorts = Pick<Dependencies, 'store' | 'logReader'>;

/** The last lines of a job's log: a forward page (JobLogs) that can also read back. */
export interface JobLogTail extends JobLogs {
  /** Pass as `before` for the lines before these; null when they start at the log's first line. */
  previousCursor: string | null;
}

/** The lines before a previousCursor. */
export interface EarlierJobLogs {
  /** Oldest first, as on every page. */
  lines: LogLine[];
  /** Null: a page before another reads on from nowhere; follow the job from its tail's nextCursor. */
  nextCursor: null;
  /** Pass as `before` for the lines before these; null when they start at the log's first line. */
  previousCursor: string | null;
  /** False: whether the log is complete is told by the pages that read to its end. */
  complete: false;
  truncated: boolean;
}

/**
 * The last `lines` lines the job has written so far. `complete` as on a forward page: the job is
 * finalized (its record is read before its log, so nothing is written after) and nothing follows.
 */
export async function readJobLogTail(ports: JobLogTailPorts, jobId: string, request: { lines: number }, caller: Caller): Promise<JobLogTail> {
  const job = await getJob(ports, jobId, caller);
  const page = await ports.logReader.readBackward(job, { limit: request.lines });
  if (!page.forward) throw new Error(`the log reader read the tail of job ${job.id} without a cursor to read on from`);
  return {
    lines: page.lines,
    nextCursor: page.forward.nextCursor,
    previousCursor: page.previousCursor,
    complete: isFinalized(job) && page.forward.atEnd,
    truncated: page.truncated,
  };
}

/** Up to `limit` lines right before `before` (the previousCursor of a tail or of an earlier page). */
export async function readJobLogsBefore(ports: JobLogTailPorts, jobId: string, request: { before: string; limit: number }, caller: Caller): Promise<EarlierJobLogs> {
  const job = await getJob(ports, jobId, caller);
  const page = await ports.logReader.readBackward(job, { before: request.before, limit: request.limit });
  return { lines: page.lines, nextCursor: null, previousCursor: page.previousCursor, complete: false, truncated: page.truncated };
}
