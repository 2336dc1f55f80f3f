/**
 * The job id is the correlation key of the logs: every line a workflow step or a job route writes,
 * the adapters' lines included, carries `jobId`, even with many jobs' steps running at once through
 * one logger (as in local mode). The logger is the product's own (Powertools JSON on stdout/stderr).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ECSClient, InvalidParameterException, StopTaskCommand } from '@aws-sdk/client-ecs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { EcsTaskRunner } from '#lib/adapters/aws/ecs-task-runner.ts';
import type { TaskRunner } from '#lib/domain/ports.ts';
import { cancelJobHandler } from '#lib/http/cancel-job.ts';
import { createLogger } from '#lib/logger.ts';
import { stopTaskStep } from '#lib/workflow/stop-task.ts';
import type { WorkflowState } from '#lib/workflow/workflow-state.ts';
import { aJob } from '../helpers/jobs.ts';
import { captureLogs } from '../helpers/logs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

const taskArnOf = (jobId: string) => `arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs/${jobId.replace(/\W/g, '')}`;
const ecs = mockClient(ECSClient);
const logger = createLogger({ level: 'INFO' });

/** ECS's answer for a task it no longer knows: the runner logs it and carries on. */
function ecsForgetsEveryTask(): void {
  ecs.on(StopTaskCommand).rejects(new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message: 'The referenced task was not found.' }));
}

function aRunner(): EcsTaskRunner {
  return new EcsTaskRunner({ client: new ECSClient({ region: 'eu-west-1' }), settings: new Map(), logger });
}

function pastItsDeadline(jobId: string): WorkflowState {
  return { jobId, taskArn: taskArnOf(jobId), stopRequest: 'TIMEOUT', timeoutSeconds: 60 } as WorkflowState;
}

let testStore: TestStore;
before(async () => {
  testStore = await createTestStore();
});
after(async () => {
  await testStore.close();
});
beforeEach(() => ecs.reset());

describe('the job id in the logs', () => {
  it("is on every line a step writes, the ECS adapter's included", async () => {
    // Prepare
    ecsForgetsEveryTask();
    const job = aJob();
    const stopTask = stopTaskStep({ taskRunner: aRunner(), logger });

    // Act
    const { logs } = await captureLogs(() => stopTask(pastItsDeadline(job.id)));

    // Assess
    assert.deepEqual(
      logs.map((line) => [line.message, line.jobId]),
      [
        ['task to stop is already gone', job.id],
        ['stopped task past its deadline', job.id],
      ],
    );
    assert.equal(logs[0]?.reason, 'The referenced task was not found.', "ECS's own words are kept");
  });

  it("stays each job's own when several jobs' steps log at once through one logger", async () => {
    // Prepare: each stop logs only after the other jobs' steps have begun.
    const jobs = [aJob(), aJob(), aJob()];
    const slowRunner: TaskRunner = {
      runTask: async () => assert.fail('not started here'),
      describeTask: async () => assert.fail('not described here'),
      stopTask: async (taskArn) => {
        await delay(jobs.length * 5 - jobs.findIndex((job) => taskArnOf(job.id) === taskArn) * 5);
        logger.info('asking the task to stop', { taskArn });
      },
    };
    const stopTask = stopTaskStep({ taskRunner: slowRunner, logger });

    // Act
    const { logs } = await captureLogs(() => Promise.all(jobs.map((job) => stopTask(pastItsDeadline(job.id)))));

    // Assess
    const stopping = logs.filter((line) => line.message === 'asking the task to stop');
    assert.equal(stopping.length, jobs.length);
    for (const line of stopping) assert.equal(taskArnOf(String(line.jobId)), line.taskArn, JSON.stringify(line));
    assert.deepEqual(
      stopping.map((line) => line.jobId),
      jobs.map((job) => job.id).toReversed(),
      'the lines were written in the other order than the steps began',
    );
  });

  it('is on every line a job route writes, down to the adapter it calls', async () => {
    // Prepare
    ecsForgetsEveryTask();
    const job = aJob({ status: 'RUNNING', taskArn: taskArnOf('running') });
    await testStore.store.create(job);
    const cancel = cancelJobHandler({ store: testStore.store, taskRunner: aRunner(), logger });
    const event = {
      version: '2.0',
      routeKey: 'DELETE /jobs/{id}',
      rawPath: `/jobs/${job.id}`,
      headers: {},
      pathParameters: { id: job.id },
      requestContext: { requestId: 'request-1', authorizer: { lambda: { caller: 'alice', profiles: '*' } } },
    } as unknown as APIGatewayProxyEventV2;

    // Act
    const { result, logs } = await captureLogs(() => cancel(event, {} as Context));

    // Assess
    assert.equal(result.statusCode, 200, result.body);
    assert.deepEqual(
      logs.map((line) => [line.message, line.jobId]),
      [['task to stop is already gone', job.id]],
    );
  });
});
