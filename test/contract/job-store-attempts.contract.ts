/**
 * The JobStore contract, attempts (job-store.contract.ts runs it): an attempt that ended is recorded
 * once, never over a cancel, and the fields of its task are cleared for the next attempt's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobNotFoundError } from '#lib/domain/errors.ts';
import { newJobId } from '#lib/domain/ids.ts';
import type { JobAttempt } from '#lib/domain/job.ts';
import { aJob } from '../helpers/jobs.ts';
import { storeForSuite, taskArn, type JobStoreFactory } from './job-store-fixtures.ts';

const failure = { category: 'USER_EXIT' as const, message: 'the command exited with code 7' };

export function jobStoreAttemptsContract(make: JobStoreFactory): void {
  describe('endAttempt', () => {
    const tested = storeForSuite(make);

    it("appends the ended attempt, clears its task's fields and sets the patch, keeping the rest", async () => {
      // Prepare
      const job = aJob({
        status: 'RUNNING',
        taskArn: taskArn('first'),
        process: { pid: 4242, processGroup: 4242, startTime: '1' },
        startedAt: '2030-01-01T00:00:01.000Z',
        exitCode: 7,
        failure,
        network: { eniId: 'eni-1', privateIp: '10.0.0.1' },
        taskState: { lastStatus: 'STOPPED', version: 5, exitCode: 7 },
        earlyTaskStates: { [taskArn('other')]: { lastStatus: 'RUNNING', version: 1 } },
        waitToken: 'token',
        waitState: { jobId: 'x' },
        capacity: 'FARGATE_SPOT',
        labels: { team: 'data' },
        logTail: ['done'],
      });
      await tested.store.create(job);
      const ended: JobAttempt = { number: 1, taskArn: taskArn('first'), capacity: 'FARGATE_SPOT', startedAt: '2030-01-01T00:00:01.000Z', stoppedAt: '2030-01-01T00:00:09.000Z', exitCode: 7, failure };

      // Act
      const result = await tested.store.endAttempt(job.id, ended, { exitCode: null, capacity: 'FARGATE' });

      // Assess
      assert.equal(result.applied, true);
      const stored = await tested.store.get(job.id);
      assert.deepEqual(result.job, stored, 'applied: the job as written');
      assert.deepEqual(stored?.attempts, [ended]);
      for (const field of ['taskArn', 'process', 'startedAt', 'failure', 'network', 'taskState', 'earlyTaskStates', 'waitToken', 'waitState'] as const) {
        assert.equal(stored?.[field], undefined, `${field} is cleared for the next attempt`);
      }
      assert.equal(stored?.exitCode, null);
      assert.equal(stored?.capacity, 'FARGATE');
      assert.equal(stored?.status, 'RUNNING', 'the status stays');
      assert.deepEqual(stored?.labels, { team: 'data' });
      assert.deepEqual(stored?.logTail, ['done']);
      assert.ok(stored && stored.updatedAt >= job.updatedAt);
    });

    it('appends each attempt once: a second ending of the same attempt writes nothing', async () => {
      // Prepare
      const job = aJob({ status: 'RUNNING', taskArn: taskArn('twice') });
      await tested.store.create(job);
      const first: JobAttempt = { number: 1, taskArn: taskArn('twice'), exitCode: 1, failure };
      await tested.store.endAttempt(job.id, first, { exitCode: null });
      await tested.store.update(job.id, { taskArn: taskArn('second') });

      // Act
      const replayed = await tested.store.endAttempt(job.id, first, { exitCode: null });
      const second = await tested.store.endAttempt(job.id, { number: 2, taskArn: taskArn('second'), exitCode: 2, failure }, { exitCode: null });
      const skipping = await tested.store.endAttempt(job.id, { number: 4, exitCode: 4, failure }, { exitCode: null });

      // Assess
      assert.deepEqual([replayed.applied, second.applied, skipping.applied], [false, true, false]);
      assert.deepEqual((await tested.store.get(job.id))?.attempts?.map((attempt) => attempt.number), [1, 2]);
      assert.equal(replayed.job.taskArn, taskArn('second'), 'not applied: the job as it is');
    });

    it('never ends an attempt of a terminal job: a cancel that came first stands', async () => {
      // Prepare
      const job = aJob({ status: 'CANCELLED', taskArn: taskArn('cancelled'), failure: { category: 'CANCELLED', message: 'cancelled by alice' } });
      await tested.store.create(job);

      // Act
      const result = await tested.store.endAttempt(job.id, { number: 1, taskArn: taskArn('cancelled'), exitCode: 143, failure }, { exitCode: null });

      // Assess
      assert.equal(result.applied, false);
      const stored = await tested.store.get(job.id);
      assert.equal(stored?.attempts, undefined);
      assert.equal(stored?.taskArn, taskArn('cancelled'));
      assert.equal(stored?.failure?.category, 'CANCELLED');
    });

    it('throws JobNotFoundError for a job that does not exist', async () => {
      // Act and assess
      await assert.rejects(tested.store.endAttempt(newJobId(), { number: 1, exitCode: 1 }, {}), JobNotFoundError);
    });
  });
}
