/**
 * The log archive on S3 over the wire: the archiver, the archived-log reader and the download link,
 * with the S3 client the AWS composition builds (s3Client: path-style for an endpoint), against a
 * fake S3 speaking S3's REST/XML protocol (test/helpers/fake-s3.ts). What aws-sdk-client-mock cannot
 * show is checked here: that lib-storage's multipart upload goes through over HTTP with parts S3
 * accepts (5 MiB but the last, each with the CRC32 S3 verifies), that ranged GETs find the index's
 * members, that S3's NoSuchKey (an XML 404) reaches the reader as LOG_EXPIRED, and that the
 * presigned link works in a plain `fetch`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { ArchivedLogReader } from '#lib/adapters/aws/archived-log-reader.ts';
import { S3LogArchive } from '#lib/adapters/aws/s3-log-archive.ts';
import { DOWNLOAD_LINK_SECONDS, S3LogDownloads } from '#lib/adapters/aws/s3-log-downloads.ts';
import { s3Client } from '#lib/composition/s3-client.ts';
import { LogExpiredError } from '#lib/domain/errors.ts';
import type { Job } from '#lib/domain/job.ts';
import { archivedLine, archiveIndexKey, archiveKey, type ArchiveIndex } from '#lib/domain/log-archive.ts';
import type { LogLine } from '#lib/domain/ports.ts';
import { fakeLogReader, plainLine } from '../helpers/fake-log-reader.ts';
import { startFakeS3, type FakeS3, type FakeS3Request } from '../helpers/fake-s3.ts';
import { aJob } from '../helpers/jobs.ts';

const BUCKET = 'fargate-jobs-e2e-log-archive';
/** Enough noisy lines to gzip to more than lib-storage's 5 MiB part: a multipart upload of 2 parts or more. */
const BIG_LOG_LINES = 32_000;
const SMALL_LOG_LINES = 25;
/** Lines asked per page by the reads below: many pages, some across members. */
const PAGE_LINES = 2_500;

/** A line gzip cannot shrink much (base64 of hashes), the same every time it is asked for. */
function noisyLine(line: number): LogLine {
  const noise = [0, 1, 2].map((salt) => createHash('sha512').update(`${salt}:${line}`).digest('base64')).join('');
  return { timestamp: new Date(Date.UTC(2026, 11, 7, 12) + line).toISOString(), message: `line ${line} ${noise}`, stream: line % 7 === 0 ? 'stderr' : 'stdout' };
}

const BIG_LOG = Array.from({ length: BIG_LOG_LINES }, (_unused, line) => noisyLine(line));
const SMALL_LOG = Array.from({ length: SMALL_LOG_LINES }, (_unused, line) => plainLine(line));

const ndjsonOf = (lines: readonly LogLine[]): string => lines.map(archivedLine).join('');
const requestsFor = (fake: FakeS3, key: string): FakeS3Request[] => fake.requests.filter((request) => request.path === `/${BUCKET}/${key}`);

describe('the log archive against S3 over HTTP', () => {
  let fake: FakeS3;
  let client: S3Client;
  let savedEnvironment: Record<string, string | undefined> = {};
  const big = aJob({ status: 'SUCCEEDED' });
  const small = aJob({ status: 'SUCCEEDED' });

  function archiver(lines: readonly LogLine[], failAt?: number): S3LogArchive {
    const logReader = fakeLogReader({ count: lines.length, lineAt: (line) => lines[line] ?? assert.fail(`no line ${line}`), ...(failAt === undefined ? {} : { failAt }) });
    return new S3LogArchive({ client, bucket: BUCKET, logReader });
  }

  function storedIndex(job: Job): ArchiveIndex {
    const index = fake.object(BUCKET, archiveIndexKey(job.id));
    assert.ok(index, `the index of ${job.id} is stored`);
    return JSON.parse(index.toString('utf8')) as ArchiveIndex;
  }

  before(async () => {
    fake = await startFakeS3({ buckets: [BUCKET] });
    // The SDK reads its region, credentials and endpoint from process.env, whatever env s3Client is given.
    const environment = fake.environment();
    savedEnvironment = Object.fromEntries(['AWS_PROFILE', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', ...Object.keys(environment)].map((name) => [name, process.env[name]]));
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
    Object.assign(process.env, environment);
    client = s3Client(process.env);
    big.logArchive = await archiver(BIG_LOG).archive(big);
    small.logArchive = await archiver(SMALL_LOG).archive(small);
  });

  after(async () => {
    client?.destroy();
    await fake?.close();
    for (const [name, value] of Object.entries(savedEnvironment)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  describe('writing', () => {
    it('uploads a big log in parts of at least 5 MiB, each with the CRC32 S3 checks, and the object gunzips to every line', () => {
      const operations = requestsFor(fake, archiveKey(big.id)).map((request) => request.operation);
      const parts = requestsFor(fake, archiveKey(big.id)).filter((request) => request.operation === 'UploadPart');

      assert.equal(operations[0], 'CreateMultipartUpload');
      assert.ok(parts.length >= 2, `a multipart upload of 2 parts or more (${parts.length})`);
      assert.equal(operations.at(-1), 'CompleteMultipartUpload');
      assert.ok(parts.every((part) => typeof part.headers['x-amz-checksum-crc32'] === 'string'), 'every part carries its CRC32');
      const object = fake.object(BUCKET, archiveKey(big.id));
      assert.ok(object, 'the archive is stored');
      assert.equal(gunzipSync(object).toString('utf8'), ndjsonOf(BIG_LOG));
      assert.deepEqual(big.logArchive, { key: archiveKey(big.id), lines: BIG_LOG_LINES, bytes: object.length });
    });

    it('puts a small log as one object of content type application/gzip', () => {
      const requests = requestsFor(fake, archiveKey(small.id));

      assert.deepEqual(requests.map((request) => request.operation), ['PutObject']);
      assert.equal(requests[0]?.headers['content-type'], 'application/gzip');
      assert.equal(gunzipSync(fake.object(BUCKET, archiveKey(small.id)) ?? Buffer.alloc(0)).toString('utf8'), ndjsonOf(SMALL_LOG));
    });

    it('writes an index whose members each gunzip, from their own byte range, to their lines', () => {
      for (const [job, lines] of [[big, BIG_LOG], [small, SMALL_LOG]] as const) {
        const index = storedIndex(job);
        const object = fake.object(BUCKET, archiveKey(job.id)) ?? assert.fail('the archive is stored');

        assert.equal(index.lines, lines.length);
        assert.equal(index.bytes, object.length);
        for (const member of index.members) {
          const ndjson = gunzipSync(object.subarray(member.offset, member.offset + member.bytes)).toString('utf8');
          assert.equal(ndjson, ndjsonOf(lines.slice(member.line, member.line + member.lines)), `member at byte ${member.offset}`);
        }
        assert.equal(index.members.reduce((sum, member) => sum + member.lines, 0), lines.length);
      }
      assert.ok(storedIndex(big).members.length > 2, 'the big log has members enough for pages across them');
    });

    it('writes the same bytes when it archives the same log again, and never deletes anything', async () => {
      const keys = [big, small].flatMap((job) => [archiveKey(job.id), archiveIndexKey(job.id)]);
      const before = keys.map((key) => fake.object(BUCKET, key));

      await archiver(BIG_LOG).archive(big);
      await archiver(SMALL_LOG).archive(small);

      assert.deepEqual(keys.map((key) => fake.object(BUCKET, key)), before);
      assert.deepEqual(fake.requests.filter((request) => request.method === 'DELETE'), []);
      assert.equal(fake.openUploads(), 0);
    });

    it('aborts its multipart upload when the log fails to read midway: no archive, no index, no parts left', async () => {
      const job = aJob({ status: 'SUCCEEDED' });
      const lines = Array.from({ length: 60_000 }, (_unused, line) => noisyLine(line));

      await assert.rejects(archiver(lines, 40_000).archive(job), /the log could not be read/);

      const operations = requestsFor(fake, archiveKey(job.id)).map((request) => request.operation);
      assert.equal(operations[0], 'CreateMultipartUpload', 'the upload had begun');
      assert.equal(operations.at(-1), 'AbortMultipartUpload');
      assert.equal(fake.object(BUCKET, archiveKey(job.id)), undefined);
      assert.equal(fake.object(BUCKET, archiveIndexKey(job.id)), undefined);
      assert.equal(fake.openUploads(), 0);
      assert.equal(fake.requests.filter((request) => request.operation === 'DeleteObject').length, 0);
    });
  });

  describe('reading', () => {
    it('reads the archived log forward page by page: every line once, in order, with ranged GETs', async () => {
      const reader = new ArchivedLogReader({ client, bucket: BUCKET });
      const read: LogLine[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page += 1) {
        const next = await reader.read(big, { ...(cursor === undefined ? {} : { cursor }), limit: PAGE_LINES });
        read.push(...next.lines);
        cursor = next.nextCursor;
        if (next.atEnd) break;
      }

      assert.deepEqual(read, BIG_LOG);
      const ranged = requestsFor(fake, archiveKey(big.id)).filter((request) => request.operation === 'GetObject');
      assert.ok(ranged.length > 1 && ranged.every((request) => /^bytes=\d+-\d+$/.test(request.headers.range ?? '')), 'the archive is read in ranges');
    });

    it('reads it backward from the end with before cursors, and its tail', async () => {
      const reader = new ArchivedLogReader({ client, bucket: BUCKET });
      const pages: LogLine[][] = [];
      let before: string | undefined;
      for (let page = 0; page < 100; page += 1) {
        const previous = await reader.readBackward(big, { ...(before === undefined ? {} : { before }), limit: PAGE_LINES });
        pages.unshift(previous.lines);
        if (previous.previousCursor === null) break;
        before = previous.previousCursor;
      }

      assert.deepEqual(pages.flat(), BIG_LOG);
      assert.deepEqual(await new ArchivedLogReader({ client, bucket: BUCKET }).tail(small, 3), ['line 22', 'line 23', 'line 24']);
    });

    it('answers LOG_EXPIRED for a job whose archive is gone, before or after its index was read', async () => {
      const isExpired = (error: unknown) => error instanceof LogExpiredError && error.code === 'LOG_EXPIRED';
      const never = aJob({ status: 'SUCCEEDED', logArchive: { key: archiveKey('never-archived'), lines: 1, bytes: 20 } });
      const lapsed = aJob({ status: 'SUCCEEDED' });
      lapsed.logArchive = await archiver(SMALL_LOG).archive(lapsed);
      // Keeps no members: the read after the lifecycle rule has run asks S3 for the archive again.
      const reader = new ArchivedLogReader({ client, bucket: BUCKET, memberCacheBytes: 0 });

      await assert.rejects(reader.read(never, { limit: PAGE_LINES }), isExpired);
      assert.equal(fake.requests.at(-1)?.path, `/${BUCKET}/${archiveIndexKey(never.id)}`);
      assert.equal((await reader.read(lapsed, { limit: 5 })).lines.length, 5);
      fake.expire(BUCKET, archiveKey(lapsed.id));
      await assert.rejects(reader.read(lapsed, { limit: 5 }), isExpired);
    });
  });

  describe('downloading', () => {
    it('gives a presigned link that a plain fetch downloads as the archive, under the job name', async () => {
      const download = await new S3LogDownloads({ client, bucket: BUCKET }).download(big);
      assert.ok(download && 'url' in download, 'an archived job has a download link');
      const link = new URL(download.url);

      const response = await fetch(link);

      assert.equal(response.status, 200);
      assert.ok(Buffer.from(await response.arrayBuffer()).equals(fake.object(BUCKET, archiveKey(big.id)) ?? Buffer.alloc(0)), 'the archive bytes');
      assert.equal(response.headers.get('content-disposition'), `attachment; filename="${big.id}.ndjson.gz"`);
      assert.equal(response.headers.get('content-type'), 'application/gzip');
      assert.equal(link.pathname, `/${BUCKET}/${archiveKey(big.id)}`);
      assert.equal(link.searchParams.get('X-Amz-Expires'), String(DOWNLOAD_LINK_SECONDS));
      assert.equal(link.searchParams.has('X-Amz-Signature'), true);
    });
  });
});
