/** The S3 client of the stage's log archive (log-archive.ts, log-archive-reads.ts). */
import { S3Client } from '@aws-sdk/client-s3';

/**
 * An S3 client as the others are made (region, credentials and endpoint from the process's
 * environment, read by the SDK itself), but addressing buckets by path when an endpoint is set
 * (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, looked up in `env`, the process's unless a test gives
 * another): a stand-in S3 on localhost (LocalStack, MinIO) has no `<bucket>.` host names.
 */
export function s3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpointSet = Boolean(env.AWS_ENDPOINT_URL_S3?.trim() || env.AWS_ENDPOINT_URL?.trim());
  return new S3Client(endpointSet ? { forcePathStyle: true } : {});
}
