/**
 * The log archive on S3: a job's whole log, read through the LogReader, written as gzip members of
 * NDJSON (one multipart upload when it is big) with an index whose offsets find each member; the
 * same bytes when written again; cut at the archive's limits. S3 is aws-sdk-client-mock answering
 * the commands lib-storage's Upload sends, the objects put back together from what they carried.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3LogArchive, type S3LogArchiveOptions } from '#lib/adapters/aws/s3-log-archive.ts';
import { archivedLine, archiveIndexKey, archiveKey, type ArchiveIndex } from '#lib/domain/log-archive.ts';
import type { LogLine } from '#lib/domain/ports.ts';
import { fakeLogReader, plainLine, type FakeLogReaderOptions } from '../helpers/fake-log-reader.ts';
import { aJob } from '../helpers/jobs.ts';

const s3 = mockClient(S3Client);
const BUCKET = 'fargate-jobs-test-log-archive';
const MIB = 1024 * 1024;

/** The objects as S3 would hold them once the calls made so far completed, by key. */
function storedObjects(): Map<string, Buffer> {
  const objects = new Map<string, Buffer>();
  for (const call of s3.commandCalls(PutObjectCommand)) {
    const input = call.args[0].input;
    objects.set(String(input.Key), bodyBytes(input.Body));
  }
  for (const complete of s3.commandCalls(CompleteMultipartUploadCommand)) {
    const { Key, UploadId } = complete.args[0].input;
    const parts = s3
      .commandCalls(UploadPartCommand)
      .map((call) => call.args[0].input)
      .filter((part) => part.UploadId === UploadId)
      .toSorted((a, b) => Number(a.PartNumber) - Number(b.PartNumber));
    objects.set(String(Key), Buffer.concat(parts.map((part) => bodyBytes(part.Body))));
  }
  return objects;
}

function bodyBytes(body: PutObjectCommandInput['Body']): Buffer {
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body);
  assert.fail(`an upload's body should be bytes, found ${typeof body}`);
}

/** S3 accepting everything; multipart uploads get ids of their own (answers are promises: lib-storage chains on them). */
function acceptUploads(): void {
  let uploads = 0;
  s3.on(PutObjectCommand).resolves({ ETag: '"object"' });
  s3.on(CreateMultipartUploadCommand).callsFake(async () => ({ UploadId: `upload-${(uploads += 1)}` }));
  s3.on(UploadPartCommand).callsFake(async (input: { PartNumber?: number }) => ({ ETag: `"part-${String(input.PartNumber)}"` }));
  s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"multipart"' });
  s3.on(AbortMultipartUploadCommand).resolves({});
}

function archiver(reader: FakeLogReaderOptions, options: Partial<S3LogArchiveOptions> = {}): S3LogArchive {
  const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
  return new S3LogArchive({ client, bucket: BUCKET, logReader: fakeLogReader(reader), ...options });
}

function ndjsonOf(lines: LogLine[]): string {
  return lines.map(archivedLine).join('');
}

function indexOf(objects: Map<string, Buffer>, jobId: string): ArchiveIndex {
  const index = objects.get(archiveIndexKey(jobId));
  assert.ok(index, 'the index was written');
  return JSON.parse(index.toString('utf8')) as ArchiveIndex;
}

/** Each member, gunzipped from its byte range alone, holds its lines from its first one on. */
function assertMembersFound(archive: Buffer, index: ArchiveIndex, lineAt: (line: number) => LogLine): void {
  let next = { line: 0, offset: 0 };
  for (const member of index.members) {
    assert.deepEqual({ line: member.line, offset: member.offset }, next, 'members follow each other, line after line, byte after byte');
    const text = gunzipSync(archive.subarray(member.offset, member.offset + member.bytes)).toString('utf8');
    const lines = text.split('\n');
    assert.equal(lines.pop(), '', 'every line ends with a newline');
    assert.equal(lines.length, member.lines);
    assert.deepEqual(JSON.parse(lines[0] ?? 'null'), lineAt(member.line), `member at ${member.offset} starts with line ${member.line}`);
    next = { line: member.line + member.lines, offset: member.offset + member.bytes };
  }
  assert.deepEqual(next, { line: index.lines, offset: archive.length }, 'the members hold every line and the whole object');
}

/** ~1 KB of base64 that gzip cannot shrink much, the same for the same line. */
function noisyLine(line: number): LogLine {
  const noise = Array.from({ length: 12 }, (_unused, part) => createHash('sha512').update(`${line}.${part}`).digest('base64')).join('');
  return { timestamp: new Date(Date.UTC(2026, 11, 7) + line).toISOString(), message: `${line} ${noise}`, stream: line % 2 ? 'stderr' : 'stdout' };
}

describe('S3LogArchive', () => {
  beforeEach(() => {
    s3.reset();
    acceptUploads();
  });

  it('writes every line as gzipped NDJSON in members of the given size, an index that finds each, and returns what it wrote', async () => {
    // Prepare
    const job = aJob({ status: 'SUCCEEDED' });
    const lineAt = (line: number): LogLine => ({ ...plainLine(line), ...(line >= 20 ? { attempt: 2 } : {}) });
    const all = Array.from({ length: 45 }, (_unused, line) => lineAt(line));

    // Act
    const archive = await archiver({ count: 45, lineAt }, { limits: { memberMaxLines: 10 } }).archive(job);

    // Assess
    const objects = storedObjects();
    const object = objects.get(archiveKey(job.id));
    assert.ok(object);
    assert.equal(gunzipSync(object).toString('utf8'), ndjsonOf(all));
    const index = indexOf(objects, job.id);
    assert.deepEqual(index.members.map((member) => member.lines), [10, 10, 10, 10, 5]);
    assertMembersFound(object, index, lineAt);
    assert.deepEqual({ ...index, members: [] }, { version: 1, lines: 45, bytes: object.length, truncated: false, members: [] });
    assert.deepEqual(archive, { key: `logs/${job.id}.ndjson.gz`, lines: 45, bytes: object.length });
    const [put] = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input).filter((input) => input.Key === archiveKey(job.id));
    assert.equal(put?.Bucket, BUCKET);
    assert.equal(put?.ContentType, 'application/gzip');
    assert.equal(s3.commandCalls(CreateMultipartUploadCommand).length, 0, 'a small archive is one PutObject');
  });

  it('closes a member before a line would take it past its bytes', async () => {
    // Prepare
    const job = aJob({ status: 'SUCCEEDED' });
    const lineBytes = Buffer.byteLength(archivedLine(plainLine(10)));

    // Act
    await archiver({ count: 30, lineAt: plainLine }, { limits: { memberMaxBytes: 3 * lineBytes + 1 } }).archive(job);

    // Assess
    const objects = storedObjects();
    const index = indexOf(objects, job.id);
    assert.deepEqual(index.members.map((member) => member.lines), Array(10).fill(3));
    assertMembersFound(objects.get(archiveKey(job.id)) ?? Buffer.alloc(0), index, plainLine);
  });

  it('streams a big log through a multipart upload of several parts, and writes the same bytes when written again', async () => {
    // Prepare
    const job = aJob({ status: 'FAILED' });
    const count = 12_000;

    // Act
    const first = await archiver({ count, lineAt: noisyLine }).archive(job);
    const firstObjects = storedObjects();
    s3.reset();
    acceptUploads();
    const again = await archiver({ count, lineAt: noisyLine }).archive(job);
    const againObjects = storedObjects();

    // Assess
    const parts = s3.commandCalls(UploadPartCommand).map((call) => call.args[0].input);
    assert.ok(parts.length >= 2, `${parts.length} part(s)`);
    assert.ok(parts.slice(0, -1).every((part) => bodyBytes(part.Body).length === 5 * MIB), 'every part but the last is 5 MiB');
    const [create] = s3.commandCalls(CreateMultipartUploadCommand).map((call) => call.args[0].input);
    assert.deepEqual({ bucket: create?.Bucket, key: create?.Key }, { bucket: BUCKET, key: archiveKey(job.id) });
    const object = againObjects.get(archiveKey(job.id));
    assert.ok(object);
    assert.ok(object.length > 5 * MIB);
    const lines = gunzipSync(object).toString('utf8').split('\n');
    assert.equal(lines.length, count + 1);
    assert.deepEqual(JSON.parse(lines[count - 1] ?? 'null'), noisyLine(count - 1));
    const index = indexOf(againObjects, job.id);
    assertMembersFound(object, index, noisyLine);
    assert.deepEqual(again, { key: archiveKey(job.id), lines: count, bytes: object.length });
    assert.deepEqual(again, first);
    assert.ok(firstObjects.get(archiveKey(job.id))?.equals(object), 'the same archive, byte for byte');
    assert.ok(firstObjects.get(archiveIndexKey(job.id))?.equals(againObjects.get(archiveIndexKey(job.id)) ?? Buffer.alloc(0)), 'the same index');
  });

  it('reads the log a page of 10,000 lines at a time, each from where the last ended', async () => {
    // Prepare
    const reader = fakeLogReader({ count: 25_000, lineAt: plainLine });
    const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });

    // Act
    await new S3LogArchive({ client, bucket: BUCKET, logReader: reader }).archive(aJob({ status: 'SUCCEEDED' }));

    // Assess
    assert.deepEqual(reader.reads, [{ limit: 10_000 }, { cursor: '10000', limit: 10_000 }, { cursor: '20000', limit: 10_000 }]);
  });

  it('writes an empty log as one empty gzip member (no time in its header) and an index of no members', async () => {
    // Prepare
    const job = aJob({ status: 'SUCCEEDED' });

    // Act
    const archive = await archiver({ count: 0, lineAt: plainLine }).archive(job);

    // Assess
    const objects = storedObjects();
    const object = objects.get(archiveKey(job.id));
    assert.ok(object);
    assert.equal(object.length, 20);
    assert.equal(object.readUInt32LE(4), 0, 'mtime 0');
    assert.equal(gunzipSync(object).length, 0);
    assert.deepEqual(indexOf(objects, job.id), { version: 1, lines: 0, bytes: 20, truncated: false, members: [] });
    assert.deepEqual(archive, { key: archiveKey(job.id), lines: 0, bytes: 20 });
  });

  it('cuts the archive before the line that would pass its most lines, and says so', async () => {
    // Prepare
    const job = aJob({ status: 'SUCCEEDED' });
    const reader = fakeLogReader({ count: 50_000, lineAt: plainLine });
    const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });

    // Act
    const archive = await new S3LogArchive({ client, bucket: BUCKET, logReader: reader, limits: { maxLines: 12_345 } }).archive(job);

    // Assess
    const objects = storedObjects();
    const object = objects.get(archiveKey(job.id)) ?? Buffer.alloc(0);
    assert.equal(gunzipSync(object).toString('utf8'), ndjsonOf(Array.from({ length: 12_345 }, (_unused, line) => plainLine(line))));
    const index = indexOf(objects, job.id);
    assert.equal(index.truncated, true);
    assertMembersFound(object, index, plainLine);
    assert.deepEqual(archive, { key: archiveKey(job.id), lines: 12_345, bytes: object.length, truncated: true });
    assert.equal(reader.reads.length, 2, 'no page is read after the cut');
  });

  it('cuts the archive before the line that would pass its most bytes', async () => {
    // Prepare
    const job = aJob({ status: 'SUCCEEDED' });
    const tenLines = Buffer.byteLength(ndjsonOf(Array.from({ length: 10 }, (_unused, line) => plainLine(line))));

    // Act
    const archive = await archiver({ count: 100, lineAt: plainLine }, { limits: { maxBytes: tenLines + 5 } }).archive(job);

    // Assess
    assert.deepEqual({ lines: archive.lines, truncated: archive.truncated }, { lines: 10, truncated: true });
    assert.equal(gunzipSync(storedObjects().get(archiveKey(job.id)) ?? Buffer.alloc(0)).length, tenLines);
  });

  it("carries the log's own truncation (output beyond what the log kept) to the archive", async () => {
    // Prepare
    const job = aJob({ status: 'SUCCEEDED' });

    // Act
    const archive = await archiver({ count: 3, lineAt: plainLine, truncated: true }).archive(job);

    // Assess
    assert.deepEqual(archive, { key: archiveKey(job.id), lines: 3, bytes: archive.bytes, truncated: true });
    assert.equal(indexOf(storedObjects(), job.id).truncated, true);
  });

  it('aborts the multipart upload and writes no index when a part fails', async () => {
    // Prepare
    s3.on(UploadPartCommand).rejects(new Error('SlowDown'));

    // Act and assess
    await assert.rejects(archiver({ count: 12_000, lineAt: noisyLine }).archive(aJob({ status: 'SUCCEEDED' })), /SlowDown/);
    assert.equal(s3.commandCalls(AbortMultipartUploadCommand).length, 1);
    assert.equal(s3.commandCalls(CompleteMultipartUploadCommand).length, 0);
    assert.equal(s3.commandCalls(PutObjectCommand).length, 0);
  });

  it('fails with the log reader\'s error, completing no upload and writing no index, when the log cannot be read', async () => {
    // Prepare
    const failure = new Error('ThrottlingException: Rate exceeded');

    // Act and assess
    await assert.rejects(archiver({ count: 30_000, lineAt: noisyLine, failAt: 10_000, failure }).archive(aJob({ status: 'SUCCEEDED' })), failure);
    assert.equal(s3.commandCalls(AbortMultipartUploadCommand).length, 1, 'the upload begun with the first page is aborted');
    assert.equal(s3.commandCalls(CompleteMultipartUploadCommand).length, 0);
    assert.equal(s3.commandCalls(PutObjectCommand).length, 0);
  });
});
