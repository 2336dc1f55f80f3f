import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Caller } from '#lib/domain/caller.ts';
import { FargateJobsError, TaskNotFoundError } from '#lib/domain/errors.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';
import { JOB_ID_PATTERN, newJobId } from '#lib/domain/ids.ts';
import type { Job, JobStatus } from '#lib/domain/job.ts';
import {
  cancelJob,
  getJob,
  readJobLogs,
  recoverInterruptedJobs,
  removeExpiredJobs,
  submitJob,
  type InterruptionMessages,
  type SubmitJobInput,
} from '#lib/domain/job-service.ts';
import { readJobLogsBefore, readJobLogTail } from '#lib/domain/job-log-tail.ts';
import { listJobs } from '#lib/domain/job-listing.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import { canonicalJson } from '#lib/domain/request-hash.ts';
import type {
  BackwardLogPage,
  Dependencies,
  JobPage,
  JobStore,
  LogPage,
  LogReader,
  RunTaskResult,
  StopTaskOptions,
  TailOptions,
  TaskRunner,
  TaskSnapshot,
  Workflow,
} from '#lib/domain/ports.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { aJob } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';
import { callbackUrlPolicy } from '#lib/notify/callback-policy.ts';

const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs/0f3c1a9e2b7d4c5e8f6a1b2c3d4e5f60';

/** Tokens that may use every profile. */
const alice: Caller = { name: 'alice', profiles: ['*'] };
const bob: Caller = { name: 'bob', profiles: ['*'] };
const ci: Caller = { name: 'ci', profiles: ['*'] };
/** A token scoped to the `default` profile: `build` jobs are not its business. */
const docsBot: Caller = { name: 'docs-bot', profiles: ['default'] };

const profiles: ReadonlyMap<string, Profile> = new Map([
  [
    'default',
    {
      name: 'default',
      description: 'Runs any command.',
      commands: 'any',
      shell: true,
      envNames: 'any',
      timeoutSeconds: { default: 3600, max: 86_400 },
      publicIp: 'optional',
    },
  ],
  [
    'build',
    {
      name: 'build',
      description: 'Runs the vetted build commands.',
      commands: [{ prefix: ['npm', 'run'] }],
      shell: false,
      envNames: ['LOG_LEVEL'],
      timeoutSeconds: { default: 900, max: 3600 },
      publicIp: 'never',
    },
  ],
]);

/** Records every start; throws `failure` when one is set, as a throttled StartExecution would. */
class RecordingWorkflow implements Workflow {
  starts: string[] = [];
  secretsByStart: Array<Record<string, string>> = [];
  failure: Error | undefined;

  async start(jobId: string, secretEnv: Record<string, string> = {}): Promise<void> {
    this.starts.push(jobId);
    this.secretsByStart.push(secretEnv);
    if (this.failure) throw this.failure;
  }

  async wake(): Promise<void> {}
}

/** Records stops and file removals; the service never runs or describes tasks itself (the workflow does). */
class RecordingTaskRunner implements TaskRunner {
  stops: Array<{ taskArn: string; reason: string }> = [];
  stopOptions: StopTaskOptions[] = [];
  removedFiles: string[] = [];

  async runTask(): Promise<RunTaskResult> {
    throw new Error('JobService should not run tasks');
  }

  async describeTask(): Promise<TaskSnapshot> {
    throw new Error('JobService should not describe tasks');
  }

  async stopTask(taskArn: string, reason: string, options: StopTaskOptions = {}): Promise<void> {
    this.stops.push({ taskArn, reason });
    this.stopOptions.push(options);
  }

  async removeTaskFiles(jobId: string): Promise<void> {
    this.removedFiles.push(jobId);
  }
}

/** Returns `page` for every read, `backwardPage` for every backward read and `tails[job id]` (or nothing) for every tail, and records what was asked. */
class FakeLogReader implements LogReader {
  page: LogPage = { lines: [], nextCursor: 'cursor-0', atEnd: true, truncated: false };
  backwardPage: BackwardLogPage = { lines: [], previousCursor: null, truncated: false };
  tails: Record<string, string[]> = {};
  tailOptions: Array<TailOptions | undefined> = [];
  reads: Array<{ jobId: string; cursor: string | undefined; limit: number }> = [];
  backwardReads: Array<{ jobId: string; before: string | undefined; limit: number }> = [];

  async read(job: Job, options: { cursor?: string; limit: number }): Promise<LogPage> {
    this.reads.push({ jobId: job.id, cursor: options.cursor, limit: options.limit });
    return this.page;
  }

  async readBackward(job: Job, options: { before?: string; limit: number }): Promise<BackwardLogPage> {
    this.backwardReads.push({ jobId: job.id, before: options.before, limit: options.limit });
    return this.backwardPage;
  }

  async tail(job: Job, _count: number, options?: TailOptions): Promise<string[]> {
    this.tailOptions.push(options);
    return this.tails[job.id] ?? [];
  }
}

/** One message for every interrupted job, whatever became of its task. */
function sameMessage(message: string): InterruptionMessages {
  return { stopped: () => message, gone: message };
}

/** A JobStore that forwards every call to `target`; spread it and override one method to inject a race. */
function delegatingTo(target: JobStore): JobStore {
  return {
    create: (job) => target.create(job),
    get: (jobId) => target.get(jobId),
    transition: (jobId, status, patch) => target.transition(jobId, status, patch),
    transitionOrUpdate: (jobId, status, patch, otherwise) => target.transitionOrUpdate(jobId, status, patch, otherwise),
    update: (jobId, patch) => target.update(jobId, patch),
    recordTaskState: (jobId, patch) => target.recordTaskState(jobId, patch),
    keepEarlyTaskState: (jobId, taskArn, state) => target.keepEarlyTaskState(jobId, taskArn, state),
    recordExec: (jobId, exec) => target.recordExec(jobId, exec),
    endAttempt: (jobId, ended, patch) => target.endAttempt(jobId, ended, patch),
    list: (query) => target.list(query),
    unfinishedJobs: () => target.unfinishedJobs(),
    countActive: (submittedBy, atMost) => target.countActive(submittedBy, atMost),
    delete: (jobId) => target.delete(jobId),
  };
}

type ServicePorts = Pick<Dependencies, 'store' | 'taskRunner' | 'logReader' | 'workflow' | 'profiles' | 'logger' | 'now' | 'requestHashKey' | 'maxActiveJobsPerToken'> &
  Partial<Pick<Dependencies, 'callbackUrls'>>;

/** The key of the request hashes, as a stage secret or the data directory's key file would give it. */
const requestHashKey = { get: async () => 'a-request-hash-key-that-is-not-in-the-table-0123456789' };

/** The use cases on one set of ports, as the handlers (and local mode) call them. */
function jobService(ports: ServicePorts) {
  return {
    submit: (input: SubmitJobInput, caller: Caller) => submitJob({ callbackUrls: callbackUrlPolicy([]), ...ports }, input, caller),
    get: (jobId: string, caller: Caller) => getJob(ports, jobId, caller),
    list: (query: Parameters<typeof listJobs>[1], caller: Caller) => listJobs(ports, query, caller),
    readLogs: (jobId: string, options: { cursor?: string; limit: number }, caller: Caller) => readJobLogs(ports, jobId, options, caller),
    readLogTail: (jobId: string, lines: number, caller: Caller) => readJobLogTail(ports, jobId, { lines }, caller),
    readLogsBefore: (jobId: string, options: { before: string; limit: number }, caller: Caller) => readJobLogsBefore(ports, jobId, options, caller),
    cancel: (jobId: string, caller: Caller) => cancelJob(ports, jobId, caller),
    recoverInterruptedJobs: (messages: InterruptionMessages | string) =>
      recoverInterruptedJobs(ports, typeof messages === 'string' ? sameMessage(messages) : messages),
    removeExpiredJobs: (cutoff: Date) => removeExpiredJobs(ports, cutoff),
  };
}
type JobService = ReturnType<typeof jobService>;

/** Lets other pending work run first, so concurrent calls interleave differently from round to round. */
function staggered(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** The unkeyed SHA-256 of a request's canonical JSON, as job records held it before the hash was keyed. */
function plainRequestHash(request: object): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function aSubmission(overrides: Partial<SubmitJobInput> = {}): SubmitJobInput {
  return { profile: 'default', command: ['npm', 'run', 'migrate'], env: {}, labels: {}, ...overrides };
}

/** Asserts that `promise` rejects with a client error carrying this status and code; returns the error. */
async function assertClientError(promise: Promise<unknown>, statusCode: number, code: string): Promise<FargateJobsError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof FargateJobsError, `expected a FargateJobsError, got ${String(caught)}`);
  assert.equal(httpStatusOf(caught), statusCode, caught.message);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

describe('JobService', () => {
  const clock = new Date('2025-06-01T12:00:00.000Z');
  let testStore: TestStore;
  let store: JobStore;
  let workflow: RecordingWorkflow;
  let taskRunner: RecordingTaskRunner;
  let logReader: FakeLogReader;
  let service: JobService;

  beforeEach(async () => {
    testStore = await createTestStore();
    store = testStore.store;
    workflow = new RecordingWorkflow();
    taskRunner = new RecordingTaskRunner();
    logReader = new FakeLogReader();
    service = jobService({ store, taskRunner, logReader, workflow, profiles, logger: silentLogger, now: () => clock, requestHashKey });
  });

  afterEach(async () => {
    await testStore.close();
  });

  async function allJobs(): Promise<Job[]> {
    return (await store.list({ limit: 1000 })).jobs;
  }

  /** A service like `service` but on `jobStore`, for tests that put a racing write between two store calls. */
  function serviceOn(jobStore: JobStore): JobService {
    return jobService({ store: jobStore, taskRunner, logReader, workflow, profiles, logger: silentLogger, now: () => clock, requestHashKey });
  }

  describe('submit', () => {
    it('stores a QUEUED job and starts its workflow once', async () => {
      // Prepare
      const input = aSubmission({ env: { LOG_LEVEL: 'debug' }, labels: { team: 'platform' } });

      // Act
      const { created, job } = await service.submit(input, alice);

      // Assess
      assert.equal(created, true);
      assert.match(job.id, JOB_ID_PATTERN);
      assert.equal(job.status, 'QUEUED');
      assert.equal(job.exitCode, null);
      assert.equal(job.submittedBy, 'alice');
      assert.deepEqual(job.command, ['npm', 'run', 'migrate']);
      assert.deepEqual(job.env, { LOG_LEVEL: 'debug' });
      assert.deepEqual(job.labels, { team: 'platform' });
      assert.equal(job.createdAt, clock.toISOString());
      assert.deepEqual(await store.get(job.id), job);
      assert.deepEqual(workflow.starts, [job.id]);
    });

    it('stores secret values as *** and hands the real ones to the workflow only', async () => {
      // Prepare
      const input = aSubmission({ env: { DEPLOY_TOKEN: 's3cr3t', LOG_LEVEL: 'debug' } });

      // Act
      const { job } = await service.submit(input, alice);

      // Assess
      assert.deepEqual(job.env, { DEPLOY_TOKEN: '***', LOG_LEVEL: 'debug' });
      assert.doesNotMatch(JSON.stringify(await store.get(job.id)), /s3cr3t/);
      assert.deepEqual(workflow.secretsByStart, [{ DEPLOY_TOKEN: 's3cr3t' }]);
    });

    it("fills timeoutSeconds and publicIp from the profile's defaults", async () => {
      // Act
      const { job: onDefault } = await service.submit(aSubmission(), alice);
      const { job: onBuild } = await service.submit(aSubmission({ profile: 'build' }), alice);

      // Assess
      assert.equal(onDefault.timeoutSeconds, 3600);
      assert.equal(onBuild.timeoutSeconds, 900);
      assert.equal(onBuild.publicIp, false);
    });

    it('runs a shell string through /bin/sh -c where the profile allows a shell', async () => {
      // Act
      const { job } = await service.submit(aSubmission({ command: 'make build && make test' }), alice);

      // Assess
      assert.deepEqual(job.command, ['/bin/sh', '-c', 'make build && make test']);
    });

    it('refuses an unknown profile to a caller who may use every profile with 400 UNKNOWN_PROFILE and stores nothing', async () => {
      // Act
      const error = await assertClientError(service.submit(aSubmission({ profile: 'prod-admin' }), alice), 400, 'UNKNOWN_PROFILE');

      // Assess
      assert.equal(error.message, "profile 'prod-admin' does not exist");
      assert.deepEqual(await allJobs(), []);
      assert.deepEqual(workflow.starts, []);
    });

    it("refuses a profile outside the caller's scope with 403 PROFILE_FORBIDDEN and stores and starts nothing", async () => {
      // Act
      const error = await assertClientError(service.submit(aSubmission({ profile: 'build' }), docsBot), 403, 'PROFILE_FORBIDDEN');

      // Assess
      assert.equal(error.message, "token 'docs-bot' may not use profile 'build'; it may use: default");
      assert.deepEqual(await allJobs(), []);
      assert.deepEqual(workflow.starts, []);
    });

    it('answers a scoped caller 403, not 400, for a profile that does not exist, so it cannot learn which profiles exist', async () => {
      // Act
      const unknown = await assertClientError(service.submit(aSubmission({ profile: 'prod-admin' }), docsBot), 403, 'PROFILE_FORBIDDEN');
      const existing = await assertClientError(service.submit(aSubmission({ profile: 'build' }), docsBot), 403, 'PROFILE_FORBIDDEN');

      // Assess
      assert.equal(unknown.message, "token 'docs-bot' may not use profile 'prod-admin'; it may use: default");
      assert.equal(unknown.message.replace('prod-admin', 'build'), existing.message, 'both refusals read the same');
      assert.deepEqual(await allJobs(), []);
      assert.deepEqual(workflow.starts, []);
    });

    it('runs a job for a caller on any profile its scope names', async () => {
      // Prepare
      const release: Caller = { name: 'release', profiles: ['default', 'build'] };

      // Act
      const { created, job } = await service.submit(aSubmission({ profile: 'build' }), release);

      // Assess
      assert.equal(created, true);
      assert.equal(job.profile, 'build');
      assert.equal(job.submittedBy, 'release');
      assert.deepEqual(workflow.starts, [job.id]);
    });

    it('refuses a command the profile does not allow and stores nothing', async () => {
      // Act
      const error = await assertClientError(
        service.submit(aSubmission({ profile: 'build', command: ['rm', '-rf', '/'] }), alice),
        400,
        'COMMAND_NOT_ALLOWED',
      );

      // Assess
      assert.match(error.message, /^profile 'build' does not allow command 'rm'/);
      assert.deepEqual(await allJobs(), []);
      assert.deepEqual(workflow.starts, []);
    });

    it('gives every submission without an idempotency key its own job', async () => {
      // Act
      const first = await service.submit(aSubmission(), alice);
      const second = await service.submit(aSubmission(), alice);

      // Assess
      assert.notEqual(first.job.id, second.job.id);
      assert.equal((await allJobs()).length, 2);
    });

    describe('with an idempotency key', () => {
      it('returns the original job for a replay with the same body, and restarts the workflow while QUEUED', async () => {
        // Prepare
        const input = aSubmission({ idempotencyKey: 'migrate-2025-06-01' });
        const original = await service.submit(input, ci);

        // Act
        const replay = await service.submit({ ...input }, ci);

        // Assess
        assert.equal(original.created, true);
        assert.equal(replay.created, false);
        assert.equal(replay.job.id, original.job.id);
        assert.deepEqual(replay.job, original.job);
        assert.equal((await allJobs()).length, 1);
        assert.deepEqual(workflow.starts, [original.job.id, original.job.id]);
      });

      it('does not start the workflow again once the job has left QUEUED, and returns its current state', async () => {
        // Prepare
        const input = aSubmission({ idempotencyKey: 'migrate-2025-06-01' });
        const original = await service.submit(input, ci);
        await store.transition(original.job.id, 'RUNNING', { taskArn: TASK_ARN, startedAt: clock.toISOString() });

        // Act
        const replay = await service.submit(input, ci);

        // Assess
        assert.equal(replay.created, false);
        assert.equal(replay.job.id, original.job.id);
        assert.equal(replay.job.status, 'RUNNING');
        assert.equal(replay.job.taskArn, TASK_ARN);
        assert.deepEqual(workflow.starts, [original.job.id]);
      });

      it('treats the same body with its fields in another order as a replay', async () => {
        // Prepare
        await service.submit(
          { idempotencyKey: 'k1', profile: 'default', command: ['env'], env: { A: '1', B: '2' }, labels: { x: 'y' } },
          ci,
        );

        // Act
        const replay = await service.submit(
          { labels: { x: 'y' }, env: { B: '2', A: '1' }, command: ['env'], profile: 'default', idempotencyKey: 'k1' },
          ci,
        );

        // Assess
        assert.equal(replay.created, false);
      });

      it('refuses the same key with a different body with 409 IDEMPOTENCY_KEY_REUSED and keeps the original', async () => {
        // Prepare
        const original = await service.submit(aSubmission({ idempotencyKey: 'migrate-2025-06-01' }), ci);

        // Act
        const error = await assertClientError(
          service.submit(aSubmission({ idempotencyKey: 'migrate-2025-06-01', command: ['npm', 'run', 'seed'] }), ci),
          409,
          'IDEMPOTENCY_KEY_REUSED',
        );

        // Assess
        assert.match(error.message, /idempotency key 'migrate-2025-06-01' was already used for a different request/);
        assert.ok(error.message.includes(original.job.id), 'the message names the original job');
        assert.deepEqual((await store.get(original.job.id))?.command, ['npm', 'run', 'migrate']);
        assert.deepEqual(workflow.starts, [original.job.id]);
      });

      it('refuses the same key with only a secret value changed with 409', async () => {
        // Prepare
        await service.submit(aSubmission({ idempotencyKey: 'deploy-7', env: { DEPLOY_TOKEN: 'first-secret' } }), ci);

        // Act + Assess
        await assertClientError(
          service.submit(aSubmission({ idempotencyKey: 'deploy-7', env: { DEPLOY_TOKEN: 'second-secret' } }), ci),
          409,
          'IDEMPOTENCY_KEY_REUSED',
        );
      });

      it('keeps a request hash that does not let a reader of the table confirm a guessed secret', async () => {
        // Prepare: the attacker knows the request but for the secret (the record shows ***) and has a word list.
        const request = aSubmission({ idempotencyKey: 'deploy-8', env: { DATABASE_PASSWORD: 'hunter2', LOG_LEVEL: 'info' } });
        const { job } = await service.submit(request, ci);
        const stored = await store.get(job.id);
        const guesses = ['password', '123456', 'letmein', 'hunter2', 'qwerty'];

        // Act: hash the request with each guess, as the record's hash was made before it was keyed.
        const confirmed = guesses.filter((guess) => {
          const candidate = { ...request, env: { ...request.env, DATABASE_PASSWORD: guess }, idempotencyKey: undefined };
          return plainRequestHash(candidate) === stored?.requestHash || `hmac-sha256:${plainRequestHash(candidate)}` === stored?.requestHash;
        });

        // Assess
        assert.equal(stored?.env.DATABASE_PASSWORD, '***');
        assert.match(stored?.requestHash ?? '', /^hmac-sha256:[0-9a-f]{64}$/);
        assert.deepEqual(confirmed, []);
        assert.equal((await service.submit({ ...request }, ci)).created, false, 'the same request is still a replay');
      });

      it('still recognizes a replay of a job stored with the unkeyed hash of earlier versions', async () => {
        // Prepare
        const request = aSubmission({ idempotencyKey: 'before-upgrade' });
        const unkeyed = plainRequestHash({ ...request, idempotencyKey: undefined });
        const earlierVersion = serviceOn({ ...delegatingTo(store), create: (job) => store.create({ ...job, requestHash: unkeyed }) });
        const { job } = await earlierVersion.submit(request, ci);

        // Act
        const replay = await service.submit({ ...request }, ci);
        const different = service.submit({ ...request, command: ['npm', 'run', 'seed'] }, ci);

        // Assess
        assert.equal(replay.created, false);
        assert.equal(replay.job.id, job.id);
        await assertClientError(different, 409, 'IDEMPOTENCY_KEY_REUSED');
      });

      it('gives different callers using the same key different jobs', async () => {
        // Prepare
        const input = aSubmission({ idempotencyKey: 'retry-1' });

        // Act
        const fromAlice = await service.submit(input, alice);
        const fromBob = await service.submit(input, bob);

        // Assess
        assert.equal(fromAlice.created, true);
        assert.equal(fromBob.created, true);
        assert.notEqual(fromAlice.job.id, fromBob.job.id);
        assert.equal(fromBob.job.submittedBy, 'bob');
        assert.equal((await allJobs()).length, 2);
      });
    });

    it('marks the job FAILED INTERNAL and passes the error on when its workflow cannot be started', async () => {
      // Prepare
      const startFailure = new Error('Rate exceeded');
      workflow.failure = startFailure;

      // Act
      await assert.rejects(service.submit(aSubmission(), alice), (error: unknown) => error === startFailure);

      // Assess
      const [job, ...others] = await allJobs();
      assert.deepEqual(others, []);
      assert.ok(job);
      assert.equal(job.status, 'FAILED');
      assert.equal(job.failure?.category, 'INTERNAL');
      assert.match(job.failure?.message ?? '', /submit it again/);
      assert.equal(job.stoppedAt, clock.toISOString());
      assert.equal(job.exitCode, null);
    });

    describe('task size and ECS limits', () => {
      /** The shipped AWS `default` profile's sizes, on a profile that runs anything. */
      const sized: Profile = {
        name: 'sized',
        description: 'Runs any command in a task of 0.25 to 4 vCPU.',
        commands: 'any',
        shell: true,
        envNames: 'any',
        timeoutSeconds: { default: 3600, max: 86_400 },
        publicIp: 'optional',
        taskSize: { cpu: 256, memory: 512, maxCpu: 4096, maxMemory: 16_384 },
      };
      let sizedService: JobService;

      beforeEach(() => {
        sizedService = jobService({
          store,
          taskRunner,
          logReader,
          workflow,
          profiles: new Map([...profiles, ['sized', sized]]),
          logger: silentLogger,
          now: () => clock,
          requestHashKey,
        });
      });

      it("stores the profile's default size on a job that asks for none", async () => {
        // Act
        const { job } = await sizedService.submit(aSubmission({ profile: 'sized' }), alice);

        // Assess
        const stored = await store.get(job.id);
        assert.equal(stored?.cpu, 256);
        assert.equal(stored?.memory, 512);
      });

      it("stores a requested memory with the profile's default cpu", async () => {
        // Act
        const { job } = await sizedService.submit(aSubmission({ profile: 'sized', memory: 2048 }), alice);

        // Assess
        const stored = await store.get(job.id);
        assert.deepEqual([stored?.cpu, stored?.memory], [256, 2048]);
      });

      it('stores any Fargate size on a profile without sizes, and none when none is asked for', async () => {
        // Act
        const { job: largest } = await sizedService.submit(aSubmission({ cpu: 16_384, memory: 122_880 }), alice);
        const { job: unsized } = await sizedService.submit(aSubmission(), alice);

        // Assess
        const stored = await store.get(largest.id);
        assert.deepEqual([stored?.cpu, stored?.memory], [16_384, 122_880]);
        assert.equal((await store.get(unsized.id))?.cpu, undefined);
        assert.equal((await store.get(unsized.id))?.memory, undefined);
      });

      const refused: Array<{ name: string; input: Partial<SubmitJobInput>; code: string; message: RegExp }> = [
        { name: 'a size Fargate does not offer', input: { cpu: 256, memory: 4096 }, code: 'INVALID_TASK_SIZE', message: /cpu 256 takes memory 512, 1024 or 2048 MiB/ },
        { name: 'a cpu that is no Fargate size', input: { cpu: 300 }, code: 'INVALID_TASK_SIZE', message: /^cpu 300 is not a Fargate CPU size/ },
        { name: "a cpu that does not fit the profile's default memory", input: { cpu: 2048 }, code: 'INVALID_TASK_SIZE', message: /the default of profile 'sized'/ },
        { name: "a size over the profile's maximum", input: { cpu: 8192, memory: 16_384 }, code: 'TASK_SIZE_TOO_LARGE', message: /maximum of 4096/ },
        {
          name: "a command over ECS's overrides limit",
          input: { command: ['echo', 'x'.repeat(8000), 'x'.repeat(8000)] },
          code: 'OVERRIDES_TOO_LARGE',
          message: /over ECS's limit of 8192/,
        },
        { name: "an environment over ECS's overrides limit", input: { env: { A: 'x'.repeat(5000), B: 'y'.repeat(5000) } }, code: 'OVERRIDES_TOO_LARGE', message: /over ECS's limit of 8192/ },
      ];
      for (const testCase of refused) {
        it(`refuses ${testCase.name} with 400 ${testCase.code}, and stores and starts nothing`, async () => {
          // Act
          const error = await assertClientError(
            sizedService.submit(aSubmission({ profile: 'sized', idempotencyKey: 'sized-1', ...testCase.input }), alice),
            400,
            testCase.code,
          );

          // Assess
          assert.match(error.message, testCase.message);
          assert.deepEqual(await allJobs(), []);
          assert.deepEqual(workflow.starts, []);
        });
      }

      it('lets a refused idempotency key be used again for a corrected request', async () => {
        // Prepare
        await assertClientError(sizedService.submit(aSubmission({ profile: 'sized', cpu: 1024, idempotencyKey: 'resize' }), alice), 400, 'INVALID_TASK_SIZE');

        // Act
        const { created, job } = await sizedService.submit(aSubmission({ profile: 'sized', cpu: 1024, memory: 2048, idempotencyKey: 'resize' }), alice);

        // Assess
        assert.equal(created, true);
        assert.deepEqual([job.cpu, job.memory], [1024, 2048]);
      });
    });

    describe('active jobs per token', () => {
      /** The same use cases with a deployment-wide limit, as a stage's MAX_ACTIVE_JOBS_PER_TOKEN sets it. */
      function limitedService(maxActiveJobsPerToken: number): JobService {
        return jobService({ store, taskRunner, logReader, workflow, profiles, logger: silentLogger, now: () => clock, requestHashKey, maxActiveJobsPerToken });
      }

      it('refuses a job beyond the limit with 429 TOO_MANY_ACTIVE_JOBS, storing and starting nothing', async () => {
        // Prepare
        const limited = limitedService(2);
        await limited.submit(aSubmission(), ci);
        await limited.submit(aSubmission(), ci);

        // Act
        const error = await assertClientError(limited.submit(aSubmission(), ci), 429, 'TOO_MANY_ACTIVE_JOBS');

        // Assess
        assert.match(error.message, /'ci' already has 2 active job\(s\)/);
        assert.equal((await allJobs()).length, 2);
        assert.equal(workflow.starts.length, 2);
      });

      it('counts only the caller\'s own jobs that are not terminal', async () => {
        // Prepare
        const limited = limitedService(1);
        const { job: first } = await limited.submit(aSubmission(), ci);
        await limited.submit(aSubmission(), alice);
        await store.transition(first.id, 'RUNNING', { taskArn: TASK_ARN });
        await assertClientError(limited.submit(aSubmission(), ci), 429, 'TOO_MANY_ACTIVE_JOBS');

        // Act
        await store.transition(first.id, 'SUCCEEDED', { exitCode: 0 });
        const { created } = await limited.submit(aSubmission(), ci);

        // Assess
        assert.equal(created, true);
      });

      it("lets a token's own limit take the place of the deployment's", async () => {
        // Prepare
        const limited = limitedService(1);
        const generous: Caller = { ...ci, maxActiveJobs: 3 };
        const strict: Caller = { ...bob, maxActiveJobs: 1 };

        // Act
        for (let index = 0; index < 3; index += 1) await limited.submit(aSubmission(), generous);
        await limited.submit(aSubmission(), strict);

        // Assess
        await assertClientError(limited.submit(aSubmission(), generous), 429, 'TOO_MANY_ACTIVE_JOBS');
        await assertClientError(limitedService(50).submit(aSubmission(), strict), 429, 'TOO_MANY_ACTIVE_JOBS');
      });

      it('answers a replay of a job the caller already has, at the limit, with that job', async () => {
        // Prepare
        const limited = limitedService(1);
        const original = await limited.submit(aSubmission({ idempotencyKey: 'nightly' }), ci);

        // Act
        const replay = await limited.submit(aSubmission({ idempotencyKey: 'nightly' }), ci);

        // Assess
        assert.equal(replay.created, false);
        assert.equal(replay.job.id, original.job.id);
        await assertClientError(limited.submit(aSubmission({ idempotencyKey: 'another' }), ci), 429, 'TOO_MANY_ACTIVE_JOBS');
      });

      it('sets no limit where neither the token nor the deployment has one', async () => {
        // Act
        for (let index = 0; index < 5; index += 1) await service.submit(aSubmission(), ci);

        // Assess
        assert.equal((await allJobs()).length, 5);
      });
    });
  });

  describe('get', () => {
    it('returns a stored job', async () => {
      // Prepare
      const { job } = await service.submit(aSubmission(), alice);

      // Act
      const found = await service.get(job.id, alice);

      // Assess
      assert.deepEqual(found, job);
    });

    for (const jobId of ['../../etc/passwd', 'job-123', '', 'JOB-01HZX3K8Q2V7N4M5P6R7S8T9VW']) {
      it(`answers 404 JOB_NOT_FOUND for the malformed id '${jobId}'`, async () => {
        // Act
        const error = await assertClientError(service.get(jobId, alice), 404, 'JOB_NOT_FOUND');

        // Assess
        assert.equal(error.message, `job '${jobId}' does not exist`);
      });
    }

    it('answers 404 JOB_NOT_FOUND for a well-formed id that was never created', async () => {
      // Prepare
      const jobId = newJobId();

      // Act
      const error = await assertClientError(service.get(jobId, alice), 404, 'JOB_NOT_FOUND');

      // Assess
      assert.equal(error.message, `job '${jobId}' does not exist`);
    });

    it("answers 404 JOB_NOT_FOUND for a job of a profile outside the caller's scope, as if it did not exist", async () => {
      // Prepare
      const job = aJob({ profile: 'build', status: 'RUNNING', taskArn: TASK_ARN });
      await store.create(job);

      // Act
      const error = await assertClientError(service.get(job.id, docsBot), 404, 'JOB_NOT_FOUND');

      // Assess
      assert.equal(error.message, `job '${job.id}' does not exist`);
      assert.deepEqual(await store.get(job.id), job);
    });

    it("returns a job of a profile in the caller's scope", async () => {
      // Prepare
      const { job } = await store.create(aJob({ profile: 'default' }));

      // Act
      const found = await service.get(job.id, docsBot);

      // Assess
      assert.deepEqual(found, job);
    });
  });

  describe('cancel', () => {
    it('cancels a QUEUED job that has no task yet: CANCELLED at once, nothing to stop, finalized by its workflow', async () => {
      // Prepare
      const { job } = await service.submit(aSubmission(), alice);

      // Act
      const cancelled = await service.cancel(job.id, alice);

      // Assess
      assert.equal(cancelled.status, 'CANCELLED');
      assert.equal(cancelled.stoppedAt, undefined, 'only the workflow (StartTask) records when it stopped');
      assert.deepEqual(cancelled.failure, { category: 'CANCELLED', message: 'cancelled by alice' });
      assert.deepEqual(await store.get(job.id), cancelled);
      assert.deepEqual(taskRunner.stops, []);
    });

    it("cancels a RUNNING job and stops its task with the canceller's name as reason", async () => {
      // Prepare
      const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN, startedAt: clock.toISOString() });
      await store.create(job);

      // Act
      const cancelled = await service.cancel(job.id, bob);

      // Assess
      assert.equal(cancelled.status, 'CANCELLED');
      assert.deepEqual(cancelled.failure, { category: 'CANCELLED', message: 'cancelled by bob' });
      assert.deepEqual(taskRunner.stops, [{ taskArn: TASK_ARN, reason: 'cancelled by bob' }]);
      assert.equal((await store.get(job.id))?.status, 'CANCELLED');
    });

    it('leaves a cancelled job with a task unfinished until the workflow has drained its logs', async () => {
      // Prepare
      const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN, startedAt: clock.toISOString() });
      await store.create(job);
      logReader.page = { lines: [], nextCursor: 'cursor-1', atEnd: true, truncated: false };

      // Act
      const cancelled = await service.cancel(job.id, bob);
      const logs = await service.readLogs(job.id, { limit: 100 }, alice);

      // Assess
      assert.equal(cancelled.stoppedAt, undefined);
      assert.equal(logs.complete, false);
    });

    for (const status of ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'] satisfies JobStatus[]) {
      it(`refuses to cancel a ${status} job with 409 JOB_ALREADY_FINISHED and changes nothing`, async () => {
        // Prepare
        const job = aJob({ status, taskArn: TASK_ARN, stoppedAt: clock.toISOString(), exitCode: status === 'SUCCEEDED' ? 0 : 1 });
        await store.create(job);

        // Act
        const error = await assertClientError(service.cancel(job.id, alice), 409, 'JOB_ALREADY_FINISHED');

        // Assess
        assert.equal(error.message, `job '${job.id}' has already finished with status ${status}`);
        assert.deepEqual(await store.get(job.id), job);
        assert.deepEqual(taskRunner.stops, []);
      });
    }

    it('answers 404 JOB_NOT_FOUND for a job that does not exist', async () => {
      // Act + Assess
      await assertClientError(service.cancel(newJobId(), alice), 404, 'JOB_NOT_FOUND');
      assert.deepEqual(taskRunner.stops, []);
    });

    it("answers 404 JOB_NOT_FOUND for a job of a profile outside the caller's scope, and neither cancels it nor stops its task", async () => {
      // Prepare
      const job = aJob({ profile: 'build', status: 'RUNNING', taskArn: TASK_ARN, startedAt: clock.toISOString() });
      await store.create(job);

      // Act
      const error = await assertClientError(service.cancel(job.id, docsBot), 404, 'JOB_NOT_FOUND');

      // Assess
      assert.equal(error.message, `job '${job.id}' does not exist`);
      assert.deepEqual(await store.get(job.id), job);
      assert.deepEqual(taskRunner.stops, []);
    });

    it("cancels a job of a profile in the caller's scope in the caller's name", async () => {
      // Prepare
      const job = aJob({ profile: 'default', status: 'RUNNING', taskArn: TASK_ARN, startedAt: clock.toISOString() });
      await store.create(job);

      // Act
      const cancelled = await service.cancel(job.id, docsBot);

      // Assess
      assert.equal(cancelled.status, 'CANCELLED');
      assert.deepEqual(taskRunner.stops, [{ taskArn: TASK_ARN, reason: 'cancelled by docs-bot' }]);
    });

    it('ends a cancel racing a finish in exactly one terminal status, and the loser is told', async () => {
      // The finish starts a little later in some rounds, so that either side wins some of the races.
      for (let round = 0; round < 12; round += 1) {
        // Prepare
        const job = aJob({ status: 'RUNNING', taskArn: `${TASK_ARN}-${round}`, startedAt: clock.toISOString() });
        await store.create(job);
        taskRunner.stops = [];

        // Act
        const [cancel, finish] = await Promise.allSettled([
          service.cancel(job.id, alice),
          staggered(round % 4).then(() => store.transition(job.id, 'SUCCEEDED', { exitCode: 0, stoppedAt: clock.toISOString() })),
        ]);

        // Assess
        const stored = await store.get(job.id);
        assert.equal(finish.status, 'fulfilled', 'the finishing write never throws');
        if (finish.status !== 'fulfilled') return;
        if (stored?.status === 'CANCELLED') {
          assert.equal(cancel.status, 'fulfilled');
          assert.equal(finish.value.applied, false, 'the finish lost, so it must not be applied');
          assert.equal(finish.value.job.status, 'CANCELLED');
          assert.equal(taskRunner.stops.length, 1);
        } else {
          assert.equal(stored?.status, 'SUCCEEDED', `round ${round}: unexpected status ${stored?.status}`);
          assert.equal(finish.value.applied, true);
          assert.equal(cancel.status, 'rejected');
          if (cancel.status !== 'rejected') return;
          const error: unknown = cancel.reason;
          assert.ok(error instanceof FargateJobsError);
          assert.equal(httpStatusOf(error), 409);
          assert.equal(error.code, 'JOB_ALREADY_FINISHED');
          assert.deepEqual(taskRunner.stops, []);
          assert.equal(stored.failure, undefined, 'a finished job carries no cancel failure');
        }
      }
    });

    it('answers 409 and stops nothing when the job finishes between the cancel reading it and writing', async () => {
      // Prepare: the store hands cancel a RUNNING job, then the workflow records its finish before cancel writes.
      const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN, startedAt: clock.toISOString() });
      await store.create(job);
      const racingService = serviceOn({
        ...delegatingTo(store),
        async get(jobId) {
          const seen = await store.get(jobId);
          await store.transition(jobId, 'SUCCEEDED', { exitCode: 0, stoppedAt: clock.toISOString() });
          return seen;
        },
      });

      // Act
      const error = await assertClientError(racingService.cancel(job.id, alice), 409, 'JOB_ALREADY_FINISHED');

      // Assess
      assert.match(error.message, /has already finished with status SUCCEEDED/);
      const stored = await store.get(job.id);
      assert.equal(stored?.status, 'SUCCEEDED');
      assert.equal(stored?.exitCode, 0);
      assert.equal(stored?.failure, undefined);
      assert.deepEqual(taskRunner.stops, []);
    });

    it('keeps CANCELLED when the workflow tries to record a finish after the cancel', async () => {
      // Prepare
      const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN, startedAt: clock.toISOString() });
      await store.create(job);
      await service.cancel(job.id, alice);

      // Act
      const finish = await store.transition(job.id, 'SUCCEEDED', { exitCode: 0 });

      // Assess
      assert.equal(finish.applied, false);
      assert.equal(finish.job.status, 'CANCELLED');
      assert.equal((await store.get(job.id))?.status, 'CANCELLED');
    });

    it('does not finalize a job whose task was started while the cancel was in flight', async () => {
      // Prepare: the store hands cancel a QUEUED job, then StartTask records the task before cancel writes.
      const { job } = await service.submit(aSubmission(), alice);
      const racingService = serviceOn({
        ...delegatingTo(store),
        async get(jobId) {
          const seen = await store.get(jobId);
          await store.transition(jobId, 'PROVISIONING', { taskArn: TASK_ARN });
          return seen;
        },
      });
      logReader.page = { lines: [], nextCursor: 'cursor-1', atEnd: true, truncated: false };

      // Act
      const cancelled = await racingService.cancel(job.id, alice);
      const logs = await service.readLogs(job.id, { limit: 100 }, alice);

      // Assess
      assert.equal(cancelled.status, 'CANCELLED');
      assert.deepEqual(taskRunner.stops, [{ taskArn: TASK_ARN, reason: 'cancelled by alice' }]);
      assert.equal(logs.complete, false, 'the task just stopped: its logs are not drained yet');
    });
  });

  describe('list', () => {
    /** A token for the `default` and `build` profiles, not `nightly`. */
    const release: Caller = { name: 'release', profiles: ['default', 'build'] };
    let jobs: Job[];

    /** Follows nextCursor from the first page to the last; returns every page. */
    async function allPages(query: { limit: number; status?: JobStatus; profile?: string }, caller: Caller): Promise<JobPage[]> {
      const pages: JobPage[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page += 1) {
        const listed = await service.list({ ...query, ...(cursor ? { cursor } : {}) }, caller);
        pages.push(listed);
        if (listed.nextCursor === null) return pages;
        cursor = listed.nextCursor;
      }
      throw new Error('listing did not end after 100 pages');
    }

    function idsNewestFirst(selected: Job[]): string[] {
      return [...selected].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((job) => job.id);
    }

    beforeEach(async () => {
      // 12 jobs a minute apart, their profiles in turn default, build, nightly; every fourth one FAILED.
      const profileNames = ['default', 'build', 'nightly'];
      jobs = Array.from({ length: 12 }, (_, index) => {
        const createdAt = new Date(clock.getTime() + index * 60_000);
        return aJob({
          id: newJobId(createdAt),
          createdAt: createdAt.toISOString(),
          profile: profileNames[index % 3] ?? 'default',
          ...(index % 4 === 0 ? { status: 'FAILED', exitCode: 1, stoppedAt: createdAt.toISOString() } : {}),
        });
      });
      for (const job of jobs) await store.create(job);
    });

    it("lists only the jobs of the profiles in the caller's scope, newest first", async () => {
      // Act
      const page = await service.list({ limit: 100 }, release);

      // Assess
      assert.deepEqual(
        page.jobs.map((job) => job.id),
        idsNewestFirst(jobs.filter((job) => job.profile !== 'nightly')),
      );
      assert.equal(page.nextCursor, null);
    });

    it('pages through a scoped listing without gaps or repeats', async () => {
      // Act
      const pages = await allPages({ limit: 3 }, docsBot);

      // Assess
      assert.deepEqual(
        pages.map((page) => page.jobs.length),
        [3, 1],
      );
      assert.deepEqual(
        pages.flatMap((page) => page.jobs.map((job) => job.id)),
        idsNewestFirst(jobs.filter((job) => job.profile === 'default')),
      );
    });

    it('lists the jobs of every profile for a caller who may use every profile', async () => {
      // Act
      const page = await service.list({ limit: 100 }, alice);

      // Assess
      assert.deepEqual(
        page.jobs.map((job) => job.id),
        idsNewestFirst(jobs),
      );
    });

    it("lists the jobs of one profile in the caller's scope when asked for it, with the status filter too", async () => {
      // Act
      const build = await service.list({ profile: 'build', limit: 100 }, release);
      const failedBuilds = await service.list({ profile: 'build', status: 'FAILED', limit: 100 }, release);

      // Assess
      assert.deepEqual(
        build.jobs.map((job) => job.id),
        idsNewestFirst(jobs.filter((job) => job.profile === 'build')),
      );
      assert.deepEqual(
        failedBuilds.jobs.map((job) => job.id),
        idsNewestFirst(jobs.filter((job) => job.profile === 'build' && job.status === 'FAILED')),
      );
      assert.equal(failedBuilds.jobs.length, 1);
    });

    it("keeps the status filter within the caller's scope", async () => {
      // Act
      const failed = await service.list({ status: 'FAILED', limit: 100 }, docsBot);

      // Assess
      assert.deepEqual(
        failed.jobs.map((job) => job.id),
        idsNewestFirst(jobs.filter((job) => job.profile === 'default' && job.status === 'FAILED')),
      );
      assert.equal(failed.jobs.length, 1);
    });

    for (const profile of ['nightly', 'prod-admin']) {
      it(`refuses to list the profile '${profile}', outside the caller's scope, with 403 PROFILE_FORBIDDEN`, async () => {
        // Act: list throws before it has a promise to reject, so the call goes inside one.
        const error = await assertClientError((async () => service.list({ profile, limit: 100 }, release))(), 403, 'PROFILE_FORBIDDEN');

        // Assess
        assert.equal(error.message, `token 'release' may not use profile '${profile}'; it may use: default, build`);
      });
    }

    it('names a profile the deployment does not have with 400 UNKNOWN_PROFILE, not an empty page, to a caller who may use every profile', async () => {
      // Act
      const error = await assertClientError((async () => service.list({ profile: 'nope', limit: 100 }, alice))(), 400, 'UNKNOWN_PROFILE');

      // Assess
      assert.equal(error.message, "profile 'nope' does not exist");
    });
  });

  describe('readLogs', () => {
    const finishedAt = '2025-06-01T12:05:00.000Z';
    const cases: Array<{ name: string; job: Partial<Job>; atEnd: boolean; complete: boolean }> = [
      { name: 'terminal, finalized and read to the end', job: { status: 'SUCCEEDED', exitCode: 0, stoppedAt: finishedAt }, atEnd: true, complete: true },
      { name: 'terminal and finalized but with lines left', job: { status: 'SUCCEEDED', exitCode: 0, stoppedAt: finishedAt }, atEnd: false, complete: false },
      { name: 'terminal but not yet finalized', job: { status: 'CANCELLED', taskArn: TASK_ARN }, atEnd: true, complete: false },
      { name: 'still running, read to the end so far', job: { status: 'RUNNING', taskArn: TASK_ARN }, atEnd: true, complete: false },
      { name: 'still queued', job: { status: 'QUEUED' }, atEnd: true, complete: false },
    ];

    for (const testCase of cases) {
      it(`reports complete=${testCase.complete} for a job ${testCase.name}`, async () => {
        // Prepare
        const job = aJob(testCase.job);
        await store.create(job);
        logReader.page = {
          lines: [{ timestamp: '2025-06-01T12:01:00.000Z', message: 'migrating 42 tables' }],
          nextCursor: 'cursor-7',
          atEnd: testCase.atEnd,
          truncated: false,
        };

        // Act
        const logs = await service.readLogs(job.id, { cursor: 'cursor-6', limit: 50 }, alice);

        // Assess
        assert.equal(logs.complete, testCase.complete);
        assert.deepEqual(logs.lines, [{ timestamp: '2025-06-01T12:01:00.000Z', message: 'migrating 42 tables' }]);
        assert.equal(logs.nextCursor, 'cursor-7');
        assert.deepEqual(logReader.reads, [{ jobId: job.id, cursor: 'cursor-6', limit: 50 }]);
      });
    }

    for (const truncated of [true, false]) {
      it(`says truncated=${truncated} when the log reader ${truncated ? 'discarded' : 'kept all of'} the output`, async () => {
        // Prepare
        const job = aJob({ status: 'SUCCEEDED', exitCode: 0, stoppedAt: clock.toISOString() });
        await store.create(job);
        logReader.page = { lines: [], nextCursor: 'cursor-2', atEnd: true, truncated };

        // Act
        const logs = await service.readLogs(job.id, { limit: 50 }, alice);

        // Assess
        assert.equal(logs.truncated, truncated);
        assert.equal(logs.complete, true);
      });
    }

    it('answers 404 JOB_NOT_FOUND for an unknown job without reading any log', async () => {
      // Act + Assess
      await assertClientError(service.readLogs(newJobId(), { limit: 10 }, alice), 404, 'JOB_NOT_FOUND');
      assert.deepEqual(logReader.reads, []);
    });

    it("answers 404 JOB_NOT_FOUND for a job of a profile outside the caller's scope without reading any log", async () => {
      // Prepare
      const job = aJob({ profile: 'build', status: 'SUCCEEDED', exitCode: 0, stoppedAt: clock.toISOString() });
      await store.create(job);

      // Act
      const error = await assertClientError(service.readLogs(job.id, { limit: 10 }, docsBot), 404, 'JOB_NOT_FOUND');

      // Assess
      assert.equal(error.message, `job '${job.id}' does not exist`);
      assert.deepEqual(logReader.reads, []);
    });
  });

  describe('readLogTail and readLogsBefore', () => {
    const finishedAt = '2025-06-01T12:05:00.000Z';
    const line = { timestamp: '2025-06-01T12:01:00.000Z', message: 'migrating 42 tables' };
    const cases: Array<{ name: string; job: Partial<Job>; atEnd: boolean; complete: boolean }> = [
      { name: 'terminal, finalized and read to the end', job: { status: 'SUCCEEDED', exitCode: 0, stoppedAt: finishedAt }, atEnd: true, complete: true },
      { name: 'terminal and finalized but with a line still being written', job: { status: 'SUCCEEDED', exitCode: 0, stoppedAt: finishedAt }, atEnd: false, complete: false },
      { name: 'terminal but not yet finalized', job: { status: 'CANCELLED', taskArn: TASK_ARN }, atEnd: true, complete: false },
      { name: 'still running', job: { status: 'RUNNING', taskArn: TASK_ARN }, atEnd: true, complete: false },
    ];

    for (const testCase of cases) {
      it(`answers a tail with the reader's last lines, its cursors either way, and complete=${testCase.complete} for a job ${testCase.name}`, async () => {
        // Prepare
        const job = aJob(testCase.job);
        await store.create(job);
        logReader.backwardPage = { lines: [line], previousCursor: 'before-7', forward: { nextCursor: 'cursor-8', atEnd: testCase.atEnd }, truncated: false };

        // Act
        const logs = await service.readLogTail(job.id, 500, alice);

        // Assess
        assert.deepEqual(logs, { lines: [line], nextCursor: 'cursor-8', previousCursor: 'before-7', complete: testCase.complete, truncated: false });
        assert.deepEqual(logReader.backwardReads, [{ jobId: job.id, before: undefined, limit: 500 }]);
      });
    }

    it('answers the lines before a previousCursor with their own previousCursor, no nextCursor, never complete, truncated as the log is', async () => {
      // Prepare
      const job = aJob({ status: 'SUCCEEDED', exitCode: 0, stoppedAt: finishedAt });
      await store.create(job);
      logReader.backwardPage = { lines: [line], previousCursor: null, truncated: true };

      // Act
      const logs = await service.readLogsBefore(job.id, { before: 'before-7', limit: 50 }, alice);

      // Assess
      assert.deepEqual(logs, { lines: [line], nextCursor: null, previousCursor: null, complete: false, truncated: true });
      assert.deepEqual(logReader.backwardReads, [{ jobId: job.id, before: 'before-7', limit: 50 }]);
    });

    it("answers 404 JOB_NOT_FOUND for an unknown job, or one outside the caller's scope, without reading any log", async () => {
      // Prepare
      const job = aJob({ profile: 'build', status: 'SUCCEEDED', exitCode: 0, stoppedAt: finishedAt });
      await store.create(job);

      // Act + Assess
      await assertClientError(service.readLogTail(newJobId(), 10, alice), 404, 'JOB_NOT_FOUND');
      await assertClientError(service.readLogTail(job.id, 10, docsBot), 404, 'JOB_NOT_FOUND');
      await assertClientError(service.readLogsBefore(job.id, { before: 'before-7', limit: 10 }, docsBot), 404, 'JOB_NOT_FOUND');
      assert.deepEqual(logReader.backwardReads, []);
    });
  });

  describe('recoverInterruptedJobs', () => {
    it('marks QUEUED, PROVISIONING and RUNNING jobs FAILED INTERNAL and leaves finished ones alone', async () => {
      // Prepare
      const active = [
        aJob({ status: 'QUEUED' }),
        aJob({ status: 'PROVISIONING', taskArn: `${TASK_ARN}-1` }),
        aJob({ status: 'RUNNING', taskArn: `${TASK_ARN}-2`, startedAt: clock.toISOString() }),
      ];
      const finished = [
        aJob({ status: 'SUCCEEDED', exitCode: 0, stoppedAt: clock.toISOString() }),
        aJob({ status: 'FAILED', exitCode: 3, stoppedAt: clock.toISOString(), failure: { category: 'USER_EXIT', message: 'the command exited with code 3' } }),
        aJob({ status: 'TIMED_OUT', exitCode: 143, stoppedAt: clock.toISOString() }),
        aJob({ status: 'CANCELLED', stoppedAt: clock.toISOString() }),
      ];
      for (const job of [...active, ...finished]) await store.create(job);

      // Act
      const marked = await service.recoverInterruptedJobs('the local server stopped while the job was active');

      // Assess
      assert.equal(marked, 3);
      for (const job of active) {
        const stored = await store.get(job.id);
        assert.equal(stored?.status, 'FAILED', `${job.status} job should be FAILED`);
        assert.deepEqual(stored?.failure, { category: 'INTERNAL', message: 'the local server stopped while the job was active' });
        assert.equal(stored?.stoppedAt, clock.toISOString());
        assert.equal(stored?.exitCode, null);
      }
      for (const job of finished) {
        assert.deepEqual(await store.get(job.id), job, `${job.status} job should be unchanged`);
      }
    });

    it("stops the task of each job it marks, so none keeps running unwatched, and goes on past a task the runner no longer knows", async () => {
      // Prepare
      const gone = aJob({ status: 'RUNNING', taskArn: `${TASK_ARN}-gone`, startedAt: clock.toISOString() });
      const running = aJob({ status: 'RUNNING', taskArn: `${TASK_ARN}-running`, startedAt: clock.toISOString() });
      const finished = aJob({ status: 'SUCCEEDED', taskArn: `${TASK_ARN}-done`, exitCode: 0, stoppedAt: clock.toISOString() });
      for (const job of [gone, running, finished]) await store.create(job);
      const forgetful: TaskRunner = {
        ...taskRunner,
        runTask: () => taskRunner.runTask(),
        describeTask: () => taskRunner.describeTask(),
        stopTask: async (taskArn, reason) => {
          if (taskArn === gone.taskArn) throw new TaskNotFoundError(taskArn);
          await taskRunner.stopTask(taskArn, reason);
        },
      };

      // Act
      const marked = await jobService({ store, taskRunner: forgetful, logReader, workflow, profiles, logger: silentLogger, now: () => clock, requestHashKey }).recoverInterruptedJobs(
        'the local server stopped while this job was active; its task was stopped',
      );

      // Assess
      assert.equal(marked, 2);
      assert.deepEqual(taskRunner.stops, [{ taskArn: running.taskArn, reason: 'the local server stopped while this job was active; its task was stopped' }]);
      assert.equal((await store.get(gone.id))?.status, 'FAILED');
    });

    it("stops a task that outlived the runner, found by the process recorded on the job, and says so in the job's failure", async () => {
      // Prepare
      const process = { pid: 4242, processGroup: 4242, startTime: '1234567' };
      const survivor = aJob({ status: 'RUNNING', taskArn: `${TASK_ARN}-survivor`, startedAt: clock.toISOString(), process });
      await store.create(survivor);
      logReader.tails[survivor.id] = ['started', 'still working'];
      const messages: InterruptionMessages = {
        stopped: (job) => `restarted; its process (pid ${job.process?.pid}) was stopped`,
        gone: 'its process did not survive',
      };

      // Act
      const marked = await service.recoverInterruptedJobs(messages);

      // Assess
      assert.equal(marked, 1);
      assert.deepEqual(taskRunner.stops, [{ taskArn: survivor.taskArn, reason: 'restarted; its process (pid 4242) was stopped' }]);
      assert.deepEqual(taskRunner.stopOptions, [{ process }]);
      const stored = await store.get(survivor.id);
      assert.equal(stored?.status, 'FAILED');
      assert.deepEqual(stored?.failure, { category: 'INTERNAL', message: 'restarted; its process (pid 4242) was stopped' });
      assert.deepEqual(stored?.logTail, ['started', 'still working']);
      assert.deepEqual(logReader.tailOptions, [{ waitForFlush: false }], 'a start-up does not wait for logs to drain');
      assert.equal(stored?.exitCode, null);
    });

    it("marks a job whose task had gone with the message for that, and its log tail from what it wrote", async () => {
      // Prepare
      const gone = aJob({ status: 'RUNNING', taskArn: `${TASK_ARN}-gone`, startedAt: clock.toISOString(), process: { pid: 4343, processGroup: 4343, startTime: '99' } });
      const queued = aJob({ status: 'QUEUED' });
      for (const job of [gone, queued]) await store.create(job);
      logReader.tails[gone.id] = ['started'];
      const forgetful: TaskRunner = {
        runTask: () => taskRunner.runTask(),
        describeTask: () => taskRunner.describeTask(),
        stopTask: async (taskArn) => {
          throw new TaskNotFoundError(taskArn);
        },
      };

      // Act
      const marked = await jobService({ store, taskRunner: forgetful, logReader, workflow, profiles, logger: silentLogger, now: () => clock, requestHashKey }).recoverInterruptedJobs({
        stopped: () => 'was stopped',
        gone: 'its process did not survive',
      });

      // Assess
      assert.equal(marked, 2);
      const stored = await store.get(gone.id);
      assert.deepEqual(stored?.failure, { category: 'INTERNAL', message: 'its process did not survive' });
      assert.deepEqual(stored?.logTail, ['started']);
      assert.deepEqual((await store.get(queued.id))?.failure, { category: 'INTERNAL', message: 'its process did not survive' });
    });

    it('marks every active job when there are more than fit in one page', async () => {
      // Prepare
      const jobs = Array.from({ length: 105 }, (_, index) =>
        aJob({ status: 'RUNNING', taskArn: `${TASK_ARN}-${index}`, createdAt: new Date(clock.getTime() + index).toISOString() }),
      );
      await Promise.all(jobs.map((job) => store.create(job)));

      // Act
      const marked = await service.recoverInterruptedJobs('interrupted');

      // Assess
      assert.equal(marked, 105);
      const stillActive = (await allJobs()).filter((job) => job.status !== 'FAILED');
      assert.deepEqual(stillActive, []);
    });

    it('finalizes a cancelled job whose workflow died before recording the stop', async () => {
      // Prepare
      const unfinished = aJob({ status: 'CANCELLED', taskArn: TASK_ARN, failure: { category: 'CANCELLED', message: 'cancelled by bob' } });
      await store.create(unfinished);
      logReader.page = { lines: [], nextCursor: 'cursor-1', atEnd: true, truncated: false };

      // Act
      const marked = await service.recoverInterruptedJobs('interrupted');
      const logs = await service.readLogs(unfinished.id, { limit: 100 }, alice);

      // Assess
      assert.equal(marked, 0);
      const stored = await store.get(unfinished.id);
      assert.equal(stored?.status, 'CANCELLED');
      assert.deepEqual(stored?.failure, unfinished.failure);
      assert.equal(stored?.stoppedAt, clock.toISOString());
      assert.equal(logs.complete, true);
    });

    it('marks nothing when no job is active', async () => {
      // Prepare
      await store.create(aJob({ status: 'SUCCEEDED', exitCode: 0, stoppedAt: clock.toISOString() }));

      // Act
      const marked = await service.recoverInterruptedJobs('interrupted');

      // Assess
      assert.equal(marked, 0);
    });
  });

  describe('removeExpiredJobs', () => {
    const cutoff = new Date('2025-05-02T12:00:00.000Z');
    const daysBeforeCutoff = (days: number) => new Date(cutoff.getTime() - days * 86_400_000).toISOString();
    const daysAfterCutoff = (days: number) => new Date(cutoff.getTime() + days * 86_400_000).toISOString();
    /** A job created at `createdAt`, with the id a job created then gets (ids are time-ordered). */
    const createdAt = (at: string, overrides: Partial<Job>) => aJob({ id: newJobId(new Date(at)), createdAt: at, updatedAt: at, ...overrides });

    it('removes the records and task files of jobs that finished before the cutoff, and keeps recent and active ones', async () => {
      // Prepare
      const expired = [
        createdAt(daysBeforeCutoff(10), { status: 'SUCCEEDED', exitCode: 0, stoppedAt: daysBeforeCutoff(9) }),
        createdAt(daysBeforeCutoff(3), { status: 'FAILED', exitCode: 3, stoppedAt: daysBeforeCutoff(2), failure: { category: 'USER_EXIT', message: 'exit 3' } }),
        // Cancelled before it started, and never finalized: its creation time is all there is.
        createdAt(daysBeforeCutoff(5), { status: 'CANCELLED', failure: { category: 'CANCELLED', message: 'cancelled by bob' } }),
      ];
      const kept = [
        createdAt(daysAfterCutoff(1), { status: 'SUCCEEDED', exitCode: 0, stoppedAt: daysAfterCutoff(1) }),
        // Created long ago, but it ran until after the cutoff.
        createdAt(daysBeforeCutoff(2), { status: 'TIMED_OUT', exitCode: 143, stoppedAt: daysAfterCutoff(1) }),
        // However old, a job still active is never removed.
        createdAt(daysBeforeCutoff(40), { status: 'RUNNING', taskArn: TASK_ARN, startedAt: daysBeforeCutoff(40) }),
        createdAt(daysBeforeCutoff(40), { status: 'QUEUED' }),
      ];
      for (const job of expired) await store.create(job);
      const stored = [];
      for (const job of kept) stored.push((await store.create(job)).job);

      // Act
      const removed = await service.removeExpiredJobs(cutoff);

      // Assess
      assert.equal(removed, expired.length);
      for (const job of expired) assert.equal(await store.get(job.id), undefined, `${job.status} job of ${job.createdAt} is removed`);
      for (const job of stored) assert.deepEqual(await store.get(job.id), job, `${job.status} job of ${job.createdAt} is kept`);
      assert.deepEqual([...taskRunner.removedFiles].sort(), expired.map((job) => job.id).sort());
    });

    it('removes every expired job when there are more than fit in one page, and finds none the second time', async () => {
      // Prepare
      const expired = Array.from({ length: 130 }, (_, index) =>
        createdAt(new Date(Date.parse(daysBeforeCutoff(20)) + index * 1000).toISOString(), { status: 'SUCCEEDED', exitCode: 0, stoppedAt: daysBeforeCutoff(19) }),
      );
      const recent = createdAt(daysAfterCutoff(1), { status: 'SUCCEEDED', exitCode: 0, stoppedAt: daysAfterCutoff(1) });
      await Promise.all([...expired, recent].map((job) => store.create(job)));

      // Act
      const first = await service.removeExpiredJobs(cutoff);
      const second = await service.removeExpiredJobs(cutoff);

      // Assess
      assert.equal(first, 130);
      assert.equal(second, 0);
      assert.deepEqual((await allJobs()).map((job) => job.id), [recent.id]);
    });

    it('keeps the record of a job whose files could not be removed, so the next removal tries again, and removes the others', async () => {
      // Prepare
      const stuck = createdAt(daysBeforeCutoff(10), { status: 'SUCCEEDED', exitCode: 0, stoppedAt: daysBeforeCutoff(9) });
      const other = createdAt(daysBeforeCutoff(8), { status: 'SUCCEEDED', exitCode: 0, stoppedAt: daysBeforeCutoff(7) });
      for (const job of [stuck, other]) await store.create(job);
      const refusing: TaskRunner = {
        runTask: () => taskRunner.runTask(),
        describeTask: () => taskRunner.describeTask(),
        stopTask: (taskArn, reason) => taskRunner.stopTask(taskArn, reason),
        removeTaskFiles: async (jobId) => {
          if (jobId === stuck.id) throw new Error('EACCES: permission denied');
        },
      };

      // Act
      const removed = await removeExpiredJobs({ store, taskRunner: refusing, logger: silentLogger }, cutoff);

      // Assess
      assert.equal(removed, 1);
      assert.deepEqual(await store.get(stuck.id), stuck);
      assert.equal(await store.get(other.id), undefined);
    });
  });
});
