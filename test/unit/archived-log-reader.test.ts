/**
 * A finished job's log read from its archive (lib/adapters/aws/archived-log-reader.ts) through
 * GET /jobs/{id}/logs: archives built as the format says (gzip members and their index), served by a
 * mocked S3 that answers ranged GetObjects as S3 does.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ArchivedLogReader } from '#lib/adapters/aws/archived-log-reader.ts';
import { encodeCursor } from '#lib/domain/cursor.ts';
import type { Job, JobStatus } from '#lib/domain/job.ts';
import { archiveIndexKey, archiveKey } from '#lib/domain/log-archive.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { JobStore, LogLine } from '#lib/domain/ports.ts';
import { getJobLogsHandler } from '#lib/http/get-job-logs.ts';
import { aJob } from '../helpers/jobs.ts';
import { buildArchive, getObjectCalls, logLines, mockS3, serveArchives, type BuiltArchive } from '../helpers/log-archive.ts';

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

function logsEvent(jobId: string, query: Record<string, string> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'GET /jobs/{id}/logs',
    rawPath: `/jobs/${jobId}/logs`,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    pathParameters: { id: jobId },
    isBase64Encoded: false,
    requestContext: { requestId: 'request-1', http: { method: 'GET' }, authorizer: { lambda: { caller: 'alice', profiles: '*' } } },
  } as unknown as APIGatewayProxyEventV2;
}

/** A job that finished and was archived (finalized: stoppedAt set), or as `overrides` say. */
function archivedJob(archive: (jobId: string) => BuiltArchive, overrides: Partial<Job> = {}): { job: Job; built: BuiltArchive } {
  const base = aJob({ status: 'SUCCEEDED' as JobStatus, stoppedAt: new Date().toISOString(), ...overrides });
  const built = archive(base.id);
  return { job: { ...base, logArchive: built.logArchive }, built };
}

describe('GET /jobs/{id}/logs of an archived job', () => {
  let reader: ArchivedLogReader;

  beforeEach(() => {
    s3.reset();
    reader = new ArchivedLogReader({ client: new S3Client({ region: 'eu-west-1' }), bucket: BUCKET });
  });

  async function get(job: Job, query: Record<string, string> = {}): Promise<{ status: number; body: LogsBody }> {
    const handler = getJobLogsHandler({ store: storeOf([job]), logReader: reader, logger: silentLogger });
    const response = await handler(logsEvent(job.id, query), {} as Context);
    return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') as LogsBody };
  }

  it('pages forward from the head: the index once and one ranged GET a page, complete at the last line', async () => {
    // Prepare
    const lines = logLines(25);
    const { job, built } = archivedJob((id) => buildArchive(id, lines, { memberLines: 10 }));
    serveArchives(s3, BUCKET, { [job.id]: built });

    // Act
    const pages: LogsBody[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10 && !pages.at(-1)?.complete; page += 1) {
      const { body } = await get(job, { limit: '10', ...(cursor ? { cursor } : {}) });
      pages.push(body);
      cursor = body.nextCursor ?? undefined;
    }

    // Assess
    assert.deepEqual(pages.flatMap((page) => page.lines), lines);
    assert.deepEqual(pages.map((page) => page.complete), [false, false, true]);
    const [first, second] = built.index.members;
    assert.deepEqual(getObjectCalls(s3).slice(0, 2), [
      { key: archiveIndexKey(job.id), range: undefined },
      { key: archiveKey(job.id), range: `bytes=${first!.offset}-${first!.offset + first!.bytes - 1}` },
    ]);
    assert.equal(getObjectCalls(s3)[3]?.range, `bytes=${second!.offset}-${second!.offset + second!.bytes - 1}`);
    assert.equal(getObjectCalls(s3).length, 6);
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
