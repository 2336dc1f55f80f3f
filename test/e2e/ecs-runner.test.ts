/**
 * Local mode on ECS (`FARGATE_JOBS_RUNNER=ecs npm start`) end to end: the local server's API, store
 * and in-process workflow, with jobs run as Fargate tasks through the real ECS, EC2 and CloudWatch
 * Logs adapters and SDK clients. They reach a fake of those services (test/helpers/fake-aws.ts) over
 * HTTP, through the standard AWS_ENDPOINT_URL_* variables, as they would reach AWS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LOG_STREAM_PREFIX } from '#config/profiles.ts';
import type { JobLogTail } from '#lib/domain/job-log-tail.ts';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { startFakeAws, type FakeAws, type FakeTaskPlan, type RunTaskInput } from '../helpers/fake-aws.ts';
import { assertError, startServer, type LocalServerProcess } from '../helpers/local-server.ts';
import type { ExecSession } from '#lib/domain/ports.ts';

const STAGE = {
  ECS_CLUSTER: 'fargate-jobs-e2e',
  TASK_SUBNETS: 'subnet-0a1b2c3d4e5f60718,subnet-0f1e2d3c4b5a69788',
  TASK_SECURITY_GROUPS: 'sg-0123456789abcdef0',
  TASK_LOG_GROUP: '/fargate-jobs/e2e/tasks',
  TASK_DEFINITION_PREFIX: 'fargate-jobs-e2e',
};
const CLUSTER_GONE = 'Cluster not found.';

/** What the fake's "containers" do, by the command they were given. */
function plan(input: RunTaskInput): FakeTaskPlan {
  const command = input.overrides?.containerOverrides?.[0]?.command?.join(' ') ?? '';
  if (command.includes('exit 3')) return { exitCode: 3, logLines: ['migrating', 'lost the database'] };
  if (command.includes('elsewhere')) return { refuse: { type: 'ClusterNotFoundException', message: CLUSTER_GONE } };
  if (command.includes('sleep')) return { runningDescribes: 1_000_000 };
  return { provisioningDescribes: 2, logLines: ['hello from Fargate'] };
}

const isFinished = (job: JobDocument) => job.stoppedAt !== undefined;
/** Polls every 2 s, and the log tail waits for 10 s of quiet after the stop (the awslogs flush). */
const UNTIL_FINISHED = { attempts: 300, intervalMs: 100 };

describe('local mode with FARGATE_JOBS_RUNNER=ecs', () => {
  let fake: FakeAws;
  let server: LocalServerProcess;
  const jobs: Record<'succeeds' | 'exits3' | 'refused', JobDocument> = {} as never;

  before(async () => {
    fake = await startFakeAws({ logGroup: STAGE.TASK_LOG_GROUP, logStreamPrefix: LOG_STREAM_PREFIX, plan });
    server = await startServer({ env: { FARGATE_JOBS_RUNNER: 'ecs', ...STAGE, ...fake.environment() } });
    // The three run at once: each waits out its own log drain.
    const submit = async (body: unknown) => {
      const response = await server.request<JobDocument>('POST', '/jobs', { body });
      assert.equal(response.status, 202, response.text);
      return response.json;
    };
    [jobs.succeeds, jobs.exits3, jobs.refused] = await Promise.all([
      submit({ command: ['sh', '-c', 'echo hello from Fargate'], publicIp: true }),
      submit({ command: ['sh', '-c', 'exit 3'] }),
      submit({ command: ['sh', '-c', 'echo elsewhere'] }),
    ]);
  });

  after(async () => {
    await server?.stop();
    await fake?.close();
  });

  test('says at start that jobs run as Fargate tasks, with the profiles of the stage and their capacity (on-demand by default)', () => {
    assert.match(server.output(), /Jobs:\s+as Fargate tasks in cluster fargate-jobs-e2e \(profiles default, ssh\), capacity on-demand/);
  });

  test('runs a job as a Fargate task of its profile and reports it SUCCEEDED with its exit code, address and log tail', async () => {
    const job = await server.waitForJob(jobs.succeeds.id, isFinished, UNTIL_FINISHED);

    assert.equal(job.status, 'SUCCEEDED');
    assert.equal(job.exitCode, 0);
    assert.deepEqual(job.logTail, ['hello from Fargate']);
    assert.equal(job.network?.publicIp, '203.0.113.10');
    assert.match(job.taskArn ?? '', /^arn:aws:ecs:eu-west-1:123456789012:task\/fargate-jobs-e2e\/[0-9a-f]{32}$/);
    const runTask = fake.calls.find((call) => call.operation === 'RunTask' && call.input.clientToken === job.id)?.input as RunTaskInput | undefined;
    assert.equal(runTask?.cluster, 'fargate-jobs-e2e');
    assert.equal(runTask?.taskDefinition, 'fargate-jobs-e2e-default');
    assert.deepEqual(runTask?.capacityProviderStrategy, [{ capacityProvider: 'FARGATE', weight: 1 }]);
    assert.deepEqual(runTask?.networkConfiguration?.awsvpcConfiguration, {
      subnets: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
      securityGroups: ['sg-0123456789abcdef0'],
      assignPublicIp: 'ENABLED',
    });
    assert.deepEqual(runTask?.overrides?.containerOverrides?.[0]?.command, ['sh', '-c', 'echo hello from Fargate']);
  });

  test('serves the task\'s CloudWatch log lines at GET /jobs/{id}/logs, complete once the job is', async () => {
    await server.waitForJob(jobs.succeeds.id, isFinished, UNTIL_FINISHED);

    const response = await server.request<JobLogs>('GET', `/jobs/${jobs.succeeds.id}/logs`);

    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json.lines.map((line) => line.message), ['hello from Fargate']);
    assert.equal(response.json.complete, true);
  });

  test("serves the tail of the task's CloudWatch log, read from the stream's end, back to its first line", async () => {
    await server.waitForJob(jobs.succeeds.id, isFinished, UNTIL_FINISHED);

    const tail = await server.request<JobLogTail>('GET', `/jobs/${jobs.succeeds.id}/logs?tail=100`);
    const after = await server.request<JobLogs>('GET', `/jobs/${jobs.succeeds.id}/logs?cursor=${tail.json.nextCursor}`);

    assert.equal(tail.status, 200, tail.text);
    assert.deepEqual(tail.json.lines.map((line) => line.message), ['hello from Fargate']);
    assert.equal(tail.json.previousCursor, null);
    assert.equal(tail.json.complete, true);
    assert.equal(after.status, 200, after.text);
    assert.deepEqual(after.json.lines, []);
  });

  test("reports a task whose container exits 3 FAILED USER_EXIT with exit code 3 and the container's last words", async () => {
    const job = await server.waitForJob(jobs.exits3.id, isFinished, UNTIL_FINISHED);

    assert.equal(job.status, 'FAILED');
    assert.equal(job.exitCode, 3);
    assert.equal(job.failure?.category, 'USER_EXIT');
    assert.deepEqual(job.logTail, ['migrating', 'lost the database']);
  });

  test("reports a task ECS refuses to start FAILED START_FAILED with ECS's message and no exit code, never polled", async () => {
    const job = await server.waitForJob(jobs.refused.id, isFinished, UNTIL_FINISHED);

    assert.equal(job.status, 'FAILED');
    assert.equal(job.exitCode, null);
    assert.equal(job.failure?.category, 'START_FAILED');
    assert.match(job.failure?.message ?? '', new RegExp(CLUSTER_GONE));
    assert.equal(job.taskArn, undefined);
  });
});

describe('local mode with FARGATE_JOBS_RUNNER=ecs: ECS Exec into a running job', () => {
  let fake: FakeAws;
  let server: LocalServerProcess;

  before(async () => {
    fake = await startFakeAws({ logGroup: STAGE.TASK_LOG_GROUP, logStreamPrefix: LOG_STREAM_PREFIX, plan });
    server = await startServer({ env: { FARGATE_JOBS_RUNNER: 'ecs', ...STAGE, ...fake.environment() } });
  });

  after(async () => {
    await server?.stop();
    await fake?.close();
  });

  const submit = async (body: unknown) => {
    const response = await server.request<JobDocument>('POST', '/jobs', { body });
    assert.equal(response.status, 202, response.text);
    return response.json;
  };
  const execInto = (jobId: string, body: unknown = {}) => server.request<ExecSession>('POST', `/jobs/${jobId}/exec`, { body });

  test("opens a session into a running job of an exec profile: ExecuteCommand's session, target ecs:<cluster>_<task>_<runtime id>, the region; the job records it", async () => {
    const submitted = await submit({ command: ['sleep', '3600'] });
    const running = await server.waitForJob(submitted.id, (job) => job.status === 'RUNNING', UNTIL_FINISHED);

    const response = await execInto(running.id);

    assert.equal(response.status, 201, response.text);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(Object.keys(response.json).sort(), ['region', 'sessionId', 'streamUrl', 'target', 'tokenValue']);
    const taskId = running.taskArn?.split('/').at(-1) ?? assert.fail('the job has no task');
    assert.match(response.json.target, new RegExp(`^ecs:${STAGE.ECS_CLUSTER}_${taskId}_${taskId}-\\d+$`));
    assert.equal(response.json.region, 'eu-west-1');
    const opened = fake.execSessions.at(-1);
    assert.deepEqual(opened, { taskArn: running.taskArn, container: 'job', command: '/bin/sh', sessionId: response.json.sessionId });
    assert.equal(response.json.streamUrl, `wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/${response.json.sessionId}?role=publish_subscribe`);
    const runTask = fake.calls.find((call) => call.operation === 'RunTask' && call.input.clientToken === running.id)?.input as RunTaskInput | undefined;
    assert.equal(runTask?.enableExecuteCommand, true);

    const { json: job } = await server.request<JobDocument>('GET', `/jobs/${running.id}`);
    assert.deepEqual(job.exec, { ready: true });
    assert.equal(job.execs?.length, 1);
    const [exec] = job.execs ?? [];
    assert.deepEqual(exec?.command, ['/bin/sh']);
    assert.equal(typeof exec?.by, 'string');
    assert.ok(Math.abs(Date.parse(exec?.at ?? '') - Date.now()) < 60_000, `at: ${exec?.at}`);
  });

  test('runs an exec of a given argv as one command line the agent splits back into it', async () => {
    const submitted = await submit({ command: ['sleep', '3600'] });
    await server.waitForJob(submitted.id, (job) => job.status === 'RUNNING', UNTIL_FINISHED);

    const response = await execInto(submitted.id, { command: ['sh', '-c', 'ps aux | grep "[s]leep"'] });

    assert.equal(response.status, 201, response.text);
    assert.equal(fake.execSessions.at(-1)?.command, `sh -c 'ps aux | grep "[s]leep"'`);
  });

  test('answers 409 JOB_NOT_RUNNING with Retry-After for a job yet to start, and without once it has finished', async () => {
    const submitted = await submit({ command: ['sh', '-c', 'echo done'] });
    const early = await execInto(submitted.id);
    const finished = await server.waitForJob(submitted.id, isFinished, UNTIL_FINISHED);

    const late = await execInto(finished.id);

    assertError(early, 409, 'JOB_NOT_RUNNING');
    assert.match(early.headers.get('retry-after') ?? '', /^\d+$/);
    assertError(late, 409, 'JOB_NOT_RUNNING');
    assert.equal(late.headers.get('retry-after'), null);
    assert.equal(finished.exec?.ready, false);
    assert.equal(finished.execs, undefined, 'a refused exec is not recorded');
  });

  test('answers 403 EXEC_NOT_ALLOWED for a job of a profile without exec (ssh), whose task starts without the exec agent', async () => {
    const submitted = await submit({ profile: 'ssh', command: ['sleep', '600'] });

    const response = await execInto(submitted.id);

    assertError(response, 403, 'EXEC_NOT_ALLOWED');
    assert.equal(submitted.exec, undefined);
    const running = await server.waitForJob(submitted.id, (job) => job.taskArn !== undefined, UNTIL_FINISHED);
    const runTask = fake.calls.find((call) => call.operation === 'RunTask' && call.input.clientToken === running.id)?.input as RunTaskInput | undefined;
    assert.equal(runTask?.enableExecuteCommand, undefined);
  });
});

describe('local mode with FARGATE_JOBS_RUNNER=ecs after a crash', () => {
  test('stops the Fargate task of a job the crashed server was watching, and marks the job FAILED', async () => {
    const fake = await startFakeAws({ logGroup: STAGE.TASK_LOG_GROUP, logStreamPrefix: LOG_STREAM_PREFIX, plan });
    const env = { FARGATE_JOBS_RUNNER: 'ecs', ...STAGE, ...fake.environment() };
    const dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-e2e-ecs-'));
    const first = await startServer({ env, dataDir });
    let second: LocalServerProcess | undefined;
    try {
      const { json: submitted } = await first.request<JobDocument>('POST', '/jobs', { body: { command: ['sleep', '3600'] } });
      const running = await first.waitForJob(submitted.id, (job) => job.status === 'RUNNING', UNTIL_FINISHED);
      await first.kill();

      second = await startServer({ env, dataDir });
      const { json: recovered } = await second.request<JobDocument>('GET', `/jobs/${submitted.id}`);

      assert.equal(recovered.status, 'FAILED');
      assert.equal(recovered.failure?.category, 'INTERNAL');
      assert.match(recovered.failure?.message ?? '', /its task was stopped/);
      const stops = fake.calls.filter((call) => call.operation === 'StopTask');
      assert.deepEqual(stops.map((call) => call.input.task), [running.taskArn]);
    } finally {
      await second?.stop();
      await first.stop();
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('local mode with FARGATE_JOBS_RUNNER=ecs and TASK_CAPACITY=spot-first', () => {
  test('says so at start, and starts a job on FARGATE_SPOT', async () => {
    const fake = await startFakeAws({ logGroup: STAGE.TASK_LOG_GROUP, logStreamPrefix: LOG_STREAM_PREFIX, plan });
    const server = await startServer({ env: { FARGATE_JOBS_RUNNER: 'ecs', ...STAGE, TASK_CAPACITY: 'spot-first', ...fake.environment() } });
    try {
      const { json: submitted } = await server.request<JobDocument>('POST', '/jobs', { body: { command: ['sh', '-c', 'echo hello from Fargate'] } });
      const job = await server.waitForJob(submitted.id, isFinished, UNTIL_FINISHED);

      assert.match(server.output(), /Jobs:\s+as Fargate tasks in cluster fargate-jobs-e2e \(profiles default, ssh\), capacity spot-first/);
      assert.equal(job.status, 'SUCCEEDED');
      const runTasks = fake.calls.filter((call) => call.operation === 'RunTask').map((call) => call.input as RunTaskInput);
      assert.deepEqual(runTasks.map((input) => input.capacityProviderStrategy), [[{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]]);
    } finally {
      await server.stop();
      await fake.close();
    }
  });
});

describe('local mode with FARGATE_JOBS_RUNNER=ecs and a stage setting missing', () => {
  test('does not start, and names the variable to set', async () => {
    await assert.rejects(
      startServer({ env: { FARGATE_JOBS_RUNNER: 'ecs', ...STAGE, ECS_CLUSTER: '', AWS_REGION: 'eu-west-1' } }),
      /exited \(1\)[\s\S]*environment variable ECS_CLUSTER is not set/,
    );
  });

  test('does not start with a TASK_CAPACITY it does not know, and names the three it takes', async () => {
    await assert.rejects(
      startServer({ env: { FARGATE_JOBS_RUNNER: 'ecs', ...STAGE, TASK_CAPACITY: 'cheap', AWS_REGION: 'eu-west-1' } }),
      /exited \(1\)[\s\S]*environment variable TASK_CAPACITY must be one of on-demand, spot, spot-first; got 'cheap'/,
    );
  });

  test('refuses a runner it does not know, naming the ones it has', async () => {
    await assert.rejects(startServer({ env: { FARGATE_JOBS_RUNNER: 'lambda' } }), /FARGATE_JOBS_RUNNER must be one of process, ecs, got 'lambda'/);
  });
});
