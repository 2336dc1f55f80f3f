/**
 * The handler modules as Lambda runs them: settings from the environment serverless.yml sets, each
 * port built by the AWS composition root's factory for that function. The SDK
 * clients are real, their `send` mocked, so a port a handler forgot to wire, a wrong setting or a
 * wrong command shape fails here rather than in a deployed stage.
 */
import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import { DescribeTasksCommand, ECSClient, ExecuteCommandCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ACTIVE_INDEX, jobKey, LIST_INDEX, listedScheduleKey, scheduleKey, tokenKey, tokenNameKey } from '#lib/adapters/aws/dynamodb-table.ts';
import { fireIdempotencyKey, type Schedule } from '#lib/domain/schedule.ts';
import type { Job } from '#lib/domain/job.ts';
import type { ReconcileReport } from '#lib/workflow/reconcile.ts';
import type { WorkflowState } from '#lib/workflow/workflow-state.ts';
import { aJob } from '../helpers/jobs.ts';
import { CLUSTER, REGION, STAGE_ENVIRONMENT } from '../helpers/aws-stage-environment.ts';

const TASK_ARN = `arn:aws:ecs:${REGION}:123456789012:task/${CLUSTER}/0f1e2d3c4b5a69788796a5b4c3d2e1f0`;

// The store sends through the document client, so that is the client to mock.
const dynamodb = mockClient(DynamoDBDocumentClient);
const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);
const secretsManager = mockClient(SecretsManagerClient);
const scheduler = mockClient(SchedulerClient);

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let handlers: {
  createJob: HttpHandler;
  getJob: HttpHandler;
  listJobs: HttpHandler;
  cancelJob: HttpHandler;
  execJob: HttpHandler;
  health: HttpHandler;
  options: HttpHandler;
  startTask: (input: { jobId: string }) => Promise<{ started: boolean; taskArn: string | null }>;
  awaitTask: (input: { state: WorkflowState; taskToken: string }) => Promise<void>;
  taskStateChange: (event: unknown) => Promise<void>;
  reconcile: () => Promise<ReconcileReport>;
  schedules: HttpHandler;
  fireSchedule: (event: unknown) => Promise<void>;
};

/** What the Lambda authorizer answers for a valid token: its name and profiles (comma-separated). */
const CALLER_CONTEXT = { caller: 'alice', profiles: '*' };

interface HttpEventOptions {
  /** A JSON body, or a string sent as is. */
  body?: unknown;
  pathParameters?: Record<string, string>;
  /** The Lambda authorizer's context; `null` for a request that carries none. */
  authorizer?: Record<string, string> | null;
}

function httpEvent(method: string, path: string, options: HttpEventOptions = {}): APIGatewayProxyEventV2 {
  const authorizer = options.authorizer === undefined ? CALLER_CONTEXT : options.authorizer;
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'request-1',
      http: { method, path },
      ...(authorizer === null ? {} : { authorizer: { lambda: authorizer } }),
    },
  } as unknown as APIGatewayProxyEventV2;
}

/** A response header whatever the case of its name. */
function headerOf(response: APIGatewayProxyStructuredResultV2, name: string): unknown {
  return Object.entries(response.headers ?? {}).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
}

/** The state an execution waits in (AwaitTask) for a task that has not run yet. */
function waitingState(job: Job): WorkflowState {
  return {
    jobId: job.id,
    started: true,
    taskArn: TASK_ARN,
    timeoutSeconds: job.timeoutSeconds,
    provisioningDeadline: new Date(Date.now() + 600_000).toISOString(),
    deadline: null,
    taskStatus: 'PROVISIONING',
    networkReady: false,
    stopNeeded: false,
    stopRequest: null,
    waitSeconds: 600,
    lookNeeded: false,
  };
}

/** ECS's "ECS Task State Change" event for a task of this stage's cluster, as EventBridge delivers it. */
/** What the stage's `default` profile runs (TASK_DEFINITION_PREFIX + `-default`), as ECS names it in events and DescribeTasks. */
const DEFAULT_TASK_DEFINITION_ARN = `arn:aws:ecs:${REGION}:123456789012:task-definition/fargate-jobs-test-default:7`;

function taskStateChangeEvent(detail: Record<string, unknown>) {
  return {
    version: '0',
    id: 'e0a1b2c3-d4e5-f6a7-b8c9-d0e1f2a3b4c5',
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '123456789012',
    time: new Date().toISOString(),
    region: REGION,
    resources: [TASK_ARN],
    detail: { clusterArn: `arn:aws:ecs:${REGION}:123456789012:cluster/${CLUSTER}`, taskArn: TASK_ARN, taskDefinitionArn: DEFAULT_TASK_DEFINITION_ARN, ...detail },
  };
}

function storedItem(job: Job) {
  return { ...job, ...jobKey(job.id), gsi1pk: 'JOBS', gsi1sk: `${job.createdAt}#${job.id}` };
}

before(async () => {
  Object.assign(process.env, STAGE_ENVIRONMENT);
  const [createJob, getJob, listJobs, cancelJob, execJob, health, options, startTask, awaitTask, taskStateChange, reconcile, schedules, fireSchedule] = await Promise.all([
    import('#handlers/http/create-job.ts'),
    import('#handlers/http/get-job.ts'),
    import('#handlers/http/list-jobs.ts'),
    import('#handlers/http/cancel-job.ts'),
    import('#handlers/http/exec-job.ts'),
    import('#handlers/http/health.ts'),
    import('#handlers/http/options.ts'),
    import('#handlers/steps/start-task.ts'),
    import('#handlers/steps/await-task.ts'),
    import('#handlers/events/task-state-change.ts'),
    import('#handlers/events/reconcile.ts'),
    import('#handlers/http/schedules.ts'),
    import('#handlers/events/fire-schedule.ts'),
  ]);
  handlers = {
    createJob: createJob.handler as unknown as HttpHandler,
    getJob: getJob.handler as unknown as HttpHandler,
    listJobs: listJobs.handler as unknown as HttpHandler,
    cancelJob: cancelJob.handler as unknown as HttpHandler,
    execJob: execJob.handler as unknown as HttpHandler,
    health: health.handler as unknown as HttpHandler,
    options: options.handler as unknown as HttpHandler,
    startTask: startTask.handler as never,
    awaitTask: awaitTask.handler as never,
    taskStateChange: taskStateChange.handler as never,
    reconcile: reconcile.handler as never,
    schedules: schedules.handler as unknown as HttpHandler,
    fireSchedule: fireSchedule.handler as never,
  };
});

beforeEach(() => {
  dynamodb.reset();
  ecs.reset();
  sfn.reset();
  secretsManager.reset();
  scheduler.reset();
});

describe('the Lambda handlers wired to AWS', () => {
  it('POST /jobs stores the job in the stage table and starts an execution named after it', async () => {
    // Prepare
    dynamodb.on(PutCommand).resolves({});
    dynamodb.on(QueryCommand).resolves({ Count: 0, ScannedCount: 0 });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:…:execution:x', startDate: new Date() });

    // Act
    const response = await handlers.createJob(httpEvent('POST', '/jobs', { body: { command: ['echo', 'hello'] } }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 202);
    const job = JSON.parse(response.body ?? '{}') as { id: string; submittedBy: string };
    assert.equal(job.submittedBy, 'alice');
    const [put] = dynamodb.commandCalls(PutCommand);
    assert.equal(put?.args[0].input.TableName, 'fargate-jobs-test-jobs');
    const [count] = dynamodb.commandCalls(QueryCommand);
    assert.equal(count?.args[0].input.IndexName, ACTIVE_INDEX, "the caller's active jobs are counted against the stage's limit");
    assert.deepEqual(count?.args[0].input.ExpressionAttributeValues, { ':submitter': 'alice', ':active0': 'QUEUED', ':active1': 'PROVISIONING', ':active2': 'RUNNING' });
    assert.equal(count?.args[0].input.FilterExpression, '#status IN (:active0, :active1, :active2)', 'a cancelled job waiting for its stop to be recorded counts no more');
    assert.equal(count?.args[0].input.Limit, 50);
    const [start] = sfn.commandCalls(StartExecutionCommand);
    assert.deepEqual(start?.args[0].input, {
      stateMachineArn: STAGE_ENVIRONMENT.STATE_MACHINE_ARN,
      name: job.id,
      input: JSON.stringify({ jobId: job.id }),
    });
  });

  it('POST /jobs with an Idempotency-Key keys the request hash with the stage secret, read once', async () => {
    // Prepare
    dynamodb.on(PutCommand).resolves({});
    dynamodb.on(QueryCommand).resolves({ Count: 0, ScannedCount: 0 });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:…:execution:x', startDate: new Date() });
    secretsManager.on(GetSecretValueCommand).resolves({ ARN: STAGE_ENVIRONMENT.REQUEST_HASH_KEY_SECRET, SecretString: 'k'.repeat(64) });
    const submit = (key: string) => {
      const event = httpEvent('POST', '/jobs', { body: { command: ['echo', 'hello'] } });
      event.headers['idempotency-key'] = key;
      return handlers.createJob(event, {} as Context);
    };

    // Act
    const responses = [await submit('deploy-1'), await submit('deploy-2')];

    // Assess
    assert.deepEqual(responses.map((response) => response.statusCode), [202, 202]);
    const hashes = dynamodb.commandCalls(PutCommand).map((call) => String(call.args[0].input.Item?.requestHash));
    assert.equal(hashes.length, 2);
    for (const hash of hashes) assert.match(hash, /^hmac-sha256:[0-9a-f]{64}$/);
    const reads = secretsManager.commandCalls(GetSecretValueCommand);
    assert.equal(reads.length, 1, 'the secret is read at the first idempotent request and kept');
    assert.equal(reads[0]?.args[0].input.SecretId, STAGE_ENVIRONMENT.REQUEST_HASH_KEY_SECRET);
  });

  it('GET /jobs/{id} reads the job from the stage table', async () => {
    // Prepare
    const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN });
    dynamodb.on(GetCommand).resolves({ Item: storedItem(job) });

    // Act
    const response = await handlers.getJob(httpEvent('GET', `/jobs/${job.id}`, { pathParameters: { id: job.id } }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 200);
    assert.equal((JSON.parse(response.body ?? '{}') as { status: string }).status, 'RUNNING');
    assert.deepEqual(dynamodb.commandCalls(GetCommand)[0]?.args[0].input, { TableName: 'fargate-jobs-test-jobs', Key: jobKey(job.id), ConsistentRead: true });
  });

  it('HEAD /jobs/{id} (the HEAD route to the getJob function) answers as GET does, Content-Length included, without the body', async () => {
    // Prepare
    const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN });
    dynamodb.on(GetCommand).resolves({ Item: storedItem(job) });
    const event = (method: string) => httpEvent(method, `/jobs/${job.id}`, { pathParameters: { id: job.id } });

    // Act
    const get = await handlers.getJob(event('GET'), {} as Context);
    const head = await handlers.getJob(event('HEAD'), {} as Context);
    const unauthenticated = await handlers.getJob({ ...event('HEAD'), requestContext: { ...event('HEAD').requestContext, authorizer: undefined } } as never, {} as Context);

    // Assess
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
    assert.deepEqual(head.headers, { ...get.headers, 'content-length': String(Buffer.byteLength(get.body ?? '')) });
    assert.equal(unauthenticated.statusCode, 401);
    assert.equal(unauthenticated.body, '');
    assert.equal(headerOf(unauthenticated, 'content-type'), 'application/json; charset=utf-8');
  });

  it('HEAD /health answers 200 as GET does, without the body', async () => {
    // Act
    const get = await handlers.health(httpEvent('GET', '/health', { authorizer: null }), {} as Context);
    const head = await handlers.health(httpEvent('HEAD', '/health', { authorizer: null }), {} as Context);

    // Assess
    assert.equal(get.body, '{"status":"ok"}');
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
    assert.equal(headerOf(head, 'content-type'), 'application/json; charset=utf-8');
    assert.equal(headerOf(head, 'content-length'), String('{"status":"ok"}'.length));
  });

  it('OPTIONS answers 204 with the methods of the route key\'s path in Allow, and no body, without a token', async () => {
    // Act
    const jobs = await handlers.options(httpEvent('OPTIONS', '/jobs', { authorizer: null }), {} as Context);
    const job = await handlers.options({ ...httpEvent('OPTIONS', '/jobs/job-1', { authorizer: null }), routeKey: 'OPTIONS /jobs/{id}' }, {} as Context);

    // Assess
    assert.equal(jobs.statusCode, 204);
    assert.equal(headerOf(jobs, 'allow'), 'POST, GET, HEAD, OPTIONS');
    assert.equal(jobs.body ?? '', '');
    assert.equal(job.statusCode, 204);
    assert.equal(headerOf(job, 'allow'), 'GET, HEAD, DELETE, OPTIONS');
  });

  it("POST /jobs without a profile runs the token's one profile when it is scoped to exactly one", async () => {
    // Prepare
    dynamodb.on(PutCommand).resolves({});
    dynamodb.on(QueryCommand).resolves({ Count: 0, ScannedCount: 0 });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:…:execution:x', startDate: new Date() });
    const sshOnly = { caller: 'alice', profiles: 'ssh' };
    const sshPublicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMqIRx2rNwvZyYz3x9PmAqJ4m2s2yqfXh9p3Q5yO7c1l alice';

    // Act
    const response = await handlers.createJob(httpEvent('POST', '/jobs', { body: { command: ['sleep', '60'], sshPublicKey }, authorizer: sshOnly }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 202, response.body);
    assert.equal((JSON.parse(response.body ?? '{}') as { profile: string }).profile, 'ssh');
    assert.equal(dynamodb.commandCalls(PutCommand)[0]?.args[0].input.Item?.profile, 'ssh');
  });

  it('POST /jobs refuses a cpu or memory past any Fargate size with INVALID_TASK_SIZE, not the profile maximum or a number limit', async () => {
    for (const body of [{ cpu: 2 ** 53 }, { cpu: 1e308 }, { cpu: 2048, memory: 1e308 }]) {
      // Act
      const response = await handlers.createJob(httpEvent('POST', '/jobs', { body: { command: ['true'], ...body } }), {} as Context);

      // Assess
      const error = (JSON.parse(response.body ?? '{}') as { error: { code: string; message: string } }).error;
      assert.equal(response.statusCode, 400, JSON.stringify(body));
      assert.equal(error.code, 'INVALID_TASK_SIZE', JSON.stringify(body));
      assert.match(error.message, /is not a Fargate (CPU|task) size/);
    }
    assert.equal(dynamodb.commandCalls(PutCommand).length, 0);
  });

  it('DELETE /jobs/{id} records CANCELLED and stops the task in its cluster', async () => {
    // Prepare
    const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN });
    dynamodb.on(GetCommand).resolves({ Item: storedItem(job) });
    dynamodb.on(UpdateCommand).resolves({ Attributes: storedItem({ ...job, status: 'CANCELLED' }) });
    ecs.on(StopTaskCommand).resolves({});

    // Act
    const response = await handlers.cancelJob(httpEvent('DELETE', `/jobs/${job.id}`, { pathParameters: { id: job.id } }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 200);
    const [stop] = ecs.commandCalls(StopTaskCommand);
    assert.equal(stop?.args[0].input.cluster, CLUSTER);
    assert.equal(stop?.args[0].input.task, TASK_ARN);
    assert.match(stop?.args[0].input.reason ?? '', /^cancelled by alice/);
  });

  it("POST /jobs/{id}/exec describes the task once, records the exec on the job, and answers ExecuteCommand's session with its target and the stage's region", async () => {
    // Prepare
    const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN, submittedBy: 'alice', execEnabled: true });
    const runtimeId = '0f1e2d3c4b5a69788796a5b4c3d2e1f0-2531612879';
    dynamodb.on(GetCommand).resolves({ Item: storedItem(job) });
    dynamodb.on(UpdateCommand).resolves({ Attributes: storedItem(job) });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: TASK_ARN,
          lastStatus: 'RUNNING',
          version: 3,
          enableExecuteCommand: true,
          taskDefinitionArn: DEFAULT_TASK_DEFINITION_ARN,
          overrides: { containerOverrides: [{ name: 'job' }] },
          containers: [{ name: 'job', lastStatus: 'RUNNING', runtimeId, managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'RUNNING' }] }],
        },
      ],
    });
    const session = { sessionId: 'ecs-execute-command-0a1b2c3d4e5f', streamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/ecs-execute-command-0a1b2c3d4e5f?role=publish_subscribe`, tokenValue: 'AAEAAexample' };
    ecs.on(ExecuteCommandCommand).resolves({ session, taskArn: TASK_ARN, containerName: 'job', interactive: true });

    // Act
    const response = await handlers.execJob(httpEvent('POST', `/jobs/${job.id}/exec`, { pathParameters: { id: job.id }, body: {} }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(headerOf(response, 'cache-control'), 'no-store');
    assert.deepEqual(JSON.parse(response.body ?? '{}'), { ...session, target: `ecs:${CLUSTER}_0f1e2d3c4b5a69788796a5b4c3d2e1f0_${runtimeId}`, region: REGION });
    assert.deepEqual(ecs.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input), [{ cluster: CLUSTER, tasks: [TASK_ARN] }]);
    assert.deepEqual(ecs.commandCalls(ExecuteCommandCommand).map((call) => call.args[0].input), [{ cluster: CLUSTER, task: TASK_ARN, container: 'job', interactive: true, command: '/bin/sh' }]);
    const updates = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    assert.ok(updates.every((update) => update.TableName === 'fargate-jobs-test-jobs'));
    const recorded = updates.find((update) => String(update.UpdateExpression).includes('list_append'));
    assert.deepEqual((recorded?.ExpressionAttributeValues?.[':exec'] as Array<{ by: string; command: string[] }>).map(({ by, command }) => ({ by, command })), [{ by: 'alice', command: ['/bin/sh'] }]);
  });

  it("GET /jobs/{id} answers 404 for a job of a profile outside the token's scope", async () => {
    // Prepare
    const job = aJob({ profile: 'default', status: 'RUNNING', taskArn: TASK_ARN });
    dynamodb.on(GetCommand).resolves({ Item: storedItem(job) });
    const scopedToOtherProfile = { caller: 'nightly-bot', profiles: 'nightly,reports' };

    // Act
    const response = await handlers.getJob(
      httpEvent('GET', `/jobs/${job.id}`, { pathParameters: { id: job.id }, authorizer: scopedToOtherProfile }),
      {} as Context,
    );

    // Assess
    assert.equal(response.statusCode, 404);
    assert.equal((JSON.parse(response.body ?? '{}') as { error: { code: string } }).error.code, 'JOB_NOT_FOUND');
  });

  it("GET /jobs queries the stage table's list index for the profiles of the token's scope only", async () => {
    // Prepare
    dynamodb.on(QueryCommand).resolves({ Items: [] });
    const scoped = { caller: 'nightly-bot', profiles: 'nightly,reports' };

    // Act
    const response = await handlers.listJobs(httpEvent('GET', '/jobs', { authorizer: scoped }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 200);
    const query = dynamodb.commandCalls(QueryCommand)[0]?.args[0].input;
    assert.equal(query?.TableName, 'fargate-jobs-test-jobs');
    assert.equal(query?.IndexName, LIST_INDEX);
    const profiles = Object.entries(query?.ExpressionAttributeValues ?? {})
      .filter(([name]) => name.startsWith(':profile'))
      .map(([, value]) => value as unknown);
    assert.deepEqual(profiles.sort(), ['nightly', 'reports']);
  });

  it('answers a request without authorizer context 401 UNAUTHORIZED with WWW-Authenticate: Bearer, and reads nothing', async () => {
    // Prepare
    const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN });
    dynamodb.on(GetCommand).resolves({ Item: storedItem(job) });

    // Act
    const response = await handlers.getJob(httpEvent('GET', `/jobs/${job.id}`, { pathParameters: { id: job.id }, authorizer: null }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 401);
    assert.equal(headerOf(response, 'WWW-Authenticate'), 'Bearer');
    const body = JSON.parse(response.body ?? '{}') as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'UNAUTHORIZED');
    assert.match(body.error.message, /Authorization: Bearer <token>/);
    assert.equal(dynamodb.commandCalls(GetCommand).length, 0);
  });

  it('POST /jobs answers an unauthenticated request 401 before it looks at an invalid JSON body, and stores and starts nothing', async () => {
    // Act
    const response = await handlers.createJob(httpEvent('POST', '/jobs', { body: '{"command":', authorizer: { failure: 'REVOKED' } }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 401);
    assert.equal(headerOf(response, 'WWW-Authenticate'), 'Bearer');
    assert.deepEqual(JSON.parse(response.body ?? '{}'), { error: { code: 'UNAUTHORIZED', message: 'the token is unknown or has been revoked' } });
    assert.equal(dynamodb.commandCalls(PutCommand).length, 0);
    assert.equal(sfn.commandCalls(StartExecutionCommand).length, 0);
  });

  it('POST /jobs answers an authenticated request with an invalid JSON body 400 INVALID_JSON', async () => {
    // Act
    const response = await handlers.createJob(httpEvent('POST', '/jobs', { body: '{"command":' }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 400);
    assert.equal((JSON.parse(response.body ?? '{}') as { error: { code: string } }).error.code, 'INVALID_JSON');
  });

  it('StartTask runs the task of the profile in the stage cluster, subnets and security groups', async () => {
    // Prepare
    const job = aJob({ status: 'QUEUED', command: ['echo', 'hello'] });
    dynamodb.on(GetCommand).resolves({ Item: storedItem(job) });
    dynamodb.on(UpdateCommand).resolves({ Attributes: storedItem({ ...job, status: 'PROVISIONING', taskArn: TASK_ARN }) });
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN, lastStatus: 'PROVISIONING' }], failures: [] });

    // Act
    const state = await handlers.startTask({ jobId: job.id });

    // Assess
    assert.equal(state.started, true);
    assert.equal(state.taskArn, TASK_ARN);
    const input = ecs.commandCalls(RunTaskCommand)[0]?.args[0].input;
    assert.equal(input?.cluster, CLUSTER);
    assert.equal(input?.taskDefinition, 'fargate-jobs-test-default');
    assert.deepEqual(input?.networkConfiguration?.awsvpcConfiguration?.subnets, ['subnet-0a1b2c3d', 'subnet-4e5f6a7b']);
    assert.deepEqual(input?.networkConfiguration?.awsvpcConfiguration?.securityGroups, ['sg-0123456789abcdef0']);
    assert.deepEqual(input?.overrides?.containerOverrides?.[0]?.command, ['echo', 'hello']);
  });

  it("AwaitTask stores the execution's task token on the job in the stage table, and wakes nothing while no change is recorded", async () => {
    // Prepare
    const job = aJob({ status: 'PROVISIONING', taskArn: TASK_ARN });
    const state = waitingState(job);
    dynamodb.on(UpdateCommand).resolves({ Attributes: storedItem({ ...job, waitToken: 'token-1', waitState: { ...state } }) });

    // Act
    await handlers.awaitTask({ state, taskToken: 'token-1' });

    // Assess
    const [update] = dynamodb.commandCalls(UpdateCommand);
    assert.equal(update?.args[0].input.TableName, 'fargate-jobs-test-jobs');
    assert.deepEqual(update?.args[0].input.Key, jobKey(job.id));
    assert.ok(Object.values(update?.args[0].input.ExpressionAttributeValues ?? {}).includes('token-1'), 'the token is written');
    assert.equal(dynamodb.commandCalls(GetCommand).length, 0, 'the write returns the record: no read (the function may only UpdateItem)');
    assert.equal(sfn.commandCalls(SendTaskSuccessCommand).length, 0);
  });

  it('AwaitTask wakes the execution at once when the task stopped before the token was stored (and not for one that is merely running)', async () => {
    // Prepare
    const job = aJob({ status: 'SUCCEEDED', exitCode: 0, taskArn: TASK_ARN });
    const state = waitingState(job);
    const startedAt = new Date(Date.now() - 5_000).toISOString();
    const stoppedAt = new Date(Date.now() - 1_000).toISOString();
    dynamodb.on(UpdateCommand).resolvesOnce({ Attributes: storedItem({ ...job, status: 'RUNNING', startedAt, taskState: { lastStatus: 'RUNNING', version: 3, startedAt }, waitToken: 'token-1', waitState: { ...state } }) })
      .resolves({ Attributes: storedItem({ ...job, startedAt, taskState: { lastStatus: 'STOPPED', version: 5, startedAt, stoppedAt, exitCode: 0 }, waitToken: 'token-2', waitState: { ...state } }) });
    sfn.on(SendTaskSuccessCommand).resolves({});

    // Act
    await handlers.awaitTask({ state, taskToken: 'token-1' });
    await handlers.awaitTask({ state, taskToken: 'token-2' });

    // Assess
    const wakes = sfn.commandCalls(SendTaskSuccessCommand);
    assert.equal(wakes.length, 1, 'RUNNING wakes nothing');
    assert.equal(wakes[0]?.args[0].input.taskToken, 'token-2');
    const next = JSON.parse(wakes[0]?.args[0].input.output ?? '{}') as WorkflowState;
    assert.equal(next.jobId, job.id);
    assert.equal(next.taskStatus, 'STOPPED');
  });

  it('taskStateChange records an ECS Task State Change (RUNNING) on the job in the stage table without waking the execution', async () => {
    // Prepare
    const job = aJob({ status: 'PROVISIONING', taskArn: TASK_ARN });
    const startedAt = new Date(Date.now() - 2_000).toISOString();
    const waiting = { ...job, waitToken: 'token-3', waitState: { ...waitingState(job) } };
    dynamodb.on(GetCommand).resolves({ Item: storedItem(waiting) });
    dynamodb.on(UpdateCommand).resolves({ Attributes: storedItem({ ...waiting, status: 'RUNNING', startedAt, taskState: { lastStatus: 'RUNNING', version: 3, startedAt } }) });
    sfn.on(SendTaskSuccessCommand).resolves({});

    // Act
    await handlers.taskStateChange(taskStateChangeEvent({ startedBy: job.id, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', startedAt, version: 3, containers: [] }));

    // Assess
    assert.deepEqual(dynamodb.commandCalls(GetCommand)[0]?.args[0].input.Key, jobKey(job.id), "the task's startedBy is the job");
    const updates = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    assert.ok(updates.length > 0);
    for (const update of updates) {
      assert.equal(update.TableName, 'fargate-jobs-test-jobs');
      assert.deepEqual(update.Key, jobKey(job.id));
    }
    assert.equal(sfn.commandCalls(SendTaskSuccessCommand).length, 0, 'only the STOPPED event wakes the execution');
  });

  it("taskStateChange records the STOPPED change with the job's verdict and wakes the execution waiting with the job's token", async () => {
    // Prepare
    const startedAt = new Date(Date.now() - 60_000);
    const stoppedAt = new Date(Date.now() - 1_000);
    const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN, startedAt: startedAt.toISOString() });
    const waiting = { ...job, taskState: { lastStatus: 'RUNNING', version: 3, startedAt: startedAt.toISOString() }, waitToken: 'token-5', waitState: { ...waitingState(job), taskStatus: 'RUNNING' } };
    const taskState = { lastStatus: 'STOPPED', version: 6, startedAt: startedAt.toISOString(), stoppedAt: stoppedAt.toISOString(), stopCode: 'EssentialContainerExited', exitCode: 0 };
    dynamodb.on(GetCommand).resolves({ Item: storedItem(waiting as Job) });
    dynamodb.on(UpdateCommand).resolvesOnce({ Attributes: storedItem({ ...waiting, taskState } as Job) }).resolves({ Attributes: storedItem({ ...waiting, taskState, status: 'SUCCEEDED', exitCode: 0 } as Job) });
    sfn.on(SendTaskSuccessCommand).resolves({});

    // Act
    await handlers.taskStateChange(
      taskStateChangeEvent({
        startedBy: job.id,
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        startedAt: startedAt.toISOString(),
        stoppedAt: stoppedAt.toISOString(),
        stopCode: 'EssentialContainerExited',
        version: 6,
        containers: [{ name: 'job', exitCode: 0, lastStatus: 'STOPPED' }],
      }),
    );

    // Assess
    const [wake] = sfn.commandCalls(SendTaskSuccessCommand);
    assert.equal(wake?.args[0].input.taskToken, 'token-5');
    assert.equal((JSON.parse(wake?.args[0].input.output ?? '{}') as WorkflowState).taskStatus, 'STOPPED');
    const statuses = dynamodb.commandCalls(UpdateCommand).flatMap((call) => Object.values(call.args[0].input.ExpressionAttributeValues ?? {}));
    assert.ok(statuses.includes('SUCCEEDED'), 'the verdict is written with the event');
  });

  it('taskStateChange ignores the event of a task no job started, reading and writing nothing', async () => {
    // Act
    await handlers.taskStateChange(taskStateChangeEvent({ startedBy: 'ecs-svc/1234567890', lastStatus: 'RUNNING', version: 2, containers: [] }));

    // Assess
    assert.equal(dynamodb.commandCalls(GetCommand).length, 0);
    assert.equal(dynamodb.commandCalls(UpdateCommand).length, 0);
    assert.equal(sfn.commandCalls(SendTaskSuccessCommand).length, 0);
  });

  it("the reconciler Scans the stage table's active index, describes the tasks on the stage cluster, records a missed stop and wakes the execution with the job's token", async () => {
    // Prepare: a running job whose STOPPED event was lost; its execution waits in AwaitTask.
    const startedAt = new Date(Date.now() - 60_000);
    const stoppedAt = new Date(Date.now() - 5_000);
    const running = aJob({ status: 'RUNNING', taskArn: TASK_ARN, startedAt: startedAt.toISOString() });
    const waitState: WorkflowState = { ...waitingState(running), taskStatus: 'RUNNING', deadline: new Date(Date.now() + 600_000).toISOString(), networkReady: true };
    const recorded = { ...running, taskState: { lastStatus: 'RUNNING', version: 3, startedAt: startedAt.toISOString() }, waitToken: 'token-4', waitState: { ...waitState } };
    const stoppedTask = { lastStatus: 'STOPPED', version: 5, startedAt: startedAt.toISOString(), stoppedAt: stoppedAt.toISOString(), stopCode: 'EssentialContainerExited', exitCode: 0 };
    const stopped = { ...recorded, taskState: stoppedTask };
    // What the sparse index projects: the keys, the status and the task.
    dynamodb.on(ScanCommand).resolves({ Items: [{ ...jobKey(running.id), activeSubmitter: running.submittedBy, status: 'RUNNING', taskArn: TASK_ARN }] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: TASK_ARN,
          taskDefinitionArn: DEFAULT_TASK_DEFINITION_ARN,
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          version: 5,
          startedAt,
          stoppedAt,
          stopCode: 'EssentialContainerExited',
          overrides: { containerOverrides: [{ name: 'job' }] },
          containers: [{ name: 'job', exitCode: 0, lastStatus: 'STOPPED' }],
        },
      ],
      failures: [],
    });
    // The record before the change is applied, then as the write left it.
    dynamodb.on(GetCommand).resolvesOnce({ Item: storedItem(recorded as Job) }).resolves({ Item: storedItem(stopped as Job) });
    dynamodb.on(UpdateCommand).resolves({ Attributes: storedItem(stopped as Job) });
    sfn.on(SendTaskSuccessCommand).resolves({});

    // Act
    const report = await handlers.reconcile();

    // Assess: the index, never the table.
    const [scan] = dynamodb.commandCalls(ScanCommand);
    assert.equal(scan?.args[0].input.TableName, 'fargate-jobs-test-jobs');
    assert.equal(scan?.args[0].input.IndexName, ACTIVE_INDEX, 'only the sparse index of active jobs is scanned');
    const [describe] = ecs.commandCalls(DescribeTasksCommand);
    assert.equal(describe?.args[0].input.cluster, CLUSTER);
    assert.deepEqual(describe?.args[0].input.tasks, [TASK_ARN]);
    // The stop, recorded on the job as its event would have been.
    const updates = dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    assert.ok(updates.length > 0);
    for (const update of updates) {
      assert.equal(update.TableName, 'fargate-jobs-test-jobs');
      assert.deepEqual(update.Key, jobKey(running.id));
    }
    const recordedStates = updates.flatMap((update) => {
      const name = Object.entries(update.ExpressionAttributeNames ?? {}).find(([, attribute]) => attribute === 'taskState')?.[0];
      return name ? [update.ExpressionAttributeValues?.[name.replace(/^#f/, ':v')] as { lastStatus?: string; version?: number; exitCode?: number }] : [];
    });
    assert.equal(recordedStates.length, 1, 'one write records the task state');
    assert.equal(recordedStates[0]?.lastStatus, 'STOPPED');
    assert.equal(recordedStates[0]?.version, 5);
    assert.equal(recordedStates[0]?.exitCode, 0);
    // The execution, woken with the token stored on the job.
    const [wake] = sfn.commandCalls(SendTaskSuccessCommand);
    assert.equal(wake?.args[0].input.taskToken, 'token-4');
    const next = JSON.parse(wake?.args[0].input.output ?? '{}') as WorkflowState;
    assert.equal(next.jobId, running.id);
    assert.equal(next.taskStatus, 'STOPPED');
    assert.equal(ecs.commandCalls(StopTaskCommand).length, 0, 'the reconciler stops no task that has run');
    assert.deepEqual(report, { jobs: 1, woken: 1, gone: 0, stopped: 0 });
  });

  it('the reconciler stops a task still provisioning past its provisioning deadline, on the stage cluster, with the reason that ends the job START_FAILED', async () => {
    // Prepare: StartTask 11 minutes ago; the task never got past PENDING.
    const job = aJob({ status: 'PROVISIONING', taskArn: TASK_ARN });
    const waitState: WorkflowState = { ...waitingState(job), provisioningDeadline: new Date(Date.now() - 60_000).toISOString() };
    const recorded = { ...job, taskState: { lastStatus: 'PENDING', version: 2 }, waitToken: 'token-6', waitState: { ...waitState } };
    dynamodb.on(ScanCommand).resolves({ Items: [{ ...jobKey(job.id), activeSubmitter: job.submittedBy, status: 'PROVISIONING', taskArn: TASK_ARN }] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [{ taskArn: TASK_ARN, taskDefinitionArn: DEFAULT_TASK_DEFINITION_ARN, lastStatus: 'PENDING', desiredStatus: 'RUNNING', version: 2, containers: [{ name: 'job', lastStatus: 'PENDING' }] }],
      failures: [],
    });
    dynamodb.on(GetCommand).resolves({ Item: storedItem(recorded as Job) });
    ecs.on(StopTaskCommand).resolves({});

    // Act
    const report = await handlers.reconcile();

    // Assess
    const [stop] = ecs.commandCalls(StopTaskCommand);
    assert.equal(stop?.args[0].input.cluster, CLUSTER);
    assert.equal(stop?.args[0].input.task, TASK_ARN);
    assert.equal(stop?.args[0].input.reason, 'fargate-jobs: not running after 600 s of provisioning');
    assert.equal(sfn.commandCalls(SendTaskSuccessCommand).length, 0, 'its STOPPED event will wake the execution');
    assert.deepEqual(report, { jobs: 1, woken: 0, gone: 0, stopped: 1 });
  });

  it("POST /schedules stores the schedule in the stage table and creates its Scheduler schedule in the stage's group, invoking the fire function with the scheduler's role", async () => {
    // Prepare
    dynamodb.on(PutCommand).resolves({});
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: `arn:aws:scheduler:${REGION}:123456789012:schedule/fargate-jobs-test/nightly-report` });
    const body = { name: 'nightly-report', schedule: 'cron(0 2 * * ? *)', timezone: 'Europe/Paris', job: { command: ['echo', 'report'] } };

    // Act
    const response = await handlers.schedules(httpEvent('POST', '/schedules', { body }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 201, response.body);
    const [put] = dynamodb.commandCalls(PutCommand);
    assert.equal(put?.args[0].input.TableName, 'fargate-jobs-test-jobs');
    assert.deepEqual({ pk: put?.args[0].input.Item?.pk, sk: put?.args[0].input.Item?.sk }, scheduleKey('nightly-report'));
    const [create] = scheduler.commandCalls(CreateScheduleCommand);
    const input = create?.args[0].input;
    assert.equal(input?.GroupName, STAGE_ENVIRONMENT.SCHEDULE_GROUP);
    assert.equal(input?.Name, 'nightly-report');
    assert.equal(input?.ScheduleExpression, 'cron(0 2 * * ? *)');
    assert.equal(input?.ScheduleExpressionTimezone, 'Europe/Paris');
    assert.deepEqual(input?.FlexibleTimeWindow, { Mode: 'OFF' });
    assert.equal(input?.Target?.Arn, STAGE_ENVIRONMENT.SCHEDULE_TARGET_ARN);
    assert.equal(input?.Target?.RoleArn, STAGE_ENVIRONMENT.SCHEDULER_ROLE_ARN);
    assert.deepEqual(JSON.parse(input?.Target?.Input ?? 'null'), { name: 'nightly-report', fireTime: '<aws.scheduler.scheduled-time>' });
  });

  /** The schedule item fireSchedule reads, as the stage table holds it; its fires recorded by UpdateItem. */
  function aStoredSchedule() {
    const schedule: Schedule = {
      name: 'nightly-report',
      schedule: 'cron(0 2 * * ? *)',
      job: { profile: 'default', command: ['echo', 'report'] },
      overlap: 'allow',
      enabled: true,
      createdBy: 'alice',
      createdByProfiles: ['*'],
      createdAt: '2030-01-01T12:00:00.000Z',
      updatedAt: '2030-01-01T12:00:00.000Z',
    };
    const item = { ...schedule, ...listedScheduleKey(schedule.name) };
    dynamodb.on(GetCommand, { Key: scheduleKey(schedule.name) }).resolves({ Item: item });
    dynamodb.on(UpdateCommand).callsFake((input: { ExpressionAttributeValues?: Record<string, unknown> }) => ({ Attributes: { ...item, fires: input.ExpressionAttributeValues?.[':fires'], fireVersion: 1 } }));
    return schedule;
  }

  it("fireSchedule submits the schedule's job from a Scheduler delivery, keyed by name and due time, as its creator's active token, starts its execution and records the fire", async () => {
    // Prepare
    aStoredSchedule();
    const hash = 'a'.repeat(64);
    dynamodb.on(GetCommand, { Key: tokenNameKey('alice') }).resolves({ Item: { ...tokenNameKey('alice'), hash } });
    dynamodb.on(GetCommand, { Key: tokenKey(hash) }).resolves({ Item: { ...tokenKey(hash), hash, name: 'alice', profiles: ['default'], createdAt: '2030-01-01T00:00:00.000Z' } });
    dynamodb.on(PutCommand).resolves({});
    dynamodb.on(QueryCommand).resolves({ Count: 0, ScannedCount: 0 });
    secretsManager.on(GetSecretValueCommand).resolves({ ARN: STAGE_ENVIRONMENT.REQUEST_HASH_KEY_SECRET, SecretString: 'k'.repeat(64) });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:…:execution:x', startDate: new Date() });

    // Act: the Input as Scheduler delivers it, its context attribute replaced by the due time.
    await handlers.fireSchedule({ name: 'nightly-report', fireTime: '2030-01-02T02:00:00Z' });

    // Assess
    const [put] = dynamodb.commandCalls(PutCommand);
    const job = put?.args[0].input.Item as Job | undefined;
    assert.equal(job?.idempotencyKey, fireIdempotencyKey('nightly-report', new Date('2030-01-02T02:00:00Z')));
    assert.equal(job?.labels.schedule, 'nightly-report');
    assert.equal(job?.submittedBy, 'alice');
    const [start] = sfn.commandCalls(StartExecutionCommand);
    assert.equal(start?.args[0].input.name, job?.id, "the job's execution is started");
    const [record] = dynamodb.commandCalls(UpdateCommand);
    assert.deepEqual(record?.args[0].input.Key, scheduleKey('nightly-report'));
    assert.deepEqual(record?.args[0].input.ExpressionAttributeValues?.[':fires'], [{ at: '2030-01-02T02:00:00.000Z', outcome: 'submitted', jobId: job?.id }]);
    const tokenReads = dynamodb.commandCalls(GetCommand).map((call) => call.args[0].input).filter((input) => String(input.Key?.pk).startsWith('TOKEN'));
    assert.deepEqual(tokenReads, [
      { TableName: 'fargate-jobs-test-jobs', Key: tokenNameKey('alice'), ConsistentRead: true },
      { TableName: 'fargate-jobs-test-jobs', Key: tokenKey(hash), ConsistentRead: true },
    ]);
  });

  it("fireSchedule makes no job once its creator's token is revoked (no item holds the name), and records the fire failed without throwing", async () => {
    // Prepare
    aStoredSchedule();
    dynamodb.on(GetCommand, { Key: tokenNameKey('alice') }).resolves({});

    // Act
    await handlers.fireSchedule({ name: 'nightly-report', fireTime: '2030-01-02T02:00:00Z' });

    // Assess
    assert.equal(dynamodb.commandCalls(PutCommand).length, 0);
    assert.equal(sfn.commandCalls(StartExecutionCommand).length, 0);
    const [record] = dynamodb.commandCalls(UpdateCommand);
    const [fire] = record?.args[0].input.ExpressionAttributeValues?.[':fires'] as Array<{ outcome: string; reason: string }>;
    assert.equal(fire?.outcome, 'failed');
    assert.match(fire?.reason ?? '', /^token 'alice' that made this schedule is revoked/);
  });
});
