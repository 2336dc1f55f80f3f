/**
 * Following a job with the API's long polls (`wait` on GET /jobs/{id} and /logs): a request waits
 * on the server until there is something new, so following costs a few requests a minute, not a
 * tight loop. The cursor makes each line arrive exactly once, in order, retries included.
 */
import { isTerminal, type JobStatus } from '#lib/domain/job.ts';
import type { LogLine } from '#lib/domain/ports.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import type { ApiClient } from './api-client.ts';

/** The most the API waits in one request. */
export const LONG_POLL_SECONDS = 20;
/** Lines per page: large enough that a chatty job is read in few requests. */
const PAGE_LINES = 1000;

export interface LogPage {
  lines: LogLine[];
  nextCursor: string;
  complete: boolean;
  truncated?: boolean;
}

export function getJob(client: ApiClient, jobId: string, wait?: { seconds: number; ifStatus: JobStatus }): Promise<JobDocument> {
  const query = wait ? { wait: wait.seconds, ifStatus: wait.ifStatus } : {};
  return client.request<JobDocument>('GET', `/jobs/${encodeURIComponent(jobId)}`, { query, retry: true }).then((answer) => answer.body);
}

export function getLogs(client: ApiClient, jobId: string, cursor: string | undefined, waitSeconds: number): Promise<LogPage> {
  const query = { cursor, limit: PAGE_LINES, ...(waitSeconds > 0 ? { wait: waitSeconds } : {}) };
  return client.request<LogPage>('GET', `/jobs/${encodeURIComponent(jobId)}/logs`, { query, retry: true }).then((answer) => answer.body);
}

export interface FollowLogsOptions {
  cursor?: string | undefined;
  /** Keep waiting for lines until the job is complete; otherwise stop at the first empty page. */
  follow: boolean;
  onLines(lines: LogLine[], nextCursor: string): void;
  /** Told once, after the last line, when the server cut the log at its size limit. */
  onTruncated?(): void;
}

/** What the CLI says, on stderr, of a log the server cut: never a line on stdout, as if the job had printed it. */
export const TRUNCATED_NOTICE = "the job's log was cut at the server's size limit (FARGATE_JOBS_MAX_LOG_BYTES): later output was dropped";

/** Reads the job's log from `cursor`; resolves with the cursor after the last line read. */
export async function followLogs(client: ApiClient, jobId: string, options: FollowLogsOptions): Promise<{ cursor: string | undefined; complete: boolean }> {
  let cursor = options.cursor;
  let truncated = false;
  for (;;) {
    const page = await getLogs(client, jobId, cursor, options.follow ? LONG_POLL_SECONDS : 0);
    if (page.lines.length > 0) options.onLines(page.lines, page.nextCursor);
    // Nothing is written after the cut: a page short of the limit has read every line there is.
    if (page.truncated === true && page.lines.length < PAGE_LINES && !truncated) {
      truncated = true;
      options.onTruncated?.();
    }
    cursor = page.nextCursor;
    if (page.complete) return { cursor, complete: true };
    if (!options.follow && page.lines.length === 0) return { cursor, complete: false };
  }
}

/**
 * Calls `onChange` with the job each time its status (or connection hint) changes, until it is
 * finished or `until` says so; resolves with the last job seen.
 */
export async function watchJob(
  client: ApiClient,
  first: JobDocument,
  onChange: (job: JobDocument) => void,
  until: (job: JobDocument) => boolean = (job) => isTerminal(job.status),
  pollSeconds: (job: JobDocument) => number = () => LONG_POLL_SECONDS,
): Promise<JobDocument> {
  let job = first;
  onChange(job);
  while (!until(job)) {
    const next = await getJob(client, job.id, { seconds: pollSeconds(job), ifStatus: job.status });
    if (next.status !== job.status || next.connect?.ssh !== job.connect?.ssh || next.network?.publicIp !== job.network?.publicIp) onChange(next);
    job = next;
  }
  return job;
}

/**
 * For a caller waiting for the connection hint: it appears without a status change, which the long
 * poll does not wake on, so while a running job has none, look again every couple of seconds.
 */
export function pollSecondsUntilConnectable(job: JobDocument): number {
  return job.status === 'RUNNING' && job.connect?.ssh === undefined ? 2 : LONG_POLL_SECONDS;
}
