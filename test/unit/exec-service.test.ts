/**
 * Getting into a running job (startExec, POST /jobs/{id}/exec) on fake ports and the real DynamoDB
 * job store: who may, when (one describe of the task, never a poll: the refusals say when to ask
 * again), what runs (the profile's execShell unless the caller names a command its rules allow), and
 * the audit record every exec leaves on the job before its session opens. Also the held jobs of
 * POST /jobs (`hold: true`) that are started only to be exec'ed into.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Caller } from '#lib/domain/caller.ts';
import { FargateJobsError } from '#lib/domain/errors.ts';
import { startExec, type ExecPorts } from '#lib/domain/exec-service.ts';
import { MAX_EXECS, type Job, type JobStatus } from '#lib/domain/job.ts';
import { submitJob, type SubmitJobInput } from '#lib/domain/job-service.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { DescribeTaskOptions, ExecRequest, ExecSession, RunTaskResult, TaskRunner, TaskSnapshot } from '#lib/domain/ports.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';
import { execJobHandler } from '#lib/http/exec-job.ts';
import { jobDocument } from '#lib/http/job-document.ts';
import { callbackUrlPolicy } from '#lib/notify/callback-policy.ts';
import { aJob, SSH_PROFILE } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

const CLUSTER = 'fargate-jobs-test';
const TASK_ID = '0f3c1a9e2b7d4c5e8f6a1b2c3d4e5f60';
const TASK_ARN = `arn:aws:ecs:eu-west-1:123456789012:task/${CLUSTER}/${TASK_ID}`;
const RUNTIME_ID = `${TASK_ID}-1497048990`;
const NOW = new Date('2026-12-07T10:00:00.000Z');

const profiles: ReadonlyMap<string, Profile> = new Map(
  ([
    {
      // An exec profile with a shell: the caller may name a command as a string.
      name: 'debug',
      description: 'A container to look around in.',
      commands: [{ prefix: ['ps'] }, { prefix: ['/bin/sh', '-c'] }],
      shell: true,
      envNames: 'any',
      timeoutSeconds: { default: 3600, max: 86_400 },
      publicIp: 'optional',
      exec: true,
      execShell: ['/bin/bash', '-l'],
      interactiveHold: ['sleep', '86400'],
    },
    {
      // An exec profile without a shell: argv only, its rules say which.
      name: 'strict',
      description: 'Runs ps.',
      commands: [{ prefix: ['ps'] }],
      shell: false,
      envNames: [],
      timeoutSeconds: { default: 600, max: 600 },
      publicIp: 'never',
      exec: true,
      execShell: ['/bin/sh'],
    },
    {
      name: 'batch',
      description: 'Runs the vetted batch commands; no way in.',
      commands: [{ prefix: ['npm', 'run'] }],
      shell: false,
      envNames: [],
      timeoutSeconds: { default: 600, max: 600 },
      publicIp: 'never',
    },
    { ...SSH_PROFILE, exec: false },
  ] satisfies Profile[]).map((profile) => [profile.name, profile]),
);

/** The submitter of the jobs below: a token for three profiles, not for every one. */
const alice: Caller = { name: 'alice', profiles: ['debug', 'strict', 'batch', 'ssh'] };
/** The operator's token: every profile. */
const operator: Caller = { name: 'ops', profiles: ['*'] };
/** May read alice's debug jobs (same profile), not get into them. */
const bob: Caller = { name: 'bob', profiles: ['debug'] };
/** Sees no debug job at all. */
const outsider: Caller = { name: 'batch-bot', profiles: ['batch'] };

function aSession(): ExecSession {
  return {
    sessionId: 'ecs-execute-command-0e86561fe9aa5f3c0',
    streamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/ecs-execute-command-0e86561fe9aa5f3c0?role=publish_subscribe',
    tokenValue: 'AAEAAc2Ve7q0kN2tXg9l9D3w',
    target: `ecs:${CLUSTER}_${TASK_ID}_${RUNTIME_ID}`,
    region: 'eu-west-1',
  };
}

/** Describes the task as `snapshot` says and opens `aSession()`; records both. */
class ExecTaskRunner implements TaskRunner {
  snapshot: TaskSnapshot = { taskArn: TASK_ARN, lastStatus: 'RUNNING', exitCode: null, version: 4, execAgentStatus: 'RUNNING', runtimeId: RUNTIME_ID };
  describes: Array<{ taskArn: string; options: DescribeTaskOptions | undefined }> = [];
  execs: ExecRequest[] = [];

  async runTask(): Promise<RunTaskResult> {
    throw new Error('an exec starts no task');
  }

  async describeTask(taskArn: string, options?: DescribeTaskOptions): Promise<TaskSnapshot> {
    this.describes.push({ taskArn, options });
    return this.snapshot;
  }

  async stopTask(): Promise<void> {
    throw new Error('an exec stops no task');
  }

  async execCommand(request: ExecRequest): Promise<ExecSession> {
    this.execs.push(request);
    return aSession();
  }
}

function recordingLogger(): Logger & { infos: Array<{ message: string; extra: Record<string, unknown> }> } {
  const infos: Array<{ message: string; extra: Record<string, unknown> }> = [];
  return {
    infos,
    debug() {},
    info(message, ...extra) {
      infos.push({ message, extra: Object.assign({}, ...extra) });
    },
    warn() {},
    error() {},
  };
}

/** Asserts that `promise` rejects with a client error of this status and code; returns the error. */
async function assertClientError(promise: Promise<unknown>, statusCode: number, code: string): Promise<FargateJobsError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof FargateJobsError, `expected a FargateJobsError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(httpStatusOf(caught), statusCode, caught.message);
  return caught;
}

describe('startExec', () => {
  let testStore: TestStore;
  let taskRunner: ExecTaskRunner;
  let logger: ReturnType<typeof recordingLogger>;
  let ports: ExecPorts;

  before(async () => {
    testStore = await createTestStore({ now: () => NOW });
  });
  after(() => testStore.close());

  beforeEach(() => {
    taskRunner = new ExecTaskRunner();
    logger = recordingLogger();
    ports = { store: testStore.store, taskRunner, profiles, logger, now: () => NOW };
  });

  /** A job alice submitted, RUNNING its task on an exec profile, as the store holds it. */
  async function aRunningJob(overrides: Partial<Job> = {}): Promise<Job> {
    const job = aJob({ profile: 'debug', status: 'RUNNING', taskArn: TASK_ARN, submittedBy: 'alice', execEnabled: true, ...overrides });
    await testStore.store.create(job);
    return job;
  }

  async function stored(jobId: string): Promise<Job> {
    return (await testStore.store.get(jobId)) ?? assert.fail(`job ${jobId} is gone`);
  }

  it("opens a session into the submitter's running job with the profile's execShell, after recording the exec", async () => {
    // Prepare
    const job = await aRunningJob();

    // Act
    const { session, job: recorded } = await startExec(ports, job.id, {}, alice);

    // Assess
    assert.deepEqual(session, aSession());
    assert.deepEqual(taskRunner.describes, [{ taskArn: TASK_ARN, options: { resolveNetwork: false } }], 'one describe, no network lookup');
    assert.deepEqual(taskRunner.execs, [{ jobId: job.id, profile: 'debug', taskArn: TASK_ARN, command: ['/bin/bash', '-l'], runtimeId: RUNTIME_ID }]);
    const audit = { at: NOW.toISOString(), by: 'alice', command: ['/bin/bash', '-l'] };
    assert.deepEqual(recorded.execs, [audit]);
    assert.deepEqual((await stored(job.id)).execs, [audit]);
    assert.deepEqual(logger.infos, [{ message: 'exec into job', extra: { jobId: job.id, by: 'alice', command: ['/bin/bash', '-l'] } }]);
  });

  it('records that the agent is ready, so that the job document says exec.ready, from the same describe', async () => {
    // Prepare
    const job = await aRunningJob({ taskState: { lastStatus: 'RUNNING', version: 3, execAgentStatus: 'PENDING' } });
    assert.deepEqual(jobDocument(job).exec, { ready: false });

    // Act
    await startExec(ports, job.id, {}, alice);

    // Assess
    const after = await stored(job.id);
    assert.equal(after.taskState?.execAgentStatus, 'RUNNING');
    assert.equal(after.taskState?.version, 4);
    assert.deepEqual(jobDocument(after).exec, { ready: true });
  });

  it('keeps every exec, oldest first', async () => {
    // Prepare
    const job = await aRunningJob();

    // Act
    await startExec(ports, job.id, {}, alice);
    await startExec(ports, job.id, { command: ['ps', 'aux'] }, operator);

    // Assess
    assert.deepEqual((await stored(job.id)).execs?.map(({ by, command }) => ({ by, command })), [
      { by: 'alice', command: ['/bin/bash', '-l'] },
      { by: 'ops', command: ['ps', 'aux'] },
    ]);
  });

  it('lets a token for every profile into a job it did not submit', async () => {
    // Prepare
    const job = await aRunningJob();

    // Act
    await startExec(ports, job.id, {}, operator);

    // Assess
    assert.equal(taskRunner.execs.length, 1);
    assert.equal((await stored(job.id)).execs?.[0]?.by, 'ops');
  });

  it('refuses 403 EXEC_FORBIDDEN a token that may read the job but did not submit it, before looking at the task', async () => {
    // Prepare
    const job = await aRunningJob();

    // Act
    const error = await assertClientError(startExec(ports, job.id, {}, bob), 403, 'EXEC_FORBIDDEN');

    // Assess
    assert.match(error.message, /only its submitter/);
    assert.equal(taskRunner.describes.length, 0);
    assert.equal((await stored(job.id)).execs, undefined);
  });

  it('answers 404 for a job of a profile outside the caller\'s scope, as if it did not exist', async () => {
    // Prepare
    const job = await aRunningJob();

    // Act + Assess
    await assertClientError(startExec(ports, job.id, {}, outsider), 404, 'JOB_NOT_FOUND');
    await assertClientError(startExec(ports, 'job-01jb8y3k5d9x2m7q4r6t8v0w1z', {}, alice), 404, 'JOB_NOT_FOUND');
    assert.equal(taskRunner.describes.length, 0);
  });

  it('refuses 403 EXEC_NOT_ALLOWED a job of a profile without exec, and says where an ssh job\'s way in is', async () => {
    // Prepare
    const batch = await aRunningJob({ profile: 'batch', execEnabled: undefined });
    const ssh = await aRunningJob({ profile: 'ssh', execEnabled: undefined });

    // Act
    await assertClientError(startExec(ports, batch.id, {}, alice), 403, 'EXEC_NOT_ALLOWED');
    const sshError = await assertClientError(startExec(ports, ssh.id, {}, operator), 403, 'EXEC_NOT_ALLOWED');

    // Assess
    assert.match(sshError.message, /fargate-jobs ssh/);
    assert.equal(taskRunner.describes.length, 0);
  });

  it('refuses 403 EXEC_NOT_ALLOWED a job submitted before its profile had exec: its task has no exec agent', async () => {
    // Prepare
    const job = await aRunningJob({ execEnabled: undefined });

    // Act + Assess
    await assertClientError(startExec(ports, job.id, {}, alice), 403, 'EXEC_NOT_ALLOWED');
    assert.equal(taskRunner.describes.length, 0);
  });

  it('refuses 403 EXEC_NOT_ALLOWED where the task runner has no exec', async () => {
    // Prepare
    const job = await aRunningJob();
    const withoutExec: TaskRunner = { runTask: () => taskRunner.runTask(), describeTask: (arn, options) => taskRunner.describeTask(arn, options), stopTask: () => taskRunner.stopTask() };

    // Act + Assess
    await assertClientError(startExec({ ...ports, taskRunner: withoutExec }, job.id, {}, alice), 403, 'EXEC_NOT_ALLOWED');
  });

  for (const status of ['QUEUED', 'PROVISIONING'] as const) {
    it(`answers 409 JOB_NOT_RUNNING with Retry-After for a ${status} job, without describing its task`, async () => {
      // Prepare
      const job = await aRunningJob({ status, ...(status === 'QUEUED' ? { taskArn: undefined } : {}) });

      // Act
      const error = await assertClientError(startExec(ports, job.id, {}, alice), 409, 'JOB_NOT_RUNNING');

      // Assess
      assert.equal(error.retryAfterSeconds, 5);
      assert.deepEqual(error.details, [{ path: 'status', message: status }]);
      assert.equal(taskRunner.describes.length, 0);
    });
  }

  for (const status of ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'] as const satisfies readonly JobStatus[]) {
    it(`answers 409 JOB_NOT_RUNNING without Retry-After for a ${status} job: asking again cannot help`, async () => {
      // Prepare
      const job = await aRunningJob({ status });

      // Act
      const error = await assertClientError(startExec(ports, job.id, {}, alice), 409, 'JOB_NOT_RUNNING');

      // Assess
      assert.equal(error.retryAfterSeconds, undefined);
      assert.equal((await stored(job.id)).execs, undefined);
    });
  }

  it('answers 409 JOB_NOT_RUNNING when the record still says RUNNING but the task has stopped', async () => {
    // Prepare
    const job = await aRunningJob();
    taskRunner.snapshot = { taskArn: TASK_ARN, lastStatus: 'STOPPED', exitCode: 0, version: 6, execAgentStatus: 'STOPPED' };

    // Act
    const error = await assertClientError(startExec(ports, job.id, {}, alice), 409, 'JOB_NOT_RUNNING');

    // Assess
    assert.equal(error.retryAfterSeconds, undefined);
    assert.equal(taskRunner.execs.length, 0);
  });

  for (const execAgentStatus of ['PENDING', undefined]) {
    it(`answers 409 EXEC_NOT_READY with Retry-After 2 s while the exec agent is ${execAgentStatus ?? 'not reported yet'}, recording nothing`, async () => {
      // Prepare
      const job = await aRunningJob();
      taskRunner.snapshot = { taskArn: TASK_ARN, lastStatus: 'RUNNING', exitCode: null, version: 3, ...(execAgentStatus ? { execAgentStatus } : {}), runtimeId: RUNTIME_ID };

      // Act
      const error = await assertClientError(startExec(ports, job.id, {}, alice), 409, 'EXEC_NOT_READY');

      // Assess
      assert.equal(error.retryAfterSeconds, 2);
      assert.equal(taskRunner.execs.length, 0);
      assert.equal((await stored(job.id)).execs, undefined);
      assert.deepEqual(logger.infos, []);
    });
  }

  it(`answers 409 TOO_MANY_EXECS once a job has had ${MAX_EXECS}`, async () => {
    // Prepare
    const execs = Array.from({ length: MAX_EXECS }, () => ({ at: NOW.toISOString(), by: 'alice', command: ['/bin/bash', '-l'] }));
    const job = await aRunningJob({ execs });

    // Act + Assess
    await assertClientError(startExec(ports, job.id, {}, alice), 409, 'TOO_MANY_EXECS');
    assert.equal(taskRunner.execs.length, 0);
  });

  describe('the command', () => {
    it('runs a string through /bin/sh -c where the profile allows a shell', async () => {
      // Prepare
      const job = await aRunningJob();

      // Act
      await startExec(ports, job.id, { command: 'ps aux | grep node' }, alice);

      // Assess
      assert.deepEqual(taskRunner.execs[0]?.command, ['/bin/sh', '-c', 'ps aux | grep node']);
      assert.deepEqual((await stored(job.id)).execs?.[0]?.command, ['/bin/sh', '-c', 'ps aux | grep node']);
    });

    it('refuses 400 a string where the profile takes argv only', async () => {
      // Prepare
      const job = await aRunningJob({ profile: 'strict' });

      // Act + Assess
      await assertClientError(startExec(ports, job.id, { command: 'ps aux' }, alice), 400, 'VALIDATION_FAILED');
      assert.equal(taskRunner.describes.length, 0);
    });

    it("refuses 400 COMMAND_NOT_ALLOWED a command the profile's rules refuse, before anything is recorded", async () => {
      // Prepare
      const job = await aRunningJob({ profile: 'strict' });

      // Act
      const error = await assertClientError(startExec(ports, job.id, { command: ['rm', '-rf', '/'] }, alice), 400, 'COMMAND_NOT_ALLOWED');

      // Assess
      assert.match(error.message, /'rm'/);
      assert.equal((await stored(job.id)).execs, undefined);
      assert.equal(taskRunner.execs.length, 0);
    });

    it("takes the profile's own execShell, asked for by name, even where its rules list only other commands", async () => {
      // Prepare
      const job = await aRunningJob({ profile: 'strict' });

      // Act
      await startExec(ports, job.id, { command: ['/bin/sh'] }, alice);
      await startExec(ports, job.id, { command: ['ps', '-ef'] }, alice);

      // Assess
      assert.deepEqual(taskRunner.execs.map((exec) => exec.command), [['/bin/sh'], ['ps', '-ef']]);
    });
  });
});

describe('POST /jobs with hold: true', () => {
  let testStore: TestStore;

  before(async () => {
    testStore = await createTestStore();
  });
  after(() => testStore.close());

  function submit(input: Partial<SubmitJobInput>, caller: Caller = alice) {
    const workflow = { start: async () => {}, wake: async () => {} };
    const requestHashKey = { get: async () => 'a-request-hash-key-that-is-not-in-the-table-0123456789' };
    const ports = { store: testStore.store, workflow, profiles, logger: recordingLogger(), callbackUrls: callbackUrlPolicy([]), requestHashKey };
    return submitJob(ports, { profile: 'debug', env: {}, labels: {}, ...input }, caller);
  }

  it("runs the profile's interactiveHold, unchecked by its command rules, and the job takes execs", async () => {
    // Act
    const { job } = await submit({ hold: true });

    // Assess
    assert.deepEqual(job.command, ['sleep', '86400']);
    assert.equal(job.execEnabled, true);
    assert.deepEqual(jobDocument(job).exec, { ready: false });
  });

  it('refuses 400 a hold with a command, and a request with neither', async () => {
    await assertClientError(submit({ hold: true, command: ['ps'] }), 400, 'VALIDATION_FAILED');
    await assertClientError(submit({}), 400, 'VALIDATION_FAILED');
    await assertClientError(submit({ hold: false }), 400, 'VALIDATION_FAILED');
  });

  it('refuses 403 EXEC_NOT_ALLOWED a hold on a profile without exec (or without an interactiveHold)', async () => {
    await assertClientError(submit({ profile: 'batch', hold: true }), 403, 'EXEC_NOT_ALLOWED');
    await assertClientError(submit({ profile: 'strict', hold: true }), 403, 'EXEC_NOT_ALLOWED');
  });
});

describe('POST /jobs/{id}/exec (execJobHandler)', () => {
  let testStore: TestStore;
  let taskRunner: ExecTaskRunner;
  let handler: ReturnType<typeof execJobHandler>;

  before(async () => {
    testStore = await createTestStore();
  });
  after(() => testStore.close());

  beforeEach(() => {
    taskRunner = new ExecTaskRunner();
    handler = execJobHandler({ store: testStore.store, taskRunner, profiles, logger: recordingLogger(), now: () => NOW });
  });

  /** The event API Gateway passes on once the token authorizer has vouched for alice. */
  function anExecEvent(jobId: string, body = '{}'): APIGatewayProxyEventV2 {
    return {
      version: '2.0',
      routeKey: 'POST /jobs/{id}/exec',
      rawPath: `/jobs/${jobId}/exec`,
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      body,
      isBase64Encoded: false,
      pathParameters: { id: jobId },
      requestContext: { requestId: 'request-1', http: { method: 'POST' }, authorizer: { lambda: { caller: 'alice', profiles: alice.profiles.join(',') } } },
    } as unknown as APIGatewayProxyEventV2;
  }

  async function call(event: APIGatewayProxyEventV2) {
    const response = await handler(event, {} as Context);
    const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    return { status: response.statusCode, headers, json: JSON.parse(response.body ?? 'null') as Record<string, unknown> };
  }

  it('answers 201 with exactly the session for session-manager-plugin, never to be cached', async () => {
    // Prepare
    const job = aJob({ profile: 'debug', status: 'RUNNING', taskArn: TASK_ARN, submittedBy: 'alice', execEnabled: true });
    await testStore.store.create(job);

    // Act
    const response = await call(anExecEvent(job.id, '{"command":["ps","aux"]}'));

    // Assess
    assert.equal(response.status, 201, JSON.stringify(response.json));
    assert.deepEqual(response.json, { ...aSession() });
    assert.deepEqual(Object.keys(response.json).sort(), ['region', 'sessionId', 'streamUrl', 'target', 'tokenValue']);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.deepEqual(taskRunner.execs[0]?.command, ['ps', 'aux']);
  });

  it('answers 409 EXEC_NOT_READY with a Retry-After header while the agent starts', async () => {
    // Prepare
    const job = aJob({ profile: 'debug', status: 'RUNNING', taskArn: TASK_ARN, submittedBy: 'alice', execEnabled: true });
    await testStore.store.create(job);
    taskRunner.snapshot = { taskArn: TASK_ARN, lastStatus: 'RUNNING', exitCode: null, version: 3, execAgentStatus: 'PENDING' };

    // Act
    const response = await call(anExecEvent(job.id));

    // Assess
    assert.equal(response.status, 409);
    assert.equal((response.json['error'] as { code: string }).code, 'EXEC_NOT_READY');
    assert.equal(response.headers['retry-after'], '2');
  });

  it('answers 400 for a body with other fields than command', async () => {
    // Prepare
    const job = aJob({ profile: 'debug', status: 'RUNNING', taskArn: TASK_ARN, submittedBy: 'alice', execEnabled: true });
    await testStore.store.create(job);

    // Act
    const response = await call(anExecEvent(job.id, '{"command":["ps"],"container":"sidecar"}'));

    // Assess
    assert.equal(response.status, 400);
    assert.equal(taskRunner.describes.length, 0);
  });
});
