/**
 * The stage's log archive (LOG_ARCHIVE_BUCKET, serverless.yml LogArchiveBucket; lib/domain/log-archive.ts):
 * its S3 client and the archiver the FinalizeJob step writes with (the reads are log-archive-reads.ts,
 * apart, so that no bundle that reads has the writer's lib-storage). A stage without the variable
 * keeps no archive.
 */
import type { Dependencies, LogArchiver, LogReader } from '#lib/domain/ports.ts';
import { s3Client } from './s3-client.ts';

/**
 * The archiver of the bucket LOG_ARCHIVE_BUCKET names, reading logs with `logReader`; none without
 * it. The S3 archiver (and lib-storage with it) is loaded on the first archive: lib-storage's package
 * does not say it is free of side effects, so a static import would put it, and most of the S3
 * client, into every function's bundle.
 */
export function logArchiver(logReader: LogReader, env: NodeJS.ProcessEnv = process.env): Pick<Dependencies, 'logArchiver'> {
  const bucket = env.LOG_ARCHIVE_BUCKET?.trim();
  if (!bucket) return {};
  const client = s3Client(env);
  let loaded: Promise<LogArchiver> | undefined;
  const load = async (): Promise<LogArchiver> => {
    const { S3LogArchive } = await import('#lib/adapters/aws/s3-log-archive.ts');
    return new S3LogArchive({ client, bucket, logReader });
  };
  return { logArchiver: { archive: async (job) => (await (loaded ??= load())).archive(job) } };
}
