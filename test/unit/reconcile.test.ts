import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Job } from '#lib/domain/job.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { TaskRunner, TaskSnapshot } from '#lib/domain/ports.ts';
import { NO_NOTIFICATIONS } from '#lib/notify/notifiers.ts';
import { reconcileUnfinishedJobs } from '#lib/workflow/reconcile.ts';
import type { WorkflowState } from '#lib/workflow/workflow-state.ts';
import { aJob } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

let testStore: TestStore;
before(async () => {
  testStore = await createTestStore();
});
after(async () => {
  await testStore.close();
});

const arn = (name: string) => `arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs-test/${name.padEnd(32, '0')}`;

/** The state an execution waits in while its job runs (deadline set: RUNNING is no news). */
function runningState(job: Job): WorkflowState {
  return {
    jobId: job.id,
    started: true,
    taskArn: job.taskArn ?? null,
    taskStatus: 'RUNNING',
    timeoutSeconds: 3600,
    provisioningDeadline: null,
    deadline: '2099-01-01T00:00:00.000Z',
    networkReady: true,
    stopNeeded: false,
    stopRequest: null,
    waitSeconds: 3600,
    lookNeeded: false,
  };
}

async function waitingJob(name: string, overrides: Partial<Job> = {}): Promise<Job> {
  const job = aJob({ status: 'RUNNING', taskArn: arn(name), startedAt: '2026-12-01T10:00:00.000Z', waitToken: `token-${name}`, ...overrides });
  await testStore.store.create({ ...job, waitState: { ...runningState(job) } });
  return job;
}

describe('reconcileUnfinishedJobs', () => {
  it('repairs what lost events left behind: records a stop it missed and wakes the execution; wakes one whose task has gone; leaves a running one alone', async () => {
    // Prepare
    const stopped = await waitingJob('a1');
    const gone = await waitingJob('b2');
    const running = await waitingJob('c3');
    const finished = await waitingJob('d4', { status: 'SUCCEEDED', stoppedAt: '2026-12-01T10:05:00.000Z' });
    const described: string[][] = [];
    const runner = {
      describeTasks: async (taskArns: readonly string[]): Promise<TaskSnapshot[]> => {
        described.push([...taskArns]);
        return [
          { taskArn: arn('a1'), lastStatus: 'STOPPED', version: 7, exitCode: 0, stopCode: 'EssentialContainerExited', startedAt: '2026-12-01T10:00:00.000Z', stoppedAt: '2026-12-01T10:30:00.000Z' },
          { taskArn: arn('c3'), lastStatus: 'RUNNING', version: 3, exitCode: null, startedAt: '2026-12-01T10:00:00.000Z' },
        ];
      },
    } as unknown as TaskRunner;
    const wakes: Array<{ taskToken: string; output: WorkflowState }> = [];
    const workflow = { wake: async (taskToken: string, output: unknown) => void wakes.push({ taskToken, output: output as WorkflowState }) };

    // Act
    const report = await reconcileUnfinishedJobs({ store: testStore.store, taskRunner: runner, profiles: new Map(), notifier: NO_NOTIFICATIONS, logger: silentLogger, workflow });

    // Assess
    const mine = (ids: string[]) => described.flat().filter((taskArn) => ids.includes(taskArn));
    assert.deepEqual(mine([stopped, gone, running].map((job) => job.taskArn ?? '')).toSorted(), [arn('a1'), arn('b2'), arn('c3')].toSorted());
    assert.ok(!described.flat().includes(finished.taskArn ?? ''), 'a finished job is not in the index of active jobs');
    const woken = Object.fromEntries(wakes.map((wake) => [wake.taskToken, wake.output.taskStatus]));
    assert.equal(woken['token-a1'], 'STOPPED');
    assert.equal(woken['token-b2'], 'STOPPED');
    assert.equal(woken['token-c3'], undefined, 'nothing new about a running task');
    assert.equal(woken['token-d4'], undefined);
    assert.equal((await testStore.store.get(stopped.id))?.taskState?.lastStatus, 'STOPPED', 'the missed stop is recorded as its event would have');
    assert.ok(report.woken >= 2 && report.gone >= 1);
  });

  it('finishes a job cancelled while running whose STOPPED event was lost: records the stop and wakes its execution', async () => {
    // Prepare: cancel recorded CANCELLED and asked ECS to stop the task; the STOPPED event never came.
    const cancelled = await waitingJob('e5');
    await testStore.store.transition(cancelled.id, 'CANCELLED', { failure: { category: 'CANCELLED', message: 'cancelled by alice' } });
    const runner = {
      describeTasks: async (taskArns: readonly string[]): Promise<TaskSnapshot[]> =>
        taskArns.includes(arn('e5'))
          ? [{ taskArn: arn('e5'), lastStatus: 'STOPPED', version: 6, exitCode: 143, stopCode: 'UserInitiated', stoppedReason: 'cancelled by alice', startedAt: '2026-12-01T10:00:00.000Z', stoppedAt: '2026-12-01T10:10:00.000Z' }]
          : [],
    } as unknown as TaskRunner;
    const wakes: Array<{ taskToken: string; output: WorkflowState }> = [];
    const workflow = { wake: async (taskToken: string, output: unknown) => void wakes.push({ taskToken, output: output as WorkflowState }) };

    // Act
    await reconcileUnfinishedJobs({ store: testStore.store, taskRunner: runner, profiles: new Map(), notifier: NO_NOTIFICATIONS, logger: silentLogger, workflow });

    // Assess
    const recorded = await testStore.store.get(cancelled.id);
    assert.equal(recorded?.status, 'CANCELLED');
    assert.equal(recorded?.taskState?.lastStatus, 'STOPPED');
    const woken = wakes.find((wake) => wake.taskToken === 'token-e5');
    assert.equal(woken?.output.taskStatus, 'STOPPED', 'its execution goes on to FinalizeJob, which records stoppedAt');
  });
});
