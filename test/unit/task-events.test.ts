import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Job } from '#lib/domain/job.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { Notifier } from '#lib/domain/ports.ts';
import { applyTaskStateChange, type TaskStateChange } from '#lib/domain/task-events.ts';
import { NO_NOTIFICATIONS } from '#lib/notify/notifiers.ts';
import { aJob, SSH_PROFILE } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs-test/0123456789abcdef0123456789abcdef';

let testStore: TestStore;
before(async () => {
  testStore = await createTestStore();
});
after(async () => {
  await testStore.close();
});

function portsWith(notifier: Notifier = NO_NOTIFICATIONS) {
  return { store: testStore.store, profiles: new Map([[SSH_PROFILE.name, SSH_PROFILE]]), notifier, logger: silentLogger };
}

async function provisioningJob(overrides: Partial<Job> = {}): Promise<Job> {
  const job = aJob({ status: 'PROVISIONING', taskArn: TASK_ARN, ...overrides });
  await testStore.store.create(job);
  return job;
}

const change = (job: Job, overrides: Partial<TaskStateChange>): TaskStateChange => ({ jobId: job.id, taskArn: TASK_ARN, lastStatus: 'PENDING', version: 1, exitCode: null, ...overrides });

describe('applyTaskStateChange', () => {
  it('records RUNNING at once, with the start time and network the event gives, and tells those following the job', async () => {
    // Prepare
    const job = await provisioningJob({ profile: 'ssh', publicIp: true });
    const told: string[] = [];
    const notifier: Notifier = { notify: async (_job, event) => (told.push(event), { attempts: [], retry: false }) };

    // Act
    const outcome = await applyTaskStateChange(
      portsWith(notifier),
      change(job, { lastStatus: 'RUNNING', version: 3, startedAt: '2026-12-01T10:00:05.000Z', network: { eniId: 'eni-1', privateIp: '10.0.0.7', publicIp: '203.0.113.9' } }),
    );

    // Assess
    const recorded = await testStore.store.get(job.id);
    assert.equal(outcome.outcome, 'applied');
    assert.equal(recorded?.status, 'RUNNING');
    assert.equal(recorded?.startedAt, '2026-12-01T10:00:05.000Z');
    assert.deepEqual(recorded?.network, { eniId: 'eni-1', privateIp: '10.0.0.7', publicIp: '203.0.113.9' });
    assert.equal(recorded?.connect?.ssh, 'ssh -p 2222 jobs@203.0.113.9');
    assert.deepEqual(told, ['job.running']);
  });

  it('records the stop (exit code, stop code, reason) as the task state, leaving the verdict to the workflow', async () => {
    // Prepare
    const job = await provisioningJob({ status: 'RUNNING' });

    // Act
    await applyTaskStateChange(
      portsWith(),
      change(job, { lastStatus: 'STOPPED', version: 7, exitCode: 3, stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', stoppedAt: '2026-12-01T10:01:00.000Z' }),
    );

    // Assess
    const recorded = await testStore.store.get(job.id);
    assert.equal(recorded?.status, 'RUNNING');
    assert.deepEqual(recorded?.taskState, {
      lastStatus: 'STOPPED',
      version: 7,
      stoppedAt: '2026-12-01T10:01:00.000Z',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      exitCode: 3,
    });
  });

  it('changes nothing for an event seen before, or older than the one recorded', async () => {
    // Prepare
    const job = await provisioningJob();
    const stopped = change(job, { lastStatus: 'STOPPED', version: 5, exitCode: 0, stoppedAt: '2026-12-01T10:02:00.000Z' });
    await applyTaskStateChange(portsWith(), stopped);
    const before = await testStore.store.get(job.id);

    // Act
    const again = await applyTaskStateChange(portsWith(), stopped);
    const late = await applyTaskStateChange(portsWith(), change(job, { lastStatus: 'RUNNING', version: 4, startedAt: '2026-12-01T10:00:00.000Z' }));

    // Assess
    assert.equal(again.outcome, 'stale');
    assert.equal(late.outcome, 'stale');
    assert.deepEqual(await testStore.store.get(job.id), before);
  });

  it('of two events racing, the older never overwrites the newer', async () => {
    // Prepare
    const job = await provisioningJob();

    // Act
    await Promise.all([
      applyTaskStateChange(portsWith(), change(job, { lastStatus: 'STOPPED', version: 9, exitCode: 0 })),
      applyTaskStateChange(portsWith(), change(job, { lastStatus: 'DEACTIVATING', version: 8 })),
    ]);

    // Assess
    assert.equal((await testStore.store.get(job.id))?.taskState?.version, 9);
  });

  it('never moves a job backwards: a cancelled job stays cancelled when its task reports RUNNING', async () => {
    // Prepare
    const job = await provisioningJob({ status: 'CANCELLED', failure: { category: 'CANCELLED', message: 'cancelled by alice' } });

    // Act
    await applyTaskStateChange(portsWith(), change(job, { lastStatus: 'RUNNING', version: 2, startedAt: '2026-12-01T10:00:00.000Z' }));

    // Assess
    const recorded = await testStore.store.get(job.id);
    assert.equal(recorded?.status, 'CANCELLED');
    assert.equal(recorded?.taskState?.lastStatus, 'RUNNING');
  });

  it('ignores an event about another task than the job recorded, and about no job at all', async () => {
    // Prepare
    const job = await provisioningJob();

    // Act
    const other = await applyTaskStateChange(portsWith(), { ...change(job, { lastStatus: 'RUNNING', version: 2 }), taskArn: `${TASK_ARN}ff` });
    const none = await applyTaskStateChange(portsWith(), { ...change(job, { lastStatus: 'RUNNING', version: 2 }), jobId: 'job-00000000000000000000000000' });

    // Assess
    assert.equal(other.outcome, 'unknown-job');
    assert.equal(none.outcome, 'unknown-job');
    assert.equal((await testStore.store.get(job.id))?.status, 'PROVISIONING');
  });
});
