/**
 * A job's whole log in one download (GET /jobs/{id}/logs?download=1), for whoever may read the job.
 * On AWS a short-lived link to its archive, once there is one: before, a 409 that says when to ask
 * again while the job has yet to finish. Locally (no LogDownloads port) its lines as they are read,
 * a page at a time, so that a large log is never held whole: for a job still running, the lines
 * written so far.
 */
import type { Caller } from './caller.ts';
import { LogNotArchivedError } from './errors.ts';
import { getJob } from './job-service.ts';
import { isFinalized, stoppedAtOf, type Job } from './job.ts';
import { clockOf, type Dependencies, type LogDownload, type LogLine, type LogReader } from './ports.ts';

export type LogDownloadPorts = Pick<Dependencies, 'store' | 'logReader' | 'logDownloads' | 'now'>;

/** How many lines each read of a streamed download takes (the API's default page). */
const DOWNLOAD_PAGE_LINES = 1000;
/** How long a client waits before asking again for the download of a job whose archive is still to come. */
export const ARCHIVE_RETRY_AFTER_SECONDS = 30;
/**
 * How long after its stop a finished job's archive may still come: FinalizeJob archives after it has
 * recorded the stop and notified (its 600 s, and two retries after 10 and 20 s).
 */
export const ARCHIVE_EXPECTED_WITHIN_SECONDS = 15 * 60;

export async function downloadJobLog(ports: LogDownloadPorts, jobId: string, caller: Caller): Promise<LogDownload> {
  const job = await getJob(ports, jobId, caller);
  if (!ports.logDownloads) return { lines: everyLine(ports.logReader, job) };
  const download = await ports.logDownloads.download(job);
  if (download === undefined) throw new LogNotArchivedError(job.id, archiveToCome(job, clockOf(ports)()) ? ARCHIVE_RETRY_AFTER_SECONDS : undefined);
  return download;
}

/** The job's archive may still come: it has not finished, or finished so lately that FinalizeJob may still be writing it. */
function archiveToCome(job: Job, now: Date): boolean {
  const stoppedAt = stoppedAtOf(job);
  if (!isFinalized(job) || stoppedAt === undefined) return true;
  return now.getTime() - Date.parse(stoppedAt) < ARCHIVE_EXPECTED_WITHIN_SECONDS * 1000;
}

/** Every line of the job's log written so far, read forward a page at a time. */
export async function* everyLine(reader: LogReader, job: Job, pageLines = DOWNLOAD_PAGE_LINES): AsyncGenerator<LogLine> {
  let cursor: string | undefined;
  for (;;) {
    const page = await reader.read(job, { limit: pageLines, ...(cursor === undefined ? {} : { cursor }) });
    yield* page.lines;
    // A reader may answer a short or empty page before its end (CloudWatch Logs), never one that does not move on.
    if (page.atEnd || page.nextCursor === cursor) return;
    cursor = page.nextCursor;
  }
}
