/**
 * The JobStore contract, task-state events (job-store.contract.ts runs it): ordered by ECS's
 * version, so an older event never overwrites a newer one, racing or not; and events that come
 * before the job's task ARN, kept aside per task.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobNotFoundError } from '#lib/domain/errors.ts';
import { newJobId } from '#lib/domain/ids.ts';
import { MAX_EARLY_TASKS } from '#lib/domain/job.ts';
import { aJob } from '../helpers/jobs.ts';
import { storeForSuite, taskArn, type JobStoreFactory } from './job-store-fixtures.ts';

export function jobStoreTaskStateContract(make: JobStoreFactory): void {
  describe('recordTaskState', () => {
    const tested = storeForSuite(make);

    it('records an event newer than the one recorded, with the rest of its patch, and refuses an older or repeated one', async () => {
      // Prepare
      const job = aJob({ status: 'RUNNING', taskArn: taskArn('events') });
      await tested.store.create(job);

      // Act
      const first = await tested.store.recordTaskState(job.id, { taskState: { lastStatus: 'RUNNING', version: 2 }, network: { eniId: 'eni-1' } });
      const newer = await tested.store.recordTaskState(job.id, { taskState: { lastStatus: 'STOPPED', version: 4, exitCode: 0 } });
      const older = await tested.store.recordTaskState(job.id, { taskState: { lastStatus: 'RUNNING', version: 3 }, logTail: ['late'] });
      const repeated = await tested.store.recordTaskState(job.id, { taskState: { lastStatus: 'STOPPED', version: 4 } });

      // Assess
      assert.deepEqual([first.applied, newer.applied, older.applied, repeated.applied], [true, true, false, false]);
      const stored = await tested.store.get(job.id);
      assert.deepEqual(stored?.taskState, { lastStatus: 'STOPPED', version: 4, exitCode: 0 });
      assert.deepEqual(stored?.network, { eniId: 'eni-1' });
      assert.deepEqual(stored?.logTail, [], 'a refused event writes none of its patch');
      assert.deepEqual(older.job, stored, 'not applied: the job as it is');
    });

    it('never lets an older event overwrite a newer one when they race, in either order', async () => {
      // Prepare
      const jobs = [aJob({ status: 'RUNNING' }), aJob({ status: 'RUNNING' })];
      for (const job of jobs) await tested.store.create(job);
      const older = { taskState: { lastStatus: 'RUNNING', version: 3 } };
      const newer = { taskState: { lastStatus: 'STOPPED', version: 5 } };

      // Act
      const olderFirst = await Promise.all([tested.store.recordTaskState(jobs[0]!.id, older), tested.store.recordTaskState(jobs[0]!.id, newer)]);
      const newerFirst = await Promise.all([tested.store.recordTaskState(jobs[1]!.id, newer), tested.store.recordTaskState(jobs[1]!.id, older)]);

      // Assess
      for (const job of jobs) assert.deepEqual((await tested.store.get(job.id))?.taskState, newer.taskState);
      assert.equal(olderFirst[1].applied, true, 'the newer event is applied whenever it comes');
      assert.deepEqual([newerFirst[0].applied, newerFirst[1].applied], [true, false]);
    });

    it('throws JobNotFoundError for a job that does not exist', async () => {
      // Act and assess
      await assert.rejects(tested.store.recordTaskState(newJobId(), { taskState: { lastStatus: 'RUNNING', version: 1 } }), JobNotFoundError);
    });
  });

  describe('keepEarlyTaskState', () => {
    const tested = storeForSuite(make);

    it('keeps the newest event per task while the job has no task ARN, for at most MAX_EARLY_TASKS tasks, and none once the ARN is recorded', async () => {
      // Prepare
      const { store } = tested;
      const job = aJob();
      await store.create(job);

      // Act
      const first = await store.keepEarlyTaskState(job.id, taskArn(0), { lastStatus: 'PENDING', version: 1 });
      const newer = await store.keepEarlyTaskState(job.id, taskArn(0), { lastStatus: 'RUNNING', version: 2, network: { eniId: 'eni-1' } });
      const older = await store.keepEarlyTaskState(job.id, taskArn(0), { lastStatus: 'PENDING', version: 1 });
      const others: boolean[] = [];
      for (let index = 1; index <= MAX_EARLY_TASKS; index += 1) others.push((await store.keepEarlyTaskState(job.id, taskArn(index), { lastStatus: 'STOPPED', version: 9 })).applied);
      await store.transition(job.id, 'PROVISIONING', { taskArn: taskArn(0) });
      const afterArn = await store.keepEarlyTaskState(job.id, taskArn(0), { lastStatus: 'STOPPED', version: 3 });

      // Assess
      assert.deepEqual([first.applied, newer.applied, older.applied], [true, true, false]);
      assert.deepEqual(others, [...Array.from({ length: MAX_EARLY_TASKS - 1 }, () => true), false]);
      assert.equal(afterArn.applied, false);
      assert.equal(afterArn.job.taskArn, taskArn(0), 'not kept: the job as it is, with the ARN to apply the event to');
      assert.deepEqual(afterArn.job.earlyTaskStates?.[taskArn(0)], { lastStatus: 'RUNNING', version: 2, network: { eniId: 'eni-1' } });
      assert.equal(afterArn.job.taskState, undefined, 'kept aside, never applied by the store');
    });

    it('keeps the newer of two racing events about the same task', async () => {
      // Prepare
      const job = aJob();
      await tested.store.create(job);

      // Act
      await Promise.all([
        tested.store.keepEarlyTaskState(job.id, taskArn('race'), { lastStatus: 'PENDING', version: 1 }),
        tested.store.keepEarlyTaskState(job.id, taskArn('race'), { lastStatus: 'RUNNING', version: 2 }),
      ]);

      // Assess
      assert.deepEqual((await tested.store.get(job.id))?.earlyTaskStates, { [taskArn('race')]: { lastStatus: 'RUNNING', version: 2 } });
    });

    it('throws JobNotFoundError for a job that does not exist', async () => {
      // Act and assess
      await assert.rejects(tested.store.keepEarlyTaskState(newJobId(), taskArn(1), { lastStatus: 'PENDING', version: 1 }), JobNotFoundError);
    });
  });
}
