/**
 * The reads of finished jobs' archived logs on AWS, for the function that serves GET /jobs/{id}/logs:
 * the archive in LOG_ARCHIVE_BUCKET once a job has one, the task's log stream before. Without the
 * variable (a stage deployed before archives) nothing is read from S3: the logs come from CloudWatch
 * as they always did, and a download is refused as not archived.
 */
import { ArchivedLogReader } from '#lib/adapters/aws/archived-log-reader.ts';
import { S3LogDownloads } from '#lib/adapters/aws/s3-log-downloads.ts';
import type { AwsTaskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { archiveLogReads } from '#lib/domain/archive-log-reads.ts';
import type { LogDownloads, LogReader } from '#lib/domain/ports.ts';
import { cloudWatchLogReader } from './aws-adapters.ts';
import { s3Client } from './s3-client.ts';

export interface LogArchiveReads {
  logReader: LogReader;
  logDownloads: LogDownloads;
}

/** The log reads of GET /jobs/{id}/logs: the archive where a job has one, else the task's log stream. */
export function logArchiveReads(settings: AwsTaskSettingsByProfile, env: NodeJS.ProcessEnv = process.env): LogArchiveReads {
  const stream = cloudWatchLogReader(settings);
  const bucket = env.LOG_ARCHIVE_BUCKET?.trim();
  if (!bucket) return { logReader: stream, logDownloads: { download: async () => undefined } };
  const client = s3Client(env);
  return {
    logReader: archiveLogReads({ archive: new ArchivedLogReader({ client, bucket }), stream }),
    logDownloads: new S3LogDownloads({ client, bucket }),
  };
}
