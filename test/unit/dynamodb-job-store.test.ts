/**
 * The DynamoDB job store, run for real against dynalite: conditional create, guarded status
 * transitions, updates, newest-first listing with opaque cursors, and persistence on disk.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { startEmbeddedDynamoDb } from '#lib/adapters/local/embedded-dynamodb.ts';
import { ensureJobTable } from '#lib/adapters/local/job-table.ts';
import { encodeCursor } from '#lib/domain/cursor.ts';
import { JobNotFoundError, ValidationError } from '#lib/domain/errors.ts';
import { newJobId } from '#lib/domain/ids.ts';
import { MAX_EARLY_TASKS, type Job, type JobStatus } from '#lib/domain/job.ts';
import type { JobStore } from '#lib/domain/ports.ts';
import { aJob } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';

/** A clock that moves one second per reading, so every write gets a distinct, known updatedAt. */
function steppingClock(start = Date.UTC(2030, 0, 1)): { now: () => Date; readings: string[] } {
  let next = start;
  const readings: string[] = [];
  return {
    readings,
    now() {
      const reading = new Date(next);
      next += 1000;
      readings.push(reading.toISOString());
      return reading;
    },
  };
}

/** `count` jobs created one minute apart (oldest first), each shaped by `shape(index)`. */
function jobsCreatedInOrder(count: number, shape: (index: number) => Partial<Job> = () => ({})): Job[] {
  const base = Date.UTC(2024, 0, 1);
  return Array.from({ length: count }, (_unused, index) => {
    const createdAt = new Date(base + index * 60_000);
    return aJob({ id: newJobId(createdAt), createdAt: createdAt.toISOString(), updatedAt: createdAt.toISOString(), ...shape(index) });
  });
}

async function createAll(store: JobStore, jobs: Job[]): Promise<void> {
  for (const job of jobs) await store.create(job);
}

/** Follows nextCursor from the first page to the last; returns every page. */
async function allPages(
  store: JobStore,
  query: { limit: number; status?: JobStatus; profiles?: readonly string[]; createdBefore?: string },
): Promise<{ jobs: Job[]; nextCursor: string | null }[]> {
  const pages: { jobs: Job[]; nextCursor: string | null }[] = [];
  let cursor: string | undefined;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const page = await store.list({ ...query, ...(cursor ? { cursor } : {}) });
    pages.push(page);
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
  throw new Error('listing did not end after 200 pages');
}

function ids(jobs: Job[]): string[] {
  return jobs.map((job) => job.id);
}

function newestFirst(jobs: Job[]): Job[] {
  return [...jobs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Polls (bounded) until the table reports ACTIVE. */
async function untilTableActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${tableName} never became ACTIVE`);
}

describe('DynamoDbJobStore', () => {
  describe('create and get', () => {
    let testStore: TestStore;
    before(async () => {
      testStore = await createTestStore();
    });
    after(async () => {
      await testStore.close();
    });

    it('stores a new job and reads it back unchanged', async () => {
      // Prepare
      const job = aJob({ labels: { team: 'platform' }, env: { STAGE: 'dev' }, cpu: 256 });

      // Act
      const result = await testStore.store.create(job);
      const stored = await testStore.store.get(job.id);

      // Assess
      assert.equal(result.created, true);
      assert.deepEqual(result.job, job);
      assert.deepEqual(stored, job);
    });

    it('never overwrites: a second create with the same id returns created:false and the original job', async () => {
      // Prepare
      const original = aJob({ command: ['echo', 'first'], requestHash: 'first-hash' });
      await testStore.store.create(original);
      const replay = { ...original, command: ['echo', 'second'], requestHash: 'second-hash', status: 'RUNNING' as const };

      // Act
      const result = await testStore.store.create(replay);

      // Assess
      assert.equal(result.created, false);
      assert.deepEqual(result.job, original);
      assert.deepEqual(await testStore.store.get(original.id), original);
    });

    it('returns undefined for an id that was never stored', async () => {
      // Act
      const missing = await testStore.store.get(newJobId());

      // Assess
      assert.equal(missing, undefined);
    });
  });

  describe('transition', () => {
    let testStore: TestStore;
    let clock: ReturnType<typeof steppingClock>;
    before(async () => {
      clock = steppingClock();
      testStore = await createTestStore({ now: clock.now });
    });
    after(async () => {
      await testStore.close();
    });

    it('moves a job along an allowed path and returns the new job with a new updatedAt', async () => {
      // Prepare
      const job = aJob();
      await testStore.store.create(job);

      // Act
      const provisioning = await testStore.store.transition(job.id, 'PROVISIONING', { taskArn: 'arn:task/1' });
      const running = await testStore.store.transition(job.id, 'RUNNING', { startedAt: '2030-01-01T00:00:00.000Z' });

      // Assess
      assert.equal(provisioning.applied, true);
      assert.equal(provisioning.job.status, 'PROVISIONING');
      assert.equal(provisioning.job.taskArn, 'arn:task/1');
      assert.notEqual(provisioning.job.updatedAt, job.updatedAt);
      assert.equal(running.applied, true);
      assert.equal(running.job.status, 'RUNNING');
      assert.equal(running.job.startedAt, '2030-01-01T00:00:00.000Z');
      assert.equal(running.job.updatedAt, clock.readings.at(-1));
      assert.notEqual(running.job.updatedAt, provisioning.job.updatedAt);
      assert.equal(running.job.createdAt, job.createdAt);
      assert.deepEqual(await testStore.store.get(job.id), running.job);
    });

    it('refuses a move the current status does not allow and leaves the record unchanged', async () => {
      // Prepare
      const job = aJob();
      await testStore.store.create(job);
      const { job: running } = await testStore.store.transition(job.id, 'RUNNING');

      // Act
      const backwards = await testStore.store.transition(job.id, 'PROVISIONING', { taskArn: 'arn:task/late' });

      // Assess
      assert.equal(backwards.applied, false);
      assert.deepEqual(backwards.job, running);
      assert.deepEqual(await testStore.store.get(job.id), running);
    });

    it('refuses a move back to QUEUED (no status may become QUEUED) without an error', async () => {
      // Prepare
      const job = aJob();
      await testStore.store.create(job);

      // Act
      const result = await testStore.store.transition(job.id, 'QUEUED');

      // Assess
      assert.equal(result.applied, false);
      assert.deepEqual(result.job, job);
    });

    it('never overwrites a terminal job: RUNNING or SUCCEEDED after CANCELLED is not applied', async () => {
      // Prepare
      const job = aJob();
      await testStore.store.create(job);
      const { job: cancelled } = await testStore.store.transition(job.id, 'CANCELLED', {
        failure: { category: 'CANCELLED', message: 'cancelled by test' },
      });

      // Act
      const toRunning = await testStore.store.transition(job.id, 'RUNNING', { startedAt: '2030-02-01T00:00:00.000Z' });
      const toSucceeded = await testStore.store.transition(job.id, 'SUCCEEDED', { exitCode: 0 });

      // Assess
      assert.equal(cancelled.status, 'CANCELLED');
      assert.equal(toRunning.applied, false);
      assert.equal(toSucceeded.applied, false);
      assert.deepEqual(toSucceeded.job, cancelled);
      const stored = await testStore.store.get(job.id);
      assert.deepEqual(stored, cancelled);
      assert.equal(stored?.exitCode, null);
      assert.equal(stored?.startedAt, undefined);
    });

    it('refuses every move out of each terminal status', async () => {
      // Prepare
      const terminal: JobStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
      const targets: JobStatus[] = ['PROVISIONING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
      const refused: string[] = [];
      const applied: string[] = [];

      // Act
      for (const from of terminal) {
        for (const to of targets) {
          const job = aJob();
          await testStore.store.create(job);
          await testStore.store.transition(job.id, from);
          const result = await testStore.store.transition(job.id, to, { exitCode: 99 });
          const stored = await testStore.store.get(job.id);
          (result.applied || stored?.status !== from || stored.exitCode === 99 ? applied : refused).push(`${from}->${to}`);
        }
      }

      // Assess
      assert.deepEqual(applied, []);
      assert.equal(refused.length, terminal.length * targets.length);
    });

    it('lets exactly one of two concurrent terminal transitions win', async () => {
      // Prepare
      const job = aJob();
      await testStore.store.create(job);
      await testStore.store.transition(job.id, 'RUNNING');

      // Act
      const [finish, cancel] = await Promise.all([
        testStore.store.transition(job.id, 'SUCCEEDED', { exitCode: 0 }),
        testStore.store.transition(job.id, 'CANCELLED', { failure: { category: 'CANCELLED', message: 'cancelled' } }),
      ]);

      // Assess
      assert.equal([finish, cancel].filter((result) => result.applied).length, 1);
      const winner = finish.applied ? finish : cancel;
      const loser = finish.applied ? cancel : finish;
      const stored = await testStore.store.get(job.id);
      assert.deepEqual(stored, winner.job);
      assert.equal(loser.job.status, winner.job.status);
      if (stored?.status === 'CANCELLED') assert.equal(stored.exitCode, null);
      else assert.equal(stored?.failure, undefined);
    });

    it('throws JobNotFoundError for a job that does not exist', async () => {
      // Prepare
      const missingId = newJobId();

      // Act and assess
      await assert.rejects(testStore.store.transition(missingId, 'RUNNING'), JobNotFoundError);
      assert.equal(await testStore.store.get(missingId), undefined);
    });
  });

  describe('transitionOrUpdate', () => {
    let testStore: TestStore;
    before(async () => {
      testStore = await createTestStore();
    });
    after(async () => {
      await testStore.close();
    });

    it('makes the move with its patch when the status allows it, and does not ask what to record otherwise', async () => {
      // Prepare
      const job = aJob({ status: 'RUNNING', taskArn: 'arn:task' });
      await testStore.store.create(job);
      let asked = false;

      // Act
      const result = await testStore.store.transitionOrUpdate(job.id, 'SUCCEEDED', { exitCode: 0, logTail: ['done'] }, () => {
        asked = true;
        return {};
      });

      // Assess
      assert.equal(result.applied, true);
      assert.deepEqual([result.job.status, result.job.exitCode, result.job.logTail], ['SUCCEEDED', 0, ['done']]);
      assert.equal(asked, false);
    });

    it('keeps a terminal status and records what `otherwise` says, given the job as it is', async () => {
      // Prepare
      const job = aJob({ status: 'CANCELLED', failure: { category: 'CANCELLED', message: 'cancelled by alice' } });
      await testStore.store.create(job);
      const seen: string[] = [];

      // Act
      const result = await testStore.store.transitionOrUpdate(job.id, 'SUCCEEDED', { exitCode: 0, failure: undefined, logTail: ['done'] }, (current) => {
        seen.push(current.status);
        return { exitCode: 143, logTail: ['done'] };
      });

      // Assess
      assert.equal(result.applied, false);
      assert.deepEqual(seen, ['CANCELLED']);
      const stored = await testStore.store.get(job.id);
      assert.deepEqual([stored?.status, stored?.exitCode, stored?.logTail, stored?.failure?.category], ['CANCELLED', 143, ['done'], 'CANCELLED']);
      assert.deepEqual(result.job, stored);
    });

    it('writes nothing when the move is refused and `otherwise` has nothing to record', async () => {
      // Prepare
      const job = aJob({ status: 'FAILED', stoppedAt: '2030-01-01T00:00:00.000Z' });
      await testStore.store.create(job);

      // Act
      const result = await testStore.store.transitionOrUpdate(job.id, 'FAILED', { stoppedAt: '2031-01-01T00:00:00.000Z' }, () => ({}));

      // Assess
      assert.equal(result.applied, false);
      assert.deepEqual(await testStore.store.get(job.id), job, 'not even updatedAt changed');
    });
  });

  describe('update', () => {
    let testStore: TestStore;
    let clock: ReturnType<typeof steppingClock>;
    before(async () => {
      clock = steppingClock();
      testStore = await createTestStore({ now: clock.now });
    });
    after(async () => {
      await testStore.close();
    });

    it('changes the given fields, keeps the status and the rest, and sets updatedAt', async () => {
      // Prepare
      const job = aJob();
      await testStore.store.create(job);
      const { job: running } = await testStore.store.transition(job.id, 'RUNNING');

      // Act
      const updated = await testStore.store.update(job.id, {
        network: { eniId: 'eni-1', privateIp: '10.0.0.5', publicIp: '203.0.113.7' },
        connect: { ssh: 'ssh -p 22 user@203.0.113.7' },
        logTail: ['line 1', 'line 2'],
      });

      // Assess
      assert.equal(updated.status, 'RUNNING');
      assert.deepEqual(updated.network, { eniId: 'eni-1', privateIp: '10.0.0.5', publicIp: '203.0.113.7' });
      assert.deepEqual(updated.connect, { ssh: 'ssh -p 22 user@203.0.113.7' });
      assert.deepEqual(updated.logTail, ['line 1', 'line 2']);
      assert.deepEqual(updated.command, job.command);
      assert.equal(updated.updatedAt, clock.readings.at(-1));
      assert.notEqual(updated.updatedAt, running.updatedAt);
      assert.deepEqual(await testStore.store.get(job.id), updated);
    });

    it('throws JobNotFoundError for a job that does not exist and creates nothing', async () => {
      // Prepare
      const missingId = newJobId();

      // Act and assess
      await assert.rejects(testStore.store.update(missingId, { logTail: ['x'] }), JobNotFoundError);
      assert.equal(await testStore.store.get(missingId), undefined);
    });
  });

  describe('list', () => {
    let testStore: TestStore;
    let jobs: Job[];
    before(async () => {
      testStore = await createTestStore();
      // 30 jobs; only 3 are FAILED, 3 (others) use the 'build' profile and 3 more the 'nightly' one.
      jobs = jobsCreatedInOrder(30, (index) => ({
        status: index % 10 === 4 ? 'FAILED' : 'SUCCEEDED',
        profile: index % 10 === 7 ? 'build' : index % 10 === 2 ? 'nightly' : 'default',
      }));
      await createAll(testStore.store, jobs);
    });
    after(async () => {
      await testStore.close();
    });

    it('returns jobs newest first', async () => {
      // Act
      const page = await testStore.store.list({ limit: 5 });

      // Assess
      assert.deepEqual(ids(page.jobs), ids(newestFirst(jobs).slice(0, 5)));
    });

    it('pages through every job with limit and nextCursor, without duplicates or gaps', async () => {
      // Act
      const pages = await allPages(testStore.store, { limit: 7 });

      // Assess
      assert.deepEqual(
        pages.map((page) => page.jobs.length),
        [7, 7, 7, 7, 2],
      );
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(newestFirst(jobs)));
      assert.equal(pages.at(-1)?.nextCursor, null);
      assert.ok(pages.slice(0, -1).every((page) => typeof page.nextCursor === 'string'));
    });

    it('ends with nextCursor null on the page holding the last job when the count is a multiple of the limit', async () => {
      // Act
      const pages = await allPages(testStore.store, { limit: 10 });

      // Assess
      assert.deepEqual(
        pages.map((page) => page.jobs.length),
        [10, 10, 10],
      );
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(newestFirst(jobs)));
    });

    it('filters by status across pages where most jobs do not match', async () => {
      // Prepare
      const failed = newestFirst(jobs.filter((job) => job.status === 'FAILED'));

      // Act
      const pages = await allPages(testStore.store, { status: 'FAILED', limit: 2 });

      // Assess
      assert.equal(failed.length, 3);
      assert.deepEqual(
        pages.map((page) => page.jobs.length),
        [2, 1],
      );
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(failed));
      assert.equal(pages.at(-1)?.nextCursor, null);
    });

    it('filters by one profile across pages where most jobs do not match', async () => {
      // Prepare
      const build = newestFirst(jobs.filter((job) => job.profile === 'build'));

      // Act
      const pages = await allPages(testStore.store, { profiles: ['build'], limit: 2 });

      // Assess
      assert.equal(build.length, 3);
      assert.deepEqual(
        pages.map((page) => page.jobs.length),
        [2, 1],
      );
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(build));
      assert.equal(pages.at(-1)?.nextCursor, null);
    });

    it('lists the jobs of any of several profiles, newest first, across pages', async () => {
      // Prepare
      const buildOrNightly = newestFirst(jobs.filter((job) => job.profile === 'build' || job.profile === 'nightly'));

      // Act
      const pages = await allPages(testStore.store, { profiles: ['build', 'nightly'], limit: 4 });

      // Assess
      assert.equal(buildOrNightly.length, 6);
      assert.deepEqual(
        pages.map((page) => page.jobs.length),
        [4, 2],
      );
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(buildOrNightly));
      assert.equal(pages.at(-1)?.nextCursor, null);
    });

    it('combines the status and profiles filters', async () => {
      // Act
      const pages = await allPages(testStore.store, { status: 'SUCCEEDED', profiles: ['build', 'nightly'], limit: 2 });

      // Assess
      const expected = newestFirst(jobs.filter((job) => job.status === 'SUCCEEDED' && (job.profile === 'build' || job.profile === 'nightly')));
      assert.equal(expected.length, 6);
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(expected));
    });

    it('lists only the jobs created strictly before createdBefore, newest first, across pages', async () => {
      // Prepare
      const createdBefore = jobs[10]!.createdAt;

      // Act
      const pages = await allPages(testStore.store, { limit: 3, createdBefore });

      // Assess
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(newestFirst(jobs.slice(0, 10))));
      assert.equal(pages.length, 4);
    });

    it('combines createdBefore with the status filter', async () => {
      // Act
      const page = await testStore.store.list({ limit: 100, status: 'FAILED', createdBefore: jobs[20]!.createdAt });

      // Assess
      assert.deepEqual(ids(page.jobs), ids(newestFirst(jobs.slice(0, 20).filter((job) => job.status === 'FAILED'))));
    });

    it('returns an empty page with nextCursor null for a profile no job has', async () => {
      // Act
      const page = await testStore.store.list({ profiles: ['prod-admin'], limit: 5 });

      // Assess
      assert.deepEqual(page, { jobs: [], nextCursor: null });
    });

    it('returns an empty page with nextCursor null when nothing matches', async () => {
      // Act
      const page = await testStore.store.list({ status: 'TIMED_OUT', limit: 5 });

      // Assess
      assert.deepEqual(page, { jobs: [], nextCursor: null });
    });

    it('rejects a cursor that is random text with a ValidationError (400)', async () => {
      // Act and assess
      await assert.rejects(testStore.store.list({ limit: 5, cursor: 'not a cursor!' }), (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.equal(httpStatusOf(error), 400);
        return true;
      });
    });

    it('rejects a cursor that is valid base64 of the wrong JSON with a ValidationError (400)', async () => {
      // Prepare
      const wrongShapes = [
        encodeCursor({ offset: 10 }),
        encodeCursor({ pk: 'JOB#x', sk: 'JOB', gsi1pk: 'OTHER', gsi1sk: '2024' }),
        encodeCursor(['JOB#x']),
        encodeCursor(null),
      ];

      // Act and assess
      for (const cursor of wrongShapes) {
        await assert.rejects(testStore.store.list({ limit: 5, cursor }), (error: unknown) => {
          assert.ok(error instanceof ValidationError, `cursor ${cursor}`);
          assert.equal(httpStatusOf(error), 400);
          return true;
        });
      }
    });
  });

  describe('countActive', () => {
    let testStore: TestStore;
    before(async () => {
      testStore = await createTestStore();
    });
    after(async () => {
      await testStore.close();
    });

    it("counts a submitter's jobs until they end, whichever write ends them, up to the most asked for", async () => {
      // Prepare
      const { store } = testStore;
      const jobs = jobsCreatedInOrder(5, () => ({ submittedBy: 'nightly-ci' }));
      for (const job of jobs) await store.create(job);
      await store.create(aJob({ submittedBy: 'someone-else' }));
      await store.create(aJob({ submittedBy: 'nightly-ci', status: 'SUCCEEDED' }));
      const before = await store.countActive('nightly-ci', 100);

      // Act
      await store.transition(jobs[0]!.id, 'CANCELLED');
      await store.transitionOrUpdate(jobs[1]!.id, 'FAILED', { exitCode: 1 }, () => ({}));
      await store.transition(jobs[2]!.id, 'RUNNING', { taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/c/1' });

      // Assess
      assert.equal(before, 5);
      assert.equal(await store.countActive('nightly-ci', 100), 3);
      assert.equal(await store.countActive('nightly-ci', 2), 2);
      assert.equal(await store.countActive('nobody', 10), 0);
      assert.deepEqual(Object.keys((await store.get(jobs[0]!.id))!).filter((key) => key.startsWith('active')), [], 'the index key stays inside the store');
    });
  });

  describe('unfinishedJobs', () => {
    let testStore: TestStore;
    before(async () => {
      testStore = await createTestStore();
    });
    after(async () => {
      await testStore.close();
    });

    it('keeps a job cancelled while running in view until its stop is recorded, without counting it as active any more', async () => {
      // Prepare
      const { store } = testStore;
      const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/c/cancelled';
      const cancelled = aJob({ submittedBy: 'carol', status: 'RUNNING', taskArn });
      const running = aJob({ submittedBy: 'carol', status: 'RUNNING', taskArn: `${taskArn}-2` });
      const finished = aJob({ submittedBy: 'carol', status: 'RUNNING', taskArn: `${taskArn}-3` });
      for (const job of [cancelled, running, finished]) await store.create(job);
      await store.transitionOrUpdate(finished.id, 'SUCCEEDED', { exitCode: 0, stoppedAt: '2026-12-01T10:05:00.000Z' }, () => ({}));

      // Act
      await store.transition(cancelled.id, 'CANCELLED', { failure: { category: 'CANCELLED', message: 'cancelled by carol' } });
      const whileStopping = await store.unfinishedJobs();
      const countedWhileStopping = await store.countActive('carol', 10);
      // The workflow (FinalizeJob) records the stop on the job that is already CANCELLED.
      await store.transitionOrUpdate(cancelled.id, 'FAILED', {}, () => ({ stoppedAt: '2026-12-01T10:06:00.000Z' }));
      const afterStop = await store.unfinishedJobs();

      // Assess
      const ids = (jobs: Array<{ id: string }>) => jobs.map((job) => job.id).toSorted();
      assert.deepEqual(ids(whileStopping), [cancelled.id, running.id].toSorted());
      assert.deepEqual(whileStopping.find((job) => job.id === cancelled.id), { id: cancelled.id, status: 'CANCELLED', taskArn });
      assert.equal(countedWhileStopping, 1, 'only the running job counts against the cap');
      assert.deepEqual(ids(afterStop), [running.id]);
      assert.equal((await store.get(cancelled.id))?.status, 'CANCELLED');
    });

    it('a job created finished is not in view; one created cancelled before its workflow ran is, until StartTask records its stop', async () => {
      // Prepare
      const { store } = testStore;
      const done = aJob({ submittedBy: 'dave', status: 'SUCCEEDED', stoppedAt: '2026-12-01T10:00:00.000Z' });
      const cancelledEarly = aJob({ submittedBy: 'dave', status: 'CANCELLED' });

      // Act
      for (const job of [done, cancelledEarly]) await store.create(job);
      const before = (await store.unfinishedJobs()).map((job) => job.id);
      await store.update(cancelledEarly.id, { stoppedAt: '2026-12-01T10:00:01.000Z' });
      const after = (await store.unfinishedJobs()).map((job) => job.id);

      // Assess
      assert.ok(!before.includes(done.id));
      assert.ok(before.includes(cancelledEarly.id));
      assert.ok(!after.includes(cancelledEarly.id));
      assert.equal(await store.countActive('dave', 10), 0);
    });
  });

  describe('keepEarlyTaskState', () => {
    let testStore: TestStore;
    before(async () => {
      testStore = await createTestStore();
    });
    after(async () => {
      await testStore.close();
    });

    it('keeps the newest event per task while the job has no task ARN, for at most MAX_EARLY_TASKS tasks, and none once the ARN is recorded', async () => {
      // Prepare
      const { store } = testStore;
      const job = aJob();
      await store.create(job);
      const arn = (index: number) => `arn:aws:ecs:eu-west-1:123456789012:task/c/${index}`;

      // Act
      const first = await store.keepEarlyTaskState(job.id, arn(0), { lastStatus: 'PENDING', version: 1 });
      const newer = await store.keepEarlyTaskState(job.id, arn(0), { lastStatus: 'RUNNING', version: 2, network: { eniId: 'eni-1' } });
      const older = await store.keepEarlyTaskState(job.id, arn(0), { lastStatus: 'PENDING', version: 1 });
      const others: boolean[] = [];
      for (let index = 1; index <= MAX_EARLY_TASKS; index += 1) others.push((await store.keepEarlyTaskState(job.id, arn(index), { lastStatus: 'STOPPED', version: 9 })).applied);
      await store.transition(job.id, 'PROVISIONING', { taskArn: arn(0) });
      const afterArn = await store.keepEarlyTaskState(job.id, arn(0), { lastStatus: 'STOPPED', version: 3 });

      // Assess
      assert.deepEqual([first.applied, newer.applied, older.applied], [true, true, false]);
      assert.deepEqual(others, [...Array.from({ length: MAX_EARLY_TASKS - 1 }, () => true), false]);
      assert.equal(afterArn.applied, false);
      assert.equal(afterArn.job.taskArn, arn(0), 'not kept: the job as it is, with the ARN to apply the event to');
      assert.deepEqual(afterArn.job.earlyTaskStates?.[arn(0)], { lastStatus: 'RUNNING', version: 2, network: { eniId: 'eni-1' } });
      assert.equal(afterArn.job.taskState, undefined, 'kept aside, never applied by the store');
    });
  });

  describe('delete', () => {
    let testStore: TestStore;
    before(async () => {
      testStore = await createTestStore();
    });
    after(async () => {
      await testStore.close();
    });

    it('removes a terminal job: gone from get and from the list', async () => {
      // Prepare
      const { store } = testStore;
      const finished = aJob({ status: 'SUCCEEDED', exitCode: 0, stoppedAt: new Date().toISOString() });
      const other = aJob({ status: 'FAILED', exitCode: 1 });
      await createAll(store, [finished, other]);

      // Act
      const deleted = await store.delete(finished.id);

      // Assess
      assert.equal(deleted, true);
      assert.equal(await store.get(finished.id), undefined);
      assert.deepEqual(ids((await store.list({ limit: 100 })).jobs), [other.id]);
    });

    it('keeps an active job and says so; says nothing was removed for a job that does not exist', async () => {
      // Prepare
      const { store } = testStore;
      const running = aJob({ status: 'RUNNING', taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/c/2' });
      await store.create(running);

      // Act
      const deletedRunning = await store.delete(running.id);
      const deletedUnknown = await store.delete(newJobId());

      // Assess
      assert.equal(deletedRunning, false);
      assert.equal(deletedUnknown, false);
      assert.deepEqual(await store.get(running.id), running);
    });
  });

  describe('list createdBefore', () => {
    // Mocked: what matters is how the table is asked, not what it answers.
    let documents: AwsClientStub<DynamoDBDocumentClient>;
    before(() => {
      documents = mockClient(DynamoDBDocumentClient);
    });
    after(() => {
      documents.restore();
    });

    it("is a condition on the index's sort key, so jobs created since are never read", async () => {
      // Prepare
      documents.reset();
      documents.on(QueryCommand).resolves({ Items: [] });
      const store = new DynamoDbJobStore({ client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: 'fargate-jobs-test-jobs' });

      // Act
      await store.list({ limit: 5, createdBefore: '2025-05-01T00:00:00.000Z' });

      // Assess
      const [call] = documents.commandCalls(QueryCommand);
      assert.equal(call?.args[0].input.KeyConditionExpression, 'gsi1pk = :partition AND gsi1sk < :before');
      assert.equal(call?.args[0].input.ExpressionAttributeValues?.[':before'], '2025-05-01T00:00:00.000Z');
      assert.equal(call?.args[0].input.FilterExpression, undefined);
    });
  });

  describe('list with an empty list of profiles', () => {
    // Mocked only here: the other blocks run against dynalite, one block after the other.
    let documents: AwsClientStub<DynamoDBDocumentClient>;
    let store: DynamoDbJobStore;
    before(() => {
      documents = mockClient(DynamoDBDocumentClient);
    });
    beforeEach(() => {
      documents.reset();
      documents.on(QueryCommand).resolves({ Items: [aJob()] });
      store = new DynamoDbJobStore({ client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: 'fargate-jobs-test-jobs' });
    });
    after(() => {
      documents.restore();
    });

    it('returns an empty page without reading the table: a caller with no profiles sees no job', async () => {
      // Act
      const page = await store.list({ profiles: [], limit: 5 });
      const failed = await store.list({ profiles: [], status: 'FAILED', limit: 5 });

      // Assess
      assert.deepEqual(page, { jobs: [], nextCursor: null });
      assert.deepEqual(failed, { jobs: [], nextCursor: null });
      assert.equal(documents.commandCalls(QueryCommand).length, 0);
    });
  });

  describe('on disk', () => {
    let dataDir: string;
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'fargate-jobs-store-'));
    });
    after(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });

    it('keeps jobs across a restart of the embedded database', async () => {
      // Prepare
      const path = join(dataDir, 'db');
      const tableName = 'jobs';
      const first = await startEmbeddedDynamoDb({ path });
      let written: Job;
      try {
        await ensureJobTable(first.client, tableName);
        // Readiness right after ensureJobTable is the next test's subject; this one is about the restart.
        await untilTableActive(first.client, tableName);
        const store = new DynamoDbJobStore({ client: first.client, tableName });
        const job = aJob({ labels: { keep: 'me' } });
        await store.create(job);
        written = (await store.transition(job.id, 'RUNNING', { taskArn: 'arn:task/persisted' })).job;
      } finally {
        await first.close();
      }

      // Act
      const second = await startEmbeddedDynamoDb({ path });
      try {
        await ensureJobTable(second.client, tableName);
        const store = new DynamoDbJobStore({ client: second.client, tableName });
        const readBack = await store.get(written.id);
        const listed = await store.list({ limit: 10 });

        // Assess
        assert.deepEqual(readBack, written);
        assert.deepEqual(ids(listed.jobs), [written.id]);
      } finally {
        await second.close();
      }
    });

    it('takes writes as soon as ensureJobTable resolves on a fresh database (first start)', async () => {
      // Prepare: dynalite marks a new table ACTIVE a moment after CreateTable answers, so the race is
      // timing-dependent; several fresh starts make it show up reliably.
      const attempts = 25;
      const failures: string[] = [];

      // Act
      for (let attempt = 0; attempt < attempts; attempt += 1) {
        const database = await startEmbeddedDynamoDb({ path: join(dataDir, `fresh-${attempt}`) });
        try {
          await ensureJobTable(database.client, 'jobs');
          const store = new DynamoDbJobStore({ client: database.client, tableName: 'jobs' });
          await store.create(aJob());
          await store.list({ limit: 1 });
        } catch (error) {
          failures.push(`start ${attempt}: ${(error as Error).name}`);
        } finally {
          await database.close();
        }
      }

      // Assess
      assert.deepEqual(failures, []);
    });
  });
});
