/**
 * The ECS task runner on mocked SDK clients. Requests are checked field by field (they decide where a
 * job runs and whether a retry can start a second task); responses follow the real shapes of
 * RunTask, DescribeTasks and DescribeNetworkInterfaces for a Fargate task through its life
 * (PROVISIONING → PENDING → RUNNING → STOPPED), and the stopped ones are classified as the workflow
 * classifies them.
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccessDeniedException,
  ClientException,
  ClusterNotFoundException,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  RunTaskCommand,
  StopTaskCommand,
  type Attachment,
  type Container,
  type DescribeTasksCommandOutput,
  type RunTaskCommandOutput,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  DescribeNetworkInterfacesCommand,
  EC2Client,
  EC2ServiceException,
  type DescribeNetworkInterfacesCommandOutput,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { taskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { Ec2NetworkResolver } from '#lib/adapters/aws/ec2-network.ts';
import { EcsTaskRunner } from '#lib/adapters/aws/ecs-task-runner.ts';
import { awsProfiles } from '#config/profiles.ts';
import { fallbackCapacity } from '#lib/domain/capacity.ts';
import { classifyStop } from '#lib/domain/classify-stop.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { RunTaskRequest } from '#lib/domain/ports.ts';
import { lazyNetworkResolver } from '#lib/composition/aws-adapters.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const CLUSTER = 'fargate-jobs-test';
const TASK_ID = 'a5e5f2d474c340868ab587abe5045bcf';
const TASK_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${TASK_ID}`;
const JOB_ID = 'job-01jb8y3k5d9x2m7q4r6t8v0w1z';
const ENI_ID = 'eni-0ba0ed95e5ad11f24';
const PRIVATE_IP = '10.0.1.163';
const PUBLIC_IP = '203.0.113.25';
const SUBNETS = ['subnet-07ed9813fb2c11702', 'subnet-0d0eab1bb38d5ca64'];
const SECURITY_GROUPS = ['sg-0a1b2c3d4e5f60718'];

const STAGE = {
  cluster: CLUSTER,
  subnets: SUBNETS,
  securityGroups: SECURITY_GROUPS,
  logGroup: '/fargate-jobs/test/jobs',
  taskDefinitionPrefix: 'fargate-jobs-test',
};
/** The shipped profiles of a test stage of the default capacity: `default` runs container `job`, `ssh` runs `sshd`, both on FARGATE. */
const settings = taskSettingsByProfile(awsProfiles(STAGE));
/** The same profiles on a stage whose capacity is spot-first. */
const spotFirstProfiles = awsProfiles({ ...STAGE, capacity: 'spot-first' });

function aRequest(overrides: Partial<RunTaskRequest> = {}): RunTaskRequest {
  return {
    jobId: JOB_ID,
    profile: 'default',
    command: ['sh', '-c', 'echo hello && exit 3'],
    env: {},
    publicIp: false,
    ...overrides,
  };
}

// --- Responses, shaped as ECS and EC2 send them (the SDK turns epoch seconds into Dates) ---------

const CREATED_AT = new Date('2030-01-01T00:00:00.000Z');
const STARTED_AT = new Date('2030-01-01T00:00:40.528Z');
const STOPPED_AT = new Date('2030-01-01T00:05:12.310Z');

function container(overrides: Partial<Container> = {}): Container {
  return {
    containerArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container/${CLUSTER}/${TASK_ID}/ebc1fd0f-6a54-4973-94bb-1bcc4877c874`,
    taskArn: TASK_ARN,
    name: 'job',
    image: 'public.ecr.aws/docker/library/alpine:3.20',
    lastStatus: 'PENDING',
    networkBindings: [],
    networkInterfaces: [],
    healthStatus: 'UNKNOWN',
    cpu: '0',
    ...overrides,
  };
}

/** The ENI attachment before ECS has created the interface: only the subnet is known. */
function precreatedEni(): Attachment {
  return {
    id: '14187ccb-7643-436c-aa3e-40186ac3d6a7',
    type: 'ElasticNetworkInterface',
    status: 'PRECREATED',
    details: [{ name: 'subnetId', value: SUBNETS[0] }],
  };
}

function eniAttachment(status: 'ATTACHED' | 'DELETED'): Attachment {
  return {
    id: '14187ccb-7643-436c-aa3e-40186ac3d6a7',
    type: 'ElasticNetworkInterface',
    status,
    details: [
      { name: 'subnetId', value: SUBNETS[0] },
      { name: 'networkInterfaceId', value: ENI_ID },
      { name: 'macAddress', value: '0e:2e:35:d2:59:4f' },
      { name: 'privateDnsName', value: 'ip-10-0-1-163.eu-west-1.compute.internal' },
      { name: 'privateIPv4Address', value: PRIVATE_IP },
    ],
  };
}

/** A task of the `default` profile as DescribeTasks reports it; every stage overrides what it changes. */
function fargateTask(overrides: Partial<Task> = {}): Task {
  return {
    attachments: [precreatedEni()],
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: 'eu-west-1a',
    capacityProviderName: 'FARGATE',
    clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
    containers: [container()],
    cpu: '256',
    createdAt: CREATED_AT,
    desiredStatus: 'RUNNING',
    enableExecuteCommand: false,
    group: 'family:fargate-jobs-test-default',
    healthStatus: 'UNKNOWN',
    lastStatus: 'PROVISIONING',
    launchType: 'FARGATE',
    memory: '512',
    overrides: {
      containerOverrides: [{ name: 'job', command: ['sh', '-c', 'echo hello && exit 3'], environment: [] }],
      inferenceAcceleratorOverrides: [],
    },
    platformVersion: '1.4.0',
    platformFamily: 'Linux',
    startedBy: 'fargate-jobs',
    tags: [],
    taskArn: TASK_ARN,
    taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/fargate-jobs-test-default:7`,
    version: 1,
    ephemeralStorage: { sizeInGiB: 20 },
    ...overrides,
  };
}

function runningTask(overrides: Partial<Task> = {}): Task {
  return fargateTask({
    attachments: [eniAttachment('ATTACHED')],
    containers: [container({ lastStatus: 'RUNNING', runtimeId: `${TASK_ID}-1497048990` })],
    lastStatus: 'RUNNING',
    pullStartedAt: new Date('2030-01-01T00:00:15.765Z'),
    pullStoppedAt: new Date('2030-01-01T00:00:25.149Z'),
    startedAt: STARTED_AT,
    version: 3,
    ...overrides,
  });
}

/** A task whose containers ran and stopped; the interface is deleted by then. */
function stoppedTask(containers: Container[], overrides: Partial<Task> = {}): Task {
  return runningTask({
    attachments: [eniAttachment('DELETED')],
    containers,
    desiredStatus: 'STOPPED',
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    stoppingAt: new Date(STOPPED_AT.getTime() - 30_000),
    executionStoppedAt: new Date(STOPPED_AT.getTime() - 40_000),
    stoppedAt: STOPPED_AT,
    version: 5,
    ...overrides,
  });
}

/** A task that stopped before its container ever ran: no start time, no exit code. */
function failedToStartTask(stoppedReason: string, containerReason?: string): Task {
  return fargateTask({
    attachments: [eniAttachment('DELETED')],
    containers: [container({ lastStatus: 'STOPPED', ...(containerReason ? { reason: containerReason } : {}) })],
    desiredStatus: 'STOPPED',
    lastStatus: 'STOPPED',
    stopCode: 'TaskFailedToStart',
    stoppedReason,
    stoppingAt: STOPPED_AT,
    stoppedAt: STOPPED_AT,
  });
}

function exited(exitCode: number, overrides: Partial<Container> = {}): Container {
  return container({ lastStatus: 'STOPPED', exitCode, ...overrides });
}

function describeTasksResponse(tasks: Task[]): DescribeTasksCommandOutput {
  return { $metadata: { httpStatusCode: 200 }, tasks, failures: [] };
}

function runTaskResponse(response: Omit<RunTaskCommandOutput, '$metadata'>): RunTaskCommandOutput {
  return { $metadata: { httpStatusCode: 200 }, ...response };
}

function publicInterface(): DescribeNetworkInterfacesCommandOutput {
  const association = { IpOwnerId: 'amazon', PublicDnsName: 'ec2-203-0-113-25.eu-west-1.compute.amazonaws.com', PublicIp: PUBLIC_IP };
  return {
    $metadata: { httpStatusCode: 200 },
    NetworkInterfaces: [
      {
        Association: association,
        Description: `arn:aws:ecs:${REGION}:${ACCOUNT}:attachment/14187ccb-7643-436c-aa3e-40186ac3d6a7`,
        InterfaceType: 'interface',
        NetworkInterfaceId: ENI_ID,
        PrivateIpAddress: PRIVATE_IP,
        PrivateIpAddresses: [{ Association: association, Primary: true, PrivateIpAddress: PRIVATE_IP }],
        RequesterManaged: true,
        Status: 'in-use',
        SubnetId: SUBNETS[0],
      },
    ],
  };
}

/** ECS models no ThrottlingException: the SDK raises its base exception under the wire's error code. */
function throttled(): ECSServiceException {
  return new ECSServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'Rate exceeded',
  });
}

describe('EcsTaskRunner', () => {
  const ecsMock = mockClient(ECSClient);
  const ec2Mock = mockClient(EC2Client);
  const ecs = new ECSClient({ region: REGION });
  const runner = new EcsTaskRunner({
    client: ecs,
    settings,
    network: new Ec2NetworkResolver({ client: new EC2Client({ region: REGION }) }),
    logger: silentLogger,
  });

  beforeEach(() => {
    ecsMock.reset();
    ec2Mock.reset();
  });

  function runTaskInputs() {
    return ecsMock.commandCalls(RunTaskCommand).map((call) => call.args[0].input);
  }

  describe('describeTasks (the reconciler)', () => {
    it('describes the tasks 100 a call, per cluster, and leaves out those ECS no longer knows', async () => {
      // Prepare
      const arns = Array.from({ length: 150 }, (_unused, index) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${index.toString(16).padStart(32, '0')}`);
      ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
        // The last task of each call has gone.
        tasks: input.tasks.slice(0, -1).map((taskArn) => runningTask({ taskArn, version: 4 })),
        failures: [{ arn: input.tasks.at(-1), reason: 'MISSING' }],
      }));

      // Act
      const snapshots = await runner.describeTasks(arns);

      // Assess
      const calls = ecsMock.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input);
      assert.deepEqual(calls.map((input) => [input.cluster, input.tasks?.length]), [[CLUSTER, 100], [CLUSTER, 50]]);
      assert.equal(snapshots.length, 148);
      assert.ok(snapshots.every((snapshot) => snapshot.lastStatus === 'RUNNING' && snapshot.version === 4));
      assert.ok(!snapshots.some((snapshot) => snapshot.taskArn === arns[99] || snapshot.taskArn === arns[149]));
    });
  });

  describe('runTask', () => {
    it("starts the profile's task definition in its cluster, idempotent per job, tagged, with the job's command, env and size", async () => {
      // Prepare
      ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [fargateTask()], failures: [] }));
      const request = aRequest({ env: { GREETING: 'hello', LEVEL: 'debug' }, cpu: 512, memory: 1024 });

      // Act
      const result = await runner.runTask(request);

      // Assess
      assert.deepEqual(result, { started: true, taskArn: TASK_ARN, capacity: 'FARGATE' });
      assert.deepEqual(runTaskInputs(), [
        {
          cluster: CLUSTER,
          taskDefinition: 'fargate-jobs-test-default',
          clientToken: JOB_ID,
          startedBy: JOB_ID,
          tags: [
            { key: 'fargate-jobs:job-id', value: JOB_ID },
            { key: 'fargate-jobs:profile', value: 'default' },
          ],
          propagateTags: 'TASK_DEFINITION',
          capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
          networkConfiguration: {
            awsvpcConfiguration: { subnets: SUBNETS, securityGroups: SECURITY_GROUPS, assignPublicIp: 'DISABLED' },
          },
          overrides: {
            containerOverrides: [
              {
                name: 'job',
                command: ['sh', '-c', 'echo hello && exit 3'],
                environment: [
                  { name: 'GREETING', value: 'hello' },
                  { name: 'LEVEL', value: 'debug' },
                ],
              },
            ],
            cpu: '512',
            memory: '1024',
          },
          // `default` is an exec profile: its tasks start with the exec agent.
          enableExecuteCommand: true,
        },
      ]);
    });

    it("tags the task with the job's labels, for Cost Explorer, leaving off those ECS would refuse", async () => {
      // Prepare
      ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [fargateTask()], failures: [] }));
      const labels = {
        team: 'data',
        'cost-center': 'cc-42',
        'aws:cloudformation:stack-name': 'theirs',
        'fargate-jobs:profile': 'not-this-one',
        note: 'a value with a comma, which ECS refuses',
        [`k${'x'.repeat(128)}`]: 'key too long',
      };

      // Act
      await runner.runTask(aRequest({ labels }));

      // Assess
      const [input] = runTaskInputs();
      assert.deepEqual(input?.tags, [
        { key: 'fargate-jobs:job-id', value: JOB_ID },
        { key: 'fargate-jobs:profile', value: 'default' },
        { key: 'cost-center', value: 'cc-42' },
        { key: 'team', value: 'data' },
      ]);
      assert.equal(input?.propagateTags, 'TASK_DEFINITION');
    });

    it("sends at most the 50 tags ECS takes, its own two first, leaving room for the task definition's", async () => {
      // Prepare
      ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [fargateTask()], failures: [] }));
      const labels = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`label-${String(index).padStart(2, '0')}`, 'v']));

      // Act
      await runner.runTask(aRequest({ labels }));

      // Assess
      const tags = runTaskInputs()[0]?.tags ?? [];
      assert.equal(tags.length, 49, 'fargate-jobs:stage, propagated from the task definition, is the 50th');
      assert.deepEqual(tags.slice(0, 2).map((tag) => tag.key), ['fargate-jobs:job-id', 'fargate-jobs:profile']);
      assert.equal(tags.at(-1)?.key, 'label-46');
    });

    it("asks for a public IP when the job wants one, on the profile's own container (ssh: sshd)", async () => {
      // Prepare
      ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [fargateTask()], failures: [] }));
      const request = aRequest({ profile: 'ssh', command: ['sleep', '600'], publicIp: true });

      // Act
      await runner.runTask(request);

      // Assess
      const [input] = runTaskInputs();
      assert.equal(input?.taskDefinition, 'fargate-jobs-test-ssh');
      assert.deepEqual(input?.networkConfiguration?.awsvpcConfiguration?.assignPublicIp, 'ENABLED');
      assert.deepEqual(input?.capacityProviderStrategy, [{ capacityProvider: 'FARGATE', weight: 1 }], 'the stage\'s capacity, on-demand by default');
      assert.deepEqual(input?.tags, [
        { key: 'fargate-jobs:job-id', value: JOB_ID },
        { key: 'fargate-jobs:profile', value: 'ssh' },
      ]);
      // No cpu/memory asked for: the task definition's own size stands.
      assert.deepEqual(input?.overrides, {
        containerOverrides: [{ name: 'sshd', command: ['sleep', '600'], environment: [] }],
      });
    });

    it('starts the tasks of a profile without exec without the exec agent (ssh: its way in is sshd)', async () => {
      // Prepare
      ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [fargateTask()], failures: [] }));

      // Act
      await runner.runTask(aRequest({ profile: 'ssh', command: ['sleep', '600'], publicIp: true }));

      // Assess
      const [input] = runTaskInputs();
      assert.equal(input?.taskDefinition, 'fargate-jobs-test-ssh');
      assert.ok(input !== undefined && !('enableExecuteCommand' in input), 'no enableExecuteCommand at all, not even false');
    });

    it('refuses a profile it has no settings for, without calling ECS', async () => {
      // Prepare
      const request = aRequest({ profile: 'no-such-profile' });

      // Act
      const running = runner.runTask(request);

      // Assess
      await assert.rejects(running, /no-such-profile/);
      assert.equal(ecsMock.commandCalls(RunTaskCommand).length, 0);
    });

    it('reports "capacity is unavailable" in failures[] as a CAPACITY start failure, never a success', async () => {
      // Prepare
      const reason = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';
      ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [], failures: [{ reason }] }));

      // Act
      const result = await runner.runTask(aRequest());

      // Assess
      assert.ok(!result.started);
      assert.equal(result.failure.category, 'CAPACITY');
      assert.match(result.failure.message, /Capacity is unavailable at this time/);
    });

    it('reports any other failure as START_FAILED with its reason, detail and ARN', async () => {
      // Prepare
      const failure = {
        arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/fargate-jobs-test-default:7`,
        reason: 'The requested CPU configuration is above your limit',
        detail: 'cpu 16384',
      };
      ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [], failures: [failure] }));

      // Act
      const result = await runner.runTask(aRequest({ cpu: 16384, memory: 32768 }));

      // Assess
      assert.ok(!result.started);
      assert.equal(result.failure.category, 'START_FAILED');
      assert.match(result.failure.message, /The requested CPU configuration is above your limit/);
      assert.match(result.failure.message, /cpu 16384/);
      assert.ok(result.failure.message.includes(failure.arn));
    });

    it('reports a start failure, not a success, when failures[] comes back along with a task', async () => {
      // Prepare
      const reason = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';
      ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [fargateTask()], failures: [{ reason }] }));

      // Act
      const result = await runner.runTask(aRequest());

      // Assess
      assert.ok(!result.started);
      assert.equal(result.failure.category, 'CAPACITY');
      const stops = ecsMock.commandCalls(StopTaskCommand);
      assert.equal(stops.length, 1, 'the task nobody will watch is stopped');
      assert.equal(stops[0]?.args[0].input.task, fargateTask().taskArn);
    });

    it('reports a response with neither a task nor failures as START_FAILED', async () => {
      // Prepare
      ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [], failures: [] }));

      // Act
      const result = await runner.runTask(aRequest());

      // Assess
      assert.ok(!result.started);
      assert.equal(result.failure.category, 'START_FAILED');
    });

    it("throws 'TaskRunnerThrottled' when ECS throttles RunTask, for the state machine to retry", async () => {
      // Prepare
      ecsMock.on(RunTaskCommand).rejects(throttled());

      // Act
      const running = runner.runTask(aRequest());

      // Assess
      await assert.rejects(running, { name: 'TaskRunnerThrottled' });
    });

    it("throws 'TaskRunnerThrottled' for a client error that only wraps a throttled internal call", async () => {
      // Prepare
      const wrapped = new InvalidParameterException({
        $metadata: { httpStatusCode: 400 },
        message: `Error retrieving subnet information for [${SUBNETS[0]}]: Rate exceeded (ErrorCode: Throttling)`,
      });
      ecsMock.on(RunTaskCommand).rejects(wrapped);

      // Act
      const running = runner.runTask(aRequest());

      // Assess
      await assert.rejects(running, { name: 'TaskRunnerThrottled' });
    });

    it("reports an InvalidParameterException as START_FAILED with ECS's message: retrying cannot help", async () => {
      // Prepare
      const message = 'Network Configuration must be provided when networkMode \'awsvpc\' is specified.';
      ecsMock.on(RunTaskCommand).rejects(new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message }));

      // Act
      const result = await runner.runTask(aRequest());

      // Assess
      assert.ok(!result.started);
      assert.equal(result.failure.category, 'START_FAILED');
      assert.ok(result.failure.message.includes(message));
    });

    it('reports a missing task definition (ClientException) as START_FAILED with its message', async () => {
      // Prepare
      const message = 'TaskDefinition not found.';
      ecsMock.on(RunTaskCommand).rejects(new ClientException({ $metadata: { httpStatusCode: 400 }, message }));

      // Act
      const result = await runner.runTask(aRequest());

      // Assess
      assert.ok(!result.started);
      assert.equal(result.failure.category, 'START_FAILED');
      assert.ok(result.failure.message.includes(message));
    });
    // What ECS answers when the profile or stage is misconfigured: the job cannot start, and its
    // operator reads why (an INTERNAL failure would hide it in the logs).
    const CONFIGURATION_REFUSALS = [
      new ClusterNotFoundException({ $metadata: { httpStatusCode: 400 }, message: 'Cluster not found.' }),
      new ClientException({ $metadata: { httpStatusCode: 400 }, message: 'TaskDefinition is inactive' }),
      new InvalidParameterException({
        $metadata: { httpStatusCode: 400 },
        message: "Error retrieving subnet information for [subnet-0bad]: The subnet ID 'subnet-0bad' does not exist (ErrorCode: InvalidSubnetID.NotFound)",
      }),
      new InvalidParameterException({
        $metadata: { httpStatusCode: 400 },
        message: "Error retrieving security group information for [sg-0bad]: The security group 'sg-0bad' does not exist (ErrorCode: InvalidGroup.NotFound)",
      }),
      new AccessDeniedException({
        $metadata: { httpStatusCode: 400 },
        message:
          'User: arn:aws:sts::123456789012:assumed-role/fargate-jobs-prod-startTask/fn is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/fargate-jobs-prod-task because no identity-based policy allows the iam:PassRole action',
      }),
    ];
    for (const refusal of CONFIGURATION_REFUSALS) {
      it(`reports ${refusal.name} (${refusal.message.slice(0, 40)}…) as START_FAILED with ECS's message`, async () => {
        // Prepare
        ecsMock.on(RunTaskCommand).rejects(refusal);

        // Act
        const result = await runner.runTask(aRequest());

        // Assess
        assert.ok(!result.started);
        assert.equal(result.failure.category, 'START_FAILED');
        assert.ok(result.failure.message.includes(refusal.message), result.failure.message);
      });
    }

    it('rejects with the error when access is denied to RunTask itself (the runner\'s own permissions)', async () => {
      // Prepare
      const denied = new AccessDeniedException({
        $metadata: { httpStatusCode: 400 },
        message: 'User: arn:aws:sts::123456789012:assumed-role/x/y is not authorized to perform: ecs:RunTask on resource: arn:aws:ecs:eu-west-1:123456789012:task-definition/x:1',
      });
      ecsMock.on(RunTaskCommand).rejects(denied);

      // Act + Assess
      await assert.rejects(runner.runTask(aRequest()), { name: 'AccessDeniedException' });
    });
  });

  describe('runTask: capacity (Fargate Spot)', () => {
    const spotFirst = new EcsTaskRunner({ client: ecs, settings: taskSettingsByProfile(spotFirstProfiles), logger: silentLogger });
    const spotFirstDefault = spotFirstProfiles.find((profile) => profile.name === 'default') ?? assert.fail('no default profile');
    const NO_SPOT_CAPACITY = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';

    function strategies() {
      return runTaskInputs().map((input) => [input.clientToken, input.capacityProviderStrategy]);
    }

    for (const capacity of ['spot', 'spot-first'] as const) {
      it(`starts the first attempt of a ${capacity} stage's jobs on FARGATE_SPOT alone, and says so`, async () => {
        // Prepare
        const runner = new EcsTaskRunner({ client: ecs, settings: taskSettingsByProfile(awsProfiles({ ...STAGE, capacity })), logger: silentLogger });
        ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [fargateTask({ capacityProviderName: 'FARGATE_SPOT' })], failures: [] }));

        // Act
        const results = [await runner.runTask(aRequest()), await runner.runTask(aRequest({ profile: 'ssh', command: ['sleep', '60'] }))];

        // Assess
        assert.deepEqual(results.map((result) => result.capacity), ['FARGATE_SPOT', 'FARGATE_SPOT']);
        assert.deepEqual(strategies(), [
          [JOB_ID, [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]],
          [JOB_ID, [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]],
        ]);
      });
    }

    it("starts on the request's capacity over the profile's, with the attempt's own clientToken", async () => {
      // Prepare
      ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [fargateTask()], failures: [] }));

      // Act
      const result = await spotFirst.runTask(aRequest({ capacity: 'FARGATE', attempt: 2 }));

      // Assess
      assert.deepEqual(result, { started: true, taskArn: TASK_ARN, capacity: 'FARGATE' });
      const [input] = runTaskInputs();
      assert.deepEqual(input?.capacityProviderStrategy, [{ capacityProvider: 'FARGATE', weight: 1 }]);
      assert.equal(input?.clientToken, `${JOB_ID}-2`, 'ECS refuses a clientToken reused with another capacity');
      assert.equal(input?.startedBy, JOB_ID, "task-state events still name the job");
      assert.deepEqual(input?.tags?.find((tag) => tag.key === 'fargate-jobs:job-id'), { key: 'fargate-jobs:job-id', value: JOB_ID });
    });

    it('keeps the job id as the clientToken of attempt 1, so a retried first start finds its task', async () => {
      // Prepare
      ecsMock.on(RunTaskCommand).resolves(runTaskResponse({ tasks: [fargateTask()], failures: [] }));

      // Act
      await spotFirst.runTask(aRequest({ attempt: 1 }));
      await spotFirst.runTask(aRequest());

      // Assess
      assert.deepEqual(runTaskInputs().map((input) => input.clientToken), [JOB_ID, JOB_ID]);
    });

    it('reports no Spot capacity at RunTask as CAPACITY on FARGATE_SPOT, and the next attempt starts on FARGATE, once', async () => {
      // Prepare: Spot has no room; on-demand has.
      ecsMock
        .on(RunTaskCommand, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] })
        .resolves(runTaskResponse({ tasks: [], failures: [{ reason: NO_SPOT_CAPACITY }] }))
        .on(RunTaskCommand, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] })
        .resolves(runTaskResponse({ tasks: [fargateTask()], failures: [] }));

      // Act: the attempts as the workflow makes them.
      const first = await spotFirst.runTask(aRequest({ capacity: 'FARGATE_SPOT', attempt: 1 }));
      const fallback = first.started ? undefined : fallbackCapacity(spotFirstDefault, first);
      const second = await spotFirst.runTask(aRequest({ ...(fallback ? { capacity: fallback } : {}), attempt: 2 }));

      // Assess
      assert.ok(!first.started);
      assert.equal(first.capacity, 'FARGATE_SPOT');
      assert.equal(first.failure.category, 'CAPACITY');
      assert.match(first.failure.message, /Capacity is unavailable at this time/);
      assert.equal(fallback, 'FARGATE');
      assert.deepEqual(second, { started: true, taskArn: TASK_ARN, capacity: 'FARGATE' });
      assert.deepEqual(strategies(), [
        [JOB_ID, [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]],
        [`${JOB_ID}-2`, [{ capacityProvider: 'FARGATE', weight: 1 }]],
      ]);
      // On FARGATE there is nothing further to fall back to.
      assert.equal(fallbackCapacity(spotFirstDefault, { capacity: 'FARGATE', failure: { category: 'CAPACITY', message: NO_SPOT_CAPACITY } }), undefined);
    });

    it('reports a Spot task interrupted mid-run as SPOT_INTERRUPTED, and the next attempt starts on FARGATE, once', async () => {
      // Prepare: the first task runs on Spot until AWS takes it back; SIGTERM ends the command (143).
      const spotTaskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${'5'.repeat(32)}`;
      const interrupted = stoppedTask([exited(143)], {
        taskArn: spotTaskArn,
        capacityProviderName: 'FARGATE_SPOT',
        stopCode: 'SpotInterruption',
        stoppedReason: 'Your Spot Task was interrupted.',
      });
      ecsMock
        .on(RunTaskCommand, { clientToken: JOB_ID })
        .resolves(runTaskResponse({ tasks: [fargateTask({ taskArn: spotTaskArn, capacityProviderName: 'FARGATE_SPOT' })], failures: [] }))
        .on(RunTaskCommand, { clientToken: `${JOB_ID}-2` })
        .resolves(runTaskResponse({ tasks: [fargateTask()], failures: [] }))
        .on(DescribeTasksCommand)
        .resolves(describeTasksResponse([interrupted]));

      // Act
      const first = await spotFirst.runTask(aRequest());
      const outcome = classifyStop(await spotFirst.describeTask(spotTaskArn));
      const fallback = fallbackCapacity(spotFirstDefault, { capacity: first.capacity, ...(outcome.failure ? { failure: outcome.failure } : {}) });
      const second = await spotFirst.runTask(aRequest({ ...(fallback ? { capacity: fallback } : {}), attempt: 2 }));

      // Assess
      assert.deepEqual(first, { started: true, taskArn: spotTaskArn, capacity: 'FARGATE_SPOT' });
      assert.equal(outcome.failure?.category, 'SPOT_INTERRUPTED');
      assert.equal(outcome.exitCode, 143);
      assert.equal(fallback, 'FARGATE');
      assert.deepEqual(second, { started: true, taskArn: TASK_ARN, capacity: 'FARGATE' });
      assert.deepEqual(strategies(), [
        [JOB_ID, [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]],
        [`${JOB_ID}-2`, [{ capacityProvider: 'FARGATE', weight: 1 }]],
      ]);
    });

    it('says which capacity a refused RunTask was refused on', async () => {
      // Prepare
      ecsMock.on(RunTaskCommand).rejects(new InvalidParameterException({ $metadata: {}, message: 'No Container Instances were found in your capacity provider.' }));

      // Act
      const result = await spotFirst.runTask(aRequest());

      // Assess
      assert.ok(!result.started);
      assert.equal(result.capacity, 'FARGATE_SPOT');
      assert.equal(result.failure.category, 'START_FAILED');
    });
  });

  describe('describeTask', () => {
    it('asks DescribeTasks for the task in the cluster named by its ARN', async () => {
      // Prepare
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([fargateTask()]));

      // Act
      await runner.describeTask(TASK_ARN);

      // Assess
      assert.deepEqual(
        ecsMock.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input),
        [{ cluster: CLUSTER, tasks: [TASK_ARN] }],
      );
    });

    it('reports a PROVISIONING task whose interface is not created yet without a network, and without asking EC2', async () => {
      // Prepare
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([fargateTask()]));

      // Act
      const snapshot = await runner.describeTask(TASK_ARN);

      // Assess
      assert.deepEqual(snapshot, { taskArn: TASK_ARN, version: 1, taskDefinitionFamily: 'fargate-jobs-test-default', lastStatus: 'PROVISIONING', exitCode: null });
      assert.equal(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).length, 0);
    });

    it('reports a PENDING task with its interface: eni id, private IP and the public IP EC2 resolves', async () => {
      // Prepare
      const pending = fargateTask({
        attachments: [eniAttachment('ATTACHED')],
        lastStatus: 'PENDING',
        pullStartedAt: new Date('2030-01-01T00:00:15.765Z'),
      });
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([pending]));
      ec2Mock.on(DescribeNetworkInterfacesCommand).resolves(publicInterface());

      // Act
      const snapshot = await runner.describeTask(TASK_ARN);

      // Assess
      assert.deepEqual(snapshot, {
        taskArn: TASK_ARN,
        version: 1,
        taskDefinitionFamily: 'fargate-jobs-test-default',
        lastStatus: 'PENDING',
        exitCode: null,
        network: { eniId: ENI_ID, privateIp: PRIVATE_IP, publicIp: PUBLIC_IP },
      });
      assert.deepEqual(
        ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).map((call) => call.args[0].input),
        [{ NetworkInterfaceIds: [ENI_ID] }],
      );
    });

    it('reports a RUNNING task with its start time and no exit code yet', async () => {
      // Prepare
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([runningTask()]));
      ec2Mock.on(DescribeNetworkInterfacesCommand).resolves(publicInterface());

      // Act
      const snapshot = await runner.describeTask(TASK_ARN);

      // Assess
      assert.deepEqual(snapshot, {
        taskArn: TASK_ARN,
        version: 3,
        taskDefinitionFamily: 'fargate-jobs-test-default',
        lastStatus: 'RUNNING',
        startedAt: '2030-01-01T00:00:40.528Z',
        exitCode: null,
        runtimeId: `${TASK_ID}-1497048990`,
        network: { eniId: ENI_ID, privateIp: PRIVATE_IP, publicIp: PUBLIC_IP },
      });
    });

    it("reports the watched container's exec agent and runtime id (a task started with ECS Exec), never a sidecar's", async () => {
      // Prepare
      const agent = (lastStatus: string) => ({ name: 'ExecuteCommandAgent' as const, lastStatus, lastStartedAt: STARTED_AT });
      const task = runningTask({
        enableExecuteCommand: true,
        containers: [
          container({ name: 'log-router', lastStatus: 'RUNNING', runtimeId: `${TASK_ID}-0000000001`, managedAgents: [agent('PENDING')] }),
          container({ lastStatus: 'RUNNING', runtimeId: `${TASK_ID}-1497048990`, managedAgents: [agent('RUNNING')] }),
        ],
      });
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([task]));

      // Act
      const snapshot = await runner.describeTask(TASK_ARN, { resolveNetwork: false });

      // Assess
      assert.equal(snapshot.execAgentStatus, 'RUNNING');
      assert.equal(snapshot.runtimeId, `${TASK_ID}-1497048990`);
    });

    it('reports an exec agent still PENDING as PENDING, and none for a task started without exec', async () => {
      // Prepare
      const pendingAgent = runningTask({
        enableExecuteCommand: true,
        containers: [container({ lastStatus: 'RUNNING', runtimeId: `${TASK_ID}-1497048990`, managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: 'PENDING' }] })],
      });
      ecsMock.on(DescribeTasksCommand).resolvesOnce(describeTasksResponse([pendingAgent])).resolvesOnce(describeTasksResponse([runningTask()]));

      // Act
      const pending = await runner.describeTask(TASK_ARN, { resolveNetwork: false });
      const withoutExec = await runner.describeTask(TASK_ARN, { resolveNetwork: false });

      // Assess
      assert.equal(pending.execAgentStatus, 'PENDING');
      assert.equal(withoutExec.execAgentStatus, undefined);
    });

    it('asked not to resolve the network, reports the attachment\'s addresses without loading or calling EC2', async () => {
      // Prepare
      let loads = 0;
      const lazy = new EcsTaskRunner({
        client: ecs,
        settings,
        network: lazyNetworkResolver(async () => {
          loads += 1;
          return new Ec2NetworkResolver({ client: new EC2Client({ region: REGION }) });
        }),
        logger: silentLogger,
      });
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([runningTask()]));
      ec2Mock.on(DescribeNetworkInterfacesCommand).resolves(publicInterface());

      // Act
      const unresolved = await lazy.describeTask(TASK_ARN, { resolveNetwork: false });
      const loadsBefore = loads;
      await lazy.describeTask(TASK_ARN);
      await lazy.describeTask(TASK_ARN);

      // Assess
      assert.deepEqual(unresolved.network, { eniId: ENI_ID, privateIp: PRIVATE_IP, publicIp: null });
      assert.equal(loadsBefore, 0, 'the EC2 resolver is not loaded until a lookup is wanted');
      assert.equal(loads, 1, 'and then loaded once');
      assert.equal(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).length, 2);
    });

    it('without an EC2 resolver reports the private IP from the attachment and publicIp null', async () => {
      // Prepare
      const privateOnly = new EcsTaskRunner({ client: ecs, settings, logger: silentLogger });
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([runningTask()]));

      // Act
      const snapshot = await privateOnly.describeTask(TASK_ARN);

      // Assess
      assert.deepEqual(snapshot.network, { eniId: ENI_ID, privateIp: PRIVATE_IP, publicIp: null });
      assert.equal(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).length, 0);
    });

    it('reports a normal exit 0 as STOPPED with both times and exit code 0, which classifies as SUCCEEDED', async () => {
      // Prepare
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([stoppedTask([exited(0)])]));
      ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(
        new EC2ServiceException({
          name: 'InvalidNetworkInterfaceID.NotFound',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: `The networkInterface ID '${ENI_ID}' does not exist`,
        }),
      );

      // Act
      const snapshot = await runner.describeTask(TASK_ARN);

      // Assess
      assert.deepEqual(snapshot, {
        taskArn: TASK_ARN,
        version: 5,
        taskDefinitionFamily: 'fargate-jobs-test-default',
        lastStatus: 'STOPPED',
        startedAt: '2030-01-01T00:00:40.528Z',
        stoppedAt: '2030-01-01T00:05:12.310Z',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        exitCode: 0,
        // The interface is deleted by now: what the attachment said stands.
        network: { eniId: ENI_ID, privateIp: PRIVATE_IP, publicIp: null },
      });
      assert.deepEqual(classifyStop(snapshot), { status: 'SUCCEEDED', exitCode: 0 });
    });

    it('reports exit code 3 of the watched container, which classifies as USER_EXIT', async () => {
      // Prepare
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([stoppedTask([exited(3)])]));

      // Act
      const snapshot = await new EcsTaskRunner({ client: ecs, settings, logger: silentLogger }).describeTask(TASK_ARN);

      // Assess
      assert.equal(snapshot.exitCode, 3);
      const outcome = classifyStop(snapshot);
      assert.equal(outcome.status, 'FAILED');
      assert.equal(outcome.exitCode, 3);
      assert.equal(outcome.failure?.category, 'USER_EXIT');
    });

    it("takes the exit code of the watched container, not a sidecar's: sidecar 1, watched 0 is SUCCEEDED", async () => {
      // Prepare
      const sidecar = exited(1, { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable' });
      const task = stoppedTask([sidecar, exited(0)]);
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([task]));

      // Act
      const snapshot = await new EcsTaskRunner({ client: ecs, settings, logger: silentLogger }).describeTask(TASK_ARN);

      // Assess
      assert.equal(snapshot.exitCode, 0);
      assert.equal(classifyStop(snapshot).status, 'SUCCEEDED');
    });

    it("takes the watched container's exit code even when the sidecar succeeded and the watched one failed", async () => {
      // Prepare
      const sidecar = exited(0, { name: 'log-router' });
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([stoppedTask([sidecar, exited(2)])]));

      // Act
      const snapshot = await new EcsTaskRunner({ client: ecs, settings, logger: silentLogger }).describeTask(TASK_ARN);

      // Assess
      assert.equal(snapshot.exitCode, 2);
      assert.equal(classifyStop(snapshot).failure?.category, 'USER_EXIT');
    });

    describe('classifies real stop shapes as the workflow does', () => {
      const privateOnly = new EcsTaskRunner({ client: ecs, settings, logger: silentLogger });

      async function snapshotOf(task: Task) {
        ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([task]));
        return privateOnly.describeTask(TASK_ARN);
      }

      it('an image that cannot be pulled → IMAGE_PULL, exit code null', async () => {
        // Prepare
        const reason =
          'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ' +
          'public.ecr.aws/docker/library/alpine:3.99: public.ecr.aws/docker/library/alpine:3.99: not found';
        const task = failedToStartTask(reason, reason);

        // Act
        const snapshot = await snapshotOf(task);
        const outcome = classifyStop(snapshot);

        // Assess
        assert.equal(snapshot.exitCode, null);
        assert.equal(outcome.failure?.category, 'IMAGE_PULL');
        assert.equal(outcome.failure?.stoppedReason, reason);
        assert.equal(outcome.exitCode, null);
      });

      it('secrets or registry auth that cannot be fetched → RESOURCE_INIT', async () => {
        // Prepare
        const reason =
          'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ' +
          'unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed ' +
          'caused by: Post "https://api.ecr.eu-west-1.amazonaws.com/": dial tcp 52.46.145.233:443: i/o timeout. ' +
          'Please check your task network configuration.';

        // Act
        const outcome = classifyStop(await snapshotOf(failedToStartTask(reason)));

        // Assess
        assert.equal(outcome.status, 'FAILED');
        assert.equal(outcome.failure?.category, 'RESOURCE_INIT');
      });

      it('TaskFailedToStart with no exit code → START_FAILED, exit code null', async () => {
        // Prepare
        const task = failedToStartTask('Task failed to start');

        // Act
        const snapshot = await snapshotOf(task);
        const outcome = classifyStop(snapshot);

        // Assess
        assert.equal(snapshot.exitCode, null);
        assert.equal(snapshot.startedAt, undefined);
        assert.deepEqual(outcome, {
          status: 'FAILED',
          exitCode: null,
          failure: {
            category: 'START_FAILED',
            message: 'Task failed to start',
            stopCode: 'TaskFailedToStart',
            stoppedReason: 'Task failed to start',
          },
        });
      });

      it("the watched container's OutOfMemoryError with exit code 137 → OOM", async () => {
        // Prepare
        const reason = 'OutOfMemoryError: Container killed due to memory usage';
        const task = stoppedTask([exited(137, { reason })]);

        // Act
        const snapshot = await snapshotOf(task);
        const outcome = classifyStop(snapshot);

        // Assess
        assert.equal(snapshot.containerReason, reason);
        assert.equal(outcome.failure?.category, 'OOM');
        assert.equal(outcome.exitCode, 137);
      });

      it('stop code SpotInterruption → SPOT_INTERRUPTED', async () => {
        // Prepare
        const task = stoppedTask([exited(143)], {
          capacityProviderName: 'FARGATE_SPOT',
          stopCode: 'SpotInterruption',
          stoppedReason: 'Your Spot Task was interrupted.',
        });

        // Act
        const outcome = classifyStop(await snapshotOf(task));

        // Assess
        assert.equal(outcome.failure?.category, 'SPOT_INTERRUPTED');
        assert.equal(outcome.failure?.stopCode, 'SpotInterruption');
      });

      it("UserInitiated after the workflow's timeout stop → TIMED_OUT; without that request → CANCELLED", async () => {
        // Prepare
        const task = stoppedTask([exited(143)], {
          stopCode: 'UserInitiated',
          stoppedReason: 'fargate-jobs: timeout after 60 s',
        });

        // Act
        const snapshot = await snapshotOf(task);

        // Assess
        assert.equal(classifyStop(snapshot, 'TIMEOUT').status, 'TIMED_OUT');
        const cancelled = classifyStop(snapshot);
        assert.equal(cancelled.status, 'CANCELLED');
        assert.equal(cancelled.failure?.message, 'fargate-jobs: timeout after 60 s');
      });
    });

    it("throws 'TaskNotFound' for a task ECS reports MISSING", async () => {
      // Prepare
      ecsMock.on(DescribeTasksCommand).resolves({
        $metadata: { httpStatusCode: 200 },
        tasks: [],
        failures: [{ arn: TASK_ARN, reason: 'MISSING' }],
      });

      // Act
      const describing = runner.describeTask(TASK_ARN);

      // Assess
      await assert.rejects(describing, { name: 'TaskNotFound' });
    });

    it("throws 'TaskRunnerThrottled' when ECS throttles DescribeTasks", async () => {
      // Prepare
      ecsMock.on(DescribeTasksCommand).rejects(throttled());

      // Act
      const describing = runner.describeTask(TASK_ARN);

      // Assess
      await assert.rejects(describing, { name: 'TaskRunnerThrottled' });
    });

    it("throws 'TaskRunnerThrottled' when EC2 throttles the public IP lookup", async () => {
      // Prepare
      ecsMock.on(DescribeTasksCommand).resolves(describeTasksResponse([runningTask()]));
      ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(
        new EC2ServiceException({
          name: 'RequestLimitExceeded',
          $fault: 'client',
          $metadata: { httpStatusCode: 503 },
          message: 'Request limit exceeded.',
        }),
      );

      // Act
      const describing = runner.describeTask(TASK_ARN);

      // Assess
      await assert.rejects(describing, { name: 'TaskRunnerThrottled' });
    });

    it('refuses an ARN that names no cluster, without calling ECS', async () => {
      // Prepare
      const oldFormatArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${TASK_ID}`;

      // Act
      const describing = runner.describeTask(oldFormatArn);

      // Assess
      await assert.rejects(describing, /not an ECS task ARN/);
      assert.equal(ecsMock.commandCalls(DescribeTasksCommand).length, 0);
    });
  });

  describe('stopTask', () => {
    function stopTaskInputs() {
      return ecsMock.commandCalls(StopTaskCommand).map((call) => call.args[0].input);
    }

    it('stops the task in its cluster with the reason given', async () => {
      // Prepare
      ecsMock.on(StopTaskCommand).resolves({ $metadata: { httpStatusCode: 200 }, task: runningTask({ desiredStatus: 'STOPPED' }) });

      // Act
      await runner.stopTask(TASK_ARN, 'cancelled by alice');

      // Assess
      assert.deepEqual(stopTaskInputs(), [{ cluster: CLUSTER, task: TASK_ARN, reason: 'cancelled by alice' }]);
    });

    it('cuts a reason longer than the 255 characters ECS accepts', async () => {
      // Prepare
      ecsMock.on(StopTaskCommand).resolves({ $metadata: { httpStatusCode: 200 } });
      const reason = `cancelled by ${'a-very-long-caller-name-'.repeat(20)}`;

      // Act
      await runner.stopTask(TASK_ARN, reason);

      // Assess
      const sent = stopTaskInputs()[0]?.reason ?? '';
      assert.equal(sent.length, 255);
      assert.equal(sent, reason.slice(0, 255));
    });

    it('never cuts a character in half at the limit', async () => {
      // Prepare
      ecsMock.on(StopTaskCommand).resolves({ $metadata: { httpStatusCode: 200 } });
      const reason = `${'x'.repeat(254)}🛑 stop`;

      // Act
      await runner.stopTask(TASK_ARN, reason);

      // Assess
      assert.equal(stopTaskInputs()[0]?.reason, 'x'.repeat(254));
    });

    it('treats a task ECS no longer knows as already stopped', async () => {
      // Prepare
      ecsMock
        .on(StopTaskCommand)
        .rejects(new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message: 'The referenced task was not found.' }));

      // Act
      const stopping = runner.stopTask(TASK_ARN, 'fargate-jobs: internal error');

      // Assess
      await assert.doesNotReject(stopping);
    });

    it("throws 'TaskRunnerThrottled' when ECS throttles StopTask", async () => {
      // Prepare
      ecsMock.on(StopTaskCommand).rejects(throttled());

      // Act
      const stopping = runner.stopTask(TASK_ARN, 'fargate-jobs: timeout after 60 s');

      // Assess
      await assert.rejects(stopping, { name: 'TaskRunnerThrottled' });
    });

    it('passes on other refusals, such as a malformed request', async () => {
      // Prepare
      ecsMock
        .on(StopTaskCommand)
        .rejects(new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message: 'Task Identifier is invalid' }));

      // Act
      const stopping = runner.stopTask(TASK_ARN, 'cancelled by alice');

      // Assess
      await assert.rejects(stopping, { name: 'InvalidParameterException' });
    });
  });
});
