/**
 * The switch from a job's CloudWatch streams to its archive (lib/domain/archive-log-reads.ts): a
 * client that follows the log with GET /jobs/{id}/logs while the job runs, and goes on with the same
 * cursor once the job is archived, gets every line exactly once, in order. GetLogEvents is mocked
 * with streams that hand out tokens as CloudWatch does; the archive is built from the same lines.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException, type GetLogEventsCommandInput, type OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { ArchivedLogReader } from '#lib/adapters/aws/archived-log-reader.ts';
import { CloudWatchLogReader } from '#lib/adapters/aws/cloudwatch-log-reader.ts';
import { archiveLogReads } from '#lib/domain/archive-log-reads.ts';
import type { AwsTaskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { decodeCursor, encodeCursor } from '#lib/domain/cursor.ts';
import type { Job } from '#lib/domain/job.ts';
import { isLineCursor } from '#lib/domain/log-archive.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { JobStore, LogLine, LogReader } from '#lib/domain/ports.ts';
import { getJobLogsHandler } from '#lib/http/get-job-logs.ts';
import { aJob } from '../helpers/jobs.ts';
import { buildArchive, getObjectCalls, mockS3, serveArchives, logsEvent } from '../helpers/log-archive.ts';

const BUCKET = 'fargate-jobs-test-logs';
const logs = mockClient(CloudWatchLogsClient);
const s3 = mockS3();

const SETTINGS: AwsTaskSettingsByProfile = new Map([
  ['default', { cluster: 'jobs', taskDefinition: 'jobs-runner', container: 'runner', subnets: ['subnet-1'], securityGroups: ['sg-1'], logGroup: '/fargate-jobs/test/tasks', logStreamPrefix: 'jobs' }],
]);
const taskArn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/jobs/${id}`;
const BASE_TIME = Date.UTC(2030, 0, 1);

/** Each task's stream by stream name, served as GetLogEvents does: `f/<position>` and `b/<position>` tokens, the same token back at the end. */
function serveStreams(streams: Record<string, OutputLogEvent[]>): void {
  logs.on(GetLogEventsCommand).callsFake((input: GetLogEventsCommandInput) => {
    const events = streams[(input.logStreamName ?? '').replace('jobs/runner/', '')];
    if (!events) throw new ResourceNotFoundException({ message: 'The specified log stream does not exist.', $metadata: {} });
    const limit = input.limit ?? 10_000;
    if (input.startFromHead) {
      const start = input.nextToken ? Number(input.nextToken.slice(2)) : 0;
      const page = events.slice(start, start + limit);
      return { events: page, nextForwardToken: page.length === 0 && input.nextToken ? input.nextToken : `f/${start + page.length}`, nextBackwardToken: `b/${start}` };
    }
    const end = input.nextToken ? Number(input.nextToken.slice(2)) : events.length;
    const page = events.slice(Math.max(0, end - limit), end);
    return { events: page, nextForwardToken: `f/${end}`, nextBackwardToken: end === 0 && input.nextToken ? input.nextToken : `b/${end - page.length}` };
  });
}

function events(count: number, from = 0): OutputLogEvent[] {
  return Array.from({ length: count }, (_unused, offset) => ({ timestamp: BASE_TIME + from + offset, message: `line ${from + offset}`, ingestionTime: BASE_TIME }));
}

/** The lines as the API reads them: what the archiver writes. */
function asLines(written: OutputLogEvent[], attempt?: number): LogLine[] {
  return written.map((event) => ({ timestamp: new Date(event.timestamp ?? 0).toISOString(), message: event.message ?? '', ...(attempt === undefined ? {} : { attempt }) }));
}


interface LogsBody {
  lines: LogLine[];
  nextCursor: string;
  previousCursor?: string | null;
  complete: boolean;
  error?: { code: string };
}

describe('a log followed across the switch from CloudWatch to the archive', () => {
  let job: Job;
  let reader: LogReader;

  beforeEach(() => {
    logs.reset();
    s3.reset();
    reader = archiveLogReads({
      archive: new ArchivedLogReader({ client: new S3Client({ region: 'eu-west-1' }), bucket: BUCKET }),
      stream: new CloudWatchLogReader({ client: new CloudWatchLogsClient({ region: 'eu-west-1' }), settings: SETTINGS }),
    });
  });

  async function get(query: Record<string, string>): Promise<{ status: number; body: LogsBody }> {
    const store = { get: async () => job } as unknown as JobStore;
    const response = await getJobLogsHandler({ store, logReader: reader, logger: silentLogger })(logsEvent(job.id, query), {} as Context);
    return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') as LogsBody };
  }

  /** Pages on from `cursor` until the log is complete (bounded). */
  async function follow(cursor: string, limit: string): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    let next = cursor;
    for (let page = 0; page < 50; page += 1) {
      const { body } = await get({ cursor: next, limit });
      lines.push(...body.lines);
      if (body.complete) return lines;
      next = body.nextCursor;
    }
    throw new Error('the log never completed');
  }

  /** The job once FinalizeJob has archived its log (what the other half of issue 25 writes). */
  function archive(lines: LogLine[]): void {
    job = { ...job, status: 'SUCCEEDED', stoppedAt: new Date().toISOString(), exitCode: 0 };
    const built = buildArchive(job.id, lines, { memberLines: 7 });
    job.logArchive = built.logArchive;
    serveArchives(s3, BUCKET, { [job.id]: built });
  }

  it('reads the first half from the stream and the rest from the archive with the same cursor: every line once, in order', async () => {
    // Prepare
    const written = events(30);
    job = aJob({ status: 'RUNNING', taskArn: taskArn('task-1') });
    serveStreams({ 'task-1': written.slice(0, 20) });

    // Act: two pages while the job runs, then the job finishes and is archived
    const first = (await get({ limit: '8' })).body;
    const second = (await get({ cursor: first.nextCursor, limit: '8' })).body;
    archive(asLines(written));
    const callsBefore = logs.commandCalls(GetLogEventsCommand).length;
    const rest = await follow(second.nextCursor, '8');

    // Assess
    assert.deepEqual([...first.lines, ...second.lines, ...rest], asLines(written));
    assert.equal(decodeCursor(second.nextCursor, isLineCursor).line, 16);
    assert.equal(logs.commandCalls(GetLogEventsCommand).length, callsBefore, 'no GetLogEvents once the job is archived');
    assert.ok(getObjectCalls(s3).length > 0);
  });

  it("goes on across a retried job's attempts: the lines of both attempts once each, with their attempt", async () => {
    // Prepare
    const firstAttempt = events(9);
    const secondAttempt = events(11, 100);
    job = aJob({ status: 'RUNNING', attempts: [{ number: 1, taskArn: taskArn('task-1'), exitCode: 1 }], taskArn: taskArn('task-2') });
    serveStreams({ 'task-1': firstAttempt, 'task-2': secondAttempt.slice(0, 4) });
    const all = [...asLines(firstAttempt, 1), ...asLines(secondAttempt, 2)];

    // Act
    const first = (await get({ limit: '6' })).body;
    const second = (await get({ cursor: first.nextCursor, limit: '6' })).body;
    const third = (await get({ cursor: second.nextCursor, limit: '6' })).body;
    archive(all);
    const rest = await follow(third.nextCursor, '6');

    // Assess
    assert.deepEqual([...first.lines, ...second.lines, ...third.lines, ...rest], all);
  });

  it('reads on from the stream for a cursor without its line (one from before cursors carried it)', async () => {
    // Prepare
    const written = events(12);
    job = aJob({ status: 'RUNNING', taskArn: taskArn('task-1') });
    serveStreams({ 'task-1': written });
    archive(asLines(written));

    // Act
    const { body } = await get({ cursor: encodeCursor({ forwardToken: 'f/5' }), limit: '4' });

    // Assess
    assert.deepEqual(body.lines, asLines(written.slice(5, 9)));
    assert.equal(getObjectCalls(s3).length, 0);
    assert.equal(logs.commandCalls(GetLogEventsCommand).length, 1);
  });

  it('follows on from the archive after a tail of the stream that reached the first line', async () => {
    // Prepare
    const written = events(10);
    job = aJob({ status: 'RUNNING', taskArn: taskArn('task-1') });
    serveStreams({ 'task-1': written.slice(0, 6) });

    // Act
    const tail = (await get({ tail: '50' })).body;
    archive(asLines(written));
    const rest = await follow(tail.nextCursor, '3');

    // Assess
    assert.equal(tail.previousCursor, null);
    assert.deepEqual([...tail.lines, ...rest], asLines(written));
  });

  it('answers 400 for cursors of the archive while the job has none', async () => {
    // Prepare
    job = aJob({ status: 'RUNNING', taskArn: taskArn('task-1') });
    serveStreams({ 'task-1': events(3) });

    // Act
    const forward = await get({ cursor: encodeCursor({ line: 2 }) });
    const backward = await get({ before: encodeCursor({ beforeLine: 2 }) });

    // Assess
    assert.deepEqual([forward.status, backward.status], [400, 400]);
    assert.deepEqual([forward.body.error?.code, backward.body.error?.code], ['VALIDATION_FAILED', 'VALIDATION_FAILED']);
    assert.equal(logs.commandCalls(GetLogEventsCommand).length, 0);
  });
});
