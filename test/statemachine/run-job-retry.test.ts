/**
 * Retries, by running statemachine/run-job.asl.json: the real definition in the local engine, the
 * real steps and event handler on a real store, and a task runner that plays each attempt's task as
 * events (as ECS's EventBridge events, or local mode's runner, reach the handler). One execution per
 * job; each attempt a task of its own; what a user reads back is the job and its `attempts`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { LocalWorkflow, type ExecutionOutcome } from '#lib/adapters/local/local-workflow.ts';
import type { Caller } from '#lib/domain/caller.ts';
import { cancelJob } from '#lib/domain/job-service.ts';
import type { Job, JobFailure } from '#lib/domain/job.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { LogReader, RunTaskRequest, RunTaskResult, TaskRunner, TaskSnapshot } from '#lib/domain/ports.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { PROVISIONING_TIMEOUT_SECONDS } from '#lib/domain/polling.ts';
import { MAX_RETRY_ATTEMPTS, type RetryStrategy } from '#lib/domain/retry.ts';
import { NO_NOTIFICATIONS } from '#lib/notify/notifiers.ts';
import { readDefinitionText } from '#lib/workflow/definition.ts';
import { workflowSteps, type Steps } from '#lib/workflow/steps.ts';
import { handleTaskStateChange } from '#lib/workflow/task-state-change.ts';
import { aJob } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

const PROFILES: ReadonlyMap<string, Profile> = new Map(
  [
    { name: 'default', description: 'any command', commands: 'any', shell: true, envNames: 'any', timeoutSeconds: { default: 60, max: 3600 }, publicIp: 'optional', retry: { maxAttempts: 10 } },
    { name: 'spot', description: 'Spot first', commands: 'any', shell: true, envNames: 'any', timeoutSeconds: { default: 60, max: 3600 }, publicIp: 'optional', capacity: 'spot-first' },
  ].map((profile): [string, Profile] => [profile.name, profile as Profile]),
);
const NO_LOGS: LogReader = {
  read: async () => ({ lines: [], nextCursor: '0', atEnd: true, truncated: false }),
  readBackward: async () => ({ lines: [], previousCursor: null, truncated: false }),
  tail: async () => ['done'],
};
const CANCELLING_USER: Caller = { name: 'alice', profiles: ['*'] };
const SPOT_NO_CAPACITY: JobFailure = { category: 'CAPACITY', message: 'the task could not be started: Capacity is unavailable at this time. (FARGATE_SPOT)' };

/** What one attempt's task does: exits with a code, stops as ECS stops it, never starts, or runs until stopped. */
type AttemptPlay =
  | { exitCode: number }
  | { stops: { stopCode: string; stoppedReason: string; exitCode: number | null; containerReason?: string } }
  | { refused: JobFailure }
  | { runsForever: true };

const exits = (exitCode: number): AttemptPlay => ({ exitCode });
const SPOT_INTERRUPTION: AttemptPlay = { stops: { stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.', exitCode: 143 } };

/** Plays each attempt's task: RUNNING, then its stop, each an event with ECS's version. */
class AttemptingRunner implements TaskRunner {
  readonly requests: RunTaskRequest[] = [];
  readonly #plays: AttemptPlay[];
  readonly #send: (change: Parameters<typeof handleTaskStateChange>[1]) => Promise<void>;
  readonly #tasks = new Map<string, TaskSnapshot & { version: number; jobId: string }>();
  /** Runs as each RunTask begins. */
  beforeRunTask: (request: RunTaskRequest) => Promise<void> = async () => {};

  constructor(plays: AttemptPlay[], send: (change: Parameters<typeof handleTaskStateChange>[1]) => Promise<void>) {
    this.#plays = plays;
    this.#send = send;
  }

  async runTask(request: RunTaskRequest): Promise<RunTaskResult> {
    this.requests.push(request);
    await this.beforeRunTask(request);
    const attempt = request.attempt ?? 1;
    const play = this.#plays[attempt - 1];
    if (!play) throw new Error(`no play for attempt ${attempt}`);
    const capacity = request.capacity ? { capacity: request.capacity } : {};
    if ('refused' in play) return { started: false, failure: play.refused, ...capacity };
    const taskArn = taskArnOf(request.jobId, attempt);
    this.#tasks.set(taskArn, { taskArn, jobId: request.jobId, lastStatus: 'PROVISIONING', exitCode: null, version: 0 });
    setTimeout(() => void this.#lifecycle(taskArn, play), 10);
    return { started: true, taskArn, ...capacity };
  }

  async #lifecycle(taskArn: string, play: AttemptPlay): Promise<void> {
    await this.#change(taskArn, { lastStatus: 'RUNNING', startedAt: new Date().toISOString() });
    if ('exitCode' in play) await this.#change(taskArn, { lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', exitCode: play.exitCode, stoppedAt: new Date().toISOString() });
    if ('stops' in play) await this.#change(taskArn, { lastStatus: 'STOPPED', ...play.stops, stoppedAt: new Date().toISOString() });
  }

  async describeTask(taskArn: string): Promise<TaskSnapshot> {
    const task = this.#tasks.get(taskArn);
    if (!task) throw new Error(`no task ${taskArn}`);
    const { version: _version, jobId: _jobId, ...snapshot } = task;
    return snapshot;
  }

  async stopTask(taskArn: string, reason: string): Promise<void> {
    const task = this.#tasks.get(taskArn);
    if (!task || task.lastStatus === 'STOPPED') return;
    setTimeout(() => void this.#change(taskArn, { lastStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: reason, exitCode: 143, stoppedAt: new Date().toISOString() }), 10);
  }

  async #change(taskArn: string, patch: Partial<TaskSnapshot>): Promise<void> {
    const task = this.#tasks.get(taskArn);
    if (!task || task.lastStatus === 'STOPPED') return;
    Object.assign(task, patch);
    task.version += 1;
    const { version, jobId, ...snapshot } = task;
    await this.#send({ ...snapshot, jobId, version });
  }
}

/** An ECS task ARN of its own for each attempt. */
function taskArnOf(jobId: string, attempt: number): string {
  return `arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs-test/${createHash('sha256').update(`${jobId}-${attempt}`).digest('hex').slice(0, 32)}`;
}

let testStore: TestStore;
before(async () => {
  testStore = await createTestStore();
});
after(async () => {
  await testStore.close();
});

interface Played {
  outcome: ExecutionOutcome;
  record: Job;
  runner: AttemptingRunner;
}

interface PlayOptions {
  retry?: RetryStrategy;
  profile?: string;
  /** Wraps the steps, e.g. to cancel the job between two attempts. */
  steps?: (steps: Steps, job: Job) => Steps;
  /** Set on the runner before the execution starts. */
  beforeRunTask?: (request: RunTaskRequest, job: Job, runner: AttemptingRunner) => Promise<void>;
}

async function play(plays: AttemptPlay[], options: PlayOptions = {}): Promise<Played> {
  const { store } = testStore;
  const job = aJob({ profile: options.profile ?? 'default', ...(options.retry ? { retry: options.retry } : {}) });
  await store.create(job);
  const waking = { wake: (taskToken: string, output: unknown) => workflow.wake(taskToken, output) };
  const ports = { store, profiles: PROFILES, notifier: NO_NOTIFICATIONS, logger: silentLogger, workflow: waking };
  const runner = new AttemptingRunner(plays, (change) => handleTaskStateChange(ports, change));
  const { beforeRunTask } = options;
  if (beforeRunTask) runner.beforeRunTask = (request) => beforeRunTask(request, job, runner);
  const steps = workflowSteps({ ...ports, taskRunner: runner, logReader: NO_LOGS });
  const workflow: LocalWorkflow = new LocalWorkflow({ steps: options.steps?.(steps, job) ?? steps, logger: silentLogger, maxAwaitMs: 5000, retryIntervalMs: 0 });
  const outcome = await workflow.execute(job.id);
  const record = await store.get(job.id);
  assert.ok(record);
  return { outcome, record, runner };
}

/** One attempt's way through the states when its task runs and stops by events: woken by its STOPPED event alone. */
const RUN = ['StartTask', 'AwaitTask', 'FinalizeJob'];

function attemptNumbers(runner: AttemptingRunner): Array<number | undefined> {
  return runner.requests.map((request) => request.attempt);
}

describe('run-job definition: room for every attempt', () => {
  test("its execution timeout allows the most attempts (10, and a Spot fallback past them) of the longest job, and fits the local engine's timer", () => {
    // Prepare
    const definition = JSON.parse(readDefinitionText()) as { TimeoutSeconds: number; States: Record<string, { TimeoutSeconds?: number }> };
    const longestJobSeconds = 86_400;
    const finalizing = definition.States['FinalizeJob']?.TimeoutSeconds ?? 0;
    const oneAttempt = PROVISIONING_TIMEOUT_SECONDS + longestJobSeconds + finalizing;

    // Assess
    assert.ok(definition.TimeoutSeconds >= (MAX_RETRY_ATTEMPTS + 1) * oneAttempt, `TimeoutSeconds ${definition.TimeoutSeconds} < ${(MAX_RETRY_ATTEMPTS + 1) * oneAttempt}`);
    // aws-local-stepfunctions times the execution with setTimeout, which fires at once past 2^31 - 1 ms.
    assert.ok(definition.TimeoutSeconds * 1000 <= 2 ** 31 - 1);
  });
});

describe('run-job retries (AWS Batch rules)', () => {
  test('exit-code retry, then success: two attempts on one job, one execution, each told its number', async () => {
    const { outcome, record, runner } = await play([exits(7), exits(0)], {
      retry: { attempts: 3, evaluateOnExit: [{ onExitCode: '7', action: 'RETRY' }, { onExitCode: '*', action: 'EXIT' }] },
    });

    assert.equal(outcome.status, 'SUCCEEDED');
    assert.deepEqual(outcome.states, [...RUN, 'NextAttempt', ...RUN]);
    assert.equal(record.status, 'SUCCEEDED');
    assert.equal(record.exitCode, 0);
    assert.equal(record.failure, undefined, "the job's own fields are its last attempt's");
    assert.equal(record.taskArn, taskArnOf(record.id, 2));
    assert.ok(record.startedAt && record.stoppedAt);
    assert.equal(record.attempts?.length, 1);
    const [first] = record.attempts ?? [];
    assert.equal(first?.number, 1);
    assert.equal(first?.taskArn, taskArnOf(record.id, 1));
    assert.equal(first?.exitCode, 7);
    assert.equal(first?.failure?.category, 'USER_EXIT');
    assert.ok(first?.startedAt && first.stoppedAt);
    assert.ok(record.startedAt >= first.stoppedAt, "the job's start time is its last attempt's");
    assert.deepEqual(attemptNumbers(runner), [1, 2]);
    assert.deepEqual(runner.requests.map((request) => request.env['FARGATE_JOBS_ATTEMPT']), ['1', '2']);
  });

  test('stoppedReason retry: a task stopped by its host is retried by an onStatusReason rule', async () => {
    const hostGone: AttemptPlay = { stops: { stopCode: 'EssentialContainerExited', stoppedReason: 'Host EC2 (instance i-0123456789abcdef0) terminated.', exitCode: null } };

    const { outcome, record, runner } = await play([hostGone, exits(0)], {
      retry: { attempts: 2, evaluateOnExit: [{ onStatusReason: 'Host EC2*', action: 'RETRY' }, { onReason: '*', action: 'EXIT' }, { onExitCode: '*', action: 'EXIT' }] },
    });

    assert.equal(outcome.status, 'SUCCEEDED');
    assert.equal(record.status, 'SUCCEEDED');
    assert.deepEqual(attemptNumbers(runner), [1, 2]);
    assert.equal(record.attempts?.[0]?.failure?.stoppedReason, 'Host EC2 (instance i-0123456789abcdef0) terminated.');
    assert.equal(record.attempts?.[0]?.exitCode, null);
  });

  test('an EXIT rule stops the retries: FAILED at once, with no attempt recorded but the one', async () => {
    const { outcome, record, runner } = await play([exits(2), exits(0)], {
      retry: { attempts: 3, evaluateOnExit: [{ onExitCode: '2', action: 'EXIT' }] },
    });

    assert.deepEqual(outcome.states, [...RUN]);
    assert.equal(record.status, 'FAILED');
    assert.equal(record.exitCode, 2);
    assert.equal(record.attempts, undefined);
    assert.deepEqual(attemptNumbers(runner), [1]);
  });

  test("attempts exhausted: FAILED with the last attempt's exit code, every earlier attempt listed", async () => {
    const { outcome, record, runner } = await play([exits(1), exits(4), exits(3)], { retry: { attempts: 3 } });

    assert.deepEqual(outcome.states, [...RUN, 'NextAttempt', ...RUN, 'NextAttempt', ...RUN]);
    assert.equal(record.status, 'FAILED');
    assert.equal(record.exitCode, 3);
    assert.equal(record.failure?.category, 'USER_EXIT');
    assert.match(record.failure?.message ?? '', /exited with code 3/);
    assert.deepEqual(record.attempts?.map((attempt) => [attempt.number, attempt.exitCode]), [[1, 1], [2, 4]]);
    assert.deepEqual(attemptNumbers(runner), [1, 2, 3]);
  });

  test('a job without rules is never retried', async () => {
    const { record, runner } = await play([exits(1), exits(0)]);

    assert.equal(record.status, 'FAILED');
    assert.deepEqual(attemptNumbers(runner), [1]);
  });

  test('a task that does not start follows the rules as any failure: the next attempt starts', async () => {
    const refused: AttemptPlay = { refused: { category: 'START_FAILED', message: 'ECS refused to start the task: subnet busy' } };

    const { outcome, record, runner } = await play([refused, exits(0)], { retry: { attempts: 2 } });

    assert.deepEqual(outcome.states, ['StartTask', 'NextAttempt', ...RUN]);
    assert.equal(record.status, 'SUCCEEDED');
    assert.deepEqual(record.attempts?.map((attempt) => [attempt.number, attempt.failure?.category, attempt.taskArn]), [[1, 'START_FAILED', undefined]]);
    assert.deepEqual(attemptNumbers(runner), [1, 2]);
  });

  test('cancel during a retry (between two attempts): CANCELLED, and no further RunTask', async () => {
    const { outcome, record, runner } = await play([exits(1), exits(0)], {
      retry: { attempts: 3 },
      steps: (steps, job) => ({
        ...steps,
        FinalizeJob: async (state) => {
          try {
            return await steps.FinalizeJob(state);
          } catch (error) {
            // The attempt is recorded and the next one due: the user cancels now.
            await cancelJob({ store: testStore.store, taskRunner: runnerOf() }, job.id, CANCELLING_USER);
            throw error;
          }
        },
      }),
    });

    assert.deepEqual(outcome.states, [...RUN, 'NextAttempt', 'StartTask', 'NotifyFinished']);
    assert.equal(record.status, 'CANCELLED');
    assert.equal(record.failure?.category, 'CANCELLED');
    assert.ok(record.stoppedAt, 'the job is finalized');
    assert.deepEqual(record.attempts?.map((attempt) => attempt.number), [1]);
    assert.deepEqual(attemptNumbers(runner), [1]);
  });

  test('cancel while the second attempt runs: CANCELLED, never a third', async () => {
    const { record, runner } = await play([exits(1), { runsForever: true }, exits(0)], {
      retry: { attempts: 3 },
      beforeRunTask: async (request, job, runner) => {
        if (request.attempt !== 2) return;
        setTimeout(() => void cancelJob({ store: testStore.store, taskRunner: runner }, job.id, CANCELLING_USER), 50);
      },
    });

    assert.equal(record.status, 'CANCELLED');
    assert.equal(record.taskArn, taskArnOf(record.id, 2));
    assert.equal(record.exitCode, 143);
    assert.ok(record.stoppedAt);
    assert.deepEqual(attemptNumbers(runner), [1, 2]);
  });
});

describe('run-job Spot fallback (spot-first)', () => {
  test('no Spot capacity at RunTask: the next attempt starts on FARGATE, counted and recorded with its capacity', async () => {
    const { outcome, record, runner } = await play([{ refused: SPOT_NO_CAPACITY }, exits(0)], { profile: 'spot' });

    assert.deepEqual(outcome.states, ['StartTask', 'NextAttempt', ...RUN]);
    assert.deepEqual(runner.requests.map((request) => [request.attempt, request.capacity]), [[1, 'FARGATE_SPOT'], [2, 'FARGATE']]);
    assert.equal(record.status, 'SUCCEEDED');
    assert.equal(record.capacity, 'FARGATE');
    assert.deepEqual(record.attempts?.map((attempt) => [attempt.number, attempt.capacity, attempt.failure?.category]), [[1, 'FARGATE_SPOT', 'CAPACITY']]);
  });

  test('a Spot interruption mid-run: the next attempt runs on FARGATE, even with no retry rules', async () => {
    const { record, runner } = await play([SPOT_INTERRUPTION, exits(0)], { profile: 'spot' });

    assert.deepEqual(runner.requests.map((request) => [request.attempt, request.capacity]), [[1, 'FARGATE_SPOT'], [2, 'FARGATE']]);
    assert.equal(record.status, 'SUCCEEDED');
    assert.deepEqual(record.attempts?.map((attempt) => [attempt.number, attempt.capacity, attempt.failure?.category, attempt.exitCode]), [[1, 'FARGATE_SPOT', 'SPOT_INTERRUPTED', 143]]);
  });

  test('the fallback happens once: an attempt on FARGATE that fails is not moved again', async () => {
    const { record, runner } = await play([SPOT_INTERRUPTION, SPOT_INTERRUPTION, exits(0)], { profile: 'spot' });

    assert.deepEqual(runner.requests.map((request) => request.capacity), ['FARGATE_SPOT', 'FARGATE']);
    assert.equal(record.status, 'FAILED');
    assert.equal(record.failure?.category, 'SPOT_INTERRUPTED');
    assert.equal(record.capacity, 'FARGATE');
  });
});

/** For a cancel between attempts: the job has no task then, so nothing is stopped. */
function runnerOf(): TaskRunner {
  const unused = async (): Promise<never> => {
    throw new Error('not called between attempts');
  };
  return { runTask: unused, describeTask: unused, stopTask: unused };
}
