/**
 * The fake AWS endpoint the end-to-end tests run against, proven with the real SDK v3 clients over
 * HTTP: what ECS, EC2 and CloudWatch Logs answer must come through the SDK's own deserializers and
 * error parsing exactly as the real services' answers do (dates, error names and messages, XML
 * lists, log tokens), or the end-to-end tests would prove nothing about the adapters.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClusterNotFoundException,
  ConflictException,
  DescribeTasksCommand,
  ECSClient,
  ExecuteCommandCommand,
  InvalidParameterException,
  RunTaskCommand,
  StopTaskCommand,
  type RunTaskCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { awsProfiles } from '#config/profiles.ts';
import { EcsTaskRunner } from '#lib/adapters/aws/ecs-task-runner.ts';
import { taskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { fallbackCapacity, firstCapacity } from '#lib/domain/capacity.ts';
import { classifyStop } from '#lib/domain/classify-stop.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import { NO_CAPACITY_REASON, SPOT_INTERRUPTED_REASON, startFakeAws, type FakeAws, type FakeTaskPlan, type RunTaskInput } from '../helpers/fake-aws.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const CLUSTER = 'fargate-jobs-test';
const LOG_GROUP = '/fargate-jobs/test/jobs';
const LOG_STREAM_PREFIX = 'jobs';
const CONTAINER = 'job';
const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' };
const TASK_ARN_PATTERN = new RegExp(`^arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/([0-9a-f]{32})$`);

/** A fake whose plans are keyed by clientToken, and which counts how often it was asked for one. */
async function startFake(plans: Record<string, FakeTaskPlan>): Promise<{ fake: FakeAws; planned: string[] }> {
  const planned: string[] = [];
  const fake = await startFakeAws({
    region: REGION,
    account: ACCOUNT,
    logGroup: LOG_GROUP,
    logStreamPrefix: LOG_STREAM_PREFIX,
    plan: (input: RunTaskInput) => {
      planned.push(input.clientToken ?? '');
      return plans[input.clientToken ?? ''] ?? {};
    },
  });
  return { fake, planned };
}

function clientsOf(fake: FakeAws) {
  const config = { endpoint: fake.url, region: REGION, credentials: CREDENTIALS };
  return { ecs: new ECSClient(config), ec2: new EC2Client(config), logs: new CloudWatchLogsClient(config) };
}

/** A RunTask as the ECS task runner sends it. */
function runTaskInput(clientToken: string, assignPublicIp: 'ENABLED' | 'DISABLED' = 'ENABLED'): RunTaskCommandInput {
  return {
    cluster: CLUSTER,
    taskDefinition: 'fargate-jobs-test-default',
    clientToken,
    startedBy: clientToken,
    tags: [{ key: 'fargate-jobs:job-id', value: clientToken }],
    capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp } },
    overrides: { containerOverrides: [{ name: CONTAINER, command: ['sh', '-c', 'echo hi'], environment: [{ name: 'A', value: '1' }] }] },
  };
}

async function startTask(ecs: ECSClient, clientToken: string, assignPublicIp?: 'ENABLED' | 'DISABLED'): Promise<Task> {
  const { tasks } = await ecs.send(new RunTaskCommand(runTaskInput(clientToken, assignPublicIp)));
  const task = tasks?.[0];
  assert.ok(task?.taskArn, 'RunTask started a task');
  return task;
}

async function describe1(ecs: ECSClient, taskArn: string): Promise<Task> {
  const { tasks, failures } = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [taskArn] }));
  assert.deepEqual(failures, []);
  const task = tasks?.[0];
  assert.ok(task);
  return task;
}

function eniDetails(task: Task): Record<string, string | undefined> {
  const attachment = task.attachments?.find((candidate) => candidate.type === 'ElasticNetworkInterface');
  return Object.fromEntries((attachment?.details ?? []).map((detail) => [detail.name ?? '', detail.value]));
}

function taskIdOf(taskArn: string): string {
  return TASK_ARN_PATTERN.exec(taskArn)?.[1] ?? assert.fail(`not a task ARN: ${taskArn}`);
}

/** Runs a task (plan: provisioningDescribes 1, runningDescribes 1) until it is RUNNING. */
async function runningTask(ecs: ECSClient, clientToken: string, assignPublicIp?: 'ENABLED' | 'DISABLED'): Promise<Task> {
  const { taskArn } = await startTask(ecs, clientToken, assignPublicIp);
  await describe1(ecs, taskArn!); // PENDING
  const task = await describe1(ecs, taskArn!);
  assert.equal(task.lastStatus, 'RUNNING');
  return task;
}

describe('fake AWS: ECS', () => {
  let fake: FakeAws;
  let planned: string[];
  let ecs: ECSClient;

  before(async () => {
    ({ fake, planned } = await startFake({
      walk: { provisioningDescribes: 2, runningDescribes: 1, exitCode: 3 },
      refused: { refuse: { type: 'ClusterNotFoundException', message: 'Cluster not found.' } },
      failing: { failures: [{ reason: 'Capacity is unavailable at this time. Please try again later or in a different availability zone', detail: 'FARGATE_SPOT' }] },
      stopped: { runningDescribes: 5 },
    }));
    ({ ecs } = clientsOf(fake));
  });
  after(() => fake.close());

  it('walks a task through PROVISIONING, PENDING with its ENI, RUNNING and STOPPED with the planned exit code', async () => {
    // Prepare
    const started = await startTask(ecs, 'walk');
    const taskArn = started.taskArn!;

    // Act
    const walk = [];
    for (let i = 0; i < 5; i += 1) walk.push(await describe1(ecs, taskArn));

    // Assess
    assert.match(taskArn, TASK_ARN_PATTERN);
    assert.equal(started.lastStatus, 'PROVISIONING');
    assert.ok(started.createdAt instanceof Date && Math.abs(started.createdAt.getTime() - Date.now()) < 60_000, 'createdAt is epoch seconds');
    assert.deepEqual(started.overrides, runTaskInput('walk').overrides);
    assert.deepEqual(started.tags, [{ key: 'fargate-jobs:job-id', value: 'walk' }]);
    assert.equal(started.clusterArn, `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`);
    assert.deepEqual(walk.map((task) => task.lastStatus), ['PROVISIONING', 'PENDING', 'RUNNING', 'STOPPED', 'STOPPED']);
    const [provisioning, pending, running, stopped] = walk as [Task, Task, Task, Task];
    assert.equal(eniDetails(provisioning)['networkInterfaceId'], undefined, 'no interface while provisioning');
    assert.equal(pending.attachments?.[0]?.status, 'ATTACHED');
    assert.match(eniDetails(pending)['networkInterfaceId'] ?? '', /^eni-[0-9a-f]{17}$/);
    assert.match(eniDetails(pending)['privateIPv4Address'] ?? '', /^10\.0\.\d+\.\d+$/);
    assert.equal(eniDetails(pending)['subnetId'], 'subnet-1');
    assert.equal(pending.startedAt, undefined);
    assert.ok(running.startedAt instanceof Date);
    assert.equal(running.containers?.[0]?.name, CONTAINER);
    assert.equal(running.containers?.[0]?.exitCode, undefined);
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(stopped.stoppedReason, 'Essential container in task exited');
    assert.equal(stopped.desiredStatus, 'STOPPED');
    assert.ok(stopped.stoppedAt instanceof Date);
    assert.deepEqual(stopped.containers?.map(({ name, lastStatus, exitCode }) => ({ name, lastStatus, exitCode })), [
      { name: CONTAINER, lastStatus: 'STOPPED', exitCode: 3 },
    ]);
  });

  it('answers the same task to the same clientToken without asking the plan again', async () => {
    // Prepare
    const first = await startTask(ecs, 'again');

    // Act
    const second = await startTask(ecs, 'again');
    const other = await startTask(ecs, 'other');

    // Assess
    assert.equal(second.taskArn, first.taskArn);
    assert.notEqual(other.taskArn, first.taskArn);
    assert.deepEqual(planned.filter((token) => token === 'again'), ['again']);
  });

  it('refuses a RunTask with the planned error type and message', async () => {
    // Act
    const refusal = ecs.send(new RunTaskCommand(runTaskInput('refused')));

    // Assess
    await assert.rejects(refusal, (error: unknown) => {
      assert.ok(error instanceof ClusterNotFoundException, 'the SDK maps the type to its modelled exception');
      assert.equal(error.name, 'ClusterNotFoundException');
      assert.equal(error.message, 'Cluster not found.');
      assert.equal(error.$metadata.httpStatusCode, 400);
      assert.ok(error.$metadata.requestId, 'x-amzn-requestid reaches the SDK');
      return true;
    });
  });

  it('answers no task and the planned failures', async () => {
    // Act
    const { tasks, failures } = await ecs.send(new RunTaskCommand(runTaskInput('failing')));

    // Assess
    assert.deepEqual(tasks, []);
    assert.deepEqual(failures, [
      { reason: 'Capacity is unavailable at this time. Please try again later or in a different availability zone', detail: 'FARGATE_SPOT' },
    ]);
  });

  it('stops a task on StopTask: the next describe is STOPPED, UserInitiated, with the reason and exit code 143', async () => {
    // Prepare
    const { taskArn } = await runningTask(ecs, 'stopped');

    // Act
    const { task: stopping } = await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: taskArn, reason: 'cancelled by the user' }));
    const stopped = await describe1(ecs, taskArn!);

    // Assess
    assert.equal(stopping?.desiredStatus, 'STOPPED');
    assert.equal(stopped.lastStatus, 'STOPPED');
    assert.equal(stopped.stopCode, 'UserInitiated');
    assert.equal(stopped.stoppedReason, 'cancelled by the user');
    assert.equal(stopped.containers?.[0]?.exitCode, 143);
  });

  it('rejects a StopTask of an unknown task with InvalidParameterException', async () => {
    // Act
    const stop = ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${'0'.repeat(32)}` }));

    // Assess
    await assert.rejects(stop, (error: unknown) => {
      assert.ok(error instanceof InvalidParameterException);
      assert.equal(error.message, 'The referenced task was not found.');
      return true;
    });
  });

  it('answers a describe of an unknown task ARN with failure MISSING', async () => {
    // Prepare
    const unknown = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${'f'.repeat(32)}`;

    // Act
    const response = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [unknown] }));

    // Assess
    assert.deepEqual(response.tasks, []);
    assert.deepEqual(response.failures, [{ arn: unknown, reason: 'MISSING' }]);
  });
});

describe('fake AWS: ECS Exec', () => {
  let fake: FakeAws;
  let ecs: ECSClient;

  before(async () => {
    ({ fake } = await startFake({ 'exec-walk': { runningDescribes: 2 }, 'exec-open': { runningDescribes: 100 }, 'no-exec': { runningDescribes: 100 } }));
    ({ ecs } = clientsOf(fake));
  });
  after(() => fake.close());

  async function startExecTask(clientToken: string): Promise<Task> {
    const { tasks } = await ecs.send(new RunTaskCommand({ ...runTaskInput(clientToken), enableExecuteCommand: true }));
    assert.ok(tasks?.[0]?.taskArn);
    return tasks[0];
  }

  function execInto(taskArn: string, command = '/bin/sh') {
    return ecs.send(new ExecuteCommandCommand({ cluster: CLUSTER, task: taskArn, container: CONTAINER, interactive: true, command }));
  }

  it("reports a task started with exec: its container's ExecuteCommandAgent PENDING, RUNNING once the task runs, and its runtime id once started", async () => {
    // Prepare
    const started = await startExecTask('exec-walk');

    // Act
    const walk = [];
    for (let i = 0; i < 4; i += 1) walk.push(await describe1(ecs, started.taskArn!));

    // Assess
    assert.equal(started.enableExecuteCommand, true);
    assert.deepEqual(walk.map((task) => task.lastStatus), ['PENDING', 'RUNNING', 'RUNNING', 'STOPPED']);
    assert.deepEqual(walk.map((task) => task.version), [2, 3, 3, 4], "ECS's version grows with each change");
    const [pending, running, , stopped] = walk as [Task, Task, Task, Task];
    assert.deepEqual(pending.containers?.[0]?.managedAgents, [{ name: 'ExecuteCommandAgent', lastStatus: 'PENDING' }]);
    assert.equal(pending.containers?.[0]?.runtimeId, undefined, 'no runtime id before the container starts');
    const agent = running.containers?.[0]?.managedAgents?.[0];
    assert.equal(agent?.name, 'ExecuteCommandAgent');
    assert.equal(agent?.lastStatus, 'RUNNING');
    assert.ok(agent?.lastStartedAt instanceof Date, 'lastStartedAt is epoch seconds');
    assert.match(running.containers?.[0]?.runtimeId ?? '', new RegExp(`^${taskIdOf(started.taskArn!)}-\\d+$`));
    assert.equal(stopped.containers?.[0]?.managedAgents?.[0]?.lastStatus, 'STOPPED');
  });

  it('reports a task started without exec with enableExecuteCommand false and no managed agent', async () => {
    // Prepare
    const { taskArn } = await runningTask(ecs, 'no-exec');

    // Act
    const task = await describe1(ecs, taskArn!);

    // Assess
    assert.equal(task.enableExecuteCommand, false);
    assert.equal(task.containers?.[0]?.managedAgents, undefined);
    assert.match(task.containers?.[0]?.runtimeId ?? '', /^[0-9a-f]{32}-\d+$/);
  });

  it("opens a session into a running exec task's container, as ECS answers it, and records it", async () => {
    // Prepare
    const { taskArn } = await startExecTask('exec-open');
    await describe1(ecs, taskArn!); // PENDING
    const running = await describe1(ecs, taskArn!);

    // Act
    const response = await execInto(taskArn!, `sh -c 'echo "hi"'`);

    // Assess
    assert.equal(response.taskArn, taskArn);
    assert.equal(response.clusterArn, `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`);
    assert.equal(response.containerArn, running.containers?.[0]?.containerArn);
    assert.equal(response.containerName, CONTAINER);
    assert.equal(response.interactive, true);
    const sessionId = response.session?.sessionId ?? '';
    assert.match(sessionId, /^ecs-execute-command-[0-9a-f]+$/);
    assert.equal(response.session?.streamUrl, `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/${sessionId}?role=publish_subscribe`);
    assert.ok((response.session?.tokenValue ?? '').length > 20);
    assert.deepEqual(fake.execSessions.at(-1), { taskArn, container: CONTAINER, command: `sh -c 'echo "hi"'`, sessionId });
  });

  it("refuses an exec into a task started without exec, or stopped, with ECS's InvalidParameterException, and an unknown task as not found", async () => {
    // Prepare
    const { taskArn: withoutExec } = await runningTask(ecs, 'no-exec');
    const { taskArn: stopped } = await startExecTask('exec-stopped');
    await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: stopped, reason: 'done' }));
    await describe1(ecs, stopped!);
    const sessionsBefore = fake.execSessions.length;

    // Act + Assess
    for (const taskArn of [withoutExec, stopped]) {
      await assert.rejects(execInto(taskArn!), (error: unknown) => {
        assert.ok(error instanceof InvalidParameterException);
        assert.match(error.message, /^The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running/);
        return true;
      });
    }
    await assert.rejects(execInto(`arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${'0'.repeat(32)}`), {
      name: 'InvalidParameterException',
      message: 'The referenced task was not found.',
    });
    assert.equal(fake.execSessions.length, sessionsBefore);
  });
});

describe('fake AWS: Fargate Spot', () => {
  let fake: FakeAws;
  let planned: string[];
  let ecs: ECSClient;

  before(async () => {
    ({ fake, planned } = await startFake({
      'spot-walk': { runningDescribes: 2, exitCode: 0, spotInterruption: {} },
      'spot-gone': { runningDescribes: 1, spotInterruption: { exitCode: null } },
      'on-demand': { runningDescribes: 1, exitCode: 0, spotInterruption: {} },
      reused: {},
    }));
    ({ ecs } = clientsOf(fake));
  });
  after(() => fake.close());

  function onCapacity(clientToken: string, capacityProvider: string): RunTaskCommandInput {
    return { ...runTaskInput(clientToken), capacityProviderStrategy: [{ capacityProvider, weight: 1 }] };
  }

  async function walkToStop(taskArn: string): Promise<Task[]> {
    const walk: Task[] = [];
    while (walk.at(-1)?.lastStatus !== 'STOPPED') {
      assert.ok(walk.length < 10, 'the task stops');
      walk.push(await describe1(ecs, taskArn));
    }
    return walk;
  }

  it('runs a task on the provider its strategy names, FARGATE_SPOT or FARGATE, of the FARGATE launch type either way', async () => {
    // Act
    const { tasks: spot } = await ecs.send(new RunTaskCommand(onCapacity('spot-provider', 'FARGATE_SPOT')));
    const { tasks: onDemand } = await ecs.send(new RunTaskCommand(runTaskInput('default-provider')));

    // Assess
    assert.equal(spot?.[0]?.capacityProviderName, 'FARGATE_SPOT');
    assert.equal(spot?.[0]?.launchType, 'FARGATE');
    assert.equal(onDemand?.[0]?.capacityProviderName, 'FARGATE');
  });

  it('interrupts a task on FARGATE_SPOT mid-run: SpotInterruption, "Your Spot Task was interrupted.", exit code 143 from the SIGTERM', async () => {
    // Prepare
    const { tasks } = await ecs.send(new RunTaskCommand(onCapacity('spot-walk', 'FARGATE_SPOT')));

    // Act
    const walk = await walkToStop(tasks![0]!.taskArn!);

    // Assess
    assert.deepEqual(walk.map((task) => task.lastStatus), ['PENDING', 'RUNNING', 'RUNNING', 'STOPPED']);
    const stopped = walk.at(-1)!;
    assert.equal(stopped.stopCode, 'SpotInterruption');
    assert.equal(stopped.stoppedReason, SPOT_INTERRUPTED_REASON);
    assert.equal(stopped.stoppedReason, 'Your Spot Task was interrupted.');
    assert.equal(stopped.containers?.[0]?.exitCode, 143);
    assert.equal(stopped.capacityProviderName, 'FARGATE_SPOT');
  });

  it('reports no exit code for an interrupted task whose container was gone before it reported', async () => {
    // Prepare
    const { tasks } = await ecs.send(new RunTaskCommand(onCapacity('spot-gone', 'FARGATE_SPOT')));

    // Act
    const stopped = (await walkToStop(tasks![0]!.taskArn!)).at(-1)!;

    // Assess
    assert.equal(stopped.stopCode, 'SpotInterruption');
    assert.equal(stopped.containers?.[0]?.exitCode, undefined);
  });

  it('never interrupts a task on FARGATE: it runs to its planned exit', async () => {
    // Prepare
    const { tasks } = await ecs.send(new RunTaskCommand(runTaskInput('on-demand')));

    // Act
    const stopped = (await walkToStop(tasks![0]!.taskArn!)).at(-1)!;

    // Assess
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(stopped.containers?.[0]?.exitCode, 0);
  });

  it('refuses a clientToken that started a task when it comes again with another capacity: ConflictException naming that task', async () => {
    // Prepare
    const { tasks } = await ecs.send(new RunTaskCommand(onCapacity('reused', 'FARGATE_SPOT')));

    // Act
    const again = ecs.send(new RunTaskCommand(onCapacity('reused', 'FARGATE')));

    // Assess
    await assert.rejects(again, (error: unknown) => {
      assert.ok(error instanceof ConflictException, 'the SDK maps the type to its modelled exception');
      assert.deepEqual(error.resourceIds, [tasks![0]!.taskArn]);
      return true;
    });
    assert.deepEqual(planned.filter((token) => token === 'reused'), ['reused']);
    const same = await ecs.send(new RunTaskCommand(onCapacity('reused', 'FARGATE_SPOT')));
    assert.equal(same.tasks?.[0]?.taskArn, tasks![0]!.taskArn, 'the same request still gets its task');
  });

  it('refuses a capacity provider the cluster does not have with InvalidParameterException', async () => {
    // Act
    const refusal = ecs.send(new RunTaskCommand(onCapacity('ec2-provider', 'my-asg-provider')));

    // Assess
    await assert.rejects(refusal, (error: unknown) => {
      assert.ok(error instanceof InvalidParameterException);
      assert.match(error.message, /capacity provider that is not associated with the cluster/);
      return true;
    });
  });
});

describe('fake AWS: Fargate Spot without capacity', () => {
  let fake: FakeAws;
  let planned: string[];
  let ecs: ECSClient;

  before(async () => {
    planned = [];
    fake = await startFakeAws({
      region: REGION,
      account: ACCOUNT,
      logGroup: LOG_GROUP,
      logStreamPrefix: LOG_STREAM_PREFIX,
      spotCapacity: 'unavailable',
      plan: (input) => {
        planned.push(input.clientToken ?? '');
        return {};
      },
    });
    ({ ecs } = clientsOf(fake));
  });
  after(() => fake.close());

  it('answers RunTask on FARGATE_SPOT with no task and "Capacity is unavailable", without asking the plan; FARGATE still starts', async () => {
    // Act
    const spot = await ecs.send(new RunTaskCommand({ ...runTaskInput('no-room'), capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }));
    const onDemand = await ecs.send(new RunTaskCommand(runTaskInput('room')));

    // Assess
    assert.deepEqual(spot.tasks, []);
    assert.deepEqual(spot.failures, [{ reason: NO_CAPACITY_REASON }]);
    assert.match(NO_CAPACITY_REASON, /^Capacity is unavailable at this time\./);
    assert.equal(onDemand.tasks?.[0]?.capacityProviderName, 'FARGATE');
    assert.deepEqual(planned, ['room']);
  });
});

describe('fake AWS: Fargate Spot through the ECS task runner (spot-first falls back to FARGATE once)', () => {
  const STAGE = { cluster: CLUSTER, subnets: ['subnet-1'], securityGroups: ['sg-1'], logGroup: LOG_GROUP, taskDefinitionPrefix: 'fargate-jobs-test', capacity: 'spot-first' as const };
  const profiles = awsProfiles(STAGE);
  const profile = profiles.find((candidate) => candidate.name === 'default') ?? assert.fail('no default profile');
  const JOB_ID = 'job-01jb8y3k5d9x2m7q4r6t8v0w1z';
  const request = { jobId: JOB_ID, profile: 'default', command: ['sh', '-c', 'make build'], env: {}, publicIp: false };

  async function withRunner(options: { spotCapacity?: 'unavailable'; plan?: FakeTaskPlan }, act: (runner: EcsTaskRunner, fake: FakeAws) => Promise<void>): Promise<void> {
    const fake = await startFakeAws({ region: REGION, account: ACCOUNT, logGroup: LOG_GROUP, logStreamPrefix: LOG_STREAM_PREFIX, plan: () => options.plan ?? {}, ...(options.spotCapacity ? { spotCapacity: options.spotCapacity } : {}) });
    const runner = new EcsTaskRunner({ client: clientsOf(fake).ecs, settings: taskSettingsByProfile(profiles), logger: silentLogger });
    try {
      await act(runner, fake);
    } finally {
      await fake.close();
    }
  }

  function runTasks(fake: FakeAws): Array<[unknown, unknown]> {
    return fake.calls.filter((call) => call.operation === 'RunTask').map((call) => [call.input['clientToken'], call.input['capacityProviderStrategy']]);
  }

  async function stoppedOutcome(runner: EcsTaskRunner, taskArn: string) {
    for (let describes = 0; describes < 10; describes += 1) {
      const snapshot = await runner.describeTask(taskArn, { resolveNetwork: false });
      if (snapshot.lastStatus === 'STOPPED') return classifyStop(snapshot);
    }
    return assert.fail('the task never stopped');
  }

  it('no Spot capacity at RunTask: attempt 1 fails CAPACITY on FARGATE_SPOT, attempt 2 starts on FARGATE and succeeds, and nothing falls back further', async () => {
    await withRunner({ spotCapacity: 'unavailable' }, async (runner, fake) => {
      // Act: the attempts as the workflow makes them.
      const first = await runner.runTask({ ...request, capacity: firstCapacity(profile)! });
      const fallback = first.started ? undefined : fallbackCapacity(profile, first);
      const second = await runner.runTask({ ...request, ...(fallback ? { capacity: fallback } : {}), attempt: 2 });
      const outcome = second.started ? await stoppedOutcome(runner, second.taskArn) : assert.fail('attempt 2 did not start');

      // Assess
      assert.ok(!first.started);
      assert.equal(first.capacity, 'FARGATE_SPOT');
      assert.equal(first.failure.category, 'CAPACITY');
      assert.equal(fallback, 'FARGATE');
      assert.equal(second.capacity, 'FARGATE');
      assert.equal(outcome.status, 'SUCCEEDED');
      assert.equal(fallbackCapacity(profile, { capacity: second.capacity, failure: { category: 'CAPACITY', message: NO_CAPACITY_REASON } }), undefined);
      assert.deepEqual(runTasks(fake), [
        [JOB_ID, [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]],
        [`${JOB_ID}-2`, [{ capacityProvider: 'FARGATE', weight: 1 }]],
      ]);
    });
  });

  it('a Spot interruption mid-run: attempt 1 fails SPOT_INTERRUPTED, attempt 2 starts on FARGATE, is not interrupted, and succeeds', async () => {
    await withRunner({ plan: { runningDescribes: 2, spotInterruption: {} } }, async (runner, fake) => {
      // Act
      const first = await runner.runTask({ ...request, capacity: firstCapacity(profile)! });
      const interrupted = first.started ? await stoppedOutcome(runner, first.taskArn) : assert.fail('attempt 1 did not start');
      const fallback = fallbackCapacity(profile, { capacity: first.capacity, ...(interrupted.failure ? { failure: interrupted.failure } : {}) });
      const second = await runner.runTask({ ...request, ...(fallback ? { capacity: fallback } : {}), attempt: 2 });
      const outcome = second.started ? await stoppedOutcome(runner, second.taskArn) : assert.fail('attempt 2 did not start');

      // Assess
      assert.equal(first.capacity, 'FARGATE_SPOT');
      assert.equal(interrupted.status, 'FAILED');
      assert.equal(interrupted.failure?.category, 'SPOT_INTERRUPTED');
      assert.equal(interrupted.exitCode, 143);
      assert.equal(fallback, 'FARGATE');
      assert.equal(second.capacity, 'FARGATE');
      assert.ok(first.started && second.started && second.taskArn !== first.taskArn, 'a task of its own');
      assert.equal(outcome.status, 'SUCCEEDED');
      assert.deepEqual(runTasks(fake), [
        [JOB_ID, [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]],
        [`${JOB_ID}-2`, [{ capacityProvider: 'FARGATE', weight: 1 }]],
      ]);
    });
  });

  it('would be refused, had attempt 2 reused the job id as its clientToken on the other capacity', async () => {
    await withRunner({ plan: { runningDescribes: 2, spotInterruption: {} } }, async (runner) => {
      // Prepare
      const first = await runner.runTask({ ...request, capacity: 'FARGATE_SPOT' });
      assert.ok(first.started);

      // Act: attempt 1's token (the job id) with FARGATE.
      const reused = runner.runTask({ ...request, capacity: 'FARGATE', attempt: 1 });

      // Assess
      await assert.rejects(reused, { name: 'ConflictException' });
    });
  });
});

describe('fake AWS: EC2', () => {
  let fake: FakeAws;
  let ecs: ECSClient;
  let ec2: EC2Client;

  before(async () => {
    ({ fake } = await startFake({ public: { publicIp: '198.51.100.7' }, private: {} }));
    ({ ecs, ec2 } = clientsOf(fake));
  });
  after(() => fake.close());

  it("describes a running task's interface with its public IP, and no public IP when none was asked for", async () => {
    // Prepare
    const publicTask = await runningTask(ecs, 'public', 'ENABLED');
    const privateTask = await runningTask(ecs, 'private', 'DISABLED');
    const publicEni = eniDetails(publicTask);
    const privateEni = eniDetails(privateTask);

    // Act
    const { NetworkInterfaces: interfaces } = await ec2.send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [publicEni['networkInterfaceId']!, privateEni['networkInterfaceId']!] }),
    );

    // Assess
    assert.equal(interfaces?.length, 2);
    assert.equal(interfaces?.[0]?.NetworkInterfaceId, publicEni['networkInterfaceId']);
    assert.equal(interfaces?.[0]?.PrivateIpAddress, publicEni['privateIPv4Address']);
    assert.equal(interfaces?.[0]?.Association?.PublicIp, '198.51.100.7');
    assert.equal(interfaces?.[1]?.PrivateIpAddress, privateEni['privateIPv4Address']);
    assert.notEqual(interfaces?.[1]?.PrivateIpAddress, interfaces?.[0]?.PrivateIpAddress);
    assert.equal(interfaces?.[1]?.Association, undefined);
  });

  it('rejects with InvalidNetworkInterfaceID.NotFound once the task has stopped', async () => {
    // Prepare
    const task = await runningTask(ecs, 'gone', 'ENABLED');
    await describe1(ecs, task.taskArn!); // STOPPED: ECS deletes the interface

    // Act
    const lookup = ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniDetails(task)['networkInterfaceId']!] }));

    // Assess
    await assert.rejects(lookup, (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'InvalidNetworkInterfaceID.NotFound');
      assert.match(error.message, /does not exist/);
      return true;
    });
  });
});

describe('fake AWS: CloudWatch Logs', () => {
  const LINES = ['one', 'two', 'three', 'four', 'five'];
  let fake: FakeAws;
  let ecs: ECSClient;
  let logs: CloudWatchLogsClient;
  let logStreamName: string;

  before(async () => {
    ({ fake } = await startFake({ logging: { logLines: LINES } }));
    ({ ecs, logs } = clientsOf(fake));
    const task = await runningTask(ecs, 'logging');
    logStreamName = `${LOG_STREAM_PREFIX}/${CONTAINER}/${taskIdOf(task.taskArn!)}`;
  });
  after(() => fake.close());

  it('reads the stream from the head page by page, and answers the same forward token at the end', async () => {
    // Act
    const first = await logs.send(new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName, startFromHead: true, limit: 3 }));
    const second = await logs.send(
      new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName, startFromHead: true, limit: 3, nextToken: first.nextForwardToken }),
    );
    const end = await logs.send(
      new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName, startFromHead: true, limit: 3, nextToken: second.nextForwardToken }),
    );

    // Assess
    assert.deepEqual(first.events?.map((event) => event.message), ['one', 'two', 'three']);
    assert.deepEqual(second.events?.map((event) => event.message), ['four', 'five']);
    assert.deepEqual(end.events, []);
    assert.notEqual(first.nextForwardToken, second.nextForwardToken);
    assert.equal(end.nextForwardToken, second.nextForwardToken);
    assert.equal(typeof first.nextBackwardToken, 'string');
    const event = first.events?.[0];
    assert.ok(typeof event?.timestamp === 'number' && Math.abs(event.timestamp - Date.now()) < 60_000, 'timestamps are epoch milliseconds');
    assert.ok(typeof event.ingestionTime === 'number' && event.ingestionTime >= event.timestamp);
  });

  it('answers the newest events, oldest first, with startFromHead false', async () => {
    // Act
    const newest = await logs.send(new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName, startFromHead: false, limit: 2 }));
    const after = await logs.send(
      new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName, startFromHead: true, nextToken: newest.nextForwardToken }),
    );

    // Assess
    assert.deepEqual(newest.events?.map((event) => event.message), ['four', 'five']);
    assert.deepEqual(after.events, [], 'the forward token of the newest events is the end of the stream');
  });

  it('rejects with ResourceNotFoundException for a stream that does not exist yet', async () => {
    // Act
    const read = logs.send(new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName: `${LOG_STREAM_PREFIX}/${CONTAINER}/${'0'.repeat(32)}` }));

    // Assess
    await assert.rejects(read, (error: unknown) => {
      assert.ok(error instanceof ResourceNotFoundException);
      assert.equal(error.name, 'ResourceNotFoundException');
      assert.equal(error.message, 'The specified log stream does not exist.');
      return true;
    });
  });
});

describe('fake AWS: environment, calls and malformed requests', () => {
  let fake: FakeAws;

  before(async () => {
    ({ fake } = await startFake({ env: { provisioningDescribes: 1 } }));
  });
  after(() => fake.close());

  it('points SDK clients built without an endpoint at the fake through its environment', async () => {
    // Prepare
    const saved = { ...process.env };
    Object.assign(process.env, fake.environment());
    try {
      const ecs = new ECSClient({});
      const ec2 = new EC2Client({});
      const logs = new CloudWatchLogsClient({});

      // Act
      const task = await runningTask(ecs, 'env', 'ENABLED');
      const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniDetails(task)['networkInterfaceId']!] }));
      const read = await logs.send(
        new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName: `${LOG_STREAM_PREFIX}/${CONTAINER}/${taskIdOf(task.taskArn!)}`, startFromHead: true }),
      );

      // Assess
      assert.equal(NetworkInterfaces?.[0]?.Association?.PublicIp, '203.0.113.10', 'the default plan gives a public IP');
      assert.deepEqual(read.events, []);
      assert.deepEqual(
        fake.calls.filter((call) => call.input['clientToken'] === 'env' || call.service !== 'ecs').map((call) => call.service),
        ['ecs', 'ec2', 'logs'],
      );
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it('records every request in order with its parsed input, EC2 as its form fields', async () => {
    // Prepare
    const { ecs, ec2 } = clientsOf(fake);
    const before = fake.calls.length;

    // Act
    const task = await startTask(ecs, 'recorded');
    await describe1(ecs, task.taskArn!);
    await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniDetails(await describe1(ecs, task.taskArn!))['networkInterfaceId']!] }));

    // Assess
    const calls = fake.calls.slice(before);
    assert.deepEqual(calls.map(({ service, operation }) => `${service}:${operation}`), [
      'ecs:RunTask',
      'ecs:DescribeTasks',
      'ecs:DescribeTasks',
      'ec2:DescribeNetworkInterfaces',
    ]);
    assert.deepEqual(calls[0]?.input, runTaskInput('recorded'));
    assert.deepEqual(calls[1]?.input, { cluster: CLUSTER, tasks: [task.taskArn] });
    assert.equal(calls[3]?.input['Action'], 'DescribeNetworkInterfaces');
    assert.equal(calls[3]?.input['Version'], '2016-11-15');
    assert.match(String(calls[3]?.input['NetworkInterfaceId.1']), /^eni-/);
  });

  it('answers bad JSON with SerializationException and unknown operations with their error, and keeps serving', async () => {
    // Prepare
    const json = { 'content-type': 'application/x-amz-json-1.1' };

    // Act
    const badJson = await fetch(fake.url, { method: 'POST', headers: { ...json, 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.RunTask' }, body: '{"cluster":' });
    const unknownEcs = await fetch(fake.url, { method: 'POST', headers: { ...json, 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.CreateCluster' }, body: '{}' });
    const unknownLogs = await fetch(fake.url, { method: 'POST', headers: { ...json, 'x-amz-target': 'Logs_20140328.toString' }, body: '{}' });
    const unknownEc2 = await fetch(fake.url, { method: 'POST', body: new URLSearchParams({ Action: 'RunInstances', Version: '2016-11-15' }) });
    const stillServing = await fetch(fake.url, { method: 'POST', headers: { ...json, 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeTasks' }, body: '{"tasks":[]}' });

    // Assess
    assert.equal(badJson.status, 400);
    assert.equal(badJson.headers.get('x-amzn-errortype'), 'SerializationException');
    assert.equal(((await badJson.json()) as { __type: string }).__type, 'SerializationException');
    assert.ok(badJson.headers.get('x-amzn-requestid'));
    assert.equal(unknownEcs.status, 400);
    assert.equal(((await unknownEcs.json()) as { __type: string }).__type, 'UnknownOperationException');
    assert.equal(((await unknownLogs.json()) as { __type: string }).__type, 'UnknownOperationException');
    assert.equal(unknownEc2.status, 400);
    assert.match(await unknownEc2.text(), /<Response><Errors><Error><Code>InvalidAction<\/Code>.*<RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>/);
    assert.equal(stillServing.status, 200);
    assert.deepEqual(await stillServing.json(), { tasks: [], failures: [] });
  });
});
