/**
 * The JobStore contract, writes (job-store.contract.ts runs it): conditional create, status
 * transitions that never overwrite a terminal status (of racing ones exactly one wins), updates.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobNotFoundError } from '#lib/domain/errors.ts';
import { newJobId } from '#lib/domain/ids.ts';
import type { JobStatus } from '#lib/domain/job.ts';
import { aJob } from '../helpers/jobs.ts';
import { steppingClock, storeForSuite, type JobStoreFactory } from './job-store-fixtures.ts';

export function jobStoreWritesContract(make: JobStoreFactory): void {
  describe('create and get', () => {
    const tested = storeForSuite(make);

    it('stores a new job and reads it back unchanged but for the time it was queued', async () => {
      // Prepare
      const job = aJob({ labels: { team: 'platform' }, env: { STAGE: 'dev' }, cpu: 256 });

      // Act
      const result = await tested.store.create(job);
      const stored = await tested.store.get(job.id);

      // Assess
      assert.equal(result.created, true);
      assert.deepEqual(result.job, { ...job, statusTimes: { QUEUED: job.createdAt } });
      assert.deepEqual(stored, result.job);
    });

    it('never overwrites: a second create with the same id returns created:false and the original job', async () => {
      // Prepare
      const { job: original } = await tested.store.create(aJob({ command: ['echo', 'first'], requestHash: 'first-hash' }));
      const replay = { ...original, command: ['echo', 'second'], requestHash: 'second-hash', status: 'RUNNING' as const };

      // Act
      const result = await tested.store.create(replay);

      // Assess
      assert.equal(result.created, false);
      assert.deepEqual(result.job, original);
      assert.deepEqual(await tested.store.get(original.id), original);
    });

    it('lets exactly one of two concurrent creates with the same id create it', async () => {
      // Prepare
      const first = aJob({ command: ['echo', 'first'] });
      const second = { ...first, command: ['echo', 'second'] };

      // Act
      const results = await Promise.all([tested.store.create(first), tested.store.create(second)]);

      // Assess
      assert.equal(results.filter((result) => result.created).length, 1);
      const stored = await tested.store.get(first.id);
      assert.deepEqual(results.map((result) => result.job), [stored, stored]);
    });

    it('returns undefined for an id that was never stored', async () => {
      // Act
      const missing = await tested.store.get(newJobId());

      // Assess
      assert.equal(missing, undefined);
    });
  });

  describe('transition', () => {
    const clock = steppingClock();
    const tested = storeForSuite(make, { now: clock.now });

    it('moves a job along an allowed path and returns the new job with a new updatedAt', async () => {
      // Prepare
      const job = aJob();
      await tested.store.create(job);

      // Act
      const provisioning = await tested.store.transition(job.id, 'PROVISIONING', { taskArn: 'arn:task/1' });
      const running = await tested.store.transition(job.id, 'RUNNING', { startedAt: '2030-01-01T00:00:00.000Z' });

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
      assert.deepEqual(await tested.store.get(job.id), running.job);
    });

    it('refuses a move the current status does not allow and leaves the record unchanged', async () => {
      // Prepare
      const job = aJob();
      await tested.store.create(job);
      const { job: running } = await tested.store.transition(job.id, 'RUNNING');

      // Act
      const backwards = await tested.store.transition(job.id, 'PROVISIONING', { taskArn: 'arn:task/late' });

      // Assess
      assert.equal(backwards.applied, false);
      assert.deepEqual(backwards.job, running);
      assert.deepEqual(await tested.store.get(job.id), running);
    });

    it('refuses a move back to QUEUED (no status may become QUEUED) without an error', async () => {
      // Prepare
      const { job } = await tested.store.create(aJob());

      // Act
      const result = await tested.store.transition(job.id, 'QUEUED');

      // Assess
      assert.equal(result.applied, false);
      assert.deepEqual(result.job, job);
    });

    it('never overwrites a terminal job: RUNNING or SUCCEEDED after CANCELLED is not applied', async () => {
      // Prepare
      const job = aJob();
      await tested.store.create(job);
      const { job: cancelled } = await tested.store.transition(job.id, 'CANCELLED', {
        failure: { category: 'CANCELLED', message: 'cancelled by test' },
      });

      // Act
      const toRunning = await tested.store.transition(job.id, 'RUNNING', { startedAt: '2030-02-01T00:00:00.000Z' });
      const toSucceeded = await tested.store.transition(job.id, 'SUCCEEDED', { exitCode: 0 });

      // Assess
      assert.equal(cancelled.status, 'CANCELLED');
      assert.equal(toRunning.applied, false);
      assert.equal(toSucceeded.applied, false);
      assert.deepEqual(toSucceeded.job, cancelled);
      const stored = await tested.store.get(job.id);
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
          await tested.store.create(job);
          await tested.store.transition(job.id, from);
          const result = await tested.store.transition(job.id, to, { exitCode: 99 });
          const stored = await tested.store.get(job.id);
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
      await tested.store.create(job);
      await tested.store.transition(job.id, 'RUNNING');

      // Act
      const [finish, cancel] = await Promise.all([
        tested.store.transition(job.id, 'SUCCEEDED', { exitCode: 0 }),
        tested.store.transition(job.id, 'CANCELLED', { failure: { category: 'CANCELLED', message: 'cancelled' } }),
      ]);

      // Assess
      assert.equal([finish, cancel].filter((result) => result.applied).length, 1);
      const winner = finish.applied ? finish : cancel;
      const loser = finish.applied ? cancel : finish;
      const stored = await tested.store.get(job.id);
      assert.deepEqual(stored, winner.job);
      assert.equal(loser.job.status, winner.job.status);
      if (stored?.status === 'CANCELLED') assert.equal(stored.exitCode, null);
      else assert.equal(stored?.failure, undefined);
    });

    it('throws JobNotFoundError for a job that does not exist', async () => {
      // Prepare
      const missingId = newJobId();

      // Act and assess
      await assert.rejects(tested.store.transition(missingId, 'RUNNING'), JobNotFoundError);
      assert.equal(await tested.store.get(missingId), undefined);
    });
  });

  describe('transitionOrUpdate', () => {
    const tested = storeForSuite(make);

    it('makes the move with its patch when the status allows it, and does not ask what to record otherwise', async () => {
      // Prepare
      const job = aJob({ status: 'RUNNING', taskArn: 'arn:task' });
      await tested.store.create(job);
      let asked = false;

      // Act
      const result = await tested.store.transitionOrUpdate(job.id, 'SUCCEEDED', { exitCode: 0, logTail: ['done'] }, () => {
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
      await tested.store.create(job);
      const seen: string[] = [];

      // Act
      const result = await tested.store.transitionOrUpdate(job.id, 'SUCCEEDED', { exitCode: 0, failure: undefined, logTail: ['done'] }, (current) => {
        seen.push(current.status);
        return { exitCode: 143, logTail: ['done'] };
      });

      // Assess
      assert.equal(result.applied, false);
      assert.deepEqual(seen, ['CANCELLED']);
      const stored = await tested.store.get(job.id);
      assert.deepEqual([stored?.status, stored?.exitCode, stored?.logTail, stored?.failure?.category], ['CANCELLED', 143, ['done'], 'CANCELLED']);
      assert.deepEqual(result.job, stored);
    });

    it('writes nothing when the move is refused and `otherwise` has nothing to record', async () => {
      // Prepare
      const job = aJob({ status: 'FAILED', stoppedAt: '2030-01-01T00:00:00.000Z' });
      await tested.store.create(job);

      // Act
      const result = await tested.store.transitionOrUpdate(job.id, 'FAILED', { stoppedAt: '2031-01-01T00:00:00.000Z' }, () => ({}));

      // Assess
      assert.equal(result.applied, false);
      assert.deepEqual(await tested.store.get(job.id), job, 'not even updatedAt changed');
    });

    it('throws JobNotFoundError for a job that does not exist', async () => {
      // Act and assess
      await assert.rejects(tested.store.transitionOrUpdate(newJobId(), 'SUCCEEDED', { exitCode: 0 }, () => ({ exitCode: 0 })), JobNotFoundError);
    });
  });

  describe('update', () => {
    const clock = steppingClock();
    const tested = storeForSuite(make, { now: clock.now });

    it('changes the given fields, keeps the status and the rest, and sets updatedAt', async () => {
      // Prepare
      const job = aJob();
      await tested.store.create(job);
      const { job: running } = await tested.store.transition(job.id, 'RUNNING');

      // Act
      const updated = await tested.store.update(job.id, {
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
      assert.deepEqual(await tested.store.get(job.id), updated);
    });

    it("records a finished job's log archive and reads it back, truncated flag and all", async () => {
      // Prepare
      const job = aJob();
      await tested.store.create(job);
      await tested.store.transition(job.id, 'SUCCEEDED', { exitCode: 0, stoppedAt: '2026-12-07T12:00:00.000Z' });
      const logArchive = { key: `logs/${job.id}.ndjson.gz`, lines: 10_000_000, bytes: 123_456_789, truncated: true };

      // Act
      const updated = await tested.store.update(job.id, { logArchive });

      // Assess
      assert.deepEqual(updated.logArchive, logArchive);
      assert.equal(updated.status, 'SUCCEEDED');
      assert.deepEqual((await tested.store.get(job.id))?.logArchive, logArchive);
    });

    it('throws JobNotFoundError for a job that does not exist and creates nothing', async () => {
      // Prepare
      const missingId = newJobId();

      // Act and assess
      await assert.rejects(tested.store.update(missingId, { logTail: ['x'] }), JobNotFoundError);
      assert.equal(await tested.store.get(missingId), undefined);
    });
  });
}
