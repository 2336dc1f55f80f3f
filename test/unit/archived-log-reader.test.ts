/**
 * A finished job's log read from its archive (lib/adapters/aws/archived-log-reader.ts) through
 * GET /jobs/{id}/logs: archives built as the format says (gzip members and their index), served by a
 * mocked S3 that answers ranged GetObjects as S3 does.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { ArchivedLogReader, type ArchivedLogReaderOptions } from '#lib/adapters/aws/archived-log-reader.ts';
import { encodeCursor } from '#lib/domain/cursor.ts';
import type { Job, JobStatus } from '#lib/domain/job.ts';
import { archiveIndexKey, archiveKey, type ArchiveMember } from '#lib/domain/log-archive.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { JobStore, LogLine } from '#lib/domain/ports.ts';
import { getJobLogsHandler } from '#lib/http/get-job-logs.ts';
import { aJob } from '../helpers/jobs.ts';
import { buildArchive, getObjectCalls, logLines, mockS3, serveArchives, type BuiltArchive, logsEvent } from '../helpers/log-archive.ts';

const BUCKET = 'fargate-jobs-test-logs';
const s3 = mockS3();

interface LogsBody {
  lines: LogLine[];
  nextCursor: string | null;
  previousCursor?: string | null;
  complete: boolean;
  truncated: boolean;
  error?: { code: string; message: string };
}

function storeOf(jobs: Job[]): JobStore {
  const stored = new Map(jobs.map((job) => [job.id, job]));
  return { get: async (jobId: string) => stored.get(jobId) } as unknown as JobStore;
}


/** A job that finished and was archived (finalized: stoppedAt set), or as `overrides` say. */
function archivedJob(archive: (jobId: string) => BuiltArchive, overrides: Partial<Job> = {}): { job: Job; built: BuiltArchive } {
  const base = aJob({ status: 'SUCCEEDED' as JobStatus, stoppedAt: new Date().toISOString(), ...overrides });
  const built = archive(base.id);
  return { job: { ...base, logArchive: built.logArchive }, built };
}

/** The ranged GET of one member, as getObjectCalls lists it. */
function memberGet(job: Job, member: ArchiveMember): { key: string; range: string } {
  return { key: archiveKey(job.id), range: `bytes=${member.offset}-${member.offset + member.bytes - 1}` };
}

/** The NDJSON bytes of `lines` as the archive holds them: what the member cache counts. */
function ndjsonBytes(lines: LogLine[]): number {
  return lines.reduce((sum, line) => sum + Buffer.byteLength(`${JSON.stringify(line)}\n`), 0);
}

function aReader(options: Partial<ArchivedLogReaderOptions> = {}): ArchivedLogReader {
  return new ArchivedLogReader({ client: new S3Client({ region: 'eu-west-1' }), bucket: BUCKET, ...options });
}

describe('GET /jobs/{id}/logs of an archived job', () => {
  let reader: ArchivedLogReader;

  beforeEach(() => {
    s3.reset();
    reader = aReader();
  });

  async function get(job: Job, query: Record<string, string> = {}): Promise<{ status: number; body: LogsBody }> {
    const handler = getJobLogsHandler({ store: storeOf([job]), logReader: reader, logger: silentLogger });
    const response = await handler(logsEvent(job.id, query), {} as Context);
    return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') as LogsBody };
  }

  /** Pages from the head until complete (bounded). */
  async function pageForward(job: Job, limit: string): Promise<LogsBody[]> {
    const pages: LogsBody[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20 && !pages.at(-1)?.complete; page += 1) {
      const { body } = await get(job, { limit, ...(cursor ? { cursor } : {}) });
      pages.push(body);
      cursor = body.nextCursor ?? undefined;
    }
    return pages;
  }

  it('pages forward from the head: the index once and one ranged GET a member, complete at the last line', async () => {
    // Prepare
    const lines = logLines(25);
    const { job, built } = archivedJob((id) => buildArchive(id, lines, { memberLines: 10 }));
    serveArchives(s3, BUCKET, { [job.id]: built });

    // Act
    const pages = await pageForward(job, '10');

    // Assess
    assert.deepEqual(pages.flatMap((page) => page.lines), lines);
    assert.deepEqual(pages.map((page) => page.complete), [false, false, true]);
    assert.deepEqual(getObjectCalls(s3), [{ key: archiveIndexKey(job.id), range: undefined }, ...built.index.members.map((member) => memberGet(job, member))]);
  });

  it('pages a log in pages smaller than its members with the same pages as a reader that keeps nothing, for one index GET and one GET a member', async () => {
    // Prepare
    const lines = logLines(25);
    const { job, built } = archivedJob((id) => buildArchive(id, lines, { memberLines: 10 }));
    serveArchives(s3, BUCKET, { [job.id]: built });

    // Act: pages of 4 lines, two of them across a member boundary (8-11, 20-23)
    const pages = await pageForward(job, '4');
    const cachedCalls = getObjectCalls(s3);
    s3.resetHistory();
    reader = aReader({ indexCacheEntries: 0, memberCacheBytes: 0 });
    const uncachedPages = await pageForward(job, '4');

    // Assess
    assert.deepEqual(pages.flatMap((page) => page.lines), lines);
    assert.deepEqual(pages, uncachedPages);
    assert.equal(pages.length, 7);
    assert.deepEqual(cachedCalls, [{ key: archiveIndexKey(job.id), range: undefined }, ...built.index.members.map((member) => memberGet(job, member))]);
    assert.equal(getObjectCalls(s3).length, 2 * 7);
  });

  it('crosses a member boundary in one page with one ranged GET of both members', async () => {
    // Prepare
    const lines = logLines(30);
    const { job, built } = archivedJob((id) => buildArchive(id, lines, { memberLines: 10 }));
    serveArchives(s3, BUCKET, { [job.id]: built });

    // Act
    const { body } = await get(job, { cursor: encodeCursor({ line: 7 }), limit: '10' });

    // Assess
    assert.deepEqual(body.lines, lines.slice(7, 17));
    const [first, second] = built.index.members;
    assert.deepEqual(getObjectCalls(s3)[1], { key: archiveKey(job.id), range: `bytes=${first!.offset}-${second!.offset + second!.bytes - 1}` });
    assert.equal(getObjectCalls(s3).length, 2);
    assert.equal(body.complete, false);
  });

  it('reads on from the line a stream cursor carries', async () => {
    // Prepare
    const lines = logLines(30);
    const { job, built } = archivedJob((id) => buildArchive(id, lines, { memberLines: 10 }));
    serveArchives(s3, BUCKET, { [job.id]: built });

    // Act
    const { body } = await get(job, { cursor: encodeCursor({ forwardToken: 'f/00000012/3', line: 12 }), limit: '5' });

    // Assess
    assert.deepEqual(body.lines, lines.slice(12, 17));
  });

  it('reads the tail, then page by page back to the first line with before', async () => {
    // Prepare
    const lines = logLines(23);
    const { job, built } = archivedJob((id) => buildArchive(id, lines, { memberLines: 10 }));
    serveArchives(s3, BUCKET, { [job.id]: built });

    // Act
    const tail = (await get(job, { tail: '8' })).body;
    const earlier: LogsBody[] = [];
    let before = tail.previousCursor;
    while (before && earlier.length < 10) {
      const { body } = await get(job, { before, limit: '8' });
      earlier.push(body);
      before = body.previousCursor;
    }
    const after = (await get(job, { cursor: tail.nextCursor as string })).body;

    // Assess
    assert.deepEqual(tail.lines, lines.slice(15));
    assert.equal(tail.complete, true);
    assert.deepEqual([...earlier.reverse().flatMap((page) => page.lines), ...tail.lines], lines);
    assert.deepEqual(after, { lines: [], nextCursor: tail.nextCursor, complete: true, truncated: false });
    // The index once; the tail's two members in one GET, then the first member the first time a page needs it.
    assert.deepEqual(getObjectCalls(s3).slice(1), [
      { key: archiveKey(job.id), range: `bytes=${built.index.members[1]!.offset}-${built.index.bytes - 1}` },
      memberGet(job, built.index.members[0]!),
    ]);
  });

  it('answers 410 LOG_EXPIRED, not a 500, for a job whose archive the lifecycle rule has removed', async () => {
    // Prepare: the record still names its archive; S3 answers NoSuchKey, as it does for an expired object.
    const { job } = archivedJob((jobId) => buildArchive(jobId, logLines(3)));
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));

    // Act
    const response = await get(job);

    // Assess
    assert.equal(response.status, 410);
    assert.equal(response.body.error?.code, 'LOG_EXPIRED');
    assert.match(response.body.error?.message ?? '', /expired/);
  });

  it('evicts the least recently used member once the members kept pass their bound', async () => {
    // Prepare: room for two members (the first is the smallest: its lines' numbers have one digit)
    const lines = logLines(30);
    const { job, built } = archivedJob((id) => buildArchive(id, lines, { memberLines: 10 }));
    serveArchives(s3, BUCKET, { [job.id]: built });
    reader = aReader({ memberCacheBytes: 2 * ndjsonBytes(lines.slice(10, 20)) });
    const pageAt = async (line: number) => (await get(job, { cursor: encodeCursor({ line }), limit: '5' })).body.lines;

    // Act: the first member read again before the third is read, so the second is the one evicted
    const read = [await pageAt(0), await pageAt(10), await pageAt(0), await pageAt(20), await pageAt(0), await pageAt(10)];

    // Assess
    assert.deepEqual(read, [lines.slice(0, 5), lines.slice(10, 15), lines.slice(0, 5), lines.slice(20, 25), lines.slice(0, 5), lines.slice(10, 15)]);
    const [first, second, third] = built.index.members as [ArchiveMember, ArchiveMember, ArchiveMember];
    assert.deepEqual(getObjectCalls(s3).slice(1), [memberGet(job, first), memberGet(job, second), memberGet(job, third), memberGet(job, second)]);
  });

  it('keeps a member read by two requests at once once: both answer, and it still leaves room for the next', async () => {
    // Prepare: room for two members
    const lines = logLines(30);
    const { job, built } = archivedJob((id) => buildArchive(id, lines, { memberLines: 10 }));
    serveArchives(s3, BUCKET, { [job.id]: built });
    reader = aReader({ memberCacheBytes: 2 * ndjsonBytes(lines.slice(10, 20)) });
    const pageAt = async (line: number) => (await get(job, { cursor: encodeCursor({ line }), limit: '5' })).body.lines;

    // Act
    const together = await Promise.all([pageAt(0), pageAt(0)]);
    const gotTogether = getObjectCalls(s3).length;
    const after = [await pageAt(10), await pageAt(0)];

    // Assess
    const [first, second] = built.index.members as [ArchiveMember, ArchiveMember];
    assert.deepEqual(together, [lines.slice(0, 5), lines.slice(0, 5)]);
    // Whether the second finds the first's member kept depends on how their awaits interleave: one GET or two, never more.
    const memberGets = getObjectCalls(s3).filter((call) => call.range === memberGet(job, first).range).length;
    assert.ok(memberGets === 1 || memberGets === 2, `${memberGets} GETs of the member`);
    assert.deepEqual(after, [lines.slice(10, 15), lines.slice(0, 5)]);
    assert.deepEqual(getObjectCalls(s3).slice(gotTogether), [memberGet(job, second)]);
  });

  for (const [name, breakMember] of [
    ['a GET of the member that fails', (job: Job) => s3.on(GetObjectCommand, { Key: archiveKey(job.id) }).rejects(new Error('socket hang up'))],
    [
      'a member that does not gunzip',
      (job: Job, built: BuiltArchive) => {
        const first = built.index.members[0] as ArchiveMember;
        const body = Buffer.from(built.body);
        body.fill(0x41, first.offset, first.offset + first.bytes);
        serveArchives(s3, BUCKET, { [job.id]: { ...built, body } });
      },
    ],
  ] as const) {
    it(`keeps nothing of ${name}: the next read GETs the member again`, async () => {
      // Prepare
      const lines = logLines(20);
      const { job, built } = archivedJob((id) => buildArchive(id, lines, { memberLines: 10 }));
      serveArchives(s3, BUCKET, { [job.id]: built });
      breakMember(job, built);

      // Act
      const failed = await get(job, { limit: '5' });
      s3.reset();
      serveArchives(s3, BUCKET, { [job.id]: built });
      const retried = await get(job, { limit: '5' });

      // Assess
      assert.equal(failed.status, 500);
      assert.equal(retried.status, 200);
      assert.deepEqual(retried.body.lines, lines.slice(0, 5));
      assert.deepEqual(getObjectCalls(s3), [memberGet(job, built.index.members[0]!)], 'the index kept, the member read again');
    });
  }

  it('answers 410 LOG_EXPIRED when the archive is gone after its index was kept', async () => {
    // Prepare: a first page read (index and first member kept), then the lifecycle rule removes the archive
    const lines = logLines(20);
    const { job, built } = archivedJob((id) => buildArchive(id, lines, { memberLines: 10 }));
    serveArchives(s3, BUCKET, { [job.id]: built });
    await get(job, { limit: '5' });
    s3.reset();
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));

    // Act
    const response = await get(job, { cursor: encodeCursor({ line: 10 }), limit: '5' });

    // Assess
    assert.equal(response.status, 410);
    assert.equal(response.body.error?.code, 'LOG_EXPIRED');
  });

  it('says truncated on every page of an archive cut at its limit', async () => {
    // Prepare
    const { job, built } = archivedJob((id) => buildArchive(id, logLines(12), { memberLines: 10, truncated: true }));
    serveArchives(s3, BUCKET, { [job.id]: built });

    // Act
    const first = (await get(job, { limit: '5' })).body;
    const tail = (await get(job, { tail: '3' })).body;

    // Assess
    assert.equal(first.truncated, true);
    assert.equal(tail.truncated, true);
  });

  it('is complete only once the job is finalized, however far the archive was read', async () => {
    // Prepare: a record archived but not yet stopped (its stoppedAt is written after)
    const { job, built } = archivedJob((id) => buildArchive(id, logLines(3)), { status: 'SUCCEEDED', stoppedAt: undefined });
    delete job.stoppedAt;
    serveArchives(s3, BUCKET, { [job.id]: built });

    // Act
    const pending = (await get(job)).body;
    const finalized = (await get({ ...job, stoppedAt: new Date().toISOString() })).body;

    // Assess
    assert.equal(pending.lines.length, 3);
    assert.equal(pending.complete, false);
    assert.equal(finalized.complete, true);
  });

  for (const [name, query] of [
    ['a cursor that is no base64url JSON', { cursor: 'not a cursor!' }],
    ['a stream cursor without its line (the archive reader alone)', { cursor: encodeCursor({ forwardToken: 'f/1/1' }) }],
    ['a negative line', { cursor: encodeCursor({ line: -1 }) }],
    ['a fractional line', { cursor: encodeCursor({ line: 1.5 }) }],
    ['a forward cursor as before', { before: encodeCursor({ line: 3 }) }],
    ['a backward cursor of the stream', { before: encodeCursor({ backwardToken: 'b/1/1' }) }],
  ] as const) {
    it(`answers 400 VALIDATION_FAILED for ${name}`, async () => {
      // Prepare
      const { job, built } = archivedJob((id) => buildArchive(id, logLines(3)));
      serveArchives(s3, BUCKET, { [job.id]: built });

      // Act
      const { status, body } = await get(job, query);

      // Assess
      assert.equal(status, 400);
      assert.equal(body.error?.code, 'VALIDATION_FAILED');
    });
  }
});
