/**
 * The JobStore contract, reads and retention (job-store.contract.ts runs it): newest-first listing
 * with opaque cursors and status/profile/createdBefore filters, the view of unfinished jobs, the
 * count of a submitter's active jobs, and deletes of terminal jobs only.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { encodeCursor } from '#lib/domain/cursor.ts';
import { ValidationError } from '#lib/domain/errors.ts';
import { newJobId } from '#lib/domain/ids.ts';
import type { Job } from '#lib/domain/job.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';
import { aJob } from '../helpers/jobs.ts';
import { allPages, createAll, ids, jobsCreatedInOrder, newestFirst, storeForSuite, taskArn, type JobStoreFactory } from './job-store-fixtures.ts';

export function jobStoreReadsContract(make: JobStoreFactory): void {
  listContract(make);
  unfinishedContract(make);

  describe('delete', () => {
    const tested = storeForSuite(make);

    it('removes a terminal job: gone from get and from the list', async () => {
      // Prepare
      const { store } = tested;
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
      const { store } = tested;
      const running = aJob({ status: 'RUNNING', taskArn: taskArn(2) });
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
}

function listContract(make: JobStoreFactory): void {
  describe('list', () => {
    const tested = storeForSuite(make);
    let jobs: Job[];
    before(async () => {
      // 30 jobs; only 3 are FAILED, 3 (others) use the 'build' profile and 3 more the 'nightly' one.
      jobs = jobsCreatedInOrder(30, (index) => ({
        status: index % 10 === 4 ? 'FAILED' : 'SUCCEEDED',
        profile: index % 10 === 7 ? 'build' : index % 10 === 2 ? 'nightly' : 'default',
      }));
      await createAll(tested.store, jobs);
    });

    it('returns jobs newest first', async () => {
      // Act
      const page = await tested.store.list({ limit: 5 });

      // Assess
      assert.deepEqual(ids(page.jobs), ids(newestFirst(jobs).slice(0, 5)));
    });

    it('pages through every job with limit and nextCursor, without duplicates or gaps', async () => {
      // Act
      const pages = await allPages(tested.store, { limit: 7 });

      // Assess
      assert.deepEqual(pages.map((page) => page.jobs.length), [7, 7, 7, 7, 2]);
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(newestFirst(jobs)));
      assert.equal(pages.at(-1)?.nextCursor, null);
      assert.ok(pages.slice(0, -1).every((page) => typeof page.nextCursor === 'string'));
    });

    it('ends with nextCursor null on the page holding the last job when the count is a multiple of the limit', async () => {
      // Act
      const pages = await allPages(tested.store, { limit: 10 });

      // Assess
      assert.deepEqual(pages.map((page) => page.jobs.length), [10, 10, 10]);
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(newestFirst(jobs)));
    });

    it('filters by status across pages where most jobs do not match', async () => {
      // Prepare
      const failed = newestFirst(jobs.filter((job) => job.status === 'FAILED'));

      // Act
      const pages = await allPages(tested.store, { status: 'FAILED', limit: 2 });

      // Assess
      assert.equal(failed.length, 3);
      assert.deepEqual(pages.map((page) => page.jobs.length), [2, 1]);
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(failed));
      assert.equal(pages.at(-1)?.nextCursor, null);
    });

    it('filters by one profile across pages where most jobs do not match', async () => {
      // Prepare
      const build = newestFirst(jobs.filter((job) => job.profile === 'build'));

      // Act
      const pages = await allPages(tested.store, { profiles: ['build'], limit: 2 });

      // Assess
      assert.equal(build.length, 3);
      assert.deepEqual(pages.map((page) => page.jobs.length), [2, 1]);
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(build));
      assert.equal(pages.at(-1)?.nextCursor, null);
    });

    it('lists the jobs of any of several profiles, newest first, across pages', async () => {
      // Prepare
      const buildOrNightly = newestFirst(jobs.filter((job) => job.profile === 'build' || job.profile === 'nightly'));

      // Act
      const pages = await allPages(tested.store, { profiles: ['build', 'nightly'], limit: 4 });

      // Assess
      assert.equal(buildOrNightly.length, 6);
      assert.deepEqual(pages.map((page) => page.jobs.length), [4, 2]);
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(buildOrNightly));
      assert.equal(pages.at(-1)?.nextCursor, null);
    });

    it('combines the status and profiles filters', async () => {
      // Act
      const pages = await allPages(tested.store, { status: 'SUCCEEDED', profiles: ['build', 'nightly'], limit: 2 });

      // Assess
      const expected = newestFirst(jobs.filter((job) => job.status === 'SUCCEEDED' && (job.profile === 'build' || job.profile === 'nightly')));
      assert.equal(expected.length, 6);
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(expected));
    });

    it('lists only the jobs created strictly before createdBefore, newest first, across pages', async () => {
      // Prepare
      const createdBefore = jobs[10]!.createdAt;

      // Act
      const pages = await allPages(tested.store, { limit: 3, createdBefore });

      // Assess
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(newestFirst(jobs.slice(0, 10))));
      assert.equal(pages.length, 4);
    });

    it('combines createdBefore with the status filter', async () => {
      // Act
      const page = await tested.store.list({ limit: 100, status: 'FAILED', createdBefore: jobs[20]!.createdAt });

      // Assess
      assert.deepEqual(ids(page.jobs), ids(newestFirst(jobs.slice(0, 20).filter((job) => job.status === 'FAILED'))));
    });

    it('returns an empty page with nextCursor null for a profile no job has, or an empty list of profiles', async () => {
      // Act
      const unknownProfile = await tested.store.list({ profiles: ['prod-admin'], limit: 5 });
      const noProfiles = await tested.store.list({ profiles: [], limit: 5 });
      const noProfilesFailed = await tested.store.list({ profiles: [], status: 'FAILED', limit: 5 });

      // Assess
      for (const page of [unknownProfile, noProfiles, noProfilesFailed]) assert.deepEqual(page, { jobs: [], nextCursor: null });
    });

    it('returns an empty page with nextCursor null when nothing matches', async () => {
      // Act
      const page = await tested.store.list({ status: 'TIMED_OUT', limit: 5 });

      // Assess
      assert.deepEqual(page, { jobs: [], nextCursor: null });
    });

    it('rejects a cursor that is random text, or valid base64 of JSON it never wrote, with a ValidationError (400)', async () => {
      // Prepare
      const notCursors = ['not a cursor!', encodeCursor({ offset: 10 }), encodeCursor(['JOB#x']), encodeCursor(null), encodeCursor('2024-01-01')];

      // Act and assess
      for (const cursor of notCursors) {
        await assert.rejects(tested.store.list({ limit: 5, cursor }), (error: unknown) => {
          assert.ok(error instanceof ValidationError, `cursor ${cursor}`);
          assert.equal(httpStatusOf(error), 400);
          return true;
        });
      }
    });
  });
}

function unfinishedContract(make: JobStoreFactory): void {
  describe('countActive', () => {
    const tested = storeForSuite(make);

    it("counts a submitter's jobs until they end, whichever write ends them, up to the most asked for", async () => {
      // Prepare
      const { store } = tested;
      const jobs = jobsCreatedInOrder(5, () => ({ submittedBy: 'nightly-ci' }));
      await createAll(store, jobs);
      await store.create(aJob({ submittedBy: 'someone-else' }));
      await store.create(aJob({ submittedBy: 'nightly-ci', status: 'SUCCEEDED' }));
      const before = await store.countActive('nightly-ci', 100);

      // Act
      await store.transition(jobs[0]!.id, 'CANCELLED');
      await store.transitionOrUpdate(jobs[1]!.id, 'FAILED', { exitCode: 1 }, () => ({}));
      await store.transition(jobs[2]!.id, 'RUNNING', { taskArn: taskArn(1) });

      // Assess
      assert.equal(before, 5);
      assert.equal(await store.countActive('nightly-ci', 100), 3);
      assert.equal(await store.countActive('nightly-ci', 2), 2);
      assert.equal(await store.countActive('nobody', 10), 0);
    });
  });

  describe('unfinishedJobs', () => {
    const tested = storeForSuite(make);

    it('keeps a job cancelled while running in view until its stop is recorded, without counting it as active any more', async () => {
      // Prepare
      const { store } = tested;
      const cancelled = aJob({ submittedBy: 'carol', status: 'RUNNING', taskArn: taskArn('cancelled') });
      const running = aJob({ submittedBy: 'carol', status: 'RUNNING', taskArn: taskArn('running') });
      const finished = aJob({ submittedBy: 'carol', status: 'RUNNING', taskArn: taskArn('finished') });
      await createAll(store, [cancelled, running, finished]);
      await store.transitionOrUpdate(finished.id, 'SUCCEEDED', { exitCode: 0, stoppedAt: '2026-12-01T10:05:00.000Z' }, () => ({}));

      // Act
      await store.transition(cancelled.id, 'CANCELLED', { failure: { category: 'CANCELLED', message: 'cancelled by carol' } });
      const whileStopping = await store.unfinishedJobs();
      const countedWhileStopping = await store.countActive('carol', 10);
      // The workflow (FinalizeJob) records the stop on the job that is already CANCELLED.
      await store.transitionOrUpdate(cancelled.id, 'FAILED', {}, () => ({ stoppedAt: '2026-12-01T10:06:00.000Z' }));
      const afterStop = await store.unfinishedJobs();

      // Assess
      assert.deepEqual(ids(whileStopping).toSorted(), [cancelled.id, running.id].toSorted());
      assert.deepEqual(whileStopping.find((job) => job.id === cancelled.id), { id: cancelled.id, status: 'CANCELLED', taskArn: taskArn('cancelled') });
      assert.equal(countedWhileStopping, 1, 'only the running job counts against the cap');
      assert.deepEqual(ids(afterStop), [running.id]);
      assert.equal((await store.get(cancelled.id))?.status, 'CANCELLED');
    });

    it('a job created finished is not in view; one created cancelled before its workflow ran is, until StartTask records its stop', async () => {
      // Prepare
      const { store } = tested;
      const done = aJob({ submittedBy: 'dave', status: 'SUCCEEDED', stoppedAt: '2026-12-01T10:00:00.000Z' });
      const cancelledEarly = aJob({ submittedBy: 'dave', status: 'CANCELLED' });

      // Act
      await createAll(store, [done, cancelledEarly]);
      const before = ids(await store.unfinishedJobs());
      await store.update(cancelledEarly.id, { stoppedAt: '2026-12-01T10:00:01.000Z' });
      const after = ids(await store.unfinishedJobs());

      // Assess
      assert.ok(!before.includes(done.id));
      assert.ok(before.includes(cancelledEarly.id));
      assert.ok(!after.includes(cancelledEarly.id));
      assert.equal(await store.countActive('dave', 10), 0);
    });

    it('lists a queued job without a task ARN with its id and status alone', async () => {
      // Prepare
      const queued = aJob({ submittedBy: 'erin' });
      await tested.store.create(queued);

      // Act
      const unfinished = await tested.store.unfinishedJobs();

      // Assess
      assert.deepEqual(unfinished.find((job) => job.id === queued.id), { id: queued.id, status: 'QUEUED' });
    });
  });
}
