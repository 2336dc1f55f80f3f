/**
 * Plays a `TaskScript` through mocked ECS, EC2 and CloudWatch Logs clients, so that the AWS adapters
 * (EcsTaskRunner with its EC2 resolver, CloudWatchLogReader) run the workflow scenarios that
 * ScriptedTaskRunner plays locally. The clients are real; only their `send` is mocked
 * (aws-sdk-client-mock), and every answer has the shape the service gives (as in
 * test/unit/ecs-task-runner.test.ts and test/unit/cloudwatch-log-reader.test.ts):
 *
 * - RunTask (found by its clientToken, the job id) answers a PROVISIONING task, `failures` with the
 *   scripted failure's message as ECS's reason, or rejects as scripted;
 * - DescribeTasks answers the next scripted snapshot as an ECS Task: the watched container (the one
 *   RunTask's override named) after a sidecar that exits 0, and the ENI attachment once the snapshot
 *   has a network; a scripted throw rejects with the SDK's error (TaskRunnerThrottled → ThrottlingException);
 * - StopTask stops the task as ECS does (UserInitiated, the reason as stoppedReason);
 * - DescribeNetworkInterfaces answers the scripted addresses of the interface;
 * - GetLogEvents answers the job's lines from its stream `<prefix>/<container>/<task id>`.
 *
 * The mocks are global per client class: `reset()` before each test, and never play two set-ups at once.
 */
import { createHash } from 'node:crypto';
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
  type GetLogEventsCommandInput,
  type GetLogEventsCommandOutput,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeNetworkInterfacesCommand,
  EC2Client,
  EC2ServiceException,
  type DescribeNetworkInterfacesCommandInput,
  type DescribeNetworkInterfacesCommandOutput,
} from '@aws-sdk/client-ec2';
import {
  ClientException,
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  RunTaskCommand,
  StopTaskCommand,
  type Attachment,
  type Container,
  type DescribeTasksCommandInput,
  type DescribeTasksCommandOutput,
  type RunTaskCommandInput,
  type RunTaskCommandOutput,
  type StopTaskCommandInput,
  type StopTaskCommandOutput,
  type Task,
  type TaskStopCode,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsTaskSettings, AwsTaskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import type { TaskLastStatus, TaskSnapshot } from '#lib/domain/ports.ts';
import { scriptedError, ScriptedTask, type ScriptedError, type ScriptHooks, type TaskScript } from './fake-task-runner.ts';

export interface ScriptedAwsOptions {
  /** The settings the adapters are given: a task definition's awslogs options name its log group. */
  settings: AwsTaskSettingsByProfile;
  region: string;
  account: string;
}

/** What the scenario expectations count. */
export interface ScriptedAwsCalls {
  runTask: number;
  describeTask: number;
  stopReasons: string[];
}

interface PlayedJob {
  script: TaskScript;
  logLines: readonly string[];
  hooks: ScriptHooks;
  task?: PlayedTask;
}

interface PlayedTask {
  played: ScriptedTask;
  cluster: string;
  run: RunTaskCommandInput;
  /** The container RunTask's override named: its exit code is the job's. */
  container: string;
  createdAt: Date;
  logGroupName: string;
  logStreamName: string;
}

/** A sidecar listed before the watched container, as a FireLens log router would be: its exit code is never the job's. */
const SIDECAR = 'log-router';
const METADATA = { httpStatusCode: 200 };
/** The time of the first scripted log line; line n is n seconds later. */
const FIRST_LOG_LINE_AT = Date.UTC(2030, 0, 1);

export class ScriptedAwsClients {
  readonly #ecs = mockClient(ECSClient);
  readonly #ec2 = mockClient(EC2Client);
  readonly #logs = mockClient(CloudWatchLogsClient);
  readonly #options: ScriptedAwsOptions;
  readonly #jobs = new Map<string, PlayedJob>();

  constructor(options: ScriptedAwsOptions) {
    this.#options = options;
    this.reset();
  }

  /** Forgets every script and request, and answers from the scripts played next. */
  reset(): void {
    this.#jobs.clear();
    this.#ecs.reset();
    this.#ec2.reset();
    this.#logs.reset();
    this.#ecs.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => this.#runTask(input));
    this.#ecs.on(DescribeTasksCommand).callsFake((input: DescribeTasksCommandInput) => this.#describeTasks(input));
    this.#ecs.on(StopTaskCommand).callsFake((input: StopTaskCommandInput) => this.#stopTask(input));
    this.#ec2
      .on(DescribeNetworkInterfacesCommand)
      .callsFake((input: DescribeNetworkInterfacesCommandInput) => this.#describeNetworkInterfaces(input));
    this.#logs.on(GetLogEventsCommand).callsFake((input: GetLogEventsCommandInput) => this.#getLogEvents(input));
  }

  /** Gives the task of job `jobId` its script, and its stream the lines it logged. */
  play(jobId: string, script: TaskScript, options: ScriptHooks & { logLines: readonly string[] }): this {
    const { logLines, ...hooks } = options;
    this.#jobs.set(jobId, { script, logLines, hooks });
    return this;
  }

  /** What the adapters asked of ECS for job `jobId`, read from the requests the client was sent. */
  calls(jobId: string): ScriptedAwsCalls {
    const taskArn = this.#jobs.get(jobId)?.task?.played.taskArn;
    const runTasks = this.#ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input);
    const describes = this.#ecs.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input);
    const stops = this.#ecs.commandCalls(StopTaskCommand).map((call) => call.args[0].input);
    return {
      runTask: runTasks.filter((input) => input.clientToken === jobId).length,
      describeTask: taskArn === undefined ? 0 : describes.filter((input) => input.tasks?.includes(taskArn)).length,
      stopReasons: taskArn === undefined ? [] : stops.filter((input) => input.task === taskArn).map((input) => input.reason ?? ''),
    };
  }

  async #runTask(input: RunTaskCommandInput): Promise<RunTaskCommandOutput> {
    const jobId = input.clientToken;
    const job = jobId === undefined ? undefined : this.#jobs.get(jobId);
    if (!jobId || !job) throw new Error(`no task script for RunTask with clientToken ${jobId}: the job id makes RunTask idempotent`);
    await job.hooks.beforeRunTask?.({ jobId });
    const { run } = job.script;
    if (run && 'throws' in run) throw sdkError(run);
    // ECS reports only a reason: the adapter decides the category from it.
    if (run) return { $metadata: METADATA, tasks: [], failures: [{ reason: run.failure.message }] };

    // A retried RunTask with the same clientToken gets the task the first one started.
    job.task ??= this.#startTask(jobId, job, input);
    return { $metadata: METADATA, tasks: [this.#ecsTask(job.task, { taskArn: job.task.played.taskArn, lastStatus: 'PROVISIONING' })], failures: [] };
  }

  #startTask(jobId: string, job: PlayedJob, input: RunTaskCommandInput): PlayedTask {
    const settings = this.#taskDefinition(input.taskDefinition);
    const container = input.overrides?.containerOverrides?.[0]?.name;
    if (!container) throw new Error(`RunTask for job ${jobId} names no container in its override: no container would run the job's command`);
    const cluster = input.cluster ?? 'default';
    // A task id is 32 hex digits; deriving it from the job keeps each job's stream apart.
    const taskId = createHash('sha256').update(jobId).digest('hex').slice(0, 32);
    const { region, account } = this.#options;
    const taskArn = `arn:aws:ecs:${region}:${account}:task/${cluster}/${taskId}`;
    const now = job.hooks.now ?? (() => new Date());
    return {
      played: new ScriptedTask({ jobId, taskArn, script: job.script, now }),
      cluster,
      run: input,
      container,
      createdAt: now(),
      logGroupName: settings.logGroup,
      logStreamName: `${settings.logStreamPrefix}/${container}/${taskId}`,
    };
  }

  #taskDefinition(taskDefinition: string | undefined): AwsTaskSettings {
    const settings = [...this.#options.settings.values()].find((candidate) => candidate.taskDefinition === taskDefinition);
    if (!settings) throw new ClientException({ $metadata: { httpStatusCode: 400 }, message: 'TaskDefinition not found.' });
    return settings;
  }

  async #describeTasks(input: DescribeTasksCommandInput): Promise<DescribeTasksCommandOutput> {
    const taskArn = input.tasks?.[0];
    const task = this.#task(input.cluster, taskArn);
    if (!task) return { $metadata: METADATA, tasks: [], failures: [{ arn: taskArn, reason: 'MISSING' }] };
    const reported = await task.played.describe(this.#jobs.get(task.played.jobId)?.hooks.beforeDescribe);
    if ('throws' in reported) throw sdkError(reported);
    return { $metadata: METADATA, tasks: [this.#ecsTask(task, reported)], failures: [] };
  }

  async #stopTask(input: StopTaskCommandInput): Promise<StopTaskCommandOutput> {
    const task = this.#task(input.cluster, input.task);
    if (!task) throw new InvalidParameterException({ $metadata: { httpStatusCode: 400 }, message: 'The referenced task was not found.' });
    return { $metadata: METADATA, task: this.#ecsTask(task, task.played.stop(input.reason ?? 'Task stopped by user')) };
  }

  async #describeNetworkInterfaces(input: DescribeNetworkInterfacesCommandInput): Promise<DescribeNetworkInterfacesCommandOutput> {
    const eniId = input.NetworkInterfaceIds?.[0];
    // The newest task reporting this interface: scenarios may reuse an interface id.
    const network = [...this.#jobs.values()]
      .map((job) => job.task?.played.lastReported?.network)
      .findLast((candidate) => candidate?.eniId === eniId);
    if (!eniId || !network) {
      throw new EC2ServiceException({
        name: 'InvalidNetworkInterfaceID.NotFound',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: `The networkInterface ID '${eniId}' does not exist`,
      });
    }
    return {
      $metadata: METADATA,
      NetworkInterfaces: [
        {
          NetworkInterfaceId: eniId,
          InterfaceType: 'interface',
          RequesterManaged: true,
          Status: 'in-use',
          ...(network.privateIp ? { PrivateIpAddress: network.privateIp } : {}),
          ...(network.publicIp ? { Association: { IpOwnerId: 'amazon', PublicIp: network.publicIp } } : {}),
        },
      ],
    };
  }

  async #getLogEvents(input: GetLogEventsCommandInput): Promise<GetLogEventsCommandOutput> {
    const job = [...this.#jobs.values()].find(
      ({ task }) => task !== undefined && task.logGroupName === input.logGroupName && task.logStreamName === input.logStreamName,
    );
    if (!job) throw new ResourceNotFoundException({ $metadata: { httpStatusCode: 400 }, message: 'The specified log stream does not exist.' });
    if (input.startFromHead === true) throw new Error('the scripted log stream serves only reads of its tail (startFromHead false)');
    const events = job.logLines.map(
      (message, index): OutputLogEvent => ({ timestamp: FIRST_LOG_LINE_AT + index * 1000, message, ingestionTime: FIRST_LOG_LINE_AT + index * 1000 + 500 }),
    );
    const latest = events.slice(Math.max(0, events.length - (input.limit ?? 10_000)));
    return {
      $metadata: METADATA,
      events: latest,
      nextForwardToken: `f/${events.length}`,
      nextBackwardToken: `b/${events.length - latest.length}`,
    };
  }

  #task(cluster: string | undefined, taskArn: string | undefined): PlayedTask | undefined {
    const task = [...this.#jobs.values()].find((job) => job.task?.played.taskArn === taskArn)?.task;
    return task && task.cluster === cluster ? task : undefined;
  }

  /** The snapshot as DescribeTasks reports it: an ECS Task with its containers and network attachment. */
  #ecsTask(task: PlayedTask, snapshot: Pick<TaskSnapshot, 'taskArn' | 'lastStatus'> & Partial<TaskSnapshot>): Task {
    const { region, account } = this.#options;
    const { run } = task;
    const stopped = snapshot.lastStatus === 'STOPPED';
    const containerStatus = containerStatusOf(snapshot.lastStatus);
    const watched: Container = {
      name: task.container,
      lastStatus: containerStatus,
      ...(typeof snapshot.exitCode === 'number' ? { exitCode: snapshot.exitCode } : {}),
      ...(snapshot.containerReason ? { reason: snapshot.containerReason } : {}),
    };
    const sidecar: Container = {
      name: SIDECAR,
      lastStatus: containerStatus,
      ...(stopped && snapshot.startedAt !== undefined ? { exitCode: 0 } : {}),
    };
    return {
      taskArn: snapshot.taskArn,
      clusterArn: `arn:aws:ecs:${region}:${account}:cluster/${task.cluster}`,
      taskDefinitionArn: `arn:aws:ecs:${region}:${account}:task-definition/${run.taskDefinition}:1`,
      group: `family:${run.taskDefinition}`,
      launchType: 'FARGATE',
      ...(run.capacityProviderStrategy?.[0] ? { capacityProviderName: run.capacityProviderStrategy[0].capacityProvider } : {}),
      ...(run.startedBy ? { startedBy: run.startedBy } : {}),
      ...(run.tags ? { tags: run.tags } : {}),
      ...(run.overrides ? { overrides: run.overrides } : {}),
      createdAt: task.createdAt,
      desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
      lastStatus: snapshot.lastStatus,
      containers: [sidecar, watched],
      attachments: [eniAttachment(snapshot, run)],
      ...(snapshot.startedAt ? { startedAt: new Date(snapshot.startedAt) } : {}),
      ...(snapshot.stoppedAt ? { stoppedAt: new Date(snapshot.stoppedAt) } : {}),
      ...(snapshot.stopCode ? { stopCode: snapshot.stopCode as TaskStopCode } : {}),
      ...(snapshot.stoppedReason ? { stoppedReason: snapshot.stoppedReason } : {}),
    };
  }
}

/** The task's interface attachment: only its subnet until the snapshot reports a network. */
function eniAttachment(snapshot: Partial<TaskSnapshot> & Pick<TaskSnapshot, 'lastStatus'>, run: RunTaskCommandInput): Attachment {
  const subnet = { name: 'subnetId', value: run.networkConfiguration?.awsvpcConfiguration?.subnets?.[0] };
  const attachment = { id: '14187ccb-7643-436c-aa3e-40186ac3d6a7', type: 'ElasticNetworkInterface' };
  const { network } = snapshot;
  if (!network) return { ...attachment, status: 'PRECREATED', details: [subnet] };
  // ECS tells of a network only through the interface's id.
  if (!network.eniId) throw new Error('a scripted network needs an eniId: ECS reports the network as the task\'s interface');
  return {
    ...attachment,
    status: snapshot.lastStatus === 'STOPPED' ? 'DELETED' : 'ATTACHED',
    details: [
      subnet,
      { name: 'networkInterfaceId', value: network.eniId },
      ...(network.privateIp ? [{ name: 'privateIPv4Address', value: network.privateIp }] : []),
    ],
  };
}

function containerStatusOf(taskStatus: TaskLastStatus): string {
  if (taskStatus === 'PROVISIONING' || taskStatus === 'PENDING' || taskStatus === 'ACTIVATING') return 'PENDING';
  return taskStatus === 'RUNNING' ? 'RUNNING' : 'STOPPED';
}

/**
 * The SDK's error for a scripted throw. ECS models no throttling exception: the SDK raises its base
 * exception under the wire's error code, which the adapter must map to TaskRunnerThrottled itself.
 */
function sdkError(error: ScriptedError): Error {
  if (error.throws.name !== 'TaskRunnerThrottled') return scriptedError(error);
  return new ECSServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: error.throws.message,
  });
}
