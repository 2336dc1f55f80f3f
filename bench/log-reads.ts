/**
 * `npm run bench:log-reads`: what reading a finished job's whole log page by page costs, from its
 * CloudWatch stream (GetLogEvents) and from its archive (S3 GetObject: the index, then a ranged GET
 * of the member a page needs, both kept by the reader for the pages after), with the API's default
 * page (1,000 lines), by one reader as a warm instance serving one client reads it. The tail is read
 * by a new reader, as a cold instance reads it (a warm one that has read the log needs no GET). Both
 * readers are the product's own, against mocked clients that answer as the services do
 * (GetLogEvents: at most 10,000 events or 1 MB a call; S3: byte ranges of the archive built as the
 * archiver writes it). Counts are exact; times are this machine's decompressing and parsing, no
 * network.
 *
 *   npm run bench:log-reads -- --lines 25000
 *   npm run bench:log-reads -- --quick     (2,500 lines: checks the bench runs)
 */
import { CloudWatchLogsClient, GetLogEventsCommand, type GetLogEventsCommandInput, type OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ArchivedLogReader } from '#lib/adapters/aws/archived-log-reader.ts';
import { CloudWatchLogReader } from '#lib/adapters/aws/cloudwatch-log-reader.ts';
import type { AwsTaskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import type { Job } from '#lib/domain/job.ts';
import type { LogLine, LogReader } from '#lib/domain/ports.ts';
import { DEFAULT_LOG_LINES } from '#lib/http/get-job-logs.ts';
import { aJob } from '../test/helpers/jobs.ts';
import { buildArchive, getObjectCalls, mockS3, serveArchives } from '../test/helpers/log-archive.ts';
import { benchOptions } from './options.ts';

const { values } = benchOptions({ lines: '25000' }, { lines: '2500' });
const lineCount = Number(values.lines);

const BUCKET = 'bench-logs';
const TASK_ID = '0123456789abcdef0123456789abcdef';
const SETTINGS: AwsTaskSettingsByProfile = new Map([
  ['default', { cluster: 'bench', taskDefinition: 'bench', container: 'runner', subnets: ['subnet-1'], securityGroups: ['sg-1'], logGroup: '/bench', logStreamPrefix: 'jobs' }],
]);
/** GetLogEvents' own limits on one answer. */
const MAX_EVENTS_PER_CALL = 10_000;
const MAX_BYTES_PER_CALL = 1024 * 1024;
/** CloudWatch counts each event's message plus 26 bytes against the 1 MB. */
const EVENT_OVERHEAD_BYTES = 26;

/** A build log's kind of line: about 90 characters. */
function events(count: number): OutputLogEvent[] {
  const start = Date.UTC(2030, 0, 1);
  return Array.from({ length: count }, (_unused, index) => ({
    timestamp: start + index * 7,
    message: `[worker-${index % 8}] step ${index}: compiled src/module-${index % 400}.ts in ${(index * 37) % 900} ms (cache ${index % 3 === 0 ? 'miss' : 'hit'})`,
    ingestionTime: start + index * 7 + 200,
  }));
}

/** GetLogEvents over one stream, forward and from the end, with its per-call limits; counts the calls. */
function serveStream(stream: OutputLogEvent[]): { calls: () => number } {
  const logs = mockClient(CloudWatchLogsClient);
  logs.on(GetLogEventsCommand).callsFake((input: GetLogEventsCommandInput) => {
    const limit = Math.min(input.limit ?? MAX_EVENTS_PER_CALL, MAX_EVENTS_PER_CALL);
    if (input.startFromHead) {
      const start = input.nextToken ? Number(input.nextToken.slice(2)) : 0;
      const page = withinBytes(stream.slice(start, start + limit));
      return { events: page, nextForwardToken: page.length === 0 && input.nextToken ? input.nextToken : `f/${start + page.length}`, nextBackwardToken: `b/${start}` };
    }
    const end = input.nextToken ? Number(input.nextToken.slice(2)) : stream.length;
    const page = stream.slice(Math.max(0, end - limit), end);
    return { events: page, nextForwardToken: `f/${end}`, nextBackwardToken: end === 0 && input.nextToken ? input.nextToken : `b/${end - page.length}` };
  });
  return { calls: () => logs.commandCalls(GetLogEventsCommand).length };
}

function withinBytes(page: OutputLogEvent[]): OutputLogEvent[] {
  let bytes = 0;
  const kept = page.findIndex((event) => (bytes += Buffer.byteLength(event.message ?? '') + EVENT_OVERHEAD_BYTES) > MAX_BYTES_PER_CALL);
  return kept === -1 ? page : page.slice(0, kept);
}

interface Reading {
  pages: number;
  lines: number;
  ms: number;
}

/** Page after page from the head with the API's default page, as a client following the finished job does. */
async function readWhole(reader: LogReader, job: Job): Promise<Reading> {
  const started = performance.now();
  let cursor: string | undefined;
  let pages = 0;
  let lines = 0;
  for (;;) {
    const page = await reader.read(job, { limit: DEFAULT_LOG_LINES, ...(cursor ? { cursor } : {}) });
    pages += 1;
    lines += page.lines.length;
    if (page.atEnd) return { pages, lines, ms: performance.now() - started };
    cursor = page.nextCursor;
  }
}

const written = events(lineCount);
const job: Job = aJob({ status: 'SUCCEEDED', stoppedAt: new Date().toISOString(), exitCode: 0, taskArn: `arn:aws:ecs:us-east-1:000000000000:task/bench/${TASK_ID}` });
const asLines: LogLine[] = written.map((event) => ({ timestamp: new Date(event.timestamp ?? 0).toISOString(), message: event.message ?? '' }));
const archive = buildArchive(job.id, asLines);
const archived: Job = { ...job, logArchive: archive.logArchive };

const stream = serveStream(written);
const cloudWatch = new CloudWatchLogReader({ client: new CloudWatchLogsClient({ region: 'us-east-1' }), settings: SETTINGS });
const fromStream = await readWhole(cloudWatch, job);
const streamCalls = stream.calls();
const tailBefore = stream.calls();
await cloudWatch.readBackward(job, { limit: DEFAULT_LOG_LINES });
const streamTailCalls = stream.calls() - tailBefore;

const s3 = mockS3();
const served = serveArchives(s3, BUCKET, { [job.id]: archive });
const archiveReader = () => new ArchivedLogReader({ client: new S3Client({ region: 'us-east-1' }), bucket: BUCKET });
const fromArchive = await readWhole(archiveReader(), archived);
const archiveGets = getObjectCalls(s3).length;
const archiveBytes = served.bytesServed();
await archiveReader().readBackward(archived, { limit: DEFAULT_LOG_LINES });
const archiveTailGets = getObjectCalls(s3).length - archiveGets;

const ndjsonBytes = asLines.reduce((sum, line) => sum + Buffer.byteLength(JSON.stringify(line)) + 1, 0);
const kb = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en')} KB`;
console.log(`A finished job of ${lineCount.toLocaleString('en')} lines (${kb(ndjsonBytes)} of NDJSON; archive ${kb(archive.index.bytes)} in ${archive.index.members.length} gzip member(s)), read with pages of ${DEFAULT_LOG_LINES} lines:`);
console.log('');
console.log('| read from | pages | lines | requests | per page | bytes fetched | tail=1000 | time |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
console.log(`| CloudWatch (GetLogEvents) | ${fromStream.pages} | ${fromStream.lines} | ${streamCalls} | ${(streamCalls / fromStream.pages).toFixed(2)} | – | ${streamTailCalls} | ${Math.round(fromStream.ms)} ms |`);
console.log(`| archive (S3 GetObject) | ${fromArchive.pages} | ${fromArchive.lines} | ${archiveGets} | ${(archiveGets / fromArchive.pages).toFixed(2)} | ${kb(archiveBytes)} | ${archiveTailGets} | ${Math.round(fromArchive.ms)} ms |`);
console.log('');
console.log(`download=1: 1 GetObject of ${kb(archive.index.bytes)} through a presigned link, against ${Math.ceil(lineCount / MAX_EVENTS_PER_CALL) + 1} GetLogEvents calls at best from the stream.`);
