/**
 * The JobStore contract, status times (job-store.contract.ts runs it): a job records when it reached
 * each status, by the store's clock, in the write that moved it there; a record from before the
 * store kept them gets them from its next move on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aJob } from '../helpers/jobs.ts';
import { steppingClock, storeForSuite, taskArn, type JobStoreFactory } from './job-store-fixtures.ts';

export function jobStoreStatusTimesContract(make: JobStoreFactory): void {
  describe('statusTimes', () => {
    const clock = steppingClock();
    const tested = storeForSuite(make, { now: clock.now });

    it('records QUEUED at the creation of a queued job', async () => {
      // Prepare
      const job = aJob({ createdAt: '2029-06-01T08:00:00.000Z', updatedAt: '2029-06-01T08:00:00.000Z' });

      // Act
      const created = await tested.store.create(job);

      // Assess
      assert.deepEqual(created.job.statusTimes, { QUEUED: '2029-06-01T08:00:00.000Z' });
      assert.deepEqual((await tested.store.get(job.id))?.statusTimes, { QUEUED: '2029-06-01T08:00:00.000Z' });
    });

    it('records each status reached at the time of the write that moved the job there (its updatedAt)', async () => {
      // Prepare
      const job = aJob({ createdAt: '2029-06-01T08:00:00.000Z', updatedAt: '2029-06-01T08:00:00.000Z' });
      await tested.store.create(job);

      // Act
      const provisioning = await tested.store.transition(job.id, 'PROVISIONING', { taskArn: taskArn('times') });
      const running = await tested.store.transition(job.id, 'RUNNING');
      const succeeded = await tested.store.transitionOrUpdate(job.id, 'SUCCEEDED', { exitCode: 0 }, () => ({}));

      // Assess
      assert.deepEqual(succeeded.job.statusTimes, {
        QUEUED: '2029-06-01T08:00:00.000Z',
        PROVISIONING: provisioning.job.updatedAt,
        RUNNING: running.job.updatedAt,
        SUCCEEDED: succeeded.job.updatedAt,
      });
      assert.deepEqual((await tested.store.get(job.id))?.statusTimes, succeeded.job.statusTimes);
    });

    it('records nothing for a move that is refused, nor for writes that change no status', async () => {
      // Prepare
      const job = aJob();
      await tested.store.create(job);
      const { job: cancelled } = await tested.store.transition(job.id, 'CANCELLED', { failure: { category: 'CANCELLED', message: 'cancelled by test' } });

      // Act
      const refused = await tested.store.transition(job.id, 'SUCCEEDED', { exitCode: 0 });
      const afterward = await tested.store.transitionOrUpdate(job.id, 'FAILED', {}, () => ({ stoppedAt: '2030-05-05T00:00:00.000Z' }));

      // Assess
      assert.equal(refused.applied, false);
      assert.equal(afterward.applied, false);
      assert.deepEqual(afterward.job.statusTimes, { QUEUED: job.createdAt, CANCELLED: cancelled.updatedAt });
    });

    it('of two racing terminal moves, records the time of the one that won only', async () => {
      // Prepare
      const job = aJob();
      await tested.store.create(job);
      await tested.store.transition(job.id, 'RUNNING');

      // Act
      const results = await Promise.all([
        tested.store.transition(job.id, 'SUCCEEDED', { exitCode: 0 }),
        tested.store.transition(job.id, 'CANCELLED', { failure: { category: 'CANCELLED', message: 'cancelled' } }),
      ]);

      // Assess
      const winner = results.find((result) => result.applied);
      const stored = await tested.store.get(job.id);
      assert.ok(winner);
      assert.deepEqual(Object.keys(stored?.statusTimes ?? {}), ['QUEUED', 'RUNNING', winner.job.status]);
      assert.equal(stored?.statusTimes?.[winner.job.status], winner.job.updatedAt);
    });

    it('gives a record without status times (kept before they were) the time of its next move', async () => {
      // Prepare: only a queued job is created with times; this one stands for an older record.
      const job = aJob({ status: 'RUNNING', taskArn: taskArn('older') });
      const created = await tested.store.create(job);

      // Act
      const finished = await tested.store.transition(job.id, 'FAILED', { exitCode: 1 });

      // Assess
      assert.equal(created.job.statusTimes, undefined);
      assert.equal(finished.applied, true);
      assert.deepEqual(finished.job.statusTimes, { FAILED: finished.job.updatedAt });
      assert.deepEqual(await tested.store.get(job.id), finished.job);
    });
  });
}
