/**
 * `fargate-jobs schedule create|list|show|pause|resume|delete` end to end, against the real local
 * server: what a user types, what they are told, and what the API then holds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ScheduleDocument } from '#lib/http/schedule-document.ts';
import { runCli, serverEnv } from '../helpers/cli.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

describe('fargate-jobs schedule', () => {
  let server: LocalServerProcess;
  let env: Record<string, string>;

  before(async () => {
    server = await startServer();
    env = serverEnv(server);
  });

  after(async () => {
    await server?.stop();
  });

  test('create makes the schedule the flags describe, with the job of run\'s job flags and the command after --', async () => {
    // Act
    const result = await runCli(
      ['schedule', 'create', 'nightly', '--schedule', 'cron(0 3 * * ? *)', '--timezone', 'Europe/Paris', '--overlap', 'skip', '--env', 'STAGE=prod', '--label', 'team=ops', '--timeout', '10m', '--', 'echo', 'hello'],
      { env },
    );

    // Assess
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^fargate-jobs: schedule nightly made; next fire \d{4}-\d\d-\d\dT0[12]:00:00\.000Z\n$/);
    const stored = await server.request<ScheduleDocument>('GET', '/schedules/nightly');
    assert.deepEqual(
      { schedule: stored.json.schedule, timezone: stored.json.timezone, overlap: stored.json.overlap, enabled: stored.json.enabled, job: stored.json.job },
      {
        schedule: 'cron(0 3 * * ? *)',
        timezone: 'Europe/Paris',
        overlap: 'skip',
        enabled: true,
        job: { profile: 'default', command: ['echo', 'hello'], env: { STAGE: 'prod' }, labels: { team: 'ops' }, timeoutSeconds: 600 },
      },
    );
  });

  test('list, show, pause, resume and delete, as a table and as JSON', async () => {
    // Prepare
    const made = await runCli(['schedule', 'create', 'hourly', '--schedule', 'rate(1 hour)', '--disabled', '--', 'date'], { env });
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stderr, /schedule hourly made; paused/);

    // Act
    const listed = await runCli(['schedule', 'list'], { env });
    const listedJson = await runCli(['--json', 'schedule', 'list'], { env });
    const resumed = await runCli(['schedule', 'resume', 'hourly'], { env });
    const shown = await runCli(['schedule', 'show', 'hourly'], { env });
    const paused = await runCli(['schedule', 'pause', 'hourly', '--json'], { env });
    const deleted = await runCli(['schedule', 'delete', 'hourly'], { env });
    const gone = await runCli(['schedule', 'show', 'hourly'], { env });

    // Assess
    assert.equal(listed.code, 0, listed.stderr);
    const [header, ...rows] = listed.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^NAME\s+SCHEDULE\s+TIMEZONE\s+ENABLED\s+NEXT FIRE\s+LAST FIRE$/);
    assert.ok(rows.some((row) => /^hourly\s+rate\(1 hour\)\s+UTC\s+no\s+-\s+-$/.test(row)), listed.stdout);
    assert.ok((JSON.parse(listedJson.stdout) as { schedules: ScheduleDocument[] }).schedules.some((schedule) => schedule.name === 'hourly'));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /schedule hourly resumed; next fire \d{4}-/);
    assert.match(shown.stdout, /^name:\s+hourly\nschedule:\s+rate\(1 hour\)\ntimezone:\s+UTC\nenabled:\s+yes\nnext fire:\s+\d{4}-.*\n/);
    assert.match(shown.stdout, /command:\s+date\n/);
    assert.match(shown.stdout, /jobs:\s+\/jobs\?label=schedule=hourly\nfires:\s+none yet\n$/);
    assert.equal((JSON.parse(paused.stdout) as ScheduleDocument).enabled, false);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stderr, /schedule hourly deleted/);
    assert.equal(gone.code, 1, gone.stderr);
    assert.match(gone.stderr, /schedule 'hourly' does not exist \(404 SCHEDULE_NOT_FOUND\)/);
  });

  test('a schedule the API refuses exits 125 saying what is wrong, and one the command line lacks exits 2', async () => {
    // Act
    const badExpression = await runCli(['schedule', 'create', 'bad', '--schedule', 'rate(1 minutes)', '--', 'true'], { env });
    const noSchedule = await runCli(['schedule', 'create', 'bad', '--', 'true'], { env });
    const badOverlap = await runCli(['schedule', 'create', 'bad', '--schedule', 'rate(1 minute)', '--overlap', 'never', '--', 'true'], { env });
    const noVerb = await runCli(['schedule'], { env });

    // Assess
    assert.equal(badExpression.code, 125, badExpression.stderr);
    assert.match(badExpression.stderr, /1 takes the singular: rate\(1 minute\) \(400 VALIDATION_FAILED\)/);
    assert.equal(noSchedule.code, 2);
    assert.match(noSchedule.stderr, /schedule create needs --schedule/);
    assert.equal(badOverlap.code, 2);
    assert.match(badOverlap.stderr, /--overlap must be allow or skip/);
    assert.equal(noVerb.code, 2);
    assert.match(noVerb.stderr, /schedule needs one of: create, list, show, pause, resume, delete/);
  });
});
