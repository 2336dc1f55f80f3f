/**
 * The composition root on AWS: one factory per Lambda function, each building only the ports its
 * handler takes (so each bundle carries only those SDK clients) from the settings serverless.yml
 * sets. A handler module calls its factory when Lambda loads it: a missing setting fails the cold
 * start with a message naming the variable, never a request later.
 *
 *   export const handler = createJobHandler(awsPorts.createJob());
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { DynamoDbScheduleStore } from '#lib/adapters/aws/dynamodb-schedule-store.ts';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import { DynamoDbWaitSlots } from '#lib/adapters/aws/dynamodb-wait-slots.ts';
import { SecretsManagerKey, SecretsManagerSetting } from '#lib/adapters/aws/secrets-manager-key.ts';
import { scheduleFireOf } from '#lib/adapters/aws/scheduler-fire-event.ts';
import { EventBridgeScheduleTrigger } from '#lib/adapters/aws/scheduler-trigger.ts';
import { StepFunctionsWorkflow } from '#lib/adapters/aws/sfn-workflow.ts';
import { CronerScheduleCalendar } from '#lib/adapters/croner-schedule-calendar.ts';
import { requiredEnv, requiredLimit, webhookAllowHosts } from '#lib/config.ts';
import type { CancelJobPorts, JobLogPorts, JobWaitPorts, SubmitJobPorts, WaitPorts } from '#lib/domain/job-service.ts';
import type { JobListWaitPorts } from '#lib/domain/job-listing.ts';
import type { LogDownloadPorts } from '#lib/domain/log-download.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { ExecPorts } from '#lib/domain/exec-service.ts';
import type { Dependencies, JobStore, ScheduleStore, TokenStore, Workflow } from '#lib/domain/ports.ts';
import { createLogger } from '#lib/logger.ts';
import type { ArchiveLogPorts } from '#lib/workflow/archive-log.ts';
import type { FinalizeJobPorts } from '#lib/workflow/finalize-job.ts';
import type { MarkFailedPorts } from '#lib/workflow/mark-failed.ts';
import type { PollTaskPorts } from '#lib/workflow/poll-task.ts';
import type { StartTaskPorts } from '#lib/workflow/start-task.ts';
import type { StopTaskPorts } from '#lib/workflow/stop-task.ts';
import type { NotifyFinishedPorts } from '#lib/workflow/notify-finished.ts';
import type { AwaitTaskPorts } from '#lib/workflow/await-task.ts';
import type { TaskStateChangePorts } from '#lib/workflow/task-state-change.ts';
import type { ReconcilePorts } from '#lib/workflow/reconcile.ts';
import type { FireScheduleHandlerPorts } from '#lib/workflow/fire-schedule.ts';
import type { SchedulesPorts } from '#lib/http/schedules.ts';
import { taskStateChangeOf } from '#lib/adapters/aws/ecs-task-events.ts';
import type { ListProfilesPorts } from '#lib/http/list-profiles.ts';
import type { GetCostsPorts } from '#lib/http/get-costs.ts';
import type { SlackPorts } from '#lib/http/slack-actions.ts';
import { callbackUrlPolicy } from '#lib/notify/callback-policy.ts';
import { DEFAULT_SLACK_API_URL } from '#lib/notify/slack-web-api.ts';
import { parseSlackAccess } from '#lib/slack/access.ts';
import { postToResponseUrl } from '#lib/slack/app.ts';
import { botTokenApi, notifierFor } from './notifications.ts';
import { stageCosts } from './costs.ts';
import { logArchiver } from './log-archive.ts';
import { logArchiveReads } from './log-archive-reads.ts';
import { taskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { cloudWatchLogReader, ecsTaskRunner, ecsTaskRunnerWithNetwork, lazyEc2NetworkResolver, profileMap, stageProfiles, stageTaskSettings } from './aws-adapters.ts';

type Logged = { logger: Logger };

export function authorizer(): Pick<Dependencies, 'tokens' | 'logger'> {
  return { tokens: tokenStore(), logger: createLogger() };
}

export function createJob(): SubmitJobPorts & Logged {
  const profiles = profileMap(stageProfiles());
  const stateMachineArn = requiredEnv('STATE_MACHINE_ARN');
  const requestHashKeySecret = requiredEnv('REQUEST_HASH_KEY_SECRET');
  const maxActiveJobsPerToken = requiredLimit('MAX_ACTIVE_JOBS_PER_TOKEN');
  return {
    store: jobStore(),
    workflow: new StepFunctionsWorkflow({ client: new SFNClient({}), stateMachineArn }),
    profiles,
    logger: createLogger(),
    requestHashKey: new SecretsManagerKey({ client: new SecretsManagerClient({}), secretId: requestHashKeySecret }),
    callbackUrls: callbackUrlPolicy(webhookAllowHosts()),
    ...(maxActiveJobsPerToken === undefined ? {} : { maxActiveJobsPerToken }),
  };
}

export function listJobs(): JobListWaitPorts & Logged & Pick<Dependencies, 'costs'> {
  return { store: jobStore(), profiles: profileMap(stageProfiles()), ...waitLimit(), logger: createLogger(), costs: stageCosts() };
}

/** The stage's profiles, as the caller may see them: it reads no AWS resource. */
export function listProfiles(): ListProfilesPorts {
  return { profiles: profileMap(stageProfiles()), logger: createLogger() };
}

/** GET /costs: reads the job list index only (Query on byCreatedAt), and prices from its settings. */
export function getCosts(): GetCostsPorts {
  return { store: jobStore(), costs: stageCosts(), logger: createLogger() };
}

export function getJob(): JobWaitPorts & Logged & Pick<Dependencies, 'costs'> {
  return { store: jobStore(), ...waitLimit(), logger: createLogger(), costs: stageCosts() };
}

export function cancelJob(): CancelJobPorts & Logged {
  const settings = stageTaskSettings();
  const logger = createLogger();
  return { store: jobStore(), taskRunner: ecsTaskRunner(settings, logger), logger };
}

/** ECS Exec into a running job: the job record (read, exec recorded), one DescribeTasks and ExecuteCommand. */
export function execJob(): ExecPorts & Logged {
  const profiles = stageProfiles();
  const logger = createLogger();
  return { store: jobStore(), taskRunner: ecsTaskRunner(taskSettingsByProfile(profiles), logger), profiles: profileMap(profiles), logger };
}

/** GET /jobs/{id}/logs: a finished job's archive once it has one (LOG_ARCHIVE_BUCKET), its CloudWatch stream before. */
export function getJobLogs(): JobLogPorts & LogDownloadPorts & Logged {
  const settings = stageTaskSettings();
  return { store: jobStore(), ...logArchiveReads(settings), ...waitLimit(), logger: createLogger() };
}

/**
 * The waiting functions' limit on the waits of one token (MAX_WAITS_PER_TOKEN, `none` for no limit),
 * counted in the job table: each invocation is its own instance, so only a shared count holds.
 */
function waitLimit(): Pick<WaitPorts, 'waitSlots' | 'maxWaitsPerToken'> {
  const maxWaitsPerToken = requiredLimit('MAX_WAITS_PER_TOKEN');
  if (maxWaitsPerToken === undefined) return {};
  return { waitSlots: new DynamoDbWaitSlots({ client: new DynamoDBClient({}), tableName: requiredEnv('JOBS_TABLE') }), maxWaitsPerToken };
}

export function startTask(): StartTaskPorts {
  const settings = stageTaskSettings();
  const logger = createLogger();
  // The profiles too: the events of its task that came first are applied here (task-events.ts).
  return { store: jobStore(), taskRunner: ecsTaskRunner(settings, logger), profiles: profileMap(stageProfiles()), notifier: notifier(logger), logger };
}

/** The only function that looks up public IPs, so the only one whose bundle has the EC2 client. */
export function pollTask(): PollTaskPorts {
  const profiles = stageProfiles();
  const logger = createLogger();
  return {
    store: jobStore(),
    taskRunner: ecsTaskRunnerWithNetwork(taskSettingsByProfile(profiles), logger),
    profiles: profileMap(profiles),
    notifier: notifier(logger),
    logger,
  };
}

export function stopTask(): StopTaskPorts {
  const settings = stageTaskSettings();
  const logger = createLogger();
  return { taskRunner: ecsTaskRunner(settings, logger), logger };
}

/** With LOG_ARCHIVE_BUCKET, it also archives each finished job's log there (lib/workflow/archive-log.ts). */
export function finalizeJob(): FinalizeJobPorts & ArchiveLogPorts {
  const profiles = stageProfiles();
  const settings = taskSettingsByProfile(profiles);
  const logger = createLogger();
  const logReader = cloudWatchLogReader(settings);
  return {
    store: jobStore(),
    taskRunner: ecsTaskRunner(settings, logger),
    logReader,
    ...logArchiver(logReader),
    profiles: profileMap(profiles),
    notifier: notifier(logger),
    logger,
  };
}

export function markFailed(): MarkFailedPorts {
  const settings = stageTaskSettings();
  const logger = createLogger();
  return { store: jobStore(), taskRunner: ecsTaskRunner(settings, logger), logger };
}

/** The workflow's wake (SendTaskSuccess) on this stage's state machine. */
function workflowWake(): Pick<Workflow, 'wake'> {
  return new StepFunctionsWorkflow({ client: new SFNClient({}), stateMachineArn: requiredEnv('STATE_MACHINE_ARN') });
}

export function awaitTask(): AwaitTaskPorts {
  return { store: jobStore(), workflow: workflowWake(), logger: createLogger() };
}

/** The EventBridge rule's Lambda: ECS's task-state changes onto the job records, waking the executions. */
export function taskStateChange(): TaskStateChangePorts & { readEvent: typeof taskStateChangeOf } {
  const logger = createLogger();
  return {
    store: jobStore(),
    profiles: profileMap(stageProfiles()),
    logReader: cloudWatchLogReader(stageTaskSettings()),
    notifier: notifier(logger),
    workflow: workflowWake(),
    networkResolver: lazyEc2NetworkResolver(),
    logger,
    readEvent: taskStateChangeOf,
  };
}

/** The scheduled reconciler: the active jobs' tasks described in batches, lost events repaired. */
export function reconcile(): ReconcilePorts {
  const settings = stageTaskSettings();
  const logger = createLogger();
  return {
    store: jobStore(),
    taskRunner: ecsTaskRunner(settings, logger),
    profiles: profileMap(stageProfiles()),
    logReader: cloudWatchLogReader(settings),
    notifier: notifier(logger),
    workflow: workflowWake(),
    networkResolver: lazyEc2NetworkResolver(),
    logger,
  };
}

export function notifyFinished(): NotifyFinishedPorts {
  const logger = createLogger();
  return { store: jobStore(), notifier: notifier(logger), logger };
}

/**
 * POST and GET /schedules, GET, PATCH and DELETE /schedules/{name}: the schedules in the table, and
 * each one's EventBridge Scheduler schedule in the stage's group (SCHEDULE_GROUP), invoking the fire
 * function (SCHEDULE_TARGET_ARN) with the scheduler's role (SCHEDULER_ROLE_ARN).
 */
export function schedules(): SchedulesPorts {
  const scheduleTrigger = new EventBridgeScheduleTrigger({
    client: new SchedulerClient({}),
    groupName: requiredEnv('SCHEDULE_GROUP'),
    targetArn: requiredEnv('SCHEDULE_TARGET_ARN'),
    roleArn: requiredEnv('SCHEDULER_ROLE_ARN'),
  });
  return {
    schedules: scheduleStore(),
    scheduleTrigger,
    scheduleCalendar: new CronerScheduleCalendar(),
    profiles: profileMap(stageProfiles()),
    callbackUrls: callbackUrlPolicy(webhookAllowHosts()),
    logger: createLogger(),
  };
}

/**
 * The fire function, invoked by EventBridge Scheduler: each fire submits its schedule's job as
 * createJob would (the same ports), as the creator's token reads now, and records the fire on the schedule.
 */
export function fireSchedule(): FireScheduleHandlerPorts<unknown> {
  return { ...createJob(), schedules: scheduleStore(), tokens: tokenStore(), readEvent: scheduleFireOf };
}

/** Both Slack routes: the job use cases a Slack user reaches, and the Slack app's settings. */
export function slackRoutes(): SlackPorts {
  const logger = createLogger();
  const settings = stageTaskSettings();
  const submit = createJob();
  const secrets = new SecretsManagerClient({});
  const signingSecret = new SecretsManagerSetting({ client: secrets, secretId: requiredEnv('SLACK_SIGNING_SECRET_ID') });
  const apiUrl = process.env.API_URL;
  return {
    ...submit,
    taskRunner: ecsTaskRunner(settings, logger),
    logReader: cloudWatchLogReader(settings),
    logger,
    slack: {
      signingSecret: () => signingSecret.get(),
      access: parseSlackAccess(process.env.SLACK_ACCESS),
      api: botTokenApi(slackBotToken(secrets)),
      respond: postToResponseUrl,
      apiUrl: () => apiUrl,
    },
  };
}

/**
 * The Slack thread and webhook of a job. FARGATE_JOBS_WEBHOOK_SECRET_ID and SLACK_BOT_TOKEN_ID name
 * Secrets Manager secrets, read when a job first needs them.
 */
function notifier(logger: Logger) {
  const secrets = new SecretsManagerClient({});
  const webhookSecret = new SecretsManagerKey({ client: secrets, secretId: requiredEnv('FARGATE_JOBS_WEBHOOK_SECRET_ID') });
  const apiUrl = process.env.API_URL;
  return notifierFor({ webhookSecret: () => webhookSecret.get(), allowHosts: webhookAllowHosts(), ...slackBotToken(secrets), apiUrl: () => apiUrl, logger, costs: stageCosts() });
}

function slackBotToken(secrets: SecretsManagerClient) {
  const botToken = new SecretsManagerSetting({ client: secrets, secretId: requiredEnv('SLACK_BOT_TOKEN_ID') });
  return { slackBotToken: () => botToken.get(), slackApiUrl: process.env.SLACK_API_URL?.trim() || DEFAULT_SLACK_API_URL };
}

function scheduleStore(): ScheduleStore {
  return new DynamoDbScheduleStore({ client: new DynamoDBClient({}), tableName: requiredEnv('JOBS_TABLE') });
}

function tokenStore(): TokenStore {
  return new DynamoDbTokenStore({ client: new DynamoDBClient({}), tableName: requiredEnv('JOBS_TABLE') });
}

function jobStore(): JobStore {
  return new DynamoDbJobStore({ client: new DynamoDBClient({}), tableName: requiredEnv('JOBS_TABLE') });
}
