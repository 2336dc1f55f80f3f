/**
 * A finished job's whole log, kept (lib/domain/log-archive.ts): archived once its task has stopped
 * and its log has drained, and recorded on the job as `logArchive`. FinalizeJob calls it once the
 * job's verdict is recorded. Run again (a retried step), it archives nothing twice: a job with its
 * archive recorded is left as it is, and an archive written but not recorded is written again with
 * the same bytes.
 */
import { isFinalized, type Job } from '#lib/domain/job.ts';
import type { Dependencies } from '#lib/domain/ports.ts';

/** Without a `logArchiver` (a stage or local mode keeping no archive) nothing is archived. */
export type ArchiveLogPorts = Pick<Dependencies, 'store' | 'logArchiver' | 'logger'>;

/**
 * Archives the log of `job` (as recorded: finalized, so its log is complete) and records the archive
 * on it; the job as it is now. A job not finalized yet, or already archived, is returned unchanged.
 * Throws what the archiver or the store threw: the caller decides what a failed archive means.
 */
export async function archiveJobLog(ports: ArchiveLogPorts, job: Job): Promise<Job> {
  if (!ports.logArchiver || job.logArchive !== undefined) return job;
  if (!isFinalized(job)) {
    ports.logger.warn('not archiving the log of a job that is not finished', { status: job.status });
    return job;
  }
  const logArchive = await ports.logArchiver.archive(job);
  ports.logger.info('log archived', { ...logArchive });
  return ports.store.update(job.id, { logArchive });
}
