/**
 * The stage's log archive (LOG_ARCHIVE_BUCKET, serverless.yml LogArchiveBucket): its S3 client and
 * the archiver the FinalizeJob step writes with. A stage without the variable keeps no archive.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Dependencies, LogArchiver, LogReader } from '#lib/domain/ports.ts';

/**
 * An S3 client as the others are made (region and credentials from the environment), but addressing
 * buckets by path when an endpoint is set (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL): a stand-in S3 on
 * 127.0.0.1 has no `<bucket>.` host names.
 */
export function s3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpointSet = Boolean(env.AWS_ENDPOINT_URL_S3?.trim() || env.AWS_ENDPOINT_URL?.trim());
  return new S3Client(endpointSet ? { forcePathStyle: true } : {});
}

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
