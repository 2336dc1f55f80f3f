/**
 * The CloudWatch log reader against a simulated log stream that behaves as GetLogEvents is
 * documented to: pages of at most `limit` events, forward and backward tokens, the token sent coming
 * back unchanged at the end (or, backward, the start) of the stream, pages that may be short or empty
 * before the end, and ResourceNotFoundException while the stream does not exist. Time is fake: no
 * test waits.
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  GetLogEventsCommand,
  InvalidParameterException,
  ResourceNotFoundException,
  type GetLogEventsCommandInput,
  type GetLogEventsCommandOutput,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsTaskSettings, AwsTaskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { CloudWatchLogReader } from '#lib/adapters/aws/cloudwatch-log-reader.ts';
import { encodeCursor } from '#lib/domain/cursor.ts';
import { ValidationError } from '#lib/domain/errors.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';
import type { Job } from '#lib/domain/job.ts';
import type { BackwardLogPage, LogPage } from '#lib/domain/ports.ts';
import { aJob } from '../helpers/jobs.ts';

const logs = mockClient(CloudWatchLogsClient);

const TASK_ID = '0f8e3c2a9b7d4e61a5c3b2d1e0f9a8b7';
const TASK_ARN = `arn:aws:ecs:eu-west-1:123456789012:task/jobs-cluster/${TASK_ID}`;
const BASE_TIME = Date.UTC(2030, 0, 1, 12, 0, 0);

function taskSettings(overrides: Partial<AwsTaskSettings>): AwsTaskSettings {
  return {
    cluster: 'jobs-cluster',
    taskDefinition: 'jobs-runner',
    container: 'runner',
    subnets: ['subnet-1'],
    securityGroups: ['sg-1'],
    logGroup: '/fargate-jobs/dev/default',
    logStreamPrefix: 'jobs',
    ...overrides,
  };
}

const SETTINGS: AwsTaskSettingsByProfile = new Map([
  ['default', taskSettings({})],
  ['build', taskSettings({ container: 'builder', logGroup: '/fargate-jobs/dev/build', logStreamPrefix: 'ci' })],
]);

const DEFAULT_STREAM = `jobs/runner/${TASK_ID}`;

function event(index: number, message = `line ${index}`): OutputLogEvent {
  return { timestamp: BASE_TIME + index, message, ingestionTime: BASE_TIME + index + 500 };
}

function events(count: number, from = 0): OutputLogEvent[] {
  return Array.from({ length: count }, (_unused, offset) => event(from + offset));
}

/**
 * One log stream as GetLogEvents serves it. Tokens carry the position and a serial number, so an
 * empty page before the end (or the start) still hands out a new token, as CloudWatch's do. Without
 * a token, startFromHead false serves the newest events; a backward token serves the events before it.
 */
class SimulatedStream {
  readonly logGroupName: string;
  readonly logStreamName: string;
  events: OutputLogEvent[] = [];
  exists = true;
  /** At most this many events on the n-th forward page (0-based); undefined: as many as asked. */
  pageSize: (call: number) => number | undefined = () => undefined;
  /** The same for the n-th page read from the end (startFromHead false). */
  backwardPageSize: (call: number) => number | undefined = () => undefined;
  /** Runs before every request is answered, e.g. to let the driver flush more events. */
  beforeEachCall: (call: number) => void = () => {};
  calls = 0;
  #forwardPages = 0;
  #backwardPages = 0;
  #serial = 0;

  constructor(logGroupName: string, logStreamName: string) {
    this.logGroupName = logGroupName;
    this.logStreamName = logStreamName;
  }

  answer(input: GetLogEventsCommandInput): Partial<GetLogEventsCommandOutput> {
    this.beforeEachCall(this.calls);
    this.calls += 1;
    if (input.logGroupName !== this.logGroupName || input.logStreamName !== this.logStreamName || !this.exists) {
      throw new ResourceNotFoundException({ message: 'The specified log stream does not exist.', $metadata: { httpStatusCode: 400 } });
    }
    const limit = input.limit ?? 10_000;
    if (input.startFromHead !== true) {
      assert.ok(!input.nextToken?.startsWith('f/'), 'a forward token needs startFromHead: true');
      const end = input.nextToken === undefined ? this.events.length : this.#position(input.nextToken, 'b');
      if (end === 0 && input.nextToken !== undefined) {
        return { events: [], nextForwardToken: `f/${String(0).padStart(56, '0')}/${this.#serial}`, nextBackwardToken: input.nextToken };
      }
      const cap = this.backwardPageSize(this.#backwardPages);
      this.#backwardPages += 1;
      const latest = this.events.slice(Math.max(0, end - Math.min(limit, cap ?? limit)), end);
      return this.#response(latest, end);
    }

    const start = input.nextToken === undefined ? 0 : this.#position(input.nextToken, 'f');
    if (start >= this.events.length && input.nextToken !== undefined) {
      return { events: [], nextForwardToken: input.nextToken, nextBackwardToken: `b/${start}/${this.#serial}` };
    }
    const cap = this.pageSize(this.#forwardPages);
    this.#forwardPages += 1;
    const page = this.events.slice(start, start + Math.min(limit, cap ?? limit));
    return this.#response(page, start + page.length);
  }

  #response(page: OutputLogEvent[], nextPosition: number): Partial<GetLogEventsCommandOutput> {
    this.#serial += 1;
    return {
      events: page.map((entry) => ({ ...entry })),
      nextForwardToken: `f/${String(nextPosition).padStart(56, '0')}/${this.#serial}`,
      nextBackwardToken: `b/${String(nextPosition - page.length).padStart(56, '0')}/${this.#serial}`,
    };
  }

  #position(token: string, direction: 'f' | 'b'): number {
    const match = new RegExp(`^${direction}/(\\d+)/\\d+$`).exec(token);
    if (!match?.[1]) throw new InvalidParameterException({ message: 'The specified nextToken is invalid.', $metadata: { httpStatusCode: 400 } });
    return Number(match[1]);
  }
}

/** Serves `stream` to the mocked client. */
function serve(stream: SimulatedStream): void {
  logs.on(GetLogEventsCommand).callsFake((input: GetLogEventsCommandInput) => stream.answer(input));
}

function defaultStream(): SimulatedStream {
  return new SimulatedStream('/fargate-jobs/dev/default', DEFAULT_STREAM);
}

function getLogEventsInputs(): GetLogEventsCommandInput[] {
  return logs.commandCalls(GetLogEventsCommand).map((call) => call.args[0].input);
}

/** A clock that moves only when the reader sleeps. */
function fakeTime(): { now: () => number; sleep: (ms: number) => Promise<void>; elapsed: () => number } {
  let current = BASE_TIME;
  return {
    now: () => current,
    sleep: async (ms) => {
      current += ms;
    },
    elapsed: () => current - BASE_TIME,
  };
}

function runningJob(overrides: Partial<Job> = {}): Job {
  return aJob({ status: 'RUNNING', taskArn: TASK_ARN, ...overrides });
}

/** Reads page after page from the start until atEnd (bounded). */
async function readAll(reader: CloudWatchLogReader, job: Job, limit: number, cursor?: string): Promise<LogPage[]> {
  const pages: LogPage[] = [];
  let next = cursor;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const page = await reader.read(job, { limit, ...(next ? { cursor: next } : {}) });
    pages.push(page);
    if (page.atEnd) return pages;
    next = page.nextCursor;
  }
  throw new Error('the reader never reached the end of the stream');
}

describe('CloudWatchLogReader.read', () => {
  let reader: CloudWatchLogReader;

  beforeEach(() => {
    logs.reset();
    reader = new CloudWatchLogReader({ client: new CloudWatchLogsClient({ region: 'eu-west-1' }), settings: SETTINGS });
  });

  it("reads the watched container's stream in the log group of the job's profile", async () => {
    // Prepare
    const stream = new SimulatedStream('/fargate-jobs/dev/build', `ci/builder/${TASK_ID}`);
    stream.events = [event(0, 'compiling'), event(1, 'done')];
    serve(stream);

    // Act
    const page = await reader.read(runningJob({ profile: 'build' }), { limit: 100 });

    // Assess
    assert.deepEqual(page.lines, [
      { timestamp: new Date(BASE_TIME).toISOString(), message: 'compiling' },
      { timestamp: new Date(BASE_TIME + 1).toISOString(), message: 'done' },
    ]);
    const [first] = getLogEventsInputs();
    assert.equal(first?.logGroupName, '/fargate-jobs/dev/build');
    assert.equal(first?.logStreamName, `ci/builder/${TASK_ID}`);
    assert.equal(first?.startFromHead, true);
  });

  it('pages through 2,500 events in order, with no line lost or repeated, and reaches the end only at the repeated token', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(2500);
    serve(stream);

    // Act
    const pages = await readAll(reader, runningJob(), 1000);

    // Assess
    assert.deepEqual(
      pages.map((page) => page.lines.length),
      [1000, 1000, 500],
    );
    assert.deepEqual(
      pages.map((page) => page.atEnd),
      [false, false, true],
    );
    const messages = pages.flatMap((page) => page.lines.map((line) => line.message));
    assert.deepEqual(messages, stream.events.map((entry) => entry.message));
    // The last page saw its token come back unchanged: that, not a short page, is the end.
    const inputs = getLogEventsInputs();
    assert.equal(inputs.length, 4);
    assert.equal(inputs[0]?.nextToken, undefined);
    for (const input of inputs.slice(1)) assert.match(input.nextToken ?? '', /^f\//);
  });

  it('follows a running job: the last cursor returns only the lines written after it', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(3);
    serve(stream);
    const [caughtUp] = await readAll(reader, runningJob(), 100);
    stream.events.push(...events(2, 3));

    // Act
    const page = await reader.read(runningJob(), { limit: 100, cursor: caughtUp?.nextCursor ?? '' });

    // Assess
    assert.deepEqual(
      page.lines.map((line) => line.message),
      ['line 3', 'line 4'],
    );
    assert.equal(page.atEnd, true);
  });

  it('keeps reading past short and empty pages until the page is full', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(25);
    const sizes = [0, 3, 0, 4];
    stream.pageSize = (call) => sizes[call];
    serve(stream);

    // Act
    const page = await reader.read(runningJob(), { limit: 10 });

    // Assess
    assert.deepEqual(
      page.lines.map((line) => line.message),
      events(10).map((entry) => entry.message),
    );
    assert.equal(page.atEnd, false);
    const rest = await readAll(reader, runningJob(), 10, page.nextCursor);
    assert.deepEqual(
      [...page.lines, ...rest.flatMap((next) => next.lines)].map((line) => line.message),
      stream.events.map((entry) => entry.message),
    );
  });

  it('keeps reading past a short page until the end when fewer lines than the limit remain', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(7);
    stream.pageSize = (call) => (call === 0 ? 2 : undefined);
    serve(stream);

    // Act
    const page = await reader.read(runningJob(), { limit: 100 });

    // Assess
    assert.equal(page.lines.length, 7);
    assert.equal(page.atEnd, true);
  });

  it('answers a stream that keeps returning empty pages after a bounded number of calls, not at the end', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(5);
    stream.pageSize = () => 0;
    serve(stream);

    // Act
    const page = await reader.read(runningJob(), { limit: 100 });

    // Assess
    assert.deepEqual(page.lines, []);
    assert.equal(page.atEnd, false);
    assert.equal(stream.calls, 5);
  });

  it('treats a stream that does not exist yet as no lines so far, at the end, with the cursor unchanged', async () => {
    // Prepare
    const stream = defaultStream();
    stream.exists = false;
    serve(stream);
    const cursor = encodeCursor({ forwardToken: null });

    // Act
    const withoutCursor = await reader.read(runningJob(), { limit: 100 });
    const withCursor = await reader.read(runningJob(), { limit: 100, cursor });

    // Assess
    assert.deepEqual(withoutCursor.lines, []);
    assert.equal(withoutCursor.atEnd, true);
    assert.equal(withCursor.nextCursor, cursor);
    assert.equal(withCursor.atEnd, true);
  });

  it('loses no line when the stream appears after a read found none', async () => {
    // Prepare
    const stream = defaultStream();
    stream.exists = false;
    serve(stream);
    const before = await reader.read(runningJob(), { limit: 100 });
    stream.exists = true;
    stream.events = events(3);

    // Act
    const after = await reader.read(runningJob(), { limit: 100, cursor: before.nextCursor });

    // Assess
    assert.deepEqual(
      after.lines.map((line) => line.message),
      ['line 0', 'line 1', 'line 2'],
    );
  });

  it('returns no lines for a job whose task has not been started, without calling CloudWatch', async () => {
    // Prepare
    serve(defaultStream());

    // Act
    const page = await reader.read(aJob({ status: 'QUEUED' }), { limit: 100 });

    // Assess
    assert.deepEqual(page.lines, []);
    assert.equal(page.atEnd, true);
    assert.equal(logs.commandCalls(GetLogEventsCommand).length, 0);
  });

  for (const [label, cursor] of [
    ['not base64 JSON', '%%%not-a-cursor'],
    ['a cursor of the file reader', encodeCursor({ offset: 12 })],
    ['an empty token', encodeCursor({ forwardToken: '' })],
    ['a JSON null', encodeCursor(null)],
    ['an array', encodeCursor(['f/1'])],
  ] as const) {
    it(`rejects a malformed cursor (${label}) as a 400`, async () => {
      // Prepare
      serve(defaultStream());

      // Act
      const reading = reader.read(runningJob(), { limit: 100, cursor });

      // Assess
      await assert.rejects(reading, (error: unknown) => error instanceof ValidationError && httpStatusOf(error) === 400);
      assert.equal(logs.commandCalls(GetLogEventsCommand).length, 0);
    });
  }

  it('answers a cursor whose token CloudWatch no longer accepts (older than 24 h) with a 400', async () => {
    // Prepare
    serve(defaultStream());
    const expired = encodeCursor({ forwardToken: 'f/expired-token' });

    // Act
    const reading = reader.read(runningJob(), { limit: 100, cursor: expired });

    // Assess
    await assert.rejects(reading, (error: unknown) => error instanceof ValidationError && /expired/.test(error.message));
  });

  it('does not hide other CloudWatch errors as an empty log', async () => {
    // Prepare
    const denied = new CloudWatchLogsServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'User is not authorized to perform: logs:GetLogEvents',
    });
    logs.on(GetLogEventsCommand).rejects(denied);

    // Act
    const reading = reader.read(runningJob(), { limit: 100 });

    // Assess
    await assert.rejects(reading, { name: 'AccessDeniedException' });
  });
});

/** Reads the tail, then page after page backward until previousCursor is null (bounded); newest page first. */
async function readBackToStart(reader: CloudWatchLogReader, job: Job, limit: number): Promise<BackwardLogPage[]> {
  const pages = [await reader.readBackward(job, { limit })];
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const before = pages.at(-1)?.previousCursor;
    if (!before) return pages;
    pages.push(await reader.readBackward(job, { before, limit }));
  }
  throw new Error('the reader never reached the start of the stream');
}

describe('CloudWatchLogReader.readBackward', () => {
  let reader: CloudWatchLogReader;

  beforeEach(() => {
    logs.reset();
    reader = new CloudWatchLogReader({ client: new CloudWatchLogsClient({ region: 'eu-west-1' }), settings: SETTINGS });
  });

  it("reads the tail from the end of the watched container's stream in the log group of the job's profile", async () => {
    // Prepare
    const stream = new SimulatedStream('/fargate-jobs/dev/build', `ci/builder/${TASK_ID}`);
    stream.events = events(2500);
    serve(stream);

    // Act
    const page = await reader.readBackward(runningJob({ profile: 'build' }), { limit: 20 });

    // Assess
    assert.deepEqual(
      page.lines.map((line) => line.message),
      events(20, 2480).map((entry) => entry.message),
    );
    assert.equal(page.lines[0]?.timestamp, new Date(BASE_TIME + 2480).toISOString());
    assert.notEqual(page.previousCursor, null);
    assert.equal(page.forward?.atEnd, true);
    assert.equal(page.truncated, false);
    const inputs = getLogEventsInputs();
    assert.equal(inputs.length, 1);
    assert.equal(inputs[0]?.logGroupName, '/fargate-jobs/dev/build');
    assert.equal(inputs[0]?.logStreamName, `ci/builder/${TASK_ID}`);
    assert.equal(inputs[0]?.startFromHead, false);
    assert.equal(inputs[0]?.limit, 20);
    assert.equal(inputs[0]?.nextToken, undefined);
  });

  it('pages backward from the tail to the first line with backward tokens, each line once, previousCursor null at the start', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(2500);
    serve(stream);

    // Act
    const pages = await readBackToStart(reader, runningJob(), 1000);

    // Assess
    assert.deepEqual(
      pages.map((page) => page.lines.length),
      [1000, 1000, 500],
    );
    assert.deepEqual(
      pages.map((page) => page.previousCursor === null),
      [false, false, true],
    );
    assert.deepEqual(
      pages.reverse().flatMap((page) => page.lines.map((line) => line.message)),
      stream.events.map((entry) => entry.message),
    );
    for (const input of getLogEventsInputs().slice(1)) {
      assert.equal(input.startFromHead, false);
      assert.match(input.nextToken ?? '', /^b\//);
    }
  });

  it('hands a following reader a cursor right after the tail: it gets the lines written since, none of the tail again', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(50);
    serve(stream);
    const tail = await reader.readBackward(runningJob(), { limit: 10 });
    stream.events.push(...events(3, 50));

    // Act
    const followed = await reader.read(runningJob(), { limit: 100, cursor: tail.forward?.nextCursor ?? '' });

    // Assess
    assert.deepEqual(
      [...tail.lines, ...followed.lines].map((line) => line.message),
      events(13, 40).map((entry) => entry.message),
    );
    assert.equal(followed.atEnd, true);
  });

  it('returns a whole short stream, with previousCursor null once its backward token comes back unchanged', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(3);
    serve(stream);

    // Act
    const page = await reader.readBackward(runningJob(), { limit: 100 });

    // Assess
    assert.deepEqual(
      page.lines.map((line) => line.message),
      ['line 0', 'line 1', 'line 2'],
    );
    assert.equal(page.previousCursor, null);
    assert.equal(getLogEventsInputs().length, 2);
  });

  it('keeps reading past empty pages from the end until the page is full, within the bounded number of calls', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(30);
    const sizes = [0, 4, 0];
    stream.backwardPageSize = (call) => sizes[call];
    serve(stream);

    // Act
    const page = await reader.readBackward(runningJob(), { limit: 10 });
    const rest = await reader.readBackward(runningJob(), { before: page.previousCursor ?? '', limit: 100 });
    const followed = await reader.read(runningJob(), { limit: 100, cursor: page.forward?.nextCursor ?? '' });

    // Assess
    assert.deepEqual(followed.lines, [], 'the forward cursor is the first call\'s: after the newest line, not after an older page');
    assert.deepEqual(
      page.lines.map((line) => line.message),
      events(10, 20).map((entry) => entry.message),
    );
    assert.deepEqual(
      [...rest.lines, ...page.lines].map((line) => line.message),
      stream.events.map((entry) => entry.message),
    );
    assert.equal(rest.previousCursor, null);
    assert.equal(rest.forward, undefined, 'an earlier page has no forward cursor');
  });

  it('treats a stream that does not exist yet as no lines, at the start, with a forward cursor that reads it from its head once it appears', async () => {
    // Prepare
    const stream = defaultStream();
    stream.exists = false;
    serve(stream);

    // Act
    const tail = await reader.readBackward(runningJob(), { limit: 100 });
    stream.exists = true;
    stream.events = events(2);
    const followed = await reader.read(runningJob(), { limit: 100, cursor: tail.forward?.nextCursor ?? '' });

    // Assess
    assert.deepEqual(tail.lines, []);
    assert.equal(tail.previousCursor, null);
    assert.equal(tail.forward?.atEnd, true);
    assert.deepEqual(
      followed.lines.map((line) => line.message),
      ['line 0', 'line 1'],
    );
  });

  it('returns no lines for a job whose task has not been started, without calling CloudWatch', async () => {
    // Prepare
    serve(defaultStream());

    // Act
    const page = await reader.readBackward(aJob({ status: 'QUEUED' }), { limit: 100 });

    // Assess
    assert.deepEqual(page.lines, []);
    assert.equal(page.previousCursor, null);
    assert.equal(logs.commandCalls(GetLogEventsCommand).length, 0);
  });

  for (const [label, before] of [
    ['not base64 JSON', '%%%not-a-cursor'],
    ['a forward cursor', encodeCursor({ forwardToken: 'f/1/1' })],
    ['a backward cursor of the file reader', encodeCursor({ before: 12 })],
    ['an empty token', encodeCursor({ backwardToken: '' })],
  ] as const) {
    it(`rejects a before that is no previousCursor (${label}) as a 400 naming before`, async () => {
      // Prepare
      serve(defaultStream());

      // Act
      const reading = reader.readBackward(runningJob(), { before, limit: 100 });

      // Assess
      await assert.rejects(reading, (error: unknown) => error instanceof ValidationError && httpStatusOf(error) === 400 && error.details?.[0]?.path === 'before');
      assert.equal(logs.commandCalls(GetLogEventsCommand).length, 0);
    });
  }

  it('rejects a previousCursor given as a forward cursor as a 400 naming cursor', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(20);
    serve(stream);
    const tail = await reader.readBackward(runningJob(), { limit: 5 });

    // Act
    const reading = reader.read(runningJob(), { limit: 100, cursor: tail.previousCursor ?? '' });

    // Assess
    await assert.rejects(reading, (error: unknown) => error instanceof ValidationError && error.details?.[0]?.path === 'cursor');
  });

  it('answers a before whose token CloudWatch no longer accepts (older than 24 h) with a 400 naming before', async () => {
    // Prepare
    serve(defaultStream());
    const expired = encodeCursor({ backwardToken: 'b/expired-token' });

    // Act
    const reading = reader.readBackward(runningJob(), { before: expired, limit: 100 });

    // Assess
    await assert.rejects(reading, (error: unknown) => error instanceof ValidationError && /expired/.test(error.message) && error.details?.[0]?.path === 'before');
  });

  it('does not hide other CloudWatch errors as an empty log', async () => {
    // Prepare
    const denied = new CloudWatchLogsServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'User is not authorized to perform: logs:GetLogEvents',
    });
    logs.on(GetLogEventsCommand).rejects(denied);

    // Act
    const reading = reader.readBackward(runningJob(), { limit: 100 });

    // Assess
    await assert.rejects(reading, { name: 'AccessDeniedException' });
  });
});

describe('CloudWatchLogReader.tail', () => {
  let time: ReturnType<typeof fakeTime>;
  let reader: CloudWatchLogReader;

  beforeEach(() => {
    logs.reset();
    time = fakeTime();
    reader = new CloudWatchLogReader({
      client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
      settings: SETTINGS,
      now: time.now,
      sleep: time.sleep,
    });
  });

  it('returns the last lines in order, read from the tail of the stream', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(2500);
    serve(stream);

    // Act
    const tail = await reader.tail(runningJob({ status: 'SUCCEEDED' }), 20);

    // Assess
    assert.deepEqual(
      tail,
      events(20, 2480).map((entry) => entry.message),
    );
    const [first] = getLogEventsInputs();
    assert.equal(first?.logStreamName, DEFAULT_STREAM);
    assert.equal(first?.startFromHead, false);
    assert.equal(first?.limit, 20);
  });

  it('includes lines the driver flushes after the task stopped', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(3);
    let lastFlushAt = 0;
    stream.beforeEachCall = (call) => {
      if (call === 1 || call === 2) {
        stream.events.push(event(stream.events.length, `flushed late ${call}`));
        lastFlushAt = time.elapsed();
      }
    };
    serve(stream);

    // Act
    const tail = await reader.tail(runningJob(), 10);

    // Assess
    assert.deepEqual(tail, ['line 0', 'line 1', 'line 2', 'flushed late 1', 'flushed late 2']);
    assert.ok(time.elapsed() - lastFlushAt >= 10_000, 'returned before the stream was quiet for 10 s');
  });

  it('returns once the stream has been quiet for 10 s, not later', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(5);
    serve(stream);

    // Act
    const tail = await reader.tail(runningJob(), 3);

    // Assess
    assert.deepEqual(tail, ['line 2', 'line 3', 'line 4']);
    assert.ok(time.elapsed() >= 10_000, `returned after ${time.elapsed()} ms`);
    assert.ok(time.elapsed() < 12_000, `waited ${time.elapsed()} ms for a stream that never changed`);
  });

  it("returns after one look when the stream's newest line was ingested 10 s ago or more (a task stops well after its last line), and waits only the rest of the 10 s otherwise", async () => {
    // Prepare: lines ingested 30 s before the drain starts, then a stream whose last line came 4 s before it.
    const old = defaultStream();
    old.events = events(5).map((entry) => ({ ...entry, ingestionTime: BASE_TIME - 30_000 }));
    serve(old);

    // Act
    const tail = await reader.tail(runningJob(), 3);
    const oldCalls = getLogEventsInputs().length;
    logs.reset();
    const recent = defaultStream();
    recent.events = events(5).map((entry) => ({ ...entry, ingestionTime: BASE_TIME - 4_000 }));
    serve(recent);
    const recentTail = await reader.tail(runningJob(), 3);

    // Assess
    assert.deepEqual(tail, ['line 2', 'line 3', 'line 4']);
    assert.equal(oldCalls, 1, 'one GetLogEvents, no wait');
    assert.deepEqual(recentTail, ['line 2', 'line 3', 'line 4']);
    assert.ok(time.elapsed() >= 6_000 && time.elapsed() < 8_000, `waited ${time.elapsed()} ms: 10 s from the last ingestion is 6 s`);
  });

  it('with waitForFlush false, returns the lines there are after one look, without waiting for the stream to go quiet', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(5);
    serve(stream);

    // Act
    const tail = await reader.tail(runningJob(), 3, { waitForFlush: false });

    // Assess
    assert.deepEqual(tail, ['line 2', 'line 3', 'line 4']);
    assert.equal(time.elapsed(), 0);
    assert.equal(getLogEventsInputs().length, 1);
  });

  it('gives up after maxDrainMs on a stream that keeps changing and returns the newest lines it saw', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(2);
    stream.beforeEachCall = () => {
      stream.events.push(event(stream.events.length));
    };
    serve(stream);

    // Act
    const tail = await reader.tail(runningJob(), 2);

    // Assess
    assert.equal(time.elapsed(), 60_000);
    const newest = stream.events.slice(-2).map((entry) => entry.message ?? '');
    assert.deepEqual(tail, newest);
  });

  it('returns no lines for a stream that never existed', async () => {
    // Prepare
    const stream = defaultStream();
    stream.exists = false;
    serve(stream);

    // Act
    const tail = await reader.tail(runningJob({ status: 'FAILED' }), 20);

    // Assess
    assert.deepEqual(tail, []);
    assert.ok(time.elapsed() < 60_000, 'waited the whole drain for a stream that never existed');
  });

  it('includes the lines of a stream that appears while the logs drain', async () => {
    // Prepare
    const stream = defaultStream();
    stream.exists = false;
    stream.beforeEachCall = (call) => {
      if (call === 2) {
        stream.exists = true;
        stream.events = [event(0, 'started'), event(1, 'exiting')];
      }
    };
    serve(stream);

    // Act
    const tail = await reader.tail(runningJob(), 20);

    // Assess
    assert.deepEqual(tail, ['started', 'exiting']);
  });

  it('returns no lines for a job whose task never started, without calling CloudWatch', async () => {
    // Prepare
    serve(defaultStream());

    // Act
    const tail = await reader.tail(aJob({ status: 'FAILED' }), 20);

    // Assess
    assert.deepEqual(tail, []);
    assert.equal(logs.commandCalls(GetLogEventsCommand).length, 0);
  });
});

describe('CloudWatchLogReader across a retried job\'s attempts', () => {
  const TASK_IDS = ['1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a', '2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b', '3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c'] as const;
  const arnOf = (taskId: string) => `arn:aws:ecs:eu-west-1:123456789012:task/jobs-cluster/${taskId}`;
  let reader: CloudWatchLogReader;
  let streams: SimulatedStream[];

  /** One stream per task, each with its own lines (`a0…`, `c0…`), routed by name. */
  function serveAttempts(counts: number[]): void {
    streams = counts.map((count, index) => {
      const stream = new SimulatedStream('/fargate-jobs/dev/default', `jobs/runner/${TASK_IDS[index]}`);
      const letter = 'abc'[index];
      stream.events = Array.from({ length: count }, (_unused, line) => event(index * 1000 + line, `${letter}${line}`));
      return stream;
    });
    logs.on(GetLogEventsCommand).callsFake((input: GetLogEventsCommandInput) => {
      const stream = streams.find((candidate) => candidate.logStreamName === input.logStreamName) ?? streams[0]!;
      return stream.answer(input);
    });
  }

  /** Attempt 1 ran task a, attempt 2 never started, attempt 3 runs task c. */
  function retriedJob(overrides: Partial<Job> = {}): Job {
    return aJob({
      status: 'RUNNING',
      attempts: [
        { number: 1, taskArn: arnOf(TASK_IDS[0]), exitCode: 1 },
        { number: 2, exitCode: null, failure: { category: 'CAPACITY', message: 'no room' } },
      ],
      taskArn: arnOf(TASK_IDS[2]),
      ...overrides,
    });
  }

  const said = (lines: Array<{ attempt?: number; message: string }>) => lines.map((line) => `${line.attempt}:${line.message}`);

  beforeEach(() => {
    logs.reset();
    reader = new CloudWatchLogReader({ client: new CloudWatchLogsClient({ region: 'eu-west-1' }), settings: SETTINGS });
  });

  it("reads every attempt's stream in order, each line with its attempt, page by page with none lost or repeated", async () => {
    // Prepare: task b (attempt 2's) never started, so its stream is never asked for.
    serveAttempts([3, 0, 2]);

    // Act
    const whole = await reader.read(retriedJob(), { limit: 100 });
    const paged = await readAll(reader, retriedJob(), 2);

    // Assess
    assert.deepEqual(said(whole.lines), ['1:a0', '1:a1', '1:a2', '3:c0', '3:c1']);
    assert.equal(whole.atEnd, true);
    assert.deepEqual(said(paged.flatMap((page) => page.lines)), said(whole.lines));
    assert.ok(paged.slice(0, -1).every((page) => !page.atEnd), 'at the end only at the last stream\'s end');
    assert.ok(!getLogEventsInputs().some((input) => input.logStreamName?.endsWith(TASK_IDS[1])));
  });

  it('reads a cursor from before retries (no attempt in it) as one of the first attempt\'s stream', async () => {
    // Prepare
    serveAttempts([3, 0, 2]);
    const firstTwo = await reader.read(aJob({ status: 'RUNNING', taskArn: arnOf(TASK_IDS[0]) }), { limit: 2 });

    // Act: the job has since been retried.
    const rest = await reader.read(retriedJob(), { limit: 100, cursor: firstTwo.nextCursor });

    // Assess
    assert.deepEqual(said(rest.lines), ['1:a2', '3:c0', '3:c1']);
  });

  it('between attempts reads the ended ones to their end, and goes on into the next attempt once it has a task', async () => {
    // Prepare: attempt 2 ended, attempt 3 not started yet.
    serveAttempts([2, 1, 2]);
    const retrying = aJob({ status: 'RUNNING', attempts: [{ number: 1, taskArn: arnOf(TASK_IDS[0]), exitCode: 1 }, { number: 2, taskArn: arnOf(TASK_IDS[1]), exitCode: 1 }] });

    // Act
    const sofar = await reader.read(retrying, { limit: 100 });
    const next = await reader.read({ ...retrying, taskArn: arnOf(TASK_IDS[2]) }, { limit: 100, cursor: sofar.nextCursor });

    // Assess
    assert.deepEqual(said(sofar.lines), ['1:a0', '1:a1', '2:b0']);
    assert.equal(sofar.atEnd, true);
    assert.deepEqual(said(next.lines), ['3:c0', '3:c1']);
  });

  it('reads the tail across attempts and pages back to the first line; its forward cursor follows the current attempt', async () => {
    // Prepare
    serveAttempts([3, 0, 2]);

    // Act
    const pages = await readBackToStart(reader, retriedJob(), 2);
    const tail = pages[0]!;
    streams[2]!.events.push(event(2002, 'c2'));
    const following = await reader.read(retriedJob(), { limit: 100, cursor: tail.forward?.nextCursor });

    // Assess
    assert.deepEqual(said(pages.toReversed().flatMap((page) => page.lines)), ['1:a0', '1:a1', '1:a2', '3:c0', '3:c1']);
    assert.equal(pages.at(-1)?.previousCursor, null);
    assert.deepEqual(said(following.lines), ['3:c2']);
  });

  it('a tail longer than the current attempt\'s stream goes on into the earlier one', async () => {
    // Prepare
    serveAttempts([3, 0, 1]);

    // Act
    const tail = await reader.readBackward(retriedJob(), { limit: 3 });

    // Assess
    assert.deepEqual(said(tail.lines), ['1:a1', '1:a2', '3:c0']);
    assert.ok(tail.previousCursor);
  });

  it('gives lines no attempt on a job never retried', async () => {
    // Prepare
    serveAttempts([2]);

    // Act
    const page = await reader.read(aJob({ status: 'RUNNING', taskArn: arnOf(TASK_IDS[0]) }), { limit: 100 });

    // Assess
    assert.deepEqual(page.lines.map((line) => line.attempt), [undefined, undefined]);
  });
});

describe("CloudWatchLogReader cursors' line numbers", () => {
  let reader: CloudWatchLogReader;

  beforeEach(() => {
    logs.reset();
    reader = new CloudWatchLogReader({ client: new CloudWatchLogsClient({ region: 'eu-west-1' }), settings: SETTINGS });
  });

  const lineOf = (cursor: string | undefined) => (JSON.parse(Buffer.from(cursor ?? '', 'base64url').toString('utf8')) as { line?: number }).line;

  it('counts the lines read from the head into each forward cursor', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(7);
    serve(stream);

    // Act
    const pages = await readAll(reader, runningJob(), 3);

    // Assess
    assert.deepEqual(pages.map((page) => lineOf(page.nextCursor)), [3, 6, 7]);
  });

  it('keeps counting from the line of the cursor it was given, and counts nothing for a cursor without one', async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(10);
    serve(stream);
    const at4 = (await reader.read(runningJob(), { limit: 4 })).nextCursor;
    const { forwardToken } = JSON.parse(Buffer.from(at4, 'base64url').toString('utf8')) as { forwardToken: string };

    // Act
    const counted = await reader.read(runningJob(), { limit: 3, cursor: at4 });
    const uncounted = await reader.read(runningJob(), { limit: 3, cursor: encodeCursor({ forwardToken }) });

    // Assess
    assert.equal(lineOf(counted.nextCursor), 7);
    assert.deepEqual(uncounted.lines, counted.lines);
    assert.equal(lineOf(uncounted.nextCursor), undefined);
  });

  it("gives a tail's forward cursor its line only when the tail reached the first line", async () => {
    // Prepare
    const stream = defaultStream();
    stream.events = events(6);
    serve(stream);

    // Act
    const whole = await reader.readBackward(runningJob(), { limit: 10 });
    const part = await reader.readBackward(runningJob(), { limit: 2 });

    // Assess
    assert.equal(lineOf(whole.forward?.nextCursor), 6);
    assert.equal(lineOf(part.forward?.nextCursor), undefined);
  });

  it('refuses a cursor whose line is not a line number (400)', async () => {
    // Act + Assess
    await assert.rejects(reader.read(runningJob(), { limit: 3, cursor: encodeCursor({ forwardToken: 'f/1/1', line: -2 }) }), ValidationError);
  });
});
