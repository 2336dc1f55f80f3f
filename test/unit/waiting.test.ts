/**
 * Long polls (`wait` on GET /jobs/{id} and /logs): the use cases with a fake clock and timer, fed by
 * the local change feeds (record writes, log lines) or, as on AWS, polling the store and CloudWatch
 * Logs. No test waits for real time: the clock moves only when a test moves it.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { CloudWatchLogReader } from '#lib/adapters/aws/cloudwatch-log-reader.ts';
import { JobChangeHub, publishingJobStore } from '#lib/adapters/local/job-changes.ts';
import type { AwsTaskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import type { Caller } from '#lib/domain/caller.ts';
import { coalescedLogReads } from '#lib/domain/coalesced-log-reads.ts';
import { encodeCursor } from '#lib/domain/cursor.ts';
import { JobNotFoundError } from '#lib/domain/errors.ts';
import type { Job, JobStatus } from '#lib/domain/job.ts';
import { LOG_BATCH_MS, readJobLogs, waitForJob, type JobLogPorts, type JobLogs } from '#lib/domain/job-service.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { BackwardLogPage, JobStore, LogLine, LogPage, LogReader } from '#lib/domain/ports.ts';
import { LOG_POLL_MS, RECORD_POLL_MS, waitUntil } from '#lib/domain/waiting.ts';
import { getJobLogsHandler } from '#lib/http/get-job-logs.ts';
import { ANSWER_MARGIN_MS } from '#lib/http/http-handler.ts';
import { FakeClock, settle, track } from '../helpers/fake-clock.ts';
import { aJob } from '../helpers/jobs.ts';

const alice: Caller = { name: 'alice', profiles: ['*'] };

/** Jobs in memory, behind the local mode's publishing wrapper when given a hub. */
function memoryStore(jobs: Job[]): JobStore & { jobs: Map<string, Job>; reads: number } {
  const stored = new Map(jobs.map((job) => [job.id, job]));
  const store = {
    jobs: stored,
    reads: 0,
    async get(jobId: string) {
      store.reads += 1;
      return stored.get(jobId);
    },
    async update(jobId: string, patch: Partial<Job>) {
      const job = { ...(stored.get(jobId) as Job), ...patch };
      stored.set(jobId, job);
      return job;
    },
    async transition(jobId: string, status: JobStatus, patch: Partial<Job> = {}) {
      return { applied: true, job: await store.update(jobId, { ...patch, status }) };
    },
  };
  return store as unknown as JobStore & { jobs: Map<string, Job>; reads: number };
}

/** A job's log as lines in memory; the cursor is the index of the next line. */
class MemoryLog implements LogReader {
  readonly lines: LogLine[] = [];
  reads = 0;

  async read(_job: Job, options: { cursor?: string; limit: number }): Promise<LogPage> {
    this.reads += 1;
    const start = options.cursor ? Number(options.cursor) : 0;
    const lines = this.lines.slice(start, start + options.limit);
    return { lines, nextCursor: String(start + lines.length), atEnd: start + lines.length >= this.lines.length, truncated: false };
  }

  async readBackward(): Promise<BackwardLogPage> {
    throw new Error('a wait reads forward only');
  }

  async tail(): Promise<string[]> {
    return [];
  }
}

function line(message: string): LogLine {
  return { timestamp: new Date(0).toISOString(), message };
}

describe('readJobLogs with wait, fed by the local change feeds', () => {
  let clock: FakeClock;
  let recordChanges: JobChangeHub;
  let logChanges: JobChangeHub;
  let log: MemoryLog;
  let job: Job;
  let ports: JobLogPorts & { store: ReturnType<typeof memoryStore> };

  beforeEach(() => {
    clock = new FakeClock();
    recordChanges = new JobChangeHub();
    logChanges = new JobChangeHub();
    log = new MemoryLog();
    job = aJob({ status: 'RUNNING', taskArn: 'arn:local:task/1' });
    ports = { store: memoryStore([job]), logReader: log, recordChanges, logChanges, now: clock.now, sleep: clock.sleep };
  });

  it('answers at once when there are lines after the cursor', async () => {
    // Prepare
    log.lines.push(line('one'), line('two'));

    // Act
    const logs = await readJobLogs(ports, job.id, { cursor: '1', limit: 100, waitSeconds: 20 }, alice);

    // Assess
    assert.deepEqual(logs.lines.map((entry) => entry.message), ['two']);
    assert.equal(log.reads, 1);
    assert.equal(clock.sleeping, 0);
  });

  it('wakes when a line is appended, without polling meanwhile', async () => {
    // Prepare
    log.lines.push(line('one'));
    const waiting = track(readJobLogs(ports, job.id, { cursor: '1', limit: 100, waitSeconds: 20 }, alice));
    await clock.advance(15_000);
    assert.equal(waiting.settled, false, 'answered before there was a line');
    assert.equal(log.reads, 1, 'looked at the log without being told it grew');

    // Act
    log.lines.push(line('late'));
    logChanges.publish(job.id);
    await settle();
    const lingering = !waiting.settled;
    await clock.advance(LOG_BATCH_MS);

    // Assess
    assert.equal(lingering, true, 'answered the first line at once, without lingering for more');
    assert.equal(waiting.settled, true);
    assert.deepEqual(waiting.value?.lines.map((entry) => entry.message), ['late']);
    assert.equal(waiting.value?.nextCursor, '2');
    assert.equal(log.reads, 3, 'one look on the change, one after lingering');
  });

  it('answers the lines that come while it lingers together with the first', async () => {
    // Prepare
    log.lines.push(line('one'));
    const waiting = track(readJobLogs(ports, job.id, { cursor: '1', limit: 100, waitSeconds: 20 }, alice));
    await clock.advance(1_000);
    log.lines.push(line('two'));
    logChanges.publish(job.id);
    await settle();

    // Act
    log.lines.push(line('three'));
    logChanges.publish(job.id);
    await clock.advance(LOG_BATCH_MS);

    // Assess
    assert.deepEqual(waiting.value?.lines.map((entry) => entry.message), ['two', 'three']);
    assert.equal(waiting.value?.nextCursor, '3');
  });

  it('answers at once, without lingering, when the lines were there at the first look', async () => {
    // Prepare
    log.lines.push(line('one'), line('two'));

    // Act
    const waiting = track(readJobLogs(ports, job.id, { cursor: '1', limit: 100, waitSeconds: 20 }, alice));
    await settle();

    // Assess
    assert.equal(waiting.settled, true);
    assert.deepEqual(waiting.value?.lines.map((entry) => entry.message), ['two']);
    assert.equal(log.reads, 1);
  });

  it('answers with an empty page and the same cursor when the wait runs out', async () => {
    // Prepare
    log.lines.push(line('one'));
    const waiting = track(readJobLogs(ports, job.id, { cursor: '1', limit: 100, waitSeconds: 5 }, alice));

    // Act
    await clock.advance(4999);
    const before = waiting.settled;
    await clock.advance(1);

    // Assess
    assert.equal(before, false);
    assert.deepEqual(waiting.value, { lines: [], nextCursor: '1', complete: false, truncated: false } satisfies JobLogs);
  });

  it('answers once the job is finalized, complete, when no line comes', async () => {
    // Prepare
    const store = publishingJobStore(ports.store, recordChanges);
    const waiting = track(readJobLogs(ports, job.id, { limit: 100, waitSeconds: 20 }, alice));
    await settle();

    // Act
    await store.transition(job.id, 'SUCCEEDED', { stoppedAt: clock.now().toISOString() });
    await settle();

    // Assess
    assert.equal(waiting.value?.complete, true);
    assert.equal(clock.sleeping, 0, 'the wait is over: nothing sleeps on');
  });

  it('answers at once without wait, and caps the wait at maxWaitMs', async () => {
    // Act
    const atOnce = await readJobLogs(ports, job.id, { limit: 100 }, alice);
    const capped = track(readJobLogs(ports, job.id, { limit: 100, waitSeconds: 20, maxWaitMs: 7000 }, alice));
    await clock.advance(7000);

    // Assess
    assert.deepEqual(atOnce.lines, []);
    assert.equal(capped.settled, true);
  });

  it('is a 404 at once for a job that does not exist', async () => {
    // Act
    const waiting = track(readJobLogs(ports, 'job-0123456789abcdefghjkmnpqrs', { limit: 100, waitSeconds: 20 }, alice));
    await settle();

    // Assess
    assert.ok(waiting.error instanceof JobNotFoundError);
  });
});

describe('waitForJob, fed by the local record feed', () => {
  let clock: FakeClock;
  let recordChanges: JobChangeHub;
  let job: Job;
  let raw: ReturnType<typeof memoryStore>;
  let store: JobStore;

  beforeEach(() => {
    clock = new FakeClock();
    recordChanges = new JobChangeHub();
    job = aJob({ status: 'RUNNING' });
    raw = memoryStore([job]);
    store = publishingJobStore(raw, recordChanges);
  });

  const wait = (ifStatus: JobStatus | undefined, waitSeconds = 20) =>
    track(waitForJob({ store: raw, recordChanges, now: clock.now, sleep: clock.sleep }, job.id, { waitSeconds, ...(ifStatus ? { ifStatus } : {}) }, alice));

  it('wakes when the status changes, and not on a write that leaves it', async () => {
    // Prepare
    const waiting = wait('RUNNING');
    await settle();

    // Act
    await store.update(job.id, { network: { privateIp: '10.0.0.1' } });
    await settle();
    const afterOtherWrite = waiting.settled;
    await store.transition(job.id, 'SUCCEEDED');
    await settle();

    // Assess
    assert.equal(afterOtherWrite, false);
    assert.equal(waiting.value?.status, 'SUCCEEDED');
    assert.equal(raw.reads, 3);
  });

  it('answers at once when the status already differs, or without ifStatus', async () => {
    // Act
    const differs = wait('QUEUED');
    const noStatus = wait(undefined);
    await settle();

    // Assess
    assert.equal(differs.value?.status, 'RUNNING');
    assert.equal(noStatus.value?.status, 'RUNNING');
    assert.equal(clock.sleeping, 0);
  });

  it('answers at once for a finalized job, whose status will not change', async () => {
    // Prepare
    raw.jobs.set(job.id, { ...job, status: 'CANCELLED', stoppedAt: clock.now().toISOString() });

    // Act
    const waiting = wait('CANCELLED');
    await settle();

    // Assess
    assert.equal(waiting.value?.status, 'CANCELLED');
  });

  it('answers with the job as it is when the wait runs out', async () => {
    // Prepare
    const waiting = wait('RUNNING', 3);

    // Act
    await clock.advance(3000);

    // Assess
    assert.equal(waiting.value?.status, 'RUNNING');
    assert.equal(raw.reads, 2, 'looked once at the start and once at the end');
  });
});

describe('waitForJob without a feed (on AWS)', () => {
  it('looks at the record every RECORD_POLL_MS until the status changes', async () => {
    // Prepare
    const clock = new FakeClock();
    const job = aJob({ status: 'PROVISIONING' });
    const store = memoryStore([job]);
    const waiting = track(waitForJob({ store, now: clock.now, sleep: clock.sleep }, job.id, { waitSeconds: 20, ifStatus: 'PROVISIONING' }, alice));
    await clock.advance(2 * RECORD_POLL_MS);
    assert.equal(store.reads, 3);

    // Act
    store.jobs.set(job.id, { ...job, status: 'RUNNING' });
    await clock.advance(RECORD_POLL_MS);

    // Assess
    assert.equal(waiting.value?.status, 'RUNNING');
    assert.equal(store.reads, 4);
  });
});

describe('readJobLogs with wait on CloudWatch Logs (on AWS)', () => {
  const logs = mockClient(CloudWatchLogsClient);
  const taskId = '0f8e3c2a9b7d4e61a5c3b2d1e0f9a8b7';
  const settings: AwsTaskSettingsByProfile = new Map([
    [
      'default',
      {
        cluster: 'jobs',
        taskDefinition: 'jobs-runner',
        container: 'runner',
        subnets: ['subnet-1'],
        securityGroups: ['sg-1'],
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE' as const, weight: 1 }],
        logGroup: '/fargate-jobs/dev/default',
        logStreamPrefix: 'jobs',
      },
    ],
  ]);

  beforeEach(() => logs.reset());

  /** The ports of the getJobLogs Lambda, with `job` stored and the clock given. */
  function cloudWatchPorts(job: Job, clock: FakeClock): JobLogPorts {
    return {
      store: memoryStore([job]),
      logReader: new CloudWatchLogReader({ client: new CloudWatchLogsClient({ region: 'eu-west-1' }), settings }),
      now: clock.now,
      sleep: clock.sleep,
    };
  }

  it('polls GetLogEvents with a backoff (after 2 s, then 4 s) from the same cursor until lines come', async () => {
    // Prepare: nothing new after the cursor's token twice, then a line.
    const clock = new FakeClock();
    const job = aJob({ status: 'RUNNING', taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/jobs/${taskId}` });
    logs
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [], nextForwardToken: 'f/1' })
      .resolvesOnce({ events: [], nextForwardToken: 'f/1' })
      .resolvesOnce({ events: [{ timestamp: Date.UTC(2030, 0, 1), message: 'late', ingestionTime: Date.UTC(2030, 0, 1) }], nextForwardToken: 'f/2' })
      .resolves({ events: [], nextForwardToken: 'f/2' });
    const ports = cloudWatchPorts(job, clock);
    const cursor = encodeCursor({ forwardToken: 'f/1' });
    const waiting = track(readJobLogs(ports, job.id, { cursor, limit: 100, waitSeconds: 20 }, alice));
    await clock.advance(LOG_POLL_MS + 2 * LOG_POLL_MS - 1);
    assert.equal(waiting.settled, false);
    assert.equal(logs.commandCalls(GetLogEventsCommand).length, 2, 'looked at 0 and 2 s, not at 4 s');

    // Act
    await clock.advance(1 + LOG_BATCH_MS);

    // Assess
    assert.deepEqual(waiting.value?.lines.map((entry) => entry.message), ['late']);
    const calls = logs.commandCalls(GetLogEventsCommand);
    // Looks at 0, 2 and 6 s, each from the cursor's token (each reading on to the stream's end), and
    // once more after lingering for more lines.
    assert.deepEqual(calls.map((call) => call.args[0].input.nextToken), ['f/1', 'f/1', 'f/1', 'f/2', 'f/1', 'f/2']);
    assert.equal(waiting.value?.nextCursor, encodeCursor({ forwardToken: 'f/2' }));
  });

  it('answers an empty page that reads on from the same place when the wait runs out, after five GetLogEvents in 20 s', async () => {
    // Prepare
    const clock = new FakeClock();
    const job = aJob({ status: 'RUNNING', taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/jobs/${taskId}` });
    logs.on(GetLogEventsCommand).resolves({ events: [], nextForwardToken: 'f/1' });
    const ports = cloudWatchPorts(job, clock);
    const cursor = encodeCursor({ forwardToken: 'f/1' });
    const waiting = track(readJobLogs(ports, job.id, { cursor, limit: 100, waitSeconds: 20 }, alice));

    // Act
    await clock.advance(20_000);

    // Assess
    assert.deepEqual(waiting.value, { lines: [], nextCursor: cursor, complete: false, truncated: false });
    // A fixed 2-s poll would have made 11.
    assert.equal(logs.commandCalls(GetLogEventsCommand).length, 5, 'at 0, 2, 6, 14 and 20 s: pauses of 2, 4, 8 and what was left');
  });

  it('keeps to one GetLogEvents at a time for waits on the same job in one process, and shares the read of the same page', async () => {
    // Prepare: two followers of one job at the same cursor, a third further on; CloudWatch answers slowly.
    const clock = new FakeClock();
    const job = aJob({ status: 'RUNNING', taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/jobs/${taskId}` });
    let inFlight = 0;
    let mostInFlight = 0;
    logs.on(GetLogEventsCommand).callsFake(async (input: { nextToken?: string }) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await clock.sleep(100, new AbortController().signal);
      inFlight -= 1;
      return { events: [], nextForwardToken: input.nextToken };
    });
    const ports = { ...cloudWatchPorts(job, clock), logReader: coalescedLogReads(cloudWatchPorts(job, clock).logReader) };
    const here = encodeCursor({ forwardToken: 'f/1' });
    const further = encodeCursor({ forwardToken: 'f/9' });

    // Act
    const waits = [here, here, further].map((cursor) => track(readJobLogs(ports, job.id, { cursor, limit: 100, waitSeconds: 20 }, alice)));
    await clock.advance(21_000);

    // Assess
    assert.ok(waits.every((wait) => wait.settled));
    assert.equal(mostInFlight, 1, 'never two GetLogEvents of one job at once');
    const tokens = logs.commandCalls(GetLogEventsCommand).map((call) => call.args[0].input.nextToken);
    assert.equal(tokens.filter((token) => token === 'f/1').length, 5, 'the two waits at the same cursor shared each of their five reads');
    assert.equal(tokens.filter((token) => token === 'f/9').length, 5);
  });
});

describe('GET /jobs/{id}/logs with wait', () => {
  function anEvent(query: Record<string, string>, id: string): APIGatewayProxyEventV2 {
    return {
      version: '2.0',
      routeKey: 'GET /jobs/{id}/logs',
      rawPath: `/jobs/${id}/logs`,
      rawQueryString: new URLSearchParams(query).toString(),
      headers: {},
      queryStringParameters: query,
      pathParameters: { id },
      isBase64Encoded: false,
      requestContext: { requestId: 'request-1', authorizer: { lambda: { caller: 'alice', profiles: '*' } } },
    } as unknown as APIGatewayProxyEventV2;
  }

  it('refuses a wait over 20 s with VALIDATION_FAILED naming the limit', async () => {
    // Prepare
    const job = aJob();
    const handler = getJobLogsHandler({ store: memoryStore([job]), logReader: new MemoryLog(), logger: silentLogger });

    // Act
    const response = await handler(anEvent({ wait: '21' }, job.id), {} as Context);

    // Assess
    const body = JSON.parse(response.body ?? '{}') as { error: { code: string; details: Array<{ path: string; message: string }> } };
    assert.equal(response.statusCode, 400);
    assert.equal(body.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(body.error.details, [{ path: 'wait', message: 'must be at most 20 (seconds)' }]);
  });

  it("waits no longer than the invocation's remaining time allows", async () => {
    // Prepare
    const clock = new FakeClock();
    const job = aJob({ status: 'RUNNING' });
    const handler = getJobLogsHandler({ store: memoryStore([job]), logReader: new MemoryLog(), logChanges: new JobChangeHub(), recordChanges: new JobChangeHub(), logger: silentLogger, now: clock.now, sleep: clock.sleep });
    const context = { getRemainingTimeInMillis: () => 10_000 } as Context;

    // Act
    const answer = track(handler(anEvent({ wait: '20' }, job.id), context));
    await clock.advance(10_000 - ANSWER_MARGIN_MS);

    // Assess
    assert.equal(answer.value?.statusCode, 200);
  });
});

describe('waitUntil', () => {
  it('looks once more after a change that came during a look, not once per change', async () => {
    // Prepare
    const clock = new FakeClock();
    const hub = new JobChangeHub();
    let looks = 0;
    const check = async () => {
      looks += 1;
      if (looks === 1) {
        hub.publish('job');
        hub.publish('job');
      }
      return { done: looks === 2, value: looks };
    };

    // Act
    const value = await waitUntil(check, { deadline: clock.time + 20_000, now: () => clock.time, sleep: clock.sleep, changes: [(wake) => hub.subscribe('job', wake)] });

    // Assess
    assert.equal(value, 2);
    assert.equal(clock.sleeping, 0);
  });

  it('stops listening once the wait is over', async () => {
    // Prepare
    const clock = new FakeClock();
    const hub = new JobChangeHub();
    let looks = 0;

    // Act
    await waitUntil(async () => ({ done: true, value: (looks += 1) }), { deadline: clock.time, now: () => clock.time, sleep: clock.sleep, changes: [(wake) => hub.subscribe('job', wake)] });
    hub.publish('job');
    await settle();

    // Assess
    assert.equal(looks, 1);
  });
});
