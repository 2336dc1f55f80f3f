/**
 * The JobStore contract, execs (job-store.contract.ts runs it): each exec into a running job is
 * appended to its record in one conditional write, so that two at once both land, none lands on a
 * job that no longer runs, and a job holds at most MAX_EXECS.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobNotFoundError } from '#lib/domain/errors.ts';
import { newJobId } from '#lib/domain/ids.ts';
import { MAX_EXECS, type ExecRecord } from '#lib/domain/job.ts';
import { aJob } from '../helpers/jobs.ts';
import { storeForSuite, type JobStoreFactory } from './job-store-fixtures.ts';

const exec = (by: string, command: string[] = ['/bin/sh']): ExecRecord => ({ at: '2026-12-07T10:00:00.000Z', by, command });

export function jobStoreExecsContract(make: JobStoreFactory): void {
  describe('recordExec', () => {
    const tested = storeForSuite(make);

    it("appends each exec to a running job's record, oldest first", async () => {
      // Prepare
      const job = aJob({ status: 'RUNNING' });
      await tested.store.create(job);

      // Act
      const first = await tested.store.recordExec(job.id, exec('alice', ['/bin/sh']));
      const second = await tested.store.recordExec(job.id, exec('bob', ['ls', '-l']));

      // Assess
      assert.equal(first.applied, true);
      assert.equal(second.applied, true);
      assert.deepEqual(second.job.execs, [exec('alice', ['/bin/sh']), exec('bob', ['ls', '-l'])]);
      assert.deepEqual((await tested.store.get(job.id))?.execs, second.job.execs);
    });

    it('keeps both of two execs recorded at once', async () => {
      const job = aJob({ status: 'RUNNING' });
      await tested.store.create(job);

      await Promise.all([tested.store.recordExec(job.id, exec('alice')), tested.store.recordExec(job.id, exec('bob'))]);

      const recorded = (await tested.store.get(job.id))?.execs ?? [];
      assert.deepEqual(recorded.map((entry) => entry.by).sort(), ['alice', 'bob']);
    });

    it('records nothing on a job that is not running, and says so with the job as it is', async () => {
      for (const status of ['PROVISIONING', 'SUCCEEDED', 'CANCELLED'] as const) {
        const job = aJob({ status });
        await tested.store.create(job);

        const result = await tested.store.recordExec(job.id, exec('alice'));

        assert.equal(result.applied, false, status);
        assert.equal(result.job.status, status);
        assert.equal((await tested.store.get(job.id))?.execs, undefined);
      }
    });

    it(`records at most ${MAX_EXECS} execs on one job`, async () => {
      const job = aJob({ status: 'RUNNING', execs: Array.from({ length: MAX_EXECS - 1 }, (_, index) => exec(`caller-${index}`)) });
      await tested.store.create(job);

      const last = await tested.store.recordExec(job.id, exec('last'));
      const over = await tested.store.recordExec(job.id, exec('over'));

      assert.equal(last.applied, true);
      assert.equal(over.applied, false);
      assert.equal(over.job.execs?.length, MAX_EXECS);
      assert.equal(over.job.execs?.at(-1)?.by, 'last');
    });

    it('refuses a job that does not exist', async () => {
      await assert.rejects(tested.store.recordExec(newJobId(), exec('alice')), JobNotFoundError);
    });
  });
}
