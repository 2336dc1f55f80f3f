import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { CronerScheduleCalendar } from '#lib/adapters/croner-schedule-calendar.ts';
import { LocalScheduler } from '#lib/adapters/local/local-scheduler.ts';
import { silentLogger, type Logger } from '#lib/domain/logger.ts';
import type { Schedule } from '#lib/domain/schedule.ts';

const START = Date.parse('2030-01-07T12:00:00.000Z');

function aSchedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    name: 'every-minute',
    schedule: 'rate(1 minute)',
    job: { profile: 'default', command: ['true'] },
    overlap: 'allow',
    enabled: true,
    createdBy: 'ci',
    createdByProfiles: ['*'],
    createdAt: new Date(START).toISOString(),
    updatedAt: new Date(START).toISOString(),
    ...overrides,
  };
}

let fired: string[];
let scheduler: LocalScheduler;
let errors: string[];

function schedulerFiring(fire: (name: string, fireTime: Date) => Promise<unknown> = async () => undefined): LocalScheduler {
  const logger: Logger = { ...silentLogger, error: (message) => void errors.push(message) };
  return new LocalScheduler({
    calendar: new CronerScheduleCalendar(),
    logger,
    fire: async (name, fireTime) => {
      fired.push(`${name} ${fireTime.toISOString()}`);
      return fire(name, fireTime);
    },
  });
}

beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: START });
  fired = [];
  errors = [];
  scheduler = schedulerFiring();
});

afterEach(async () => {
  await scheduler.stop();
  mock.timers.reset();
});

/** Moves the clock on, letting each fire's promise settle. */
async function advance(ms: number): Promise<void> {
  mock.timers.tick(ms);
  for (let turn = 0; turn < 5; turn += 1) await Promise.resolve();
}

describe('LocalScheduler', () => {
  it('fires an enabled schedule at each due time, handing over the time it was due, and arms the next', async () => {
    // Act
    const armed = scheduler.start([aSchedule(), aSchedule({ name: 'paused', enabled: false })]);
    await advance(59_999);
    const early = [...fired];
    await advance(1);
    await advance(60_000);

    // Assess
    assert.equal(armed, 1, 'only the enabled one is armed');
    assert.deepEqual(early, []);
    assert.deepEqual(fired, ['every-minute 2030-01-07T12:01:00.000Z', 'every-minute 2030-01-07T12:02:00.000Z']);
    assert.equal(scheduler.isArmed('paused'), false);
  });

  it('does not make up for fires missed: after a long stall the next is the first after now', async () => {
    // Prepare: the clock jumps (a machine asleep) without the timers' turn.
    scheduler.start([aSchedule()]);

    // Act
    await advance(5 * 60_000 + 30_000);

    // Assess: the one fire that was due when the timer finally ran, then none of the missed ones.
    assert.deepEqual(fired, ['every-minute 2030-01-07T12:01:00.000Z']);
    await advance(30_000);
    assert.deepEqual(fired, ['every-minute 2030-01-07T12:01:00.000Z', 'every-minute 2030-01-07T12:06:00.000Z']);
  });

  it('stops firing a schedule paused or removed, and fires it again once resumed', async () => {
    // Prepare
    scheduler.start([aSchedule(), aSchedule({ name: 'other' })]);

    // Act
    await scheduler.upsert(aSchedule({ enabled: false }));
    await scheduler.remove('other');
    await advance(120_000);
    const whilePaused = [...fired];
    await scheduler.upsert(aSchedule({ updatedAt: new Date(Date.now()).toISOString() }));
    await advance(60_000);

    // Assess
    assert.deepEqual(whilePaused, []);
    assert.deepEqual(fired, ['every-minute 2030-01-07T12:03:00.000Z']);
  });

  it('logs a fire that failed and goes on firing', async () => {
    // Prepare
    scheduler = schedulerFiring(async () => {
      throw new Error('the store is gone');
    });
    scheduler.start([aSchedule()]);

    // Act
    await advance(60_000);
    await advance(60_000);

    // Assess
    assert.equal(fired.length, 2);
    assert.deepEqual(errors, ['a schedule could not fire', 'a schedule could not fire']);
  });

  it('arms no schedule that never fires again, and none after stop', async () => {
    // Act
    scheduler.start([aSchedule({ name: 'past', schedule: 'at(2029-01-01T00:00:00)' })]);
    await scheduler.stop();
    await scheduler.upsert(aSchedule());
    await advance(120_000);

    // Assess
    assert.equal(scheduler.isArmed('past'), false);
    assert.equal(scheduler.isArmed('every-minute'), false);
    assert.deepEqual(fired, []);
  });
});
