/**
 * GET /jobs/{id}/logs?download=1: on AWS a redirect to a presigned GetObject of the job's archive
 * (signed here for real, with made-up credentials; nothing is sent), a 409 before there is one; in
 * local mode (no LogDownloads port) the log itself, streamed as NDJSON.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { DOWNLOAD_LINK_SECONDS, S3LogDownloads } from '#lib/adapters/aws/s3-log-downloads.ts';
import { logArchiveReads } from '#lib/composition/log-archive-reads.ts';
import { s3Client } from '#lib/composition/s3-client.ts';
import type { AwsTaskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import type { Job } from '#lib/domain/job.ts';
import { archiveKey } from '#lib/domain/log-archive.ts';
import { ARCHIVE_RETRY_AFTER_SECONDS } from '#lib/domain/log-download.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { BackwardLogPage, JobStore, LogDownloads, LogLine, LogPage, LogReader } from '#lib/domain/ports.ts';
import { getJobLogsHandler } from '#lib/http/get-job-logs.ts';
import type { HttpResponse } from '#lib/http/responses.ts';
import { aJob } from '../helpers/jobs.ts';
import { logLines, logsEvent } from '../helpers/log-archive.ts';

const BUCKET = 'fargate-jobs-test-logs';
const CREDENTIALS = { accessKeyId: 'AKIAEXAMPLEEXAMPLE12', secretAccessKey: 'example-secret-access-key' };


function storeOf(job: Job): JobStore {
  return { get: async (jobId: string) => (jobId === job.id ? job : undefined) } as unknown as JobStore;
}

/** A job's log in memory, read a page at a time, counting the reads. */
class PagedLog implements LogReader {
  reads = 0;
  readonly lines: LogLine[];

  constructor(lines: LogLine[]) {
    this.lines = lines;
  }

  async read(_job: Job, options: { cursor?: string; limit: number }): Promise<LogPage> {
    this.reads += 1;
    const start = options.cursor ? Number(options.cursor) : 0;
    const lines = this.lines.slice(start, start + options.limit);
    return { lines, nextCursor: String(start + lines.length), atEnd: start + lines.length >= this.lines.length, truncated: false };
  }

  async readBackward(): Promise<BackwardLogPage> {
    throw new Error('a download reads forward');
  }

  async tail(): Promise<string[]> {
    return [];
  }
}

const finished = (overrides: Partial<Job> = {}) => aJob({ status: 'SUCCEEDED', stoppedAt: new Date().toISOString(), exitCode: 0, ...overrides });
const archived = () => {
  const job = finished();
  return { ...job, logArchive: { key: archiveKey(job.id), lines: 3, bytes: 120 } };
};

async function download(job: Job, logDownloads: LogDownloads | undefined, options: { query?: Record<string, string>; method?: string; profiles?: string; reader?: LogReader } = {}): Promise<HttpResponse> {
  const handler = getJobLogsHandler({ store: storeOf(job), logReader: options.reader ?? new PagedLog([]), logger: silentLogger, ...(logDownloads ? { logDownloads } : {}) });
  return handler(logsEvent(job.id, options.query ?? { download: '1' }, options), {} as Context);
}

async function text(body: AsyncIterable<string> | undefined): Promise<string> {
  let all = '';
  for await (const chunk of body ?? []) all += chunk;
  return all;
}

describe('GET /jobs/{id}/logs?download=1 on AWS', () => {
  const downloads = new S3LogDownloads({ client: new S3Client({ region: 'eu-west-1', credentials: CREDENTIALS }), bucket: BUCKET });

  it("redirects to a short-lived presigned GetObject of the job's archive, not to be cached", async () => {
    // Prepare
    const job = archived();

    // Act
    const response = await download(job, downloads);

    // Assess
    assert.equal(response.statusCode, 302);
    assert.equal(response.headers['cache-control'], 'no-store');
    const location = new URL(response.headers.location ?? '');
    assert.equal(location.hostname, `${BUCKET}.s3.eu-west-1.amazonaws.com`);
    assert.equal(location.pathname, `/logs/${job.id}.ndjson.gz`);
    assert.equal(location.searchParams.get('X-Amz-Expires'), String(DOWNLOAD_LINK_SECONDS));
    assert.ok(location.searchParams.get('X-Amz-Signature'));
    assert.equal(location.searchParams.get('response-content-disposition'), `attachment; filename="${job.id}.ndjson.gz"`);
  });

  it('names the bucket in the path where S3 has an endpoint of its own (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL)', () => {
    // Act
    const clients = [{ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566' }, { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }, {}].map((env) => s3Client(env));

    // Assess
    assert.deepEqual(
      clients.map((client) => client.config.forcePathStyle),
      [true, true, false],
    );
  });

  it('answers 409 LOG_NOT_ARCHIVED with a Retry-After while the job is still running', async () => {
    // Prepare
    const job = aJob({ status: 'RUNNING' });

    // Act
    const response = await download(job, downloads);

    // Assess
    assert.equal(response.statusCode, 409);
    assert.equal(response.headers['Retry-After'], String(ARCHIVE_RETRY_AFTER_SECONDS));
    const body = JSON.parse(response.body ?? '{}') as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'LOG_NOT_ARCHIVED');
    assert.match(body.error.message, /archived once the job has finished/);
  });

  it('answers 409 LOG_NOT_ARCHIVED with a Retry-After for a job that finished so lately that its archive may still come, and without one for a job finished long ago with none', async () => {
    // Act
    const lately = await download(finished(), downloads);
    const longAgo = await download(finished({ stoppedAt: new Date(Date.now() - 3600_000).toISOString() }), downloads);

    // Assess
    assert.equal(lately.statusCode, 409);
    assert.equal(lately.headers['Retry-After'], String(ARCHIVE_RETRY_AFTER_SECONDS));
    assert.equal(longAgo.statusCode, 409);
    assert.equal(longAgo.headers['Retry-After'], undefined);
  });

  it('refuses every download on a stage without LOG_ARCHIVE_BUCKET', async () => {
    // Prepare
    const settings: AwsTaskSettingsByProfile = new Map();
    const { logDownloads } = logArchiveReads(settings, {});

    // Act
    const response = await download(archived(), logDownloads);

    // Assess
    assert.equal(response.statusCode, 409);
  });

  it('answers a caller who may not read the job as the logs route does', async () => {
    // Prepare
    const job = archived();
    const reader = new PagedLog([]);

    // Act
    const refused = await download(job, downloads, { profiles: 'other' });
    const page = await download(job, downloads, { profiles: 'other', query: {}, reader });

    // Assess
    assert.ok(refused.statusCode >= 400 && refused.statusCode < 500);
    assert.equal(refused.statusCode, page.statusCode);
    assert.equal(refused.body, page.body);
  });

  it('refuses download=1 beside a cursor, and any other value of it (400)', async () => {
    // Act
    const withCursor = await download(archived(), downloads, { query: { download: '1', cursor: 'abc' } });
    const other = await download(archived(), downloads, { query: { download: 'yes' } });

    // Assess
    assert.equal(withCursor.statusCode, 400);
    assert.equal(other.statusCode, 400);
  });
});

describe('GET /jobs/{id}/logs?download=1 in local mode', () => {
  it('streams the whole log as NDJSON, a page at a time, as an attachment named for the job', async () => {
    // Prepare
    const lines = logLines(2500);
    const reader = new PagedLog(lines);
    const job = finished();

    // Act
    const response = await download(job, undefined, { reader });
    const body = await text(response.streamedBody);

    // Assess
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/x-ndjson; charset=utf-8');
    assert.equal(response.headers['content-disposition'], `attachment; filename="${job.id}.ndjson"`);
    assert.deepEqual(body.trimEnd().split('\n').map((line) => JSON.parse(line) as LogLine), lines);
    assert.equal(reader.reads, 3);
  });

  it('answers a HEAD with the headers and no body to stream', async () => {
    // Act
    const response = await download(finished(), undefined, { method: 'HEAD', reader: new PagedLog(logLines(3)) });

    // Assess
    assert.equal(response.statusCode, 200);
    assert.equal(response.streamedBody, undefined);
    assert.equal(response.headers['content-type'], 'application/x-ndjson; charset=utf-8');
  });
});
