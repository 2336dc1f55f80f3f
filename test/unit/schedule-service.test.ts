import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CronerScheduleCalendar } from '#lib/adapters/croner-schedule-calendar.ts';
import { SqliteScheduleStore } from '#lib/adapters/local/sqlite-schedule-store.ts';
import type { Caller } from '#lib/domain/caller.ts';
import { FargateJobsError } from '#lib/domain/errors.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { Schedule } from '#lib/domain/schedule.ts';
import type { ScheduleTrigger } from '#lib/domain/ports.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { createSchedule, deleteSchedule, getSchedule, listSchedules, updateSchedule, type NewSchedule, type ScheduleWritePorts } from '#lib/domain/schedule-service.ts';
import { callbackUrlPolicy } from '#lib/notify/callback-policy.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/sqlite.ts';

const NOW = new Date('2030-01-07T12:00:00.000Z');
const ADMIN: Caller = { name: 'admin', profiles: ['*'] };
const BUILDER: Caller = { name: 'builder', profiles: ['build'] };

function aProfile(name: string, overrides: Partial<Profile> = {}): Profile {
  return { name, description: name, commands: [{ prefix: ['make'] }], shell: false, envNames: ['TARGET', 'DEPLOY_TOKEN'], timeoutSeconds: { default: 600, max: 3600 }, publicIp: 'never', ...overrides };
}

let database: TestDatabase;
let ports: ScheduleWritePorts;
let triggered: string[];
let failTrigger: boolean;
let named = 0;

before(async () => {
  database = await openTestDatabase();
});

after(async () => {
  await database?.close();
});

beforeEach(() => {
  triggered = [];
  failTrigger = false;
  const trigger: ScheduleTrigger = {
    upsert: async (schedule) => {
      if (failTrigger) throw new Error('Scheduler is down');
      triggered.push(`upsert ${schedule.name} ${schedule.enabled ? 'enabled' : 'paused'}`);
    },
    remove: async (name) => void triggered.push(`remove ${name}`),
  };
  ports = {
    schedules: new SqliteScheduleStore({ database: database.database }),
    scheduleTrigger: trigger,
    scheduleCalendar: new CronerScheduleCalendar(),
    profiles: new Map([
      ['build', aProfile('build')],
      ['deploy', aProfile('deploy')],
    ]),
    callbackUrls: callbackUrlPolicy([]),
    logger: silentLogger,
    now: () => NOW,
  };
});

function aNewSchedule(overrides: Partial<NewSchedule> = {}): NewSchedule {
  named += 1;
  return { name: `nightly-${named}`, schedule: 'cron(0 3 * * ? *)', job: { profile: 'build', command: ['make', 'all'] }, overlap: 'allow', enabled: true, ...overrides };
}

/** The code and the detail paths of what `work` throws. */
async function refusalOf(work: Promise<unknown>): Promise<{ code: string; paths: string[] }> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof FargateJobsError, String(error));
    return { code: error.code, paths: (error.details ?? []).map((detail) => detail.path) };
  }
  assert.fail('it was not refused');
}

describe('createSchedule', () => {
  it('keeps the schedule with its creator and their scope, and tells the trigger', async () => {
    // Act
    const schedule = await createSchedule(ports, aNewSchedule({ name: 'nightly-build', timezone: 'Europe/Paris' }), BUILDER);

    // Assess
    const expected: Schedule = {
      name: 'nightly-build',
      schedule: 'cron(0 3 * * ? *)',
      timezone: 'Europe/Paris',
      job: { profile: 'build', command: ['make', 'all'] },
      overlap: 'allow',
      enabled: true,
      createdBy: 'builder',
      createdByProfiles: ['build'],
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    };
    assert.deepEqual(schedule, expected);
    assert.deepEqual(await ports.schedules.get('nightly-build'), expected);
    assert.deepEqual(triggered, ['upsert nightly-build enabled']);
  });

  it('refuses the job POST /jobs would refuse from this caller: a profile outside its scope, one that does not exist, a command the profile does not allow', async () => {
    // Prepare
    const before = named;

    // Act and assess
    assert.deepEqual(await refusalOf(createSchedule(ports, aNewSchedule({ job: { profile: 'deploy', command: ['make'] } }), BUILDER)), { code: 'PROFILE_FORBIDDEN', paths: [] });
    assert.deepEqual(await refusalOf(createSchedule(ports, aNewSchedule({ job: { profile: 'nope', command: ['make'] } }), ADMIN)), { code: 'UNKNOWN_PROFILE', paths: [] });
    assert.deepEqual(await refusalOf(createSchedule(ports, aNewSchedule({ job: { profile: 'build', command: ['rm', '-rf', '/'] } }), BUILDER)), { code: 'COMMAND_NOT_ALLOWED', paths: [] });
    assert.deepEqual(await refusalOf(createSchedule(ports, aNewSchedule({ job: { profile: 'build', command: ['make'], env: { HOME: '/' } } }), BUILDER)), { code: 'ENV_NOT_ALLOWED', paths: [] });
    assert.deepEqual(await refusalOf(createSchedule(ports, aNewSchedule({ job: { profile: 'build', command: ['make'], timeoutSeconds: 7200 } }), BUILDER)), { code: 'TIMEOUT_TOO_LONG', paths: [] });
    assert.deepEqual(await refusalOf(createSchedule(ports, aNewSchedule({ job: { profile: 'build', command: ['make'], callbackUrl: 'http://169.254.169.254/' } }), BUILDER)), { code: 'VALIDATION_FAILED', paths: ['callbackUrl'] });
    assert.deepEqual(triggered, [], 'nothing was triggered');
    const kept = (await listSchedules(ports, ADMIN)).filter((schedule) => Number(schedule.name.split('-')[1]) > before);
    assert.deepEqual(kept, [], 'nothing was kept');
  });

  it('refuses what a schedule sets itself, a rerun, and secret values, which are never stored', async () => {
    // Act
    const refused = await refusalOf(
      createSchedule(ports, aNewSchedule({ job: { profile: 'build', command: ['make'], idempotencyKey: 'k', rerunOf: 'job-0123456789abcdefghjkmnpqrs', labels: { schedule: 'x' }, env: { DEPLOY_TOKEN: 'hunter2', TARGET: 'all' } } }), BUILDER),
    );

    // Assess
    assert.deepEqual(refused, { code: 'VALIDATION_FAILED', paths: ['job.idempotencyKey', 'job.rerunOf', 'job.labels.schedule', 'job.env.DEPLOY_TOKEN'] });
  });

  it('refuses a bad expression, a bad time zone, a bad name, and a schedule that never fires after now', async () => {
    // Act and assess
    assert.deepEqual(await refusalOf(createSchedule(ports, aNewSchedule({ schedule: 'cron(0 3 * * * *)' }), BUILDER)), { code: 'VALIDATION_FAILED', paths: ['schedule'] });
    assert.deepEqual(await refusalOf(createSchedule(ports, aNewSchedule({ timezone: 'Europe/Nowhere' }), BUILDER)), { code: 'VALIDATION_FAILED', paths: ['timezone'] });
    assert.deepEqual(await refusalOf(createSchedule(ports, aNewSchedule({ name: 'Nightly' }), BUILDER)), { code: 'VALIDATION_FAILED', paths: ['name'] });
    assert.deepEqual(await refusalOf(createSchedule(ports, aNewSchedule({ schedule: 'at(2030-01-07T11:59:59)' }), BUILDER)), { code: 'VALIDATION_FAILED', paths: ['schedule'] });
    assert.deepEqual(await refusalOf(createSchedule(ports, aNewSchedule({ schedule: 'cron(0 0 1 1 ? 2029)' }), BUILDER)), { code: 'VALIDATION_FAILED', paths: ['schedule'] });
  });

  it('answers SCHEDULE_EXISTS for a name taken, whoever took it, and changes nothing', async () => {
    // Prepare
    const first = await createSchedule(ports, aNewSchedule(), ADMIN);

    // Act
    const refused = await refusalOf(createSchedule(ports, aNewSchedule({ name: first.name, schedule: 'rate(5 minutes)' }), BUILDER));

    // Assess
    assert.equal(refused.code, 'SCHEDULE_EXISTS');
    assert.deepEqual(await ports.schedules.get(first.name), first);
  });

  it('keeps no schedule whose trigger could not be made: it would never fire', async () => {
    // Prepare
    failTrigger = true;
    const input = aNewSchedule();

    // Act
    await assert.rejects(createSchedule(ports, input, BUILDER), /Scheduler is down/);

    // Assess
    assert.equal(await ports.schedules.get(input.name), undefined);
  });
});

describe('the scope of schedules', () => {
  it("shows, changes and deletes only the schedules of the caller's profiles: another's is SCHEDULE_NOT_FOUND", async () => {
    // Prepare
    const deploy = await createSchedule(ports, aNewSchedule({ job: { profile: 'deploy', command: ['make', 'deploy'] } }), ADMIN);
    const build = await createSchedule(ports, aNewSchedule(), ADMIN);

    // Act
    const listed = (await listSchedules(ports, BUILDER)).map((schedule) => schedule.name);
    const refusals = await Promise.all([
      refusalOf(getSchedule(ports, deploy.name, BUILDER)),
      refusalOf(updateSchedule(ports, deploy.name, { enabled: false }, BUILDER)),
      refusalOf(deleteSchedule(ports, deploy.name, BUILDER)),
    ]);

    // Assess
    assert.ok(listed.includes(build.name) && !listed.includes(deploy.name), String(listed));
    assert.deepEqual(refusals.map((refusal) => refusal.code), ['SCHEDULE_NOT_FOUND', 'SCHEDULE_NOT_FOUND', 'SCHEDULE_NOT_FOUND']);
    assert.deepEqual(await ports.schedules.get(deploy.name), deploy, 'untouched');
  });

  it("refuses a change of the job to a profile outside the caller's scope (403), keeping the schedule as it was", async () => {
    // Prepare
    const build = await createSchedule(ports, aNewSchedule(), BUILDER);

    // Act
    const refused = await refusalOf(updateSchedule(ports, build.name, { job: { profile: 'deploy', command: ['make'] } }, BUILDER));

    // Assess
    assert.equal(refused.code, 'PROFILE_FORBIDDEN');
    assert.deepEqual(await ports.schedules.get(build.name), build);
  });
});

describe('updateSchedule and deleteSchedule', () => {
  it('changes what is given, keeps the creator, tells the trigger, and checks a new expression as a new schedule', async () => {
    // Prepare
    const schedule = await createSchedule(ports, aNewSchedule(), BUILDER);
    triggered = [];
    const later = new Date(NOW.getTime() + 60_000);
    ports.now = () => later;

    // Act
    const updated = await updateSchedule(ports, schedule.name, { schedule: 'rate(5 minutes)', enabled: false, overlap: 'skip' }, ADMIN);
    const refused = await refusalOf(updateSchedule(ports, schedule.name, { schedule: 'rate(5 minute)' }, ADMIN));

    // Assess
    assert.deepEqual(updated, { ...schedule, schedule: 'rate(5 minutes)', enabled: false, overlap: 'skip', updatedAt: later.toISOString() });
    assert.deepEqual(triggered, [`upsert ${schedule.name} paused`]);
    assert.deepEqual(refused, { code: 'VALIDATION_FAILED', paths: ['schedule'] });
  });

  it('puts the schedule back as it was when its trigger cannot be changed', async () => {
    // Prepare
    const schedule = await createSchedule(ports, aNewSchedule(), BUILDER);
    failTrigger = true;

    // Act
    await assert.rejects(updateSchedule(ports, schedule.name, { enabled: false }, BUILDER), /Scheduler is down/);

    // Assess
    assert.deepEqual(await ports.schedules.get(schedule.name), schedule);
  });

  it('removes the trigger, then the schedule; a second delete is SCHEDULE_NOT_FOUND', async () => {
    // Prepare
    const schedule = await createSchedule(ports, aNewSchedule(), BUILDER);
    triggered = [];

    // Act
    await deleteSchedule(ports, schedule.name, BUILDER);
    const again = await refusalOf(deleteSchedule(ports, schedule.name, BUILDER));

    // Assess
    assert.deepEqual(triggered, [`remove ${schedule.name}`]);
    assert.equal(await ports.schedules.get(schedule.name), undefined);
    assert.equal(again.code, 'SCHEDULE_NOT_FOUND');
  });
});
