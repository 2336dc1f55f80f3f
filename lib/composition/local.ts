/**
 * The composition root of local mode (`npm start`): the jobs and tokens in one SQLite file
 * (`<data dir>/jobs.db`, copied once from the `db/` folder of earlier versions), the ASL run in-process, and jobs run by one of two task runners:
 *
 * - `process` (the default): each job a child process of the server, its output in a log file;
 * - `ecs` (FARGATE_JOBS_RUNNER=ecs): each job a real Fargate task, through the same ECS, EC2 and
 *   CloudWatch Logs adapters and profiles as a deployed stage, with the settings its Lambdas read
 *   (ECS_CLUSTER, TASK_SUBNETS, TASK_SECURITY_GROUPS, TASK_LOG_GROUP, TASK_DEFINITION_PREFIX) and the
 *   AWS credentials and region of the environment.
 *
 * Schedules are kept in jobs.db too and fired by an in-process scheduler (croner's calendar, one timer
 * per schedule), each fire through the same fireSchedule as AWS's fire function.
 *
 * Finished jobs are kept FARGATE_JOBS_RETENTION_DAYS (default 30) days: older ones, their records and
 * whatever their tasks left on this machine (work directory, log) are removed at start and then
 * daily. Each job's log holds at most FARGATE_JOBS_MAX_LOG_BYTES (default 100 MiB). A token may have
 * FARGATE_JOBS_MAX_WAITS_PER_TOKEN (default 10, `none` for no limit) requests waiting at once, counted
 * in the store as on AWS.
 *
 * No Lambda bundle imports this module.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { localProfiles } from '#config/profiles.ts';
import type { DatabaseSync } from 'node:sqlite';
import { CronerScheduleCalendar } from '#lib/adapters/croner-schedule-calendar.ts';
import { cachedJobStore } from '#lib/adapters/local/cached-job-store.ts';
import { FileLogReader } from '#lib/adapters/local/file-log-reader.ts';
import { JobChangeHub, publishingJobStore } from '#lib/adapters/local/job-changes.ts';
import { LocalScheduler } from '#lib/adapters/local/local-scheduler.ts';
import { LocalWorkflow, type LocalWorkflowOptions } from '#lib/adapters/local/local-workflow.ts';
import { MemoryWaitSlots } from '#lib/adapters/local/memory-wait-slots.ts';
import { DEFAULT_MAX_LOG_BYTES, ProcessTaskRunner } from '#lib/adapters/local/process-task-runner.ts';
import { openJobsDatabase } from '#lib/adapters/local/sqlite-database.ts';
import { SqliteJobStore } from '#lib/adapters/local/sqlite-job-store.ts';
import { SqliteScheduleStore } from '#lib/adapters/local/sqlite-schedule-store.ts';
import { SqliteTokenStore } from '#lib/adapters/local/sqlite-token-store.ts';
import type { ExecAttachment } from '#lib/adapters/local/task-execs.ts';
import { optionalLimit, optionalWholeNumber, webhookAllowHosts } from '#lib/config.ts';
import { ConfigError } from '#lib/domain/errors.ts';
import { ACTIVE_STATUSES } from '#lib/domain/job.ts';
import type { TaskStateChange } from '#lib/domain/task-events.ts';
import { jobsWithStatus, removeExpiredJobs, stopUnwatchedTask, type RetentionPorts } from '#lib/domain/job-service.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { Dependencies, JobStore, LogReader, TaskRunner } from '#lib/domain/ports.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { fireSchedule } from '#lib/domain/schedule-fire.ts';
import { createLogger } from '#lib/logger.ts';
import { workflowSteps } from '#lib/workflow/steps.ts';
import { handleTaskStateChange } from '#lib/workflow/task-state-change.ts';
import { callbackUrlPolicy } from '#lib/notify/callback-policy.ts';
import type { AllowedHost } from '#lib/notify/callback-url.ts';
import type { Resolver } from '#lib/notify/safe-post.ts';
import { DEFAULT_SLACK_API_URL } from '#lib/notify/slack-web-api.ts';
import { parseSlackAccess } from '#lib/slack/access.ts';
import { postToResponseUrl, type SlackApp } from '#lib/slack/app.ts';
import { botTokenApi, notifierFor } from './notifications.ts';
import { taskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { cloudWatchLogReader, ecsTaskRunnerWithNetwork, profileMap, stageProfiles } from './aws-adapters.ts';
import { localSecretKey, makeDataDirectoryPrivate, type Notice } from './data-directory.ts';
import { importLegacyStore, type LegacyImport } from './legacy-store.ts';
import { stageCosts } from './costs.ts';
import type { CostSettings } from '#lib/domain/cost.ts';

export { writePrivateFileAtomically } from './data-directory.ts';
export type { RunningExec } from '#lib/adapters/local/exec-process.ts';
export type { ExecAttachment } from '#lib/adapters/local/task-execs.ts';

export const TASK_RUNNERS = ['process', 'ecs'] as const;
export type TaskRunnerKind = (typeof TASK_RUNNERS)[number];

/**
 * How often a job on ECS is looked at while it starts and runs. A deployed stage learns of changes
 * from ECS's events (EventBridge), which do not reach this machine; locally a poll costs nothing but
 * a DescribeTasks call (a few per job-minute, far inside ECS's rate limits), and a person at a
 * terminal wants to see the stop.
 */
const ECS_POLL_MS = 2000;

export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_MAX_WAITS_PER_TOKEN = 10;

/**
 * What a local mode may do without: the real clock and timer, limits, a log feed (logs on CloudWatch),
 * a log archive (its log files are kept) and log downloads (a download streams the log itself,
 * lib/domain/log-download.ts).
 */
type OptionalLocalPorts = 'now' | 'sleep' | 'maxActiveJobsPerToken' | 'maxWaitsPerToken' | 'logChanges' | 'logArchiver' | 'logDownloads';

export interface LocalDependencies extends Required<Omit<Dependencies, OptionalLocalPorts>>, Pick<Dependencies, OptionalLocalPorts> {
  workflow: LocalWorkflow;
  runner: TaskRunnerKind;
  /** `<data dir>/jobs.db`, open. */
  database: DatabaseSync;
  /** What this start copied from the `db/` folder of an earlier version, if it did. */
  legacyImport?: LegacyImport;
  /** The Slack app, when SLACK_SIGNING_SECRET is set: the server then serves Slack's routes. */
  slack?: SlackApp;
  /**
   * Tells the notifications the server's URL (for links to a job's console page) unless FARGATE_JOBS_PUBLIC_URL
   * gives one, and the process runner where its exec sessions' streams are attached to.
   */
  setServerUrl(url: string): void;
  /** The in-process scheduler of the schedules (the schedules' handler tells it of every change). */
  scheduleTrigger: LocalScheduler;
  /**
   * Arms every enabled schedule (once the jobs the previous server left active are recorded, so a
   * fire's job is never taken for one of them); fires missed while no server ran are not made up for.
   * Returns how many were armed.
   */
  startScheduler(): Promise<number>;
  /** Claims a local exec session with its token and starts its command (the process runner's; the server attaches the client to it). */
  attachExec?(sessionId: string, tokenValue: string): Promise<ExecAttachment>;
  /** Stops removing expired jobs and running tasks, lets their workflows record the outcome, closes the store. */
  close(): Promise<void>;
}

export interface LocalOptions {
  /** Everything local mode keeps: `jobs.db` (jobs and tokens), `logs/`, `work/`; made private (0700). */
  dataDir: string;
  logger?: Logger;
  /** Where a line for the user goes (the data directory was tightened): stderr by default. */
  notice?: Notice;
  /** Which task runner runs the jobs; `process` by default. */
  runner?: TaskRunnerKind;
  /** The profiles of the `process` runner; the shipped local ones by default. */
  profiles?: Profile[];
  stopGraceMs?: number;
  /** The most a job's log file holds, in bytes: FARGATE_JOBS_MAX_LOG_BYTES, else 100 MiB. */
  maxLogBytes?: number;
  /** Finished jobs are removed this many days after they stopped: FARGATE_JOBS_RETENTION_DAYS, else 30. */
  retentionDays?: number;
  /** How many requests a token may have waiting at once: FARGATE_JOBS_MAX_WAITS_PER_TOKEN (`none`: no limit), else 10. */
  maxWaitsPerToken?: number | 'none';
  /** Where the Slack and webhook settings are read from (SLACK_*, FARGATE_JOBS_WEBHOOK_*): the process's environment by default. */
  env?: NodeJS.ProcessEnv;
  /** How webhook hosts are resolved: DNS by default. */
  webhookResolver?: Resolver;
  /** Milliseconds between retries of an undelivered webhook; the ASL's backoff (10 s doubling) by default. */
  notificationRetryIntervalMs?: number;
}

interface Runner {
  taskRunner: TaskRunner;
  logReader: LogReader;
  /** Where the runner writes the logs itself, the feed of their lines; none where they are read from CloudWatch. */
  logChanges?: JobChangeHub;
  profiles: ReadonlyMap<string, Profile>;
  workflowOptions: Pick<LocalWorkflowOptions, 'maxAwaitMs'>;
  stopAll(store: JobStore, reason: string): Promise<void>;
  /** Where it runs exec sessions itself (the process runner): telling it the server's URL, attaching to a session. */
  execs?: { setServerUrl(url: string): void; attachExec(sessionId: string, tokenValue: string): Promise<ExecAttachment> };
}

export async function createLocalDependencies(options: LocalOptions): Promise<LocalDependencies> {
  const logger = options.logger ?? createLogger();
  // Before anything is written into it.
  makeDataDirectoryPrivate(options.dataDir, options.notice);
  const runnerKind = options.runner ?? 'process';
  // Settings first: a wrong one fails the start before the store is opened.
  const settings = localSettings(options);
  // The process runner's task-state changes, handled once the store and workflow exist (it runs no task before).
  let onTaskStateChange: (change: TaskStateChange) => void = () => undefined;
  const runner =
    runnerKind === 'ecs' ? await ecsRunner(logger) : processRunner(options, settings.maxLogBytes, logger, (change) => onTaskStateChange(change));
  const database = openJobsDatabase(options.dataDir);
  const legacyImport = await importLegacyStore(options.dataDir, database).catch((error: unknown) => {
    database.close();
    throw error;
  });
  // Only this process writes job records (one server per data directory): its writes are all the changes there are.
  const recordChanges = new JobChangeHub();
  // …and so what it wrote last is each record as it is: reads of a known job parse no JSON.
  const store = publishingJobStore(cachedJobStore(new SqliteJobStore({ database })), recordChanges);
  const tokens = new SqliteTokenStore({ database });
  // …and answers every waiting request itself: its own count of a token's waits is the whole count.
  const waitSlots = new MemoryWaitSlots();
  const { taskRunner, logReader, profiles } = runner;
  const retention = await startRetention({ store, taskRunner, logger }, settings.retentionDays).catch((error: unknown) => {
    database.close();
    throw error;
  });
  const costs = stageCosts({ local: runnerKind !== 'ecs' });
  const notifications = localNotifications(options, settings, logger, costs);
  const { notifier } = notifications;
  // The steps wake the workflow that runs them.
  const waking = { wake: (taskToken: string, output: unknown) => workflow.wake(taskToken, output) };
  const workflow: LocalWorkflow = new LocalWorkflow({
    steps: workflowSteps({ store, taskRunner, logReader, profiles, notifier, logger, workflow: waking }),
    logger,
    ...runner.workflowOptions,
    ...(options.notificationRetryIntervalMs === undefined ? {} : { notificationRetryIntervalMs: options.notificationRetryIntervalMs }),
  });
  const requestHashKey = localSecretKey(options.dataDir, 'request-hash-key');
  const schedules = new SqliteScheduleStore({ database });
  const scheduleCalendar = new CronerScheduleCalendar();
  const scheduler = new LocalScheduler({
    calendar: scheduleCalendar,
    logger,
    fire: (name, fireTime) => fireSchedule({ store, workflow, profiles, callbackUrls: notifications.callbackUrls, logger, requestHashKey: { get: async () => requestHashKey }, schedules, tokens }, name, fireTime),
  });
  onTaskStateChange = (change) => {
    handleTaskStateChange({ store, profiles, notifier, logger, workflow, logReader }, change).catch((error: unknown) => {
      logger.warn('could not apply a task state change', { jobId: change.jobId, error: String(error) });
    });
  };

  return {
    requestHashKey: { get: async () => requestHashKey },
    store,
    tokens,
    workflow,
    taskRunner,
    logReader,
    recordChanges,
    waitSlots,
    ...(settings.maxWaitsPerToken === undefined ? {} : { maxWaitsPerToken: settings.maxWaitsPerToken }),
    ...(runner.logChanges ? { logChanges: runner.logChanges } : {}),
    profiles,
    notifier,
    callbackUrls: notifications.callbackUrls,
    ...(notifications.slack ? { slack: notifications.slack } : {}),
    setServerUrl(url) {
      notifications.setServerUrl(url);
      runner.execs?.setServerUrl(url);
    },
    ...(runner.execs ? { attachExec: runner.execs.attachExec } : {}),
    schedules,
    scheduleCalendar,
    scheduleTrigger: scheduler,
    startScheduler: async () => scheduler.start(await schedules.list()),
    logger,
    costs,
    runner: runnerKind,
    database,
    ...(legacyImport ? { legacyImport } : {}),
    async close() {
      await scheduler.stop();
      await retention.stop();
      await runner.stopAll(store, 'fargate-jobs: the local server is shutting down');
      await workflow.idle();
      database.close();
    },
  };
}

interface LocalSettings {
  maxLogBytes: number;
  retentionDays: number;
  maxWaitsPerToken: number | undefined;
  allowHosts: AllowedHost[];
  slackAccess: ReturnType<typeof parseSlackAccess>;
}

/** The settings of the options, else of the environment; a malformed variable fails naming it. */
function localSettings(options: LocalOptions): LocalSettings {
  const env = options.env ?? process.env;
  return {
    maxLogBytes: options.maxLogBytes ?? optionalWholeNumber('FARGATE_JOBS_MAX_LOG_BYTES', DEFAULT_MAX_LOG_BYTES, { env }),
    retentionDays: options.retentionDays ?? optionalWholeNumber('FARGATE_JOBS_RETENTION_DAYS', DEFAULT_RETENTION_DAYS, { env }),
    maxWaitsPerToken: maxWaitsOf(options.maxWaitsPerToken, env),
    allowHosts: webhookAllowHosts(env),
    slackAccess: parseSlackAccess(env.SLACK_ACCESS),
  };
}

function maxWaitsOf(option: LocalOptions['maxWaitsPerToken'], env: NodeJS.ProcessEnv): number | undefined {
  if (option === undefined) return optionalLimit('FARGATE_JOBS_MAX_WAITS_PER_TOKEN', DEFAULT_MAX_WAITS_PER_TOKEN, env);
  return option === 'none' ? undefined : option;
}

/**
 * Local mode's notifications and Slack app, from the environment: SLACK_SIGNING_SECRET (Slack's
 * routes are served only with it), SLACK_BOT_TOKEN, SLACK_API_URL, SLACK_ACCESS, and
 * FARGATE_JOBS_WEBHOOK_SECRET (else a key made once in the data directory, `webhook-secret`).
 */
function localNotifications(options: LocalOptions, settings: LocalSettings, logger: Logger, costs: CostSettings) {
  const env = options.env ?? process.env;
  const webhookSecret = env.FARGATE_JOBS_WEBHOOK_SECRET?.trim() || localSecretKey(options.dataDir, 'webhook-secret');
  let apiUrl = env.FARGATE_JOBS_PUBLIC_URL?.trim() || undefined;
  const slackSettings = { slackBotToken: async () => env.SLACK_BOT_TOKEN?.trim() || undefined, slackApiUrl: env.SLACK_API_URL?.trim() || DEFAULT_SLACK_API_URL };
  const notifier = notifierFor({
    ...slackSettings,
    webhookSecret: async () => webhookSecret,
    allowHosts: settings.allowHosts,
    apiUrl: () => apiUrl,
    logger,
    costs,
    ...(options.webhookResolver ? { resolve: options.webhookResolver } : {}),
  });
  const signingSecret = env.SLACK_SIGNING_SECRET?.trim();
  const slack: SlackApp | undefined = signingSecret
    ? { signingSecret: async () => signingSecret, access: settings.slackAccess, api: botTokenApi(slackSettings), respond: postToResponseUrl, apiUrl: () => apiUrl }
    : undefined;
  return {
    notifier,
    callbackUrls: callbackUrlPolicy(settings.allowHosts),
    slack,
    setServerUrl(url: string) {
      apiUrl ??= url;
    },
  };
}

/**
 * Removes the jobs that finished more than `retentionDays` ago now, then once a day (a timer that
 * does not keep the process alive) until stopped; a daily removal that fails is logged and retried
 * the next day.
 */
async function startRetention(ports: RetentionPorts, retentionDays: number): Promise<{ stop(): Promise<void> }> {
  const removeExpired = () => removeExpiredJobs(ports, new Date(Date.now() - retentionDays * DAY_MS));
  await removeExpired();
  let removing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    removing = removing.then(removeExpired).catch((error: unknown) => ports.logger.warn('could not remove expired jobs', { error: String(error) }));
  }, DAY_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await removing;
    },
  };
}

function processRunner(options: LocalOptions, maxLogBytes: number, logger: Logger, onTaskStateChange: (change: TaskStateChange) => void): Runner {
  const logChanges = new JobChangeHub();
  const taskRunner = new ProcessTaskRunner({
    dataDir: options.dataDir,
    logger,
    maxLogBytes,
    onLogWritten: (jobId) => logChanges.publish(jobId),
    onTaskStateChange,
    ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
  });
  return {
    taskRunner,
    logReader: new FileLogReader(options.dataDir),
    logChanges,
    profiles: profileMap(options.profiles ?? localProfiles),
    // Its task-state changes wake the workflow, as ECS's events do on AWS.
    workflowOptions: {},
    execs: {
      setServerUrl: (url) => taskRunner.setServerUrl(url),
      attachExec: (sessionId, tokenValue) => taskRunner.attachExec(sessionId, tokenValue),
    },
    stopAll: async (_store, reason) => {
      await taskRunner.stopAll(reason);
      taskRunner.close();
    },
  };
}

async function ecsRunner(logger: Logger): Promise<Runner> {
  const awsProfiles = stageProfiles();
  await checkAwsAccess();
  const settings = taskSettingsByProfile(awsProfiles);
  const taskRunner = ecsTaskRunnerWithNetwork(settings, logger);
  return {
    taskRunner,
    logReader: cloudWatchLogReader(settings),
    profiles: profileMap(awsProfiles),
    // No EventBridge here: each wait ends in a poll after ECS_POLL_MS.
    workflowOptions: { maxAwaitMs: ECS_POLL_MS },
    // A Fargate task outlives this process: stop each one, so none runs on unwatched (and billed).
    stopAll: async (store, reason) => {
      for await (const job of jobsWithStatus({ store }, ACTIVE_STATUSES)) await stopUnwatchedTask({ taskRunner, logger }, job, reason);
    },
  };
}

/** A region and credentials, found now rather than by the first job's RunTask. */
async function checkAwsAccess(): Promise<void> {
  const client = new ECSClient({});
  try {
    await client.config.region().catch((error: unknown) => {
      throw new ConfigError(`FARGATE_JOBS_RUNNER=ecs needs an AWS region: set AWS_REGION (${(error as Error).message})`);
    });
    await client.config.credentials().catch((error: unknown) => {
      throw new ConfigError(`FARGATE_JOBS_RUNNER=ecs needs AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID…): ${(error as Error).message}`);
    });
  } finally {
    client.destroy();
  }
}
