/**
 * Retries and the Spot fallback on ECS, end to end: local mode with FARGATE_JOBS_RUNNER=ecs and
 * TASK_CAPACITY=spot-first, its jobs run as Fargate tasks through the real ECS and CloudWatch Logs
 * adapters against the fake of those services (test/helpers/fake-aws.ts). Each attempt is a RunTask
 * of its own (clientToken `<job id>-<attempt>`), its task's stream one of the job's log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LOG_STREAM_PREFIX } from '#config/profiles.ts';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { startFakeAws, type FakeAws, type FakeTaskPlan, type RunTaskInput } from '../helpers/fake-aws.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

const STAGE = {
  ECS_CLUSTER: 'fargate-jobs-e2e',
  TASK_SUBNETS: 'subnet-0a1b2c3d4e5f60718',
  TASK_SECURITY_GROUPS: 'sg-0123456789abcdef0',
  TASK_LOG_GROUP: '/fargate-jobs/e2e/tasks',
  TASK_DEFINITION_PREFIX: 'fargate-jobs-e2e',
  TASK_CAPACITY: 'spot-first',
};
const isFinished = (job: JobDocument) => job.stoppedAt !== undefined;
/** Each attempt's end waits for its log stream to go quiet for 10 s (the awslogs flush). */
const UNTIL_FINISHED = { attempts: 600, intervalMs: 100 };

/** The attempt a RunTask is for, as its container is told (FARGATE_JOBS_ATTEMPT). */
function attemptOf(input: RunTaskInput): number {
  return Number(input.overrides?.containerOverrides?.[0]?.environment?.find((variable) => variable.name === 'FARGATE_JOBS_ATTEMPT')?.value);
}

/** `interrupted`: Spot takes the first attempt's task back; `flaky`: the first attempt exits 3. Each task logs its attempt. */
function plan(input: RunTaskInput): FakeTaskPlan {
  const command = input.overrides?.containerOverrides?.[0]?.command?.join(' ') ?? '';
  const attempt = attemptOf(input);
  const logLines = [`attempt ${attempt}`];
  if (command.includes('interrupted')) return { logLines, ...(attempt === 1 ? { spotInterruption: { exitCode: 143 } } : {}) };
  if (command.includes('flaky')) return { logLines, exitCode: attempt === 1 ? 3 : 0 };
  return { logLines };
}

function runTasksOf(fake: FakeAws, jobId: string): RunTaskInput[] {
  return fake.calls.filter((call) => call.operation === 'RunTask' && call.input.startedBy === jobId).map((call) => call.input as RunTaskInput);
}

const capacitiesOf = (inputs: RunTaskInput[]) => inputs.map((input) => input.capacityProviderStrategy?.[0]?.capacityProvider);

describe('local mode on ECS, spot-first: retries and the Spot fallback', () => {
  let spot: FakeAws;
  let noSpot: FakeAws;
  let onSpot: LocalServerProcess;
  let withoutSpot: LocalServerProcess;
  const jobs: Record<'interrupted' | 'flaky' | 'noCapacity', JobDocument> = {} as never;

  before(async () => {
    [spot, noSpot] = await Promise.all([
      startFakeAws({ logGroup: STAGE.TASK_LOG_GROUP, logStreamPrefix: LOG_STREAM_PREFIX, plan }),
      startFakeAws({ logGroup: STAGE.TASK_LOG_GROUP, logStreamPrefix: LOG_STREAM_PREFIX, plan, spotCapacity: 'unavailable' }),
    ]);
    [onSpot, withoutSpot] = await Promise.all([
      startServer({ env: { FARGATE_JOBS_RUNNER: 'ecs', ...STAGE, ...spot.environment() } }),
      startServer({ env: { FARGATE_JOBS_RUNNER: 'ecs', ...STAGE, ...noSpot.environment() } }),
    ]);
    const submit = async (server: LocalServerProcess, body: unknown) => {
      const response = await server.request<JobDocument>('POST', '/jobs', { body });
      assert.equal(response.status, 202, response.text);
      return response.json;
    };
    // All at once: each attempt waits out its own log drain.
    [jobs.interrupted, jobs.flaky, jobs.noCapacity] = await Promise.all([
      submit(onSpot, { command: ['sh', '-c', 'echo interrupted'] }),
      submit(onSpot, { command: ['sh', '-c', 'echo flaky'], retry: { attempts: 2 } }),
      submit(withoutSpot, { command: ['sh', '-c', 'echo hello'] }),
    ]);
  });

  after(async () => {
    await Promise.all([onSpot?.stop(), withoutSpot?.stop()]);
    await Promise.all([spot?.close(), noSpot?.close()]);
  });

  test('no Spot capacity at RunTask: the next attempt runs on FARGATE, a RunTask of its own, recorded with its capacity', async () => {
    const job = await withoutSpot.waitForJob(jobs.noCapacity.id, isFinished, UNTIL_FINISHED);

    assert.equal(job.status, 'SUCCEEDED');
    const runTasks = runTasksOf(noSpot, job.id);
    assert.deepEqual(capacitiesOf(runTasks), ['FARGATE_SPOT', 'FARGATE']);
    assert.deepEqual(runTasks.map((input) => input.clientToken), [job.id, `${job.id}-2`]);
    assert.deepEqual(job.attempts.map((attempt) => [attempt.number, attempt.capacity, attempt.failure?.category ?? null, attempt.taskArn === undefined]), [
      [1, 'FARGATE_SPOT', 'CAPACITY', true],
      [2, 'FARGATE', null, false],
    ]);
    assert.equal(job.capacity, 'FARGATE');
  });

  test('a Spot interruption mid-run: the next attempt runs on FARGATE, and the log holds both attempts in order', async () => {
    const job = await onSpot.waitForJob(jobs.interrupted.id, isFinished, UNTIL_FINISHED);

    assert.equal(job.status, 'SUCCEEDED');
    assert.deepEqual(capacitiesOf(runTasksOf(spot, job.id)), ['FARGATE_SPOT', 'FARGATE']);
    assert.deepEqual(job.attempts.map((attempt) => [attempt.number, attempt.capacity, attempt.failure?.category ?? null, attempt.exitCode]), [
      [1, 'FARGATE_SPOT', 'SPOT_INTERRUPTED', 143],
      [2, 'FARGATE', null, 0],
    ]);
    const logs = await onSpot.request<JobLogs>('GET', `/jobs/${job.id}/logs`);
    assert.equal(logs.status, 200, logs.text);
    assert.deepEqual(logs.json.lines.map((line) => [line.attempt, line.message]), [[1, 'attempt 1'], [2, 'attempt 2']]);
    assert.equal(logs.json.complete, true);
  });

  test('an exit-code retry stays on the capacity it ran on, and each attempt is told its number', async () => {
    const job = await onSpot.waitForJob(jobs.flaky.id, isFinished, UNTIL_FINISHED);

    assert.equal(job.status, 'SUCCEEDED');
    const runTasks = runTasksOf(spot, job.id);
    assert.deepEqual(capacitiesOf(runTasks), ['FARGATE_SPOT', 'FARGATE_SPOT']);
    assert.deepEqual(runTasks.map(attemptOf), [1, 2]);
    assert.deepEqual(job.attempts.map((attempt) => [attempt.number, attempt.exitCode]), [[1, 3], [2, 0]]);
    const tail = await onSpot.request<JobLogs>('GET', `/jobs/${job.id}/logs?tail=10`);
    assert.deepEqual(tail.json.lines.map((line) => [line.attempt, line.message]), [[1, 'attempt 1'], [2, 'attempt 2']]);
  });
});
