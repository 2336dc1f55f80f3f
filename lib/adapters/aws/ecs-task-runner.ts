/**
 * The TaskRunner port on ECS Fargate: a job's task is started with RunTask (idempotent per job
 * through clientToken), watched with DescribeTasks, stopped with StopTask and exec'ed into with
 * ExecuteCommand (ecs-exec.ts). The profile's settings decide where and how the task runs; the
 * request brings only the job's own values.
 */
import {
  DescribeTasksCommand,
  ExecuteCommandCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Container,
  type ECSClient,
  type Failure,
  type RunTaskCommandInput,
  type Tag,
  type Task,
} from '@aws-sdk/client-ecs';
import { taskDefinitionFamilyOf, type AwsTaskSettings, type AwsTaskSettingsByProfile, type CapacityProvider } from '#lib/domain/aws-profile.ts';
import { TaskNotFoundError, TaskRunnerThrottledError } from '#lib/domain/errors.ts';
import type { FailureCategory, JobFailure, JobNetwork } from '#lib/domain/job.ts';
import type { Logger } from '#lib/domain/logger.ts';
import { taskOverrides } from '#lib/domain/task-limits.ts';
import { labelTags } from '#lib/domain/task-tags.ts';
import type { DescribeTaskOptions, ExecRequest, ExecSession, NetworkResolver, RunTaskRequest, RunTaskResult, TaskLastStatus, TaskRunner, TaskSnapshot } from '#lib/domain/ports.ts';
import { execRefusalOf, execSessionOf, execStateOf, execTarget, executeCommandInput } from './ecs-exec.ts';

export interface EcsTaskRunnerOptions {
  client: ECSClient;
  settings: AwsTaskSettingsByProfile;
  /**
   * The resolver of public IPs (EC2; the composition loads its large client on the first lookup);
   * without it a snapshot's network carries only the private IP.
   */
  network?: NetworkResolver;
  logger: Logger;
}

export const JOB_ID_TAG = 'fargate-jobs:job-id';
export const PROFILE_TAG = 'fargate-jobs:profile';
/** The task definitions' own tags (serverless.yml), which `propagateTags` copies to each task: they count towards ECS's 50. */
const PROPAGATED_TAGS = [{ key: 'fargate-jobs:stage' }];
/** The most tasks one DescribeTasks call takes. */
export const DESCRIBE_TASKS_BATCH = 100;
/** StopTask refuses a longer reason. */
export const MAX_STOP_REASON_LENGTH = 255;

/** The ENI attachment's type: DescribeTasks says `ElasticNetworkInterface`, a task-state-change event `eni`. */
const ENI_ATTACHMENT_TYPES = ['ElasticNetworkInterface', 'eni'];
/** RunTask's failure reason when Fargate (or Fargate Spot) has no room for the task right now. */
const CAPACITY_UNAVAILABLE = /capacity is unavailable/i;
/** Error names of calls that may well succeed if made again a little later. */
const TRANSIENT_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  // EC2's throttling code, met when resolving a task's public IP.
  'RequestLimitExceeded',
  // The SDK's retry strategy classes this as throttling too.
  'LimitExceededException',
  'ServerException',
]);
/**
 * Refusals of a RunTask request that no retry can change: the task cannot start as the profile and
 * stage configure it (an inactive task definition, a subnet or security group that does not exist, a
 * cluster that does not, …). The job fails START_FAILED with ECS's own words, for its operator to fix.
 */
const REFUSED_RUN_ERRORS = new Set([
  'ClientException',
  'InvalidParameterException',
  'ClusterNotFoundException',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'UnsupportedFeatureException',
]);
/** An AccessDeniedException that names iam:PassRole: the task's roles may not be handed to ECS. */
const PASS_ROLE_DENIED = /iam:PassRole/;
const TASK_ARN_PATTERN = /^arn:aws[a-z-]*:ecs:[^:]+:[^:]+:task\/([^/]+)\/([^/]+)$/;

export class EcsTaskRunner implements TaskRunner {
  readonly #client: ECSClient;
  readonly #settings: AwsTaskSettingsByProfile;
  readonly #network: NetworkResolver | undefined;
  readonly #logger: Logger;

  constructor(options: EcsTaskRunnerOptions) {
    this.#client = options.client;
    this.#settings = options.settings;
    this.#network = options.network;
    this.#logger = options.logger;
  }

  async runTask(request: RunTaskRequest): Promise<RunTaskResult> {
    const settings = this.#settingsOf(request.profile);
    const capacity = capacityOf(request, settings);
    let response;
    try {
      response = await this.#client.send(new RunTaskCommand(runTaskInput(request, settings, capacity)));
    } catch (error) {
      if (isTransient(error)) throw new TaskRunnerThrottledError('RunTask', error);
      if (isRefusedRun(error)) {
        this.#logger.warn('RunTask refused the task', { jobId: request.jobId, capacity, error: { name: error.name, message: error.message } });
        const failure: JobFailure = { category: categoryOf([error.message]), message: `ECS refused to start the task: ${error.message}` };
        return { started: false, failure, capacity };
      }
      throw error;
    }

    const failures = response.failures ?? [];
    const taskArn = response.tasks?.[0]?.taskArn;
    if (failures.length === 0 && taskArn) return { started: true, taskArn, capacity };

    if (taskArn) {
      // Not expected for a single task. The job is reported as not started, so nothing would ever
      // watch this task: stop it rather than leave it running unaccounted for.
      this.#logger.warn('RunTask reported failures along with a task; stopping it', { jobId: request.jobId, taskArn, failures });
      await this.stopTask(taskArn, 'fargate-jobs: RunTask reported failures for this job').catch((error: unknown) => {
        this.#logger.error('could not stop a task RunTask reported with failures', { jobId: request.jobId, taskArn, error: messageOf(error) });
      });
    }
    const failure = startFailure(failures);
    this.#logger.info('RunTask did not start the task', { jobId: request.jobId, capacity, failure });
    return { started: false, failure, capacity };
  }

  async describeTask(taskArn: string, options: DescribeTaskOptions = {}): Promise<TaskSnapshot> {
    const { cluster } = taskArnParts(taskArn);
    const response = await throttleAware('DescribeTasks', () =>
      this.#client.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] })),
    );
    // A task unknown to ECS (or gone since it stopped) comes back as a failure with reason MISSING.
    const task = response.tasks?.[0];
    if (!task) throw new TaskNotFoundError(taskArn);

    const network = await this.#networkOf(task, options.resolveNetwork ?? true);
    return snapshotOf(taskArn, task, network);
  }

  async describeTasks(taskArns: readonly string[]): Promise<TaskSnapshot[]> {
    const byCluster = Map.groupBy(taskArns, (taskArn) => taskArnParts(taskArn).cluster);
    const snapshots: TaskSnapshot[] = [];
    for (const [cluster, arns] of byCluster) {
      for (let start = 0; start < arns.length; start += DESCRIBE_TASKS_BATCH) {
        const tasks = arns.slice(start, start + DESCRIBE_TASKS_BATCH);
        const response = await throttleAware('DescribeTasks', () => this.#client.send(new DescribeTasksCommand({ cluster, tasks })));
        // Tasks ECS no longer knows come back as failures (MISSING): left out.
        for (const task of response.tasks ?? []) if (task.taskArn) snapshots.push(snapshotOf(task.taskArn, task, eniOf(task)));
      }
    }
    return snapshots;
  }

  async stopTask(taskArn: string, reason: string): Promise<void> {
    const { cluster } = taskArnParts(taskArn);
    try {
      await this.#client.send(new StopTaskCommand({ cluster, task: taskArn, reason: truncate(reason, MAX_STOP_REASON_LENGTH) }));
    } catch (error) {
      if (isTaskGone(error)) {
        this.#logger.info('task to stop is already gone', { taskArn, reason: messageOf(error) });
        return;
      }
      if (isTransient(error)) throw new TaskRunnerThrottledError('StopTask', error);
      throw error;
    }
  }

  /** A session into the task's watched container, running `request.command` (the domain has found the agent ready). */
  async execCommand(request: ExecRequest): Promise<ExecSession> {
    const { container } = this.#settingsOf(request.profile);
    const { cluster, taskId } = taskArnParts(request.taskArn);
    if (!request.runtimeId) throw new Error(`no runtime id for the container of job ${request.jobId}'s task: an exec session's target needs it`);
    let response;
    try {
      response = await this.#client.send(new ExecuteCommandCommand(executeCommandInput(cluster, request.taskArn, container, request.command)));
    } catch (error) {
      if (isTransient(error)) throw new TaskRunnerThrottledError('ExecuteCommand', error);
      throw execRefusalOf(error) ?? error;
    }
    return execSessionOf(response, execTarget(cluster, taskId, request.runtimeId), await this.#client.config.region());
  }

  #settingsOf(profile: string): AwsTaskSettings {
    const settings = this.#settings.get(profile);
    if (!settings) throw new Error(`no AWS task settings for profile '${profile}': check config/profiles.ts`);
    return settings;
  }

  async #networkOf(task: Task, resolve: boolean): Promise<JobNetwork | undefined> {
    const eni = eniOf(task);
    if (!eni) return undefined;
    const resolver = this.#network;
    if (!resolve || !resolver) return { ...eni, publicIp: null };
    const resolved = await throttleAware('DescribeNetworkInterfaces', () => resolver.resolve(eni.eniId, eni.privateIp));
    return { eniId: eni.eniId, ...resolved };
  }
}

/** The attempt's choice, else the profile's first capacity; an ECS profile that names none runs on demand. */
function capacityOf(request: RunTaskRequest, settings: AwsTaskSettings): CapacityProvider {
  return request.capacity ?? settings.capacityProvider ?? 'FARGATE';
}

/**
 * Makes RunTask idempotent per attempt: a retried StartTask gets its attempt's task, never a second
 * one, and the next attempt a task of its own (ECS answers ConflictException to a token reused with
 * other parameters). At most 64 characters: a job id is 30.
 */
export function clientTokenOf(request: Pick<RunTaskRequest, 'jobId' | 'attempt'>): string {
  return request.attempt === undefined || request.attempt <= 1 ? request.jobId : `${request.jobId}-${request.attempt}`;
}

function runTaskInput(request: RunTaskRequest, settings: AwsTaskSettings, capacity: CapacityProvider): RunTaskCommandInput {
  return {
    cluster: settings.cluster,
    taskDefinition: settings.taskDefinition,
    clientToken: clientTokenOf(request),
    // The job's id, as AWS Batch does it: a task-state-change event carries `startedBy`, not the tags,
    // and so names the job it is about (ecs-task-events.ts).
    startedBy: request.jobId,
    // The job's labels too, so that Cost Explorer can group the bill by them (activated as cost-allocation tags).
    tags: runTaskTags(request),
    // And the task definition's own (the stage's), for the same reason.
    propagateTags: 'TASK_DEFINITION',
    // One provider, never a spread: the attempt is on Spot or on demand, and is recorded as such.
    capacityProviderStrategy: [{ capacityProvider: capacity, weight: 1 }],
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...settings.subnets],
        securityGroups: [...settings.securityGroups],
        assignPublicIp: request.publicIp ? 'ENABLED' : 'DISABLED',
      },
    },
    // Built as the domain measured it when the job was submitted (ECS limits its length).
    overrides: taskOverrides(settings.container, request),
    // Exec profiles' tasks get the exec agent (ECS Exec); no other task does.
    ...(settings.enableExecuteCommand ? { enableExecuteCommand: true } : {}),
  };
}

function runTaskTags(request: RunTaskRequest): Tag[] {
  const own = [
    { key: JOB_ID_TAG, value: request.jobId },
    { key: PROFILE_TAG, value: request.profile },
  ];
  return [...own, ...labelTags(request.labels ?? {}, [...own, ...PROPAGATED_TAGS])];
}

function startFailure(failures: Failure[]): JobFailure {
  if (failures.length === 0) {
    return { category: 'START_FAILED', message: 'ECS accepted RunTask but returned no task' };
  }
  const reasons = failures.map(describeFailure);
  return {
    category: categoryOf(failures.map((failure) => failure.reason ?? '')),
    message: `the task could not be started: ${reasons.join('; ')}`,
  };
}

function describeFailure(failure: Failure): string {
  const reason = failure.reason ?? 'unknown reason';
  const detail = failure.detail ? ` (${failure.detail})` : '';
  const arn = failure.arn ? ` [${failure.arn}]` : '';
  return `${reason}${detail}${arn}`;
}

function categoryOf(reasons: string[]): FailureCategory {
  return reasons.some((reason) => CAPACITY_UNAVAILABLE.test(reason)) ? 'CAPACITY' : 'START_FAILED';
}

export function snapshotOf(taskArn: string, task: Task, network: JobNetwork | undefined): TaskSnapshot {
  const watched = watchedContainer(task);
  return {
    taskArn: task.taskArn ?? taskArn,
    ...(typeof task.version === 'number' ? { version: task.version } : {}),
    ...(task.taskDefinitionArn ? { taskDefinitionFamily: taskDefinitionFamilyOf(task.taskDefinitionArn) } : {}),
    // ECS may add statuses; an unknown one is passed on, and the workflow keeps polling until STOPPED.
    lastStatus: (task.lastStatus ?? 'PROVISIONING') as TaskLastStatus,
    ...(task.startedAt ? { startedAt: task.startedAt.toISOString() } : {}),
    ...(task.stoppedAt ? { stoppedAt: task.stoppedAt.toISOString() } : {}),
    ...(task.stopCode ? { stopCode: task.stopCode } : {}),
    ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
    // The job's exit code is the watched container's, never a sidecar's; null until it has one.
    exitCode: typeof watched?.exitCode === 'number' ? watched.exitCode : null,
    ...(watched?.reason ? { containerReason: watched.reason } : {}),
    ...execStateOf(watched),
    ...(network ? { network } : {}),
  };
}

/** The container RunTask gave the command to: the one named in the task's container override. */
function watchedContainer(task: Task): Container | undefined {
  const containers = task.containers ?? [];
  const name = task.overrides?.containerOverrides?.[0]?.name;
  if (name !== undefined) return containers.find((container) => container.name === name);
  // A task started without overrides (not by this runner): only an only container is unambiguous.
  return containers.length === 1 ? containers[0] : undefined;
}

/** The task's network interface, once ECS has created it (a PRECREATED attachment has no id yet). */
export function eniOf(task: Task): { eniId: string; privateIp?: string } | undefined {
  const attachment = task.attachments?.find((candidate) => ENI_ATTACHMENT_TYPES.includes(candidate.type ?? ''));
  const details = new Map((attachment?.details ?? []).map((detail) => [detail.name, detail.value]));
  const eniId = details.get('networkInterfaceId');
  if (!eniId) return undefined;
  const privateIp = details.get('privateIPv4Address');
  return { eniId, ...(privateIp ? { privateIp } : {}) };
}

/** The cluster a task runs in and its id, from its ARN: `arn:aws:ecs:<region>:<account>:task/<cluster>/<id>`. */
function taskArnParts(taskArn: string): { cluster: string; taskId: string } {
  const [, cluster, taskId] = TASK_ARN_PATTERN.exec(taskArn) ?? [];
  if (!cluster || !taskId) {
    throw new Error(`'${taskArn}' is not an ECS task ARN of the form arn:aws:ecs:<region>:<account>:task/<cluster>/<id>`);
  }
  return { cluster, taskId };
}

async function throttleAware<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw isTransient(error) ? new TaskRunnerThrottledError(operation, error) : error;
  }
}

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (TRANSIENT_ERRORS.has(error.name)) return true;
  if ((error as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true) return true;
  // ECS wraps a throttled internal call (e.g. reading the subnets) in a client error: "… Rate exceeded".
  return /rate exceeded/i.test(error.message);
}

function isRefusedRun(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  return REFUSED_RUN_ERRORS.has(error.name) || (error.name === 'AccessDeniedException' && PASS_ROLE_DENIED.test(error.message));
}

/** StopTask's answer for a task ECS no longer knows: "The referenced task was not found." */
function isTaskGone(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ClusterNotFoundException') return true;
  const refused = error.name === 'InvalidParameterException' || error.name === 'ClientException';
  return refused && /not found|already stopped/i.test(error.message);
}

/** At most `maxLength` UTF-16 units, never cutting a character (a surrogate pair) in half. */
function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let truncated = '';
  for (const character of text) {
    if (truncated.length + character.length > maxLength) break;
    truncated += character;
  }
  return truncated;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
