/**
 * Schedules in local mode end to end: the server started as `npm start` starts it (in this process,
 * so that a test can fire a schedule itself with fireSchedule, the path both schedulers take, at a
 * fire time of its choosing), driven over HTTP. The fire on a real clock is schedules-clock.test.ts's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '#lib/domain/logger.ts';
import { fireSchedule } from '#lib/domain/schedule-fire.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import type { ScheduleDocument } from '#lib/http/schedule-document.ts';
import { startLocalServer, type LocalServer } from '#local/local-server.ts';
import { tokenCommand } from '../helpers/token-command.ts';

let server: LocalServer;
let dataDir: string;
let echoToken: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-schedules-'));
  server = await startLocalServer({ dataDir, port: 0, logger: silentLogger });
  const created = await tokenCommand(dataDir, ['create', '--name', 'echo-only', '--profiles', 'echo']);
  assert.equal(created.code, 0, created.stderr);
  echoToken = created.stdout.trim();
});

after(async () => {
  // Whatever a test left running is cancelled: the server then stops without waiting on it.
  const running = await api<{ jobs: JobDocument[] }>('GET', '/jobs?status=RUNNING&limit=100');
  for (const job of running.body.jobs ?? []) await api('POST', `/jobs/${job.id}/cancel`);
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, token = server.token): Promise<Answer<T>> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

let named = 0;
function aName(): string {
  named += 1;
  return `e2e-${named}-${process.pid}`;
}

async function created(body: Record<string, unknown>): Promise<ScheduleDocument> {
  const answer = await api<ScheduleDocument>('POST', '/schedules', { schedule: 'cron(0 3 * * ? *)', job: { command: ['echo', 'hello'] }, ...body });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body;
}

async function jobsOf(name: string): Promise<JobDocument[]> {
  const answer = await api<{ jobs: JobDocument[] }>('GET', `/jobs?label=schedule=${name}&limit=100`);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.jobs;
}

/** The ports fireSchedule takes: local mode's, as its scheduler hands them. */
function firePorts() {
  return server.dependencies;
}

describe('the schedules API in local mode', () => {
  it('creates a schedule (201, Location), lists it, shows it with its next fire, changes it and deletes it', async () => {
    // Prepare
    const name = aName();

    // Act
    const answer = await api<ScheduleDocument>('POST', '/schedules', { name, schedule: 'cron(30 6 ? * MON-FRI *)', timezone: 'Europe/Paris', job: { command: ['echo', 'hi'], labels: { team: 'ops' } }, overlap: 'skip' });
    const listed = await api<{ schedules: ScheduleDocument[] }>('GET', '/schedules');
    const shown = await api<ScheduleDocument>('GET', `/schedules/${name}`);
    const paused = await api<ScheduleDocument>('PATCH', `/schedules/${name}`, { enabled: false });
    const deleted = await api('DELETE', `/schedules/${name}`);
    const gone = await api<{ error: { code: string } }>('GET', `/schedules/${name}`);

    // Assess
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.headers.get('location'), `/schedules/${name}`);
    assert.deepEqual(
      { ...answer.body, createdAt: '', updatedAt: '', nextFireAt: '' },
      {
        name,
        schedule: 'cron(30 6 ? * MON-FRI *)',
        timezone: 'Europe/Paris',
        job: { profile: 'default', command: ['echo', 'hi'], labels: { team: 'ops' } },
        overlap: 'skip',
        enabled: true,
        createdBy: 'local',
        createdAt: '',
        updatedAt: '',
        fires: [],
        nextFireAt: '',
        links: { self: `/schedules/${name}`, jobs: `/jobs?label=schedule=${name}` },
      },
    );
    const next = new Date(answer.body.nextFireAt ?? '');
    assert.ok(next.getTime() > Date.now(), `nextFireAt ${answer.body.nextFireAt} is to come`);
    assert.ok([1, 2, 3, 4, 5].includes(next.getUTCDay()) && next.getUTCMinutes() === 30, `a weekday at 6:30 in Paris: ${answer.body.nextFireAt}`);
    assert.ok(listed.body.schedules.some((schedule) => schedule.name === name));
    assert.deepEqual(shown.body, answer.body);
    assert.equal(paused.status, 200);
    assert.equal(paused.body.enabled, false);
    assert.equal(paused.body.nextFireAt, undefined, 'a paused schedule does not fire');
    assert.equal(deleted.status, 204);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'SCHEDULE_NOT_FOUND');
  });

  it('refuses a second schedule of a name (409 SCHEDULE_EXISTS), and bad expressions, time zones and jobs (400, saying where)', async () => {
    // Prepare
    const first = await created({ name: aName() });

    // Act
    const again = await api<{ error: { code: string } }>('POST', '/schedules', { name: first.name, schedule: 'rate(5 minutes)', job: { command: ['true'] } });
    const refusals = await Promise.all(
      [
        { schedule: 'cron(0 12 * * * *)' },
        { schedule: 'rate(1 minutes)' },
        { schedule: 'at(2020-01-01T00:00:00)' },
        { timezone: 'Mars/Olympus_Mons' },
        { job: { profile: 'echo', command: ['rm', '-rf', '/'] } },
        { job: { command: ['true'], env: { API_TOKEN: 'abc' } } },
        { job: { command: ['true'], bogus: 1 } },
      ].map((change) => api<{ error: { code: string; details?: Array<{ path: string }> } }>('POST', '/schedules', { name: aName(), schedule: 'rate(5 minutes)', job: { command: ['true'] }, ...change })),
    );

    // Assess
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'SCHEDULE_EXISTS');
    assert.deepEqual(
      refusals.map((refusal) => [refusal.status, refusal.body.error.code, refusal.body.error.details?.[0]?.path]),
      [
        [400, 'VALIDATION_FAILED', 'schedule'],
        [400, 'VALIDATION_FAILED', 'schedule'],
        [400, 'VALIDATION_FAILED', 'schedule'],
        [400, 'VALIDATION_FAILED', 'timezone'],
        [400, 'COMMAND_NOT_ALLOWED', undefined],
        [400, 'VALIDATION_FAILED', 'job.env.API_TOKEN'],
        [400, 'VALIDATION_FAILED', 'job.bogus'],
      ],
    );
  });

  it('keeps the scopes of jobs: another profile is refused (403) and its schedules are as absent as unknown ones (404)', async () => {
    // Prepare
    const theirs = await created({ name: aName() });

    // Act
    const forbidden = await api<{ error: { code: string } }>('POST', '/schedules', { name: aName(), schedule: 'rate(5 minutes)', job: { profile: 'default', command: ['true'] } }, echoToken);
    const mine = await api<ScheduleDocument>('POST', '/schedules', { name: aName(), schedule: 'rate(5 minutes)', job: { command: ['echo', 'hi'] } }, echoToken);
    const listed = await api<{ schedules: ScheduleDocument[] }>('GET', '/schedules', undefined, echoToken);
    const reads = await Promise.all([api('GET', `/schedules/${theirs.name}`, undefined, echoToken), api('PATCH', `/schedules/${theirs.name}`, { enabled: false }, echoToken), api('DELETE', `/schedules/${theirs.name}`, undefined, echoToken)]);

    // Assess
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error.code, 'PROFILE_FORBIDDEN');
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    assert.equal(mine.body.job.profile, 'echo', "a job naming no profile is the token's only one");
    assert.deepEqual(listed.body.schedules.map((schedule) => schedule.name), [mine.body.name]);
    assert.deepEqual(reads.map((read) => read.status), [404, 404, 404]);
    assert.equal((await api<ScheduleDocument>('GET', `/schedules/${theirs.name}`)).body.enabled, true, 'untouched');
  });
});

describe('fires in local mode', () => {
  it('makes one job of a fire delivered twice: the same idempotency key, the label schedule=<name>, one fire recorded', async () => {
    // Prepare
    const schedule = await created({ name: aName(), job: { command: ['echo', 'fired'], labels: { team: 'ops' } } });
    const fireTime = new Date('2030-01-01T03:00:00.000Z');

    // Act
    const [first, second] = await Promise.all([fireSchedule(firePorts(), schedule.name, fireTime), fireSchedule(firePorts(), schedule.name, fireTime)]);
    const third = await fireSchedule(firePorts(), schedule.name, fireTime);

    // Assess
    const jobs = await jobsOf(schedule.name);
    assert.equal(jobs.length, 1, JSON.stringify(jobs));
    const [job] = jobs;
    assert.deepEqual(job?.labels, { team: 'ops', schedule: schedule.name });
    assert.equal(job?.idempotencyKey, `schedule:${schedule.name}:2030-01-01T03:00:00.000Z`);
    assert.equal(job?.submittedBy, 'local', "submitted as the schedule's creator");
    for (const fire of [first, second, third]) assert.deepEqual(fire, { at: fireTime.toISOString(), outcome: 'submitted', jobId: job?.id });
    const shown = await api<ScheduleDocument>('GET', `/schedules/${schedule.name}`);
    assert.deepEqual(shown.body.fires, [{ at: fireTime.toISOString(), outcome: 'submitted', jobId: job?.id }]);
  });

  it('with overlap skip, skips a fire while the previous job runs (recorded skipped, no job), and fires again once it has finished', async () => {
    // Prepare
    const schedule = await created({ name: aName(), overlap: 'skip', job: { command: ['sleep', '60'] } });
    const first = await fireSchedule(firePorts(), schedule.name, new Date('2030-01-01T03:00:00.000Z'));
    assert.equal(first?.outcome, 'submitted');
    const running = first?.jobId ?? '';

    // Act
    const skipped = await fireSchedule(firePorts(), schedule.name, new Date('2030-01-02T03:00:00.000Z'));
    await api('POST', `/jobs/${running}/cancel`);
    const after = await fireSchedule(firePorts(), schedule.name, new Date('2030-01-03T03:00:00.000Z'));

    // Assess
    assert.equal(skipped?.outcome, 'skipped');
    assert.match(skipped?.reason ?? '', new RegExp(`overlap skip: job ${running} .* is still (QUEUED|PROVISIONING|RUNNING)`));
    assert.equal(after?.outcome, 'submitted');
    const jobs = await jobsOf(schedule.name);
    assert.deepEqual(jobs.map((job) => job.id).toSorted(), [running, after?.jobId].toSorted());
    const fires = (await api<ScheduleDocument>('GET', `/schedules/${schedule.name}`)).body.fires;
    assert.deepEqual(fires.map((fire) => fire.outcome), ['submitted', 'skipped', 'submitted']);
    await api('POST', `/jobs/${after?.jobId}/cancel`);
  });

  it('with overlap allow, makes a job of every fire even while the previous one runs', async () => {
    // Prepare
    const schedule = await created({ name: aName(), overlap: 'allow', job: { command: ['sleep', '60'] } });
    const first = await fireSchedule(firePorts(), schedule.name, new Date('2030-01-01T03:00:00.000Z'));

    // Act
    const second = await fireSchedule(firePorts(), schedule.name, new Date('2030-01-02T03:00:00.000Z'));

    // Assess
    assert.equal(second?.outcome, 'submitted');
    assert.notEqual(second?.jobId, first?.jobId);
    for (const jobId of [first?.jobId, second?.jobId]) await api('POST', `/jobs/${jobId}/cancel`);
  });

  it('fires a paused schedule not at all, and a deleted one not at all: no timer, no job', async () => {
    // Prepare
    const scheduler = server.dependencies.scheduleTrigger;
    const paused = await created({ name: aName(), schedule: 'rate(1 minute)' });
    const deleted = await created({ name: aName(), schedule: 'rate(1 minute)' });
    assert.ok(scheduler.isArmed(paused.name) && scheduler.isArmed(deleted.name), 'both armed once made');

    // Act
    await api('PATCH', `/schedules/${paused.name}`, { enabled: false });
    await api('DELETE', `/schedules/${deleted.name}`);
    const fires = await Promise.all([paused, deleted].map((schedule) => fireSchedule(firePorts(), schedule.name, new Date('2030-01-01T03:00:00.000Z'))));

    // Assess
    assert.equal(scheduler.isArmed(paused.name), false);
    assert.equal(scheduler.isArmed(deleted.name), false);
    assert.deepEqual(fires, [undefined, undefined]);
    assert.deepEqual(await jobsOf(paused.name), []);
    assert.deepEqual(await jobsOf(deleted.name), []);
    const resumed = await api<ScheduleDocument>('PATCH', `/schedules/${paused.name}`, { enabled: true });
    assert.ok(scheduler.isArmed(paused.name), 'armed again once resumed');
    assert.ok(resumed.body.nextFireAt !== undefined);
    await api('DELETE', `/schedules/${paused.name}`);
  });

  it("stops firing once its creator's token is revoked with `npm run token -- revoke --name`: no job, and the schedule shows the failed fire and why", async () => {
    // Prepare: a token made as a user makes one, and a schedule made with it that has fired once.
    const creator = `nightly-${process.pid}`;
    const made = await tokenCommand(dataDir, ['create', '--name', creator, '--profiles', 'echo']);
    assert.equal(made.code, 0, made.stderr);
    const schedule = await api<ScheduleDocument>('POST', '/schedules', { name: aName(), schedule: 'cron(0 3 * * ? *)', job: { command: ['echo', 'nightly'] } }, made.stdout.trim());
    assert.equal(schedule.status, 201, JSON.stringify(schedule.body));
    const before = await fireSchedule(firePorts(), schedule.body.name, new Date('2030-01-01T03:00:00.000Z'));
    assert.equal(before?.outcome, 'submitted');

    // Act
    const revoked = await tokenCommand(dataDir, ['revoke', '--name', creator]);
    const after = await fireSchedule(firePorts(), schedule.body.name, new Date('2030-01-02T03:00:00.000Z'));

    // Assess
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual((await jobsOf(schedule.body.name)).map((job) => job.id), [before?.jobId], 'no job of the fire after the revoke');
    const shown = await api<ScheduleDocument>('GET', `/schedules/${schedule.body.name}`);
    assert.equal(shown.body.enabled, true, 'still there, to pause, delete or make again');
    assert.deepEqual(shown.body.fires.at(-1), {
      at: '2030-01-02T03:00:00.000Z',
      outcome: 'failed',
      reason: `token '${creator}' that made this schedule is revoked: the schedule no longer fires; pause or delete it, or make it again with an active token`,
    });
    assert.deepEqual(after, shown.body.fires.at(-1));
  });

  it('records a fire the profile now refuses as failed, with the reason, and makes no job', async () => {
    // Prepare: a schedule whose job its profile now refuses (written to the store: the API would refuse it).
    const name = aName();
    await server.dependencies.schedules.create({
      name,
      schedule: 'rate(5 minutes)',
      job: { profile: 'echo', command: ['echo', 'x'], env: { NOT_ALLOWED: '1' } },
      overlap: 'allow',
      enabled: true,
      createdBy: 'echo-only',
      createdByProfiles: ['echo'],
      createdAt: '2030-01-01T00:00:00.000Z',
      updatedAt: '2030-01-01T00:00:00.000Z',
    });

    // Act
    const fire = await fireSchedule(firePorts(), name, new Date('2030-01-01T03:00:00.000Z'));

    // Assess
    assert.equal(fire?.outcome, 'failed');
    assert.match(fire?.reason ?? '', /^ENV_NOT_ALLOWED: profile 'echo' does not allow environment variable 'NOT_ALLOWED'/);
    assert.deepEqual(await jobsOf(name), []);
  });
});
