/**
 * A schedule fired by the local server's own scheduler on the real clock: `rate(1 minute)` makes a
 * job about a minute after it is made. The one slow test of the schedules (up to 75 s), alone in its
 * file so that nothing else waits on it.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { JobDocument } from '#lib/http/job-document.ts';
import type { ScheduleDocument } from '#lib/http/schedule-document.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

/** A minute, and the time a loaded machine may take beyond it to start the job. */
const FIRST_FIRE_WITHIN_MS = 75_000;

let server: LocalServerProcess;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

it('makes a job of a rate(1 minute) schedule about a minute after it is made, labelled with the schedule, its fire recorded', { timeout: FIRST_FIRE_WITHIN_MS + 30_000 }, async () => {
  // Prepare
  const made = await server.request<ScheduleDocument>('POST', '/schedules', { body: { name: 'every-minute', schedule: 'rate(1 minute)', job: { command: ['echo', 'tick'] } } });
  assert.equal(made.status, 201, made.text);
  const nextFireAt = Date.parse(made.json.nextFireAt ?? '');
  assert.ok(Math.abs(nextFireAt - (Date.parse(made.json.updatedAt) + 60_000)) < 1000, `a minute after it was made: ${made.text}`);

  // Act: wait for the scheduler.
  let jobs: JobDocument[] = [];
  const deadline = Date.now() + FIRST_FIRE_WITHIN_MS;
  while (jobs.length === 0 && Date.now() < deadline) {
    await delay(1000);
    const listed = await server.request<{ jobs: JobDocument[] }>('GET', '/jobs?label=schedule=every-minute');
    jobs = listed.json.jobs;
  }

  // Assess
  assert.equal(jobs.length, 1, `one job within ${FIRST_FIRE_WITHIN_MS / 1000} s`);
  const [job] = jobs;
  assert.ok(Date.parse(job?.createdAt ?? '') >= nextFireAt, `not before its fire time: ${job?.createdAt}`);
  assert.deepEqual(job?.command, ['echo', 'tick']);
  assert.equal(job?.idempotencyKey, `schedule:every-minute:${new Date(nextFireAt).toISOString()}`);
  // The fire is recorded once its job is made: a moment after the job shows.
  let shown = await server.request<ScheduleDocument>('GET', '/schedules/every-minute');
  for (let attempt = 0; attempt < 50 && shown.json.fires.length === 0; attempt += 1) {
    await delay(100);
    shown = await server.request<ScheduleDocument>('GET', '/schedules/every-minute');
  }
  assert.deepEqual(shown.json.fires, [{ at: new Date(nextFireAt).toISOString(), outcome: 'submitted', jobId: job?.id }]);
  assert.equal(shown.json.nextFireAt, new Date(nextFireAt + 60_000).toISOString(), 'the next fire a minute later');
});
