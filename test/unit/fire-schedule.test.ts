/**
 * The fire function's handler: a delivery of a schedule's fire (the event EventBridge Scheduler
 * sends, read as on AWS) becomes one job of the schedule, keyed by its name and the fire's due time;
 * an event that is no fire is logged and dropped rather than thrown back to be delivered again.
 * Fake ports: the SQLite job store, a schedule store in memory, a workflow that records its starts.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { localProfiles } from '#config/profiles.ts';
import { SqliteJobStore } from '#lib/adapters/local/sqlite-job-store.ts';
import { scheduleFireOf, SCHEDULED_TIME, scheduleFireInput } from '#lib/adapters/aws/scheduler-fire-event.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { ScheduleStore, Workflow } from '#lib/domain/ports.ts';
import { fireIdempotencyKey, MAX_SCHEDULE_FIRES, SCHEDULE_LABEL, type Schedule, type ScheduleFire } from '#lib/domain/schedule.ts';
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

/** What Scheduler hands the function: the target's Input with the due time filled in, parsed by Lambda. */
function delivery(name: string, dueAt: string): unknown {
  return JSON.parse(scheduleFireInput(name).replace(SCHEDULED_TIME, dueAt));
}

describe('the fire function', () => {
  let database: TestDatabase;
  let store: SqliteJobStore;
  let schedules: MemoryScheduleStore;
  let workflow: RecordingWorkflow;
  let logger: RecordingLogger;
  let handler: (event: unknown) => Promise<void>;

  beforeEach(async () => {
    database = await openTestDatabase();
    store = new SqliteJobStore({ database: database.database, now: () => NOW });
    schedules = new MemoryScheduleStore();
    workflow = new RecordingWorkflow();
    logger = new RecordingLogger();
    handler = fireScheduleHandler({
      store,
      schedules,
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
