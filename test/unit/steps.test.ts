import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '#lib/domain/logger.ts';
import type { LogReader, RunTaskRequest, TaskRunner, TaskSnapshot } from '#lib/domain/ports.ts';
import { workflowSteps } from '#lib/workflow/steps.ts';
import type { WorkflowState } from '#lib/workflow/workflow-state.ts';
import { aJob } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';
import { TaskNotFoundError } from '#lib/domain/errors.ts';
import { NO_NOTIFICATIONS } from '#lib/notify/notifiers.ts';

const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/jobs/0123456789abcdef';

const NO_LOGS: LogReader = {
  read: async () => ({ lines: [], nextCursor: '', atEnd: true, truncated: false }),
  readBackward: async () => ({ lines: [], previousCursor: null, truncated: false }),
  tail: async () => [],
};

let testStore: TestStore;
before(async () => {
  testStore = await createTestStore();
});
after(async () => {
  await testStore.close();
});

/** The real steps on the test store, with the task runner (and log reader) a test is about. */
function stepsWith(taskRunner: TaskRunner, logReader: LogReader = NO_LOGS) {
  return workflowSteps({ store: testStore.store, taskRunner, logReader, profiles: new Map(), notifier: NO_NOTIFICATIONS, logger: silentLogger, workflow: { wake: async () => undefined } });
}

function stoppedRunner(snapshot: Partial<TaskSnapshot>): TaskRunner {
  return {
    runTask: async () => ({ started: true, taskArn: TASK_ARN }),
    describeTask: async () => ({ taskArn: TASK_ARN, lastStatus: 'STOPPED', startedAt: '2026-01-01T00:00:00.000Z', ...snapshot }),
    stopTask: async () => undefined,
  };
}

/** A runner during whose RunTask `meanwhile` happens to the job; it records the tasks it is asked to stop. */
function runnerThatMeanwhile(meanwhile: () => Promise<unknown>): { runner: TaskRunner; stops: string[] } {
  const stops: string[] = [];
  const runner: TaskRunner = {
    ...stoppedRunner({}),
    runTask: async () => {
      await meanwhile();
      return { started: true, taskArn: TASK_ARN };
    },
    stopTask: async (taskArn) => {
      stops.push(taskArn);
    },
  };
  return { runner, stops };
}

describe('startTask', () => {
  it('records the process the runner reports with the task, and records none where it reports none', async () => {
    // Prepare
    const process = { pid: 31337, processGroup: 31337, startTime: '4711' };
    const local = aJob({ status: 'QUEUED' });
    const remote = aJob({ status: 'QUEUED' });
    for (const job of [local, remote]) await testStore.store.create(job);
    const localRunner: TaskRunner = { ...stoppedRunner({}), runTask: async () => ({ started: true, taskArn: TASK_ARN, process }) };

    // Act
    await stepsWith(localRunner).StartTask({ jobId: local.id });
    await stepsWith(stoppedRunner({})).StartTask({ jobId: remote.id });

    // Assess
    const [storedLocal, storedRemote] = await Promise.all([testStore.store.get(local.id), testStore.store.get(remote.id)]);
    assert.equal(storedLocal?.status, 'PROVISIONING');
    assert.deepEqual(storedLocal?.process, process);
    assert.equal(storedLocal?.taskArn, TASK_ARN);
    assert.equal(storedRemote?.taskArn, TASK_ARN);
    assert.equal(storedRemote?.process, undefined);
  });

  it("leaves running a task whose RUNNING event was recorded before RunTask's answer, recording its ARN", async () => {
    // Prepare: the task's first event beat StartTask's write (task-events.ts).
    const job = aJob({ status: 'QUEUED' });
    await testStore.store.create(job);
    const { runner, stops } = runnerThatMeanwhile(() => testStore.store.transition(job.id, 'RUNNING', { startedAt: '2026-01-01T00:00:01.000Z' }));

    // Act
    await stepsWith(runner).StartTask({ jobId: job.id });

    // Assess
    assert.deepEqual(stops, []);
    const stored = await testStore.store.get(job.id);
    assert.equal(stored?.status, 'RUNNING');
    assert.equal(stored?.taskArn, TASK_ARN);
  });

  it('stops a task whose job was cancelled while it was being started', async () => {
    // Prepare
    const job = aJob({ status: 'QUEUED' });
    await testStore.store.create(job);
    const { runner, stops } = runnerThatMeanwhile(() => testStore.store.transition(job.id, 'CANCELLED', { failure: { category: 'CANCELLED', message: 'cancelled by alice' } }));

    // Act
    await stepsWith(runner).StartTask({ jobId: job.id });

    // Assess
    assert.deepEqual(stops, [TASK_ARN]);
  });
});

describe('finalizeJob', () => {
  it('keeps the verdict of the task when its log tail cannot be read', async () => {
    // Prepare
    const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN, startedAt: '2026-01-01T00:00:00.000Z' });
    await testStore.store.create(job);
    const unreadableLogs: LogReader = {
      ...NO_LOGS,
      tail: async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
    };
    const steps = stepsWith(stoppedRunner({ stopCode: 'EssentialContainerExited', exitCode: 0 }), unreadableLogs);
    const state = { jobId: job.id, taskArn: TASK_ARN, stopRequest: null } as WorkflowState;

    // Act
    const result = await steps.FinalizeJob(state);

    // Assess
    assert.deepEqual(result, { jobId: job.id, status: 'SUCCEEDED', exitCode: 0 });
    const stored = await testStore.store.get(job.id);
    assert.equal(stored?.status, 'SUCCEEDED');
    assert.deepEqual(stored?.logTail, []);
    assert.ok(stored?.stoppedAt);
  });

  /** A runner that no longer knows the task (ECS forgets stopped tasks after about an hour); it records stop requests. */
  function forgettingRunner(): { runner: TaskRunner; stops: string[] } {
    const stops: string[] = [];
    const runner: TaskRunner = {
      ...stoppedRunner({}),
      describeTask: async (taskArn) => {
        throw new TaskNotFoundError(taskArn);
      },
      stopTask: async (taskArn) => {
        stops.push(taskArn);
      },
    };
    return { runner, stops };
  }
  const TAIL: LogReader = { ...NO_LOGS, tail: async () => ['migrating', 'failed at step 3'] };

  it('ends a job whose task has gone from what its STOPPED event recorded', async () => {
    // Prepare
    const job = aJob({
      status: 'RUNNING',
      taskArn: TASK_ARN,
      startedAt: '2026-01-01T00:00:00.000Z',
      taskState: { lastStatus: 'STOPPED', version: 5, exitCode: 3, stopCode: 'EssentialContainerExited', stoppedAt: '2026-01-01T00:10:00.000Z' },
    });
    await testStore.store.create(job);
    const { runner, stops } = forgettingRunner();

    // Act
    const result = await stepsWith(runner, TAIL).FinalizeJob({ jobId: job.id, taskArn: TASK_ARN, stopRequest: null } as WorkflowState);

    // Assess
    assert.deepEqual(result, { jobId: job.id, status: 'FAILED', exitCode: 3 });
    const stored = await testStore.store.get(job.id);
    assert.equal(stored?.failure?.category, 'USER_EXIT');
    assert.equal(stored?.stoppedAt, '2026-01-01T00:10:00.000Z');
    assert.deepEqual(stored?.logTail, ['migrating', 'failed at step 3']);
    assert.deepEqual(stops, []);
  });

  it('ends a job whose task has gone with no event recorded as FAILED OUTCOME_UNKNOWN, keeping its log tail, stopping nothing', async () => {
    // Prepare
    const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN, startedAt: '2026-01-01T00:00:00.000Z' });
    await testStore.store.create(job);
    const { runner, stops } = forgettingRunner();

    // Act
    const result = await stepsWith(runner, TAIL).FinalizeJob({ jobId: job.id, taskArn: TASK_ARN, stopRequest: null } as WorkflowState);

    // Assess
    assert.deepEqual(result, { jobId: job.id, status: 'FAILED', exitCode: null });
    const stored = await testStore.store.get(job.id);
    assert.equal(stored?.failure?.category, 'OUTCOME_UNKNOWN');
    assert.notEqual(stored?.failure?.category, 'INTERNAL');
    assert.deepEqual(stored?.logTail, ['migrating', 'failed at step 3']);
    assert.ok(stored?.stoppedAt);
    assert.deepEqual(stops, []);
  });
});

describe('pollTask', () => {
  async function resolveRequests(job: Parameters<typeof aJob>[0], networkReady: boolean): Promise<Array<boolean | undefined>> {
    const stored = aJob({ taskArn: TASK_ARN, ...job });
    await testStore.store.create(stored);
    const requests: Array<boolean | undefined> = [];
    const runner: TaskRunner = {
      runTask: async () => ({ started: true, taskArn: TASK_ARN }),
      describeTask: async (_taskArn, options) => {
        requests.push(options?.resolveNetwork);
        return { taskArn: TASK_ARN, lastStatus: 'RUNNING', startedAt: '2026-01-01T00:00:00.000Z' };
      },
      stopTask: async () => undefined,
    };
    const steps = stepsWith(runner);
    await steps.PollTask({ jobId: stored.id, taskArn: TASK_ARN, networkReady, stopRequest: null, deadline: null, provisioningDeadline: null, timeoutSeconds: 60 } as WorkflowState);
    return requests;
  }

  it('looks up the network while it is not ready, and while a wanted public IP is unknown', async () => {
    assert.deepEqual(await resolveRequests({ status: 'PROVISIONING' }, false), [true]);
    assert.deepEqual(
      await resolveRequests({ status: 'RUNNING', publicIp: true, network: { eniId: 'eni-1', privateIp: '10.0.0.5', publicIp: null } }, true),
      [true],
    );
  });

  it('stops looking it up once known, or when the job wants no public IP', async () => {
    assert.deepEqual(
      await resolveRequests({ status: 'RUNNING', publicIp: true, network: { eniId: 'eni-1', privateIp: '10.0.0.5', publicIp: '203.0.113.7' } }, true),
      [false],
    );
    assert.deepEqual(await resolveRequests({ status: 'RUNNING', publicIp: false, network: { eniId: 'eni-1', privateIp: '10.0.0.5' } }, true), [false]);
  });
});

describe('startTask', () => {
  it('gives the task the secret values of variables the record holds as ***, and nothing else from the input but its attempt', async () => {
    // Prepare
    const job = aJob({ env: { DEPLOY_TOKEN: '***', LOG_LEVEL: 'debug' } });
    await testStore.store.create(job);
    const started: Array<Record<string, string>> = [];
    const runner: TaskRunner = {
      runTask: async (request) => {
        started.push(request.env);
        return { started: true, taskArn: TASK_ARN };
      },
      describeTask: async () => ({ taskArn: TASK_ARN, lastStatus: 'PROVISIONING' }),
      stopTask: async () => undefined,
    };
    const steps = stepsWith(runner);

    // Act
    await steps.StartTask({ jobId: job.id, secretEnv: { DEPLOY_TOKEN: 's3cr3t', LOG_LEVEL: 'trace', INJECTED: 'x' } });

    // Assess
    assert.deepEqual(started, [{ DEPLOY_TOKEN: 's3cr3t', LOG_LEVEL: 'debug', FARGATE_JOBS_ATTEMPT: '1' }]);
    assert.deepEqual((await testStore.store.get(job.id))?.env, { DEPLOY_TOKEN: '***', LOG_LEVEL: 'debug' });
  });

  it("hands the runner the job's labels, which the ECS runner makes the task's tags", async () => {
    // Prepare
    const job = aJob({ labels: { team: 'platform', 'cost-center': '42' } });
    await testStore.store.create(job);
    const labels: unknown[] = [];
    const runner: TaskRunner = {
      runTask: async (request) => {
        labels.push(request.labels);
        return { started: true, taskArn: TASK_ARN };
      },
      describeTask: async () => ({ taskArn: TASK_ARN, lastStatus: 'PROVISIONING' }),
      stopTask: async () => undefined,
    };

    // Act
    await stepsWith(runner).StartTask({ jobId: job.id });

    // Assess
    assert.deepEqual(labels, [{ team: 'platform', 'cost-center': '42' }]);
  });
});

describe('retries', () => {
  it('finalizeJob run again after it recorded a retry records nothing twice and starts the next attempt again', async () => {
    // Prepare
    const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN, startedAt: '2026-01-01T00:00:00.000Z', retry: { attempts: 3 } });
    await testStore.store.create(job);
    const steps = stepsWith(stoppedRunner({ stopCode: 'EssentialContainerExited', exitCode: 1 }));
    const state = { jobId: job.id, attempt: 1, taskArn: TASK_ARN, stopRequest: null } as WorkflowState;

    // Act
    await assert.rejects(steps.FinalizeJob(state), { name: 'RetryAttempt', message: /attempt 2 follows/ });
    await assert.rejects(steps.FinalizeJob(state), { name: 'RetryAttempt', message: /attempt 2 follows/ });

    // Assess
    const stored = await testStore.store.get(job.id);
    assert.deepEqual(stored?.attempts?.map((attempt) => [attempt.number, attempt.taskArn, attempt.exitCode]), [[1, TASK_ARN, 1]]);
    assert.equal(stored?.status, 'RUNNING', 'still running between attempts');
    assert.equal(stored?.taskArn, undefined);
    assert.equal(stored?.stoppedAt, undefined, 'not finalized');
  });

  it('startTask starts the attempt after those recorded: its number goes to RunTask and into its environment', async () => {
    // Prepare
    const job = aJob({ status: 'RUNNING', retry: { attempts: 3 }, attempts: [{ number: 1, exitCode: 1 }, { number: 2, exitCode: 1 }] });
    await testStore.store.create(job);
    const requests: RunTaskRequest[] = [];
    const runner: TaskRunner = {
      ...stoppedRunner({}),
      runTask: async (request) => {
        requests.push(request);
        return { started: true, taskArn: TASK_ARN };
      },
    };

    // Act
    const state = await stepsWith(runner).StartTask({ jobId: job.id });

    // Assess
    assert.deepEqual(requests.map((request) => [request.attempt, request.env['FARGATE_JOBS_ATTEMPT']]), [[3, '3']]);
    assert.equal(state.attempt, 3);
    const stored = await testStore.store.get(job.id);
    assert.equal(stored?.status, 'RUNNING');
    assert.equal(stored?.taskArn, TASK_ARN);
  });
});
