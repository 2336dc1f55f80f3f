/**
 * What every ScheduleStore adapter promises (lib/domain/ports.ts), run against each of them
 * (schedule-store.test.ts beside this file): the DynamoDB store on AWS and the SQLite store of local
 * mode must never drift apart. Each suite gets an empty store of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ScheduleStore } from '#lib/domain/ports.ts';
import { MAX_SCHEDULE_FIRES, type Schedule, type ScheduleFire } from '#lib/domain/schedule.ts';

export interface ScheduleStoreUnderTest {
  store: ScheduleStore;
  close(): Promise<void>;
}

export type ScheduleStoreFactory = () => Promise<ScheduleStoreUnderTest>;

let schedules = 0;
/** A schedule with a name of its own. */
export function aSchedule(overrides: Partial<Schedule> = {}): Schedule {
  schedules += 1;
  return {
    name: `nightly-${schedules}`,
    schedule: 'cron(0 3 * * ? *)',
    timezone: 'Europe/Paris',
    job: { profile: 'default', command: ['echo', 'hello'], env: { STAGE: 'prod' }, labels: { team: 'platform' }, timeoutSeconds: 600 },
    overlap: 'skip',
    enabled: true,
    createdBy: 'ci',
    createdByProfiles: ['default', 'echo'],
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** The fire at minute `minute` of 2030-01-02. */
function aFire(minute: number, overrides: Partial<ScheduleFire> = {}): ScheduleFire {
  return { at: new Date(Date.UTC(2030, 0, 2, 0, minute)).toISOString(), outcome: 'submitted', jobId: `job-${String(minute).padStart(26, '0')}`, ...overrides };
}

function storeForSuite(make: ScheduleStoreFactory): { readonly store: ScheduleStore } {
  let opened: ScheduleStoreUnderTest | undefined;
  before(async () => {
    opened = await make();
  });
  after(async () => {
    await opened?.close();
  });
  return {
    get store(): ScheduleStore {
      if (!opened) throw new Error('the store is made before the suite runs');
      return opened.store;
    },
  };
}

export function scheduleStoreContract(make: ScheduleStoreFactory): void {
  describe('create, get and list', () => {
    const tested = storeForSuite(make);

    it('stores a schedule and gets it back unchanged, with no fires', async () => {
      // Prepare
      const schedule = aSchedule();

      // Act
      const created = await tested.store.create(schedule);

      // Assess
      assert.equal(created, true);
      assert.deepEqual(await tested.store.get(schedule.name), schedule);
    });

    it('keeps a schedule without a time zone without one', async () => {
      // Prepare
      const { timezone: _timezone, ...inUtc } = aSchedule();

      // Act
      await tested.store.create(inUtc);

      // Assess
      assert.deepEqual(await tested.store.get(inUtc.name), inUtc);
    });

    it('answers false and stores nothing for a second schedule of the same name; the first stays', async () => {
      // Prepare
      const first = aSchedule();
      await tested.store.create(first);

      // Act
      const created = await tested.store.create({ ...first, schedule: 'rate(5 minutes)', createdBy: 'someone-else' });

      // Assess
      assert.equal(created, false);
      assert.deepEqual(await tested.store.get(first.name), first);
    });

    it('lets exactly one of five concurrent creates of the same name through', async () => {
      // Prepare
      const name = aSchedule().name;

      // Act
      const created = await Promise.all(Array.from({ length: 5 }, (_, index) => tested.store.create(aSchedule({ name, createdBy: `racer-${index}` }))));

      // Assess
      assert.equal(created.filter(Boolean).length, 1);
      const winner = created.indexOf(true);
      assert.equal((await tested.store.get(name))?.createdBy, `racer-${winner}`);
    });

    it('answers undefined for a name no schedule has', async () => {
      // Act and assess
      assert.equal(await tested.store.get('no-such-schedule'), undefined);
    });

    it('lists every schedule by name', async () => {
      // Prepare
      const names = ['zz-last', 'aa-first', 'mm-middle'];
      for (const name of names) await tested.store.create(aSchedule({ name }));

      // Act
      const listed = (await tested.store.list()).map((schedule) => schedule.name);

      // Assess
      assert.deepEqual(listed, listed.toSorted(), 'by name');
      for (const name of names) assert.ok(listed.includes(name), `${name} is listed`);
    });
  });

  describe('put', () => {
    const tested = storeForSuite(make);

    it('replaces a schedule and answers it as stored; a field left out is gone', async () => {
      // Prepare
      const schedule = aSchedule();
      await tested.store.create(schedule);
      const { timezone: _timezone, ...changed } = { ...schedule, schedule: 'rate(1 hour)', enabled: false, overlap: 'allow' as const, updatedAt: '2030-01-03T00:00:00.000Z' };

      // Act
      const stored = await tested.store.put(changed);

      // Assess
      assert.deepEqual(stored, changed);
      assert.deepEqual(await tested.store.get(schedule.name), changed);
    });

    it('keeps the fires recorded, whatever fires the schedule it is given holds', async () => {
      // Prepare
      const schedule = aSchedule();
      await tested.store.create(schedule);
      await tested.store.recordFire(schedule.name, aFire(1));

      // Act
      const stored = await tested.store.put({ ...schedule, enabled: false, fires: [] });

      // Assess
      assert.deepEqual(stored?.fires, [aFire(1)]);
      assert.deepEqual((await tested.store.get(schedule.name))?.fires, [aFire(1)]);
    });

    it('answers undefined and creates nothing for a name no schedule has', async () => {
      // Prepare
      const schedule = aSchedule();

      // Act
      const stored = await tested.store.put(schedule);

      // Assess
      assert.equal(stored, undefined);
      assert.equal(await tested.store.get(schedule.name), undefined);
    });
  });

  describe('recordFire', () => {
    const tested = storeForSuite(make);

    it('appends fires, newest last, and answers the schedule with them', async () => {
      // Prepare
      const schedule = aSchedule();
      await tested.store.create(schedule);

      // Act
      await tested.store.recordFire(schedule.name, aFire(1));
      const answered = await tested.store.recordFire(schedule.name, aFire(2, { outcome: 'skipped', jobId: undefined, reason: 'overlap skip' }));

      // Assess
      const { jobId: _none, ...skipped } = aFire(2, { outcome: 'skipped', reason: 'overlap skip' });
      assert.deepEqual(answered, { ...schedule, fires: [aFire(1), skipped] });
      assert.deepEqual(await tested.store.get(schedule.name), answered);
    });

    it('keeps one entry per fire time: a fire recorded again replaces the one of its time, in its place', async () => {
      // Prepare
      const schedule = aSchedule();
      await tested.store.create(schedule);
      await tested.store.recordFire(schedule.name, aFire(1, { outcome: 'failed', jobId: undefined, reason: 'boom' }));
      await tested.store.recordFire(schedule.name, aFire(2));

      // Act
      await tested.store.recordFire(schedule.name, aFire(1));

      // Assess
      assert.deepEqual((await tested.store.get(schedule.name))?.fires, [aFire(1), aFire(2)]);
    });

    it(`keeps the last ${MAX_SCHEDULE_FIRES} fires`, async () => {
      // Prepare
      const schedule = aSchedule();
      await tested.store.create(schedule);

      // Act
      for (let minute = 0; minute < MAX_SCHEDULE_FIRES + 3; minute += 1) await tested.store.recordFire(schedule.name, aFire(minute));

      // Assess
      const fires = (await tested.store.get(schedule.name))?.fires ?? [];
      assert.equal(fires.length, MAX_SCHEDULE_FIRES);
      assert.deepEqual(fires[0], aFire(3));
      assert.deepEqual(fires.at(-1), aFire(MAX_SCHEDULE_FIRES + 2));
    });

    it('lands every one of five fires recorded at once', async () => {
      // Prepare
      const schedule = aSchedule();
      await tested.store.create(schedule);

      // Act
      await Promise.all([1, 2, 3, 4, 5].map((minute) => tested.store.recordFire(schedule.name, aFire(minute))));

      // Assess
      const recorded = ((await tested.store.get(schedule.name))?.fires ?? []).map((fire) => fire.at).toSorted();
      assert.deepEqual(recorded, [1, 2, 3, 4, 5].map((minute) => aFire(minute).at));
    });

    it('answers undefined and creates nothing for a schedule that is gone', async () => {
      // Act
      const answered = await tested.store.recordFire('gone-schedule', aFire(1));

      // Assess
      assert.equal(answered, undefined);
      assert.equal(await tested.store.get('gone-schedule'), undefined);
    });
  });

  describe('delete', () => {
    const tested = storeForSuite(make);

    it('removes a schedule, its fires with it, and frees its name', async () => {
      // Prepare
      const schedule = aSchedule();
      await tested.store.create(schedule);
      await tested.store.recordFire(schedule.name, aFire(1));

      // Act
      const deleted = await tested.store.delete(schedule.name);

      // Assess
      assert.equal(deleted, true);
      assert.equal(await tested.store.get(schedule.name), undefined);
      assert.ok(!(await tested.store.list()).some((listed) => listed.name === schedule.name));
      assert.equal(await tested.store.create(schedule), true, 'the name is free again');
      assert.equal((await tested.store.get(schedule.name))?.fires, undefined, 'a new schedule of the name starts with no fires');
    });

    it('answers false for a name no schedule has', async () => {
      // Act and assess
      assert.equal(await tested.store.delete('never-was'), false);
    });
  });
}
