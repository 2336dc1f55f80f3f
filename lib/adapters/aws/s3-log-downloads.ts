/**
 * The LogDownloads port on AWS: a presigned GetObject of the job's archived log, good for a few
 * minutes, so that the log goes from S3 to the client without passing through a Lambda (whose
 * answers are at most 6 MB). Signed with the function's own credentials: the role that reads the
 * archive (s3:GetObject on logs/*) is the one the link borrows, for no longer than `expiresInSeconds`.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Job } from '#lib/domain/job.ts';
import type { LogDownload, LogDownloads } from '#lib/domain/ports.ts';

/** Long enough to follow a redirect and begin a download; short enough that a leaked link soon stops working. */
export const DOWNLOAD_LINK_SECONDS = 300;

export interface S3LogDownloadsOptions {
  client: S3Client;
  bucket: string;
  expiresInSeconds?: number;
}

export class S3LogDownloads implements LogDownloads {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #expiresInSeconds: number;

  constructor(options: S3LogDownloadsOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#expiresInSeconds = options.expiresInSeconds ?? DOWNLOAD_LINK_SECONDS;
  }

  async download(job: Job): Promise<LogDownload | undefined> {
    if (!job.logArchive) return undefined;
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: job.logArchive.key,
      // Saved under the job's name, as the gzip it is (`gunzip` reads its members as one file).
      ResponseContentDisposition: `attachment; filename="${job.id}.ndjson.gz"`,
    });
    return { url: await getSignedUrl(this.#client, command, { expiresIn: this.#expiresInSeconds }) };
  }
}
