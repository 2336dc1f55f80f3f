/**
 * The fire function's handler: a delivery of a schedule's fire (the event EventBridge Scheduler
 * sends, read as on AWS) becomes one job of the schedule, keyed by its name and the fire's due time;
 * an event that is no fire is logged and dropped rather than thrown back to be delivered again.
 * Each fire acts as its creator's token as it is then: none when it is revoked (the fire is recorded
 * failed, not retried), else with its current scope and active-job limit.
 * Fake ports: the SQLite job and token stores, a schedule store in memory, a workflow that records its starts.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { localProfiles } from '#config/profiles.ts';
import { SqliteJobStore } from '#lib/adapters/local/sqlite-job-store.ts';
import { SqliteTokenStore } from '#lib/adapters/local/sqlite-token-store.ts';
import { scheduleFireOf, SCHEDULED_TIME, scheduleFireInput } from '#lib/adapters/aws/scheduler-fire-event.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { ScheduleStore, TokenRecord, Workflow } from '#lib/domain/ports.ts';
import { fireIdempotencyKey, MAX_SCHEDULE_FIRES, SCHEDULE_LABEL, type Schedule, type ScheduleFire } from '#lib/domain/schedule.ts';
import { revokedCreatorReason } from '#lib/domain/schedule-fire.ts';
import { callbackUrlPolicy } from '#lib/notify/callback-policy.ts';
import { fireScheduleHandler } from '#lib/workflow/fire-schedule.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/sqlite.ts';

const NOW = new Date('2030-01-02T02:00:03.000Z');
const DUE = '2030-01-02T02:00:00Z';

/** The schedules, in memory. */
class MemoryScheduleStore implements ScheduleStore {
  readonly schedules = new Map<string, Schedule>();
  reads = 0;

  async create(schedule: Schedule): Promise<boolean> {
    if (this.schedules.has(schedule.name)) return false;
    this.schedules.set(schedule.name, schedule);
    return true;
  }

  async get(name: string): Promise<Schedule | undefined> {
    this.reads += 1;
    return this.schedules.get(name);
  }

  async list(): Promise<Schedule[]> {
    return [...this.schedules.values()];
  }

  async put(schedule: Schedule): Promise<Schedule | undefined> {
    if (!this.schedules.has(schedule.name)) return undefined;
    this.schedules.set(schedule.name, schedule);
    return schedule;
  }

  async recordFire(name: string, fire: ScheduleFire): Promise<Schedule | undefined> {
    const schedule = this.schedules.get(name);
    if (!schedule) return undefined;
    const recorded = { ...schedule, fires: [...(schedule.fires ?? []), fire].slice(-MAX_SCHEDULE_FIRES) };
    this.schedules.set(name, recorded);
    return recorded;
  }

  async delete(name: string): Promise<boolean> {
    return this.schedules.delete(name);
  }
}

class RecordingWorkflow implements Workflow {
  readonly started: string[] = [];

  async start(jobId: string): Promise<void> {
    this.started.push(jobId);
  }

  async wake(): Promise<void> {}
}

/** The lines a handler logs, by level. */
class RecordingLogger implements Logger {
  readonly lines: Array<{ level: string; message: string; extra: Record<string, unknown> }> = [];
  debug(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push({ level: 'debug', message, extra: Object.assign({}, ...extra) });
  }
  info(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push({ level: 'info', message, extra: Object.assign({}, ...extra) });
  }
  warn(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push({ level: 'warn', message, extra: Object.assign({}, ...extra) });
  }
  error(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push({ level: 'error', message, extra: Object.assign({}, ...extra) });
  }
}

function aSchedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    name: 'nightly-report',
    schedule: 'cron(0 2 * * ? *)',
    job: { profile: 'default', command: ['echo', 'report'] },
    overlap: 'allow',
    enabled: true,
    createdBy: 'ops',
    createdByProfiles: ['default'],
    createdAt: '2030-01-01T12:00:00.000Z',
    updatedAt: '2030-01-01T12:00:00.000Z',
    ...overrides,
  };
}

let tokenCount = 0;
/** A token record of the schedule's creator, `ops`, unless told otherwise. */
function aToken(overrides: Partial<TokenRecord> = {}): TokenRecord {
  tokenCount += 1;
  return { hash: tokenCount.toString(16).padStart(64, '0'), name: 'ops', profiles: ['default'], createdAt: '2030-01-01T00:00:00.000Z', ...overrides };
}

/** What Scheduler hands the function: the target's Input with the due time filled in, parsed by Lambda. */
function delivery(name: string, dueAt: string): unknown {
  return JSON.parse(scheduleFireInput(name).replace(SCHEDULED_TIME, dueAt));
}

describe('the fire function', () => {
  let database: TestDatabase;
  let store: SqliteJobStore;
  let tokens: SqliteTokenStore;
  let schedules: MemoryScheduleStore;
  let workflow: RecordingWorkflow;
  let logger: RecordingLogger;
  let handler: (event: unknown) => Promise<void>;

  beforeEach(async () => {
    database = await openTestDatabase();
    store = new SqliteJobStore({ database: database.database, now: () => NOW });
    tokens = new SqliteTokenStore({ database: database.database });
    await tokens.create(aToken());
    schedules = new MemoryScheduleStore();
    workflow = new RecordingWorkflow();
    logger = new RecordingLogger();
    handler = fireScheduleHandler({
      store,
      schedules,
      tokens,
      workflow,
      profiles: new Map(localProfiles.map((profile) => [profile.name, profile])),
      logger,
      now: () => NOW,
      requestHashKey: { get: async () => 'a-request-hash-key-that-is-not-in-the-table-0123456789' },
      callbackUrls: callbackUrlPolicy([]),
      readEvent: scheduleFireOf,
    });
  });

  afterEach(async () => {
    await database.close();
  });

  it("fires the schedule the event names at the time it was due: one job of the schedule's, labelled and keyed by name and due time, recorded on the schedule", async () => {
    // Prepare
    await schedules.create(aSchedule());

    // Act
    await handler(delivery('nightly-report', DUE));

    // Assess
    const { jobs } = await store.list({ limit: 10 });
    assert.equal(jobs.length, 1);
    const [job] = jobs;
    assert.deepEqual(job?.command, ['echo', 'report']);
    assert.equal(job?.labels[SCHEDULE_LABEL], 'nightly-report');
    assert.equal(job?.idempotencyKey, fireIdempotencyKey('nightly-report', new Date(DUE)));
    assert.equal(job?.submittedBy, 'ops', "submitted on behalf of the schedule's creator");
    assert.deepEqual(workflow.started, [job?.id]);
    const fires = schedules.schedules.get('nightly-report')?.fires ?? [];
    assert.equal(fires.at(-1)?.at, new Date(DUE).toISOString(), 'the fire is recorded at its due time, not when it was handled');
    assert.equal(fires.at(-1)?.jobId, job?.id);
  });

  it('makes one job of a fire delivered twice (a retried delivery carries the same due time)', async () => {
    // Prepare
    await schedules.create(aSchedule());

    // Act
    await handler(delivery('nightly-report', DUE));
    await handler(delivery('nightly-report', DUE));

    // Assess
    assert.equal((await store.list({ limit: 10 })).jobs.length, 1);
  });

  it('records a fire the service failed to submit (a store that refused a write) and throws, so that its delivery is retried; the retry makes the job', async () => {
    // Prepare: the first write of a job is refused as a throttled call would be.
    await schedules.create(aSchedule());
    const create = store.create.bind(store);
    let refusals = 1;
    store.create = async (job) => {
      if (refusals-- > 0) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return create(job);
    };

    // Act
    await assert.rejects(handler(delivery('nightly-report', DUE)), { name: 'FireRetryError' });
    const failed = schedules.schedules.get('nightly-report')?.fires?.at(-1);
    await handler(delivery('nightly-report', DUE));

    // Assess
    assert.equal(failed?.outcome, 'failed');
    assert.match(failed?.reason ?? '', /delivered again/);
    const { jobs } = await store.list({ limit: 10 });
    assert.equal(jobs.length, 1);
    assert.deepEqual(workflow.started, [jobs[0]?.id]);
    assert.equal(schedules.schedules.get('nightly-report')?.fires?.at(-1)?.outcome, 'submitted');
  });

  it('makes a job of each due time', async () => {
    // Prepare
    await schedules.create(aSchedule());

    // Act
    await handler(delivery('nightly-report', DUE));
    await handler(delivery('nightly-report', '2030-01-03T02:00:00Z'));

    // Assess
    const keys = (await store.list({ limit: 10 })).jobs.map((job) => job.idempotencyKey).toSorted();
    assert.deepEqual(keys, [fireIdempotencyKey('nightly-report', new Date(DUE)), fireIdempotencyKey('nightly-report', new Date('2030-01-03T02:00:00Z'))]);
  });

  it("makes no job once its creator's token is revoked: the fire is recorded failed with what to do, and not thrown (a retry would fail the same)", async () => {
    // Prepare
    await schedules.create(aSchedule());
    await tokens.revokeByName('ops', '2030-01-02T00:00:00.000Z');

    // Act
    await handler(delivery('nightly-report', DUE));

    // Assess
    assert.equal((await store.list({ limit: 10 })).jobs.length, 0);
    assert.deepEqual(workflow.started, []);
    const fire = schedules.schedules.get('nightly-report')?.fires?.at(-1);
    assert.deepEqual(fire, { at: new Date(DUE).toISOString(), outcome: 'failed', reason: revokedCreatorReason('ops') });
    assert.match(fire?.reason ?? '', /^token 'ops' that made this schedule is revoked: the schedule no longer fires; pause or delete it/);
  });

  it("submits with the creator's token's scope at the fire, not the one stored when the schedule was made: a profile it lost is refused, and not thrown", async () => {
    // Prepare: 'ops' revoked and made again for ssh only.
    await schedules.create(aSchedule({ createdByProfiles: ['*'] }));
    await tokens.revokeByName('ops', '2030-01-02T00:00:00.000Z');
    await tokens.create(aToken({ profiles: ['ssh'] }));

    // Act
    await handler(delivery('nightly-report', DUE));

    // Assess
    assert.equal((await store.list({ limit: 10 })).jobs.length, 0);
    assert.deepEqual(workflow.started, []);
    const fire = schedules.schedules.get('nightly-report')?.fires?.at(-1);
    assert.equal(fire?.outcome, 'failed');
    assert.match(fire?.reason ?? '', /^PROFILE_FORBIDDEN: /);
  });

  it("submits as the token made again under the creator's name, with its scope, though the schedule was made with another", async () => {
    // Prepare
    await schedules.create(aSchedule({ createdByProfiles: ['ssh'] }));
    await tokens.revokeByName('ops', '2030-01-02T00:00:00.000Z');
    await tokens.create(aToken({ profiles: ['default'] }));

    // Act
    await handler(delivery('nightly-report', DUE));

    // Assess
    const { jobs } = await store.list({ limit: 10 });
    assert.deepEqual(jobs.map((job) => job.submittedBy), ['ops']);
    assert.equal(schedules.schedules.get('nightly-report')?.fires?.at(-1)?.outcome, 'submitted');
  });

  it("holds the fire to the creator's token's own active-job limit at the fire", async () => {
    // Prepare: a token limited to one active job, which the first fire's job takes.
    await tokens.revokeByName('ops', '2030-01-02T00:00:00.000Z');
    await tokens.create(aToken({ maxActiveJobs: 1 }));
    await schedules.create(aSchedule());
    await handler(delivery('nightly-report', DUE));

    // Act
    await handler(delivery('nightly-report', '2030-01-03T02:00:00Z'));

    // Assess
    assert.equal((await store.list({ limit: 10 })).jobs.length, 1);
    const fire = schedules.schedules.get('nightly-report')?.fires?.at(-1);
    assert.equal(fire?.outcome, 'failed');
    assert.match(fire?.reason ?? '', /^TOO_MANY_ACTIVE_JOBS: /);
  });

  it("throws when the creator's token cannot be read for a moment, so that the delivery is retried", async () => {
    // Prepare
    await schedules.create(aSchedule());
    tokens.findActiveByName = async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    };

    // Act
    const firing = handler(delivery('nightly-report', DUE));

    // Assess
    await assert.rejects(firing, { name: 'FireRetryError' });
    assert.equal((await store.list({ limit: 10 })).jobs.length, 0);
    assert.match(schedules.schedules.get('nightly-report')?.fires?.at(-1)?.reason ?? '', /delivered again/);
  });

  it('logs an event that is no fire and drops it, reading and writing nothing (thrown, it would be delivered again as it is)', async () => {
    // Prepare
    await schedules.create(aSchedule());

    for (const event of [{}, { name: 'nightly-report', fireTime: SCHEDULED_TIME }, { source: 'aws.events', 'detail-type': 'Scheduled Event' }, 'nightly-report']) {
      // Act
      await assert.doesNotReject(handler(event), JSON.stringify(event));
    }

    // Assess
    assert.equal(schedules.reads, 0);
    assert.equal((await store.list({ limit: 10 })).jobs.length, 0);
    assert.deepEqual(workflow.started, []);
    const dropped = logger.lines.filter((line) => line.level === 'error');
    assert.equal(dropped.length, 4);
    assert.match(String(dropped[1]?.extra.event), /aws\.scheduler\.scheduled-time/, 'the log shows what came');
  });

  it('throws when the fire fails for a moment (its store), so that the delivery is retried', async () => {
    // Prepare
    await schedules.create(aSchedule());
    schedules.get = async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    };

    // Act
    const firing = handler(delivery('nightly-report', DUE));

    // Assess
    await assert.rejects(firing, { name: 'ThrottlingException' });
  });
});
