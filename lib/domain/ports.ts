/**
 * The ports the domain speaks through. AWS and local adapters implement the same interfaces; the
 * composition root (lib/composition/) picks one set, and each use case, step and handler takes the
 * ones it uses (`Pick<Dependencies, …>`). Nothing here knows about an SDK.
 */
import type { CapacityProvider } from './capacity.ts';
import type { CostSettings } from './cost.ts';
import type { StoppedTask } from './classify-stop.ts';
import type { EarlyTaskState, ExecRecord, Job, JobAttempt, JobEvent, JobFailure, JobNetwork, JobPatch, JobProcess, JobStatus, JobTaskState, NotificationAttempt } from './job.ts';
import type { LogArchive } from './log-archive.ts';
import type { Logger } from './logger.ts';
import type { Profile } from './profile.ts';
import type { Schedule, ScheduleFire } from './schedule.ts';
import type { JobChangeFeed, Sleep } from './waiting.ts';

export type { JobChangeFeed, Sleep } from './waiting.ts';

/** Every port there is. */
export interface Dependencies {
  store: JobStore;
  tokens: TokenStore;
  workflow: Workflow;
  taskRunner: TaskRunner;
  logReader: LogReader;
  /** Archives a finished job's whole log (log-archive.ts); none where no archive is kept. */
  logArchiver?: LogArchiver;
  /**
   * Where a job's whole log is downloaded from (GET /jobs/{id}/logs?download=1): a link to its archive
   * (AWS). Without it, the log's lines are streamed from logReader (local mode).
   */
  logDownloads?: LogDownloads;
  /** The profiles of this deployment (or of local mode), by name. */
  profiles: ReadonlyMap<string, Profile>;
  logger: Logger;
  requestHashKey: RequestHashKey;
  /** Tells those following a job (its Slack thread, its callbackUrl) what became of it. */
  notifier: Notifier;
  /** Which webhook URLs a job may name. */
  callbackUrls: CallbackUrlPolicy;
  /**
   * How many active jobs a caller whose token sets no limit of its own may have at once (a stage
   * setting on AWS); none when undefined.
   */
  maxActiveJobsPerToken?: number;
  /**
   * The slots of requests that wait (`wait`): where they are counted, across every instance that
   * serves them. Waits are not counted without it.
   */
  waitSlots?: WaitSlots;
  /** How many requests a caller may have waiting at once (a stage setting on AWS); none when undefined. */
  maxWaitsPerToken?: number;
  /** How the stage's finished jobs are priced (cost.ts); their documents carry no cost without it. */
  costs?: CostSettings;
  /** The clock; the real one unless a test moves it. */
  now?: () => Date;
  /** The timer of waiting requests (`wait`); the real one unless a test moves it. */
  sleep?: Sleep;
  /**
   * Tells waiting requests that a job's record was written (local mode: the store is this
   * process's). Absent on AWS, where a waiting request polls the store.
   */
  recordChanges?: JobChangeFeed;
  /**
   * Tells waiting requests that a line was appended to a job's log (local mode with the process
   * runner). Absent where the log is elsewhere (CloudWatch Logs), and a waiting request polls it.
   */
  logChanges?: JobChangeFeed;
  /** Where schedules are kept (the schedules' functions and local mode). */
  schedules?: ScheduleStore;
  /** What fires them: told of every change (the schedules' function and local mode). */
  scheduleTrigger?: ScheduleTrigger;
  /** When they fire: their next fire time, and whether they ever fire again. */
  scheduleCalendar?: ScheduleCalendar;
}

/** The clock of a set of ports. */
export function clockOf(ports: Pick<Dependencies, 'now'>): () => Date {
  return ports.now ?? (() => new Date());
}

export interface CreateJobResult {
  /** false when a job with this id already existed (an idempotent replay); `job` is then the stored one. */
  created: boolean;
  job: Job;
}

export interface TransitionResult {
  /** false when the job's current status does not allow the move (e.g. it is already terminal). */
  applied: boolean;
  job: Job;
}

export interface ListJobsQuery {
  status?: JobStatus;
  /** Only jobs of these profiles. */
  profiles?: readonly string[];
  /** Only jobs with every one of these labels (key and value alike). */
  labels?: Readonly<Record<string, string>>;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  /** Only jobs created strictly before this time (ISO 8601): read from the index's key, not filtered. */
  createdBefore?: string;
}

export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}

/** A job not finished yet (not terminal, or terminal with its stop not recorded), as the store's index of them holds it. */
export interface UnfinishedJob {
  id: string;
  status: JobStatus;
  taskArn?: string;
}

export interface JobStore {
  /** Conditional create: never overwrites an existing job. */
  create(job: Job): Promise<CreateJobResult>;
  get(jobId: string): Promise<Job | undefined>;
  /** Moves the job to `status` only if its current status allows it (a conditional write). */
  transition(jobId: string, status: JobStatus, patch?: JobPatch): Promise<TransitionResult>;
  /**
   * The move to `status` with `patch`; where the job's status does not allow it (it is already
   * terminal), `otherwise` (given the job as it is) says what to record all the same, if anything.
   */
  transitionOrUpdate(jobId: string, status: JobStatus, patch: JobPatch, otherwise: (current: Job) => JobPatch): Promise<TransitionResult>;
  /** Changes fields other than the status of an existing job. */
  update(jobId: string, patch: JobPatch): Promise<Job>;
  /**
   * Records a task-state-change event (`patch.taskState`) only if it is newer than the one recorded
   * (a higher `version`), with the rest of `patch`, in one conditional write: of two events racing,
   * the older never overwrites the newer. Not applied: the job as it is.
   */
  recordTaskState(jobId: string, patch: JobPatch & { taskState: JobTaskState }): Promise<TransitionResult>;
  /**
   * Keeps aside an event about task `taskArn` that came while the job had no task ARN recorded
   * (EarlyTaskState), in one conditional write: only while the job still has none (else StartTask
   * has recorded it meanwhile, and the caller applies the event as any other), only if newer than
   * the one kept for that task, and for at most MAX_EARLY_TASKS tasks. Not kept: the job as it is.
   */
  keepEarlyTaskState(jobId: string, taskArn: string, state: EarlyTaskState): Promise<TransitionResult>;
  /**
   * Ends the job's current attempt so that the next may start (retry.ts), in one conditional write:
   * only while the job is not terminal (a cancel that came first wins) and `ended` is the attempt
   * after those recorded (a step run again appends nothing twice). Appends `ended` to `attempts`,
   * removes the fields that described its task (ATTEMPT_FIELDS) and sets `patch`. Not applied: the
   * job as it is.
   */
  endAttempt(jobId: string, ended: JobAttempt, patch: JobPatch): Promise<TransitionResult>;
  /** Newest first. */
  list(query: ListJobsQuery): Promise<JobPage>;
  /**
   * Every job that is not finalized (isFinalized), with its task: the active ones, and the terminal
   * ones whose task's stop is not recorded yet (a job cancelled while running, until its workflow
   * records the stop). The reconciler's view: a cancelled job whose STOPPED event was lost is still
   * in it. Read from a sparse index of these jobs, not the table.
   */
  unfinishedJobs(): Promise<UnfinishedJob[]>;
  /** How many of the jobs `submittedBy` submitted are not terminal (a cancelled one no longer counts), counted up to `atMost`. */
  countActive(submittedBy: string, atMost: number): Promise<number>;
  /**
   * Appends an exec to the job's `execs` in one conditional write: only while the job is RUNNING and
   * has fewer than MAX_EXECS (two execs at once both land). Not appended: `applied` false and the job as it is.
   */
  recordExec(jobId: string, exec: ExecRecord): Promise<TransitionResult>;
  /** Removes a terminal job's record; false (and nothing removed) when there is none or it is still active. */
  delete(jobId: string): Promise<boolean>;
}

/** What a task is started from: the job's own settings (the profile decides the rest). */
export type RunTaskRequest = Pick<Job, 'profile' | 'command' | 'env' | 'cpu' | 'memory' | 'publicIp'> & {
  jobId: string;
  /** The job's labels: the ECS runner tags the task with them (task-tags.ts), for Cost Explorer. */
  labels?: Readonly<Record<string, string>>;
  /**
   * The Fargate capacity provider to start the task on: the workflow's choice for this attempt
   * (capacity.ts: firstCapacity, then fallbackCapacity); the profile's first capacity when absent.
   * Runners that start no ECS task ignore it.
   */
  capacity?: CapacityProvider;
  /**
   * Which attempt at the job this task is (1 when absent). The ECS runner makes RunTask idempotent per
   * attempt (clientToken `<job id>` for the first, `<job id>-<attempt>` for a later one): a retried
   * start gets its attempt's task, a new attempt a new task (ECS refuses a clientToken reused with
   * other parameters, such as another capacity). The local process runner makes each attempt a
   * task of its own the same way (`…/<job id>-<attempt>`).
   */
  attempt?: number;
};

export type RunTaskResult =
  /**
   * `process`: where the runner runs the task as a process of this machine, which one (recorded on the job).
   * `capacity`: the capacity provider the task started on, or was refused on (ECS runners only).
   */
  | { started: true; taskArn: string; process?: JobProcess; capacity?: CapacityProvider }
  | { started: false; failure: JobFailure; capacity?: CapacityProvider };

export type TaskLastStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

export interface TaskSnapshot extends StoppedTask {
  taskArn: string;
  lastStatus: TaskLastStatus;
  /** ECS's version of the task's state, where the runner reports one (it orders the task's events). */
  version?: number;
  /** The family of the task definition the task runs, where the runner reports one (ECS): a job's task runs its profile's. */
  taskDefinitionFamily?: string;
  /** Present once the task's network interface is attached (and, with a public IP, resolved). */
  network?: JobNetwork;
  startedAt?: string;
  stoppedAt?: string;
  /**
   * The watched container's ECS Exec agent (its `ExecuteCommandAgent` managed agent's lastStatus:
   * PENDING, RUNNING, STOPPED), where the task was started with exec; RUNNING once one may exec into it.
   */
  execAgentStatus?: string;
  /** The watched container's runtime id (ECS: part of an exec session's target). */
  runtimeId?: string;
}

export interface DescribeTaskOptions {
  /**
   * Look up the addresses of the task's network interface (its public IP): on AWS an extra EC2 call,
   * worth making only until they are known. Without it `network` carries what ECS itself reports.
   */
  resolveNetwork?: boolean;
}

export interface StopTaskOptions {
  /**
   * The process the runner reported when it started the task (`RunTaskResult.process`): how a runner
   * that has restarted since finds a task it no longer knows. Runners that find tasks by ARN ignore it.
   */
  process?: JobProcess;
}

/** An exec into a job's running task: the runner has checked it is RUNNING with its exec agent ready. */
export interface ExecRequest {
  jobId: string;
  profile: string;
  taskArn: string;
  /** The watched container's runtime id, from the snapshot that found the agent ready. */
  runtimeId?: string;
  command: string[];
}

/**
 * An exec session to attach to: on ECS the ExecuteCommand session (for session-manager-plugin, with
 * its target `ecs:<cluster>_<taskId>_<runtimeId>` and region); in local mode one of the local
 * server's own (target `local:<job id>`, region `local`), attached to over the local API connection.
 */
export interface ExecSession {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
  target: string;
  region: string;
}

export interface TaskRunner {
  runTask(request: RunTaskRequest): Promise<RunTaskResult>;
  describeTask(taskArn: string, options?: DescribeTaskOptions): Promise<TaskSnapshot>;
  /**
   * The tasks of `taskArns` the runner still knows, in as few calls as it can (ECS: 100 a call); a
   * task it no longer knows is left out. For the reconciler.
   */
  describeTasks?(taskArns: readonly string[]): Promise<TaskSnapshot[]>;
  /** Throws TaskNotFoundError for a task the runner cannot find (or that has gone). */
  stopTask(taskArn: string, reason: string, options?: StopTaskOptions): Promise<void>;
  /** Opens an exec session into the task's watched container (profiles with `exec`); runners without exec lack it. */
  execCommand?(request: ExecRequest): Promise<ExecSession>;
  /** Removes what running a job's task left on this machine (a local runner's work directory and log); none elsewhere. */
  removeTaskFiles?(jobId: string): Promise<void>;
}

/**
 * The addresses of a task's network interface as EC2 knows them: ECS reports only the private IP, so
 * the public IP of a job that asked for one (publicIp) is looked up here.
 */
export interface NetworkResolver {
  /** publicIp null: none (a private subnet); an interface already gone is no error. */
  resolve(eniId: string, privateIpFromAttachment?: string): Promise<Pick<JobNetwork, 'privateIp' | 'publicIp'>>;
}

export interface LogLine {
  timestamp: string;
  message: string;
  stream?: 'stdout' | 'stderr';
  /** The attempt that wrote it (1-based), on every line of a job that has had more than one (logAttempt). */
  attempt?: number;
}

export interface LogPage {
  lines: LogLine[];
  nextCursor: string;
  /** true when the reader has returned everything written so far. */
  atEnd: boolean;
  /** true when the job's output went beyond what its log keeps, and the rest was discarded. */
  truncated: boolean;
}

export interface TailOptions {
  /**
   * false: the lines there are now, without waiting for a log driver that may still be flushing
   * (CloudWatch Logs); for a tail that must not hold anything up, such as the one taken at start-up.
   */
  waitForFlush?: boolean;
}

/** Lines read backward: the last ones written so far (a tail), or those before a previous page's. */
export interface BackwardLogPage {
  /** Oldest first. */
  lines: LogLine[];
  /** Reads the lines before these (readBackward's `before`); null when they start at the log's first line. */
  previousCursor: string | null;
  /**
   * Read from the end (no `before`) only: where `read` goes on after these lines, missing and
   * repeating none however the log grows meanwhile, and whether nothing complete was written after them.
   */
  forward?: { nextCursor: string; atEnd: boolean };
  /** As LogPage's: the job's output went beyond what its log keeps. */
  truncated: boolean;
}

export interface LogReader {
  read(job: Job, options: { cursor?: string; limit: number }): Promise<LogPage>;
  /**
   * Up to `limit` lines before `before` (a previousCursor), or the last `limit` written so far
   * without it. A cursor of `read` is no `before`, nor the other way round (a 400 either way).
   */
  readBackward(job: Job, options: { before?: string; limit: number }): Promise<BackwardLogPage>;
  /** The last `count` lines, once the task has stopped and its logs are flushed. */
  tail(job: Job, count: number, options?: TailOptions): Promise<string[]>;
}

/**
 * Keeps a finished job's whole log (log-archive.ts): reads it through the LogReader from its first
 * line to its end and writes the archive and its index. Idempotent: archiving the same finished log
 * again writes the same objects, byte for byte, under the same keys.
 */
export interface LogArchiver {
  archive(job: Job): Promise<LogArchive>;
}

/** A job's whole log to download: a short-lived link to its archive, or its lines as they are read. */
export type LogDownload = { url: string } | { lines: AsyncIterable<LogLine> };

export interface LogDownloads {
  /** Undefined while there is nothing to download yet (the job's log is not archived). */
  download(job: Job): Promise<LogDownload | undefined>;
}

export interface Workflow {
  /**
   * Starts the run-job workflow for a stored job; idempotent per job id. `secretEnv` carries the
   * values the job record holds only as `***`, to its StartTask and no further.
   */
  start(jobId: string, secretEnv?: Record<string, string>): Promise<void>;
  /**
   * Wakes the execution waiting with `taskToken` (SendTaskSuccess), handing it `output`. A token no
   * execution waits with any more (it woke already, or timed out) is no error: both sides of a race
   * may try.
   */
  wake(taskToken: string, output: unknown): Promise<void>;
}

/**
 * Which callbackUrls a job may name: https to a public address, unless the deployment allows a host
 * (FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS). Checked at submit time; the sender checks again after DNS.
 */
export interface CallbackUrlPolicy {
  /** The URL as it will be used; throws ValidationError naming what is wrong with it. */
  check(url: string): string;
}

/** What telling those following a job about an event came to. */
export interface NotificationOutcome {
  /** Every delivery attempted, to be recorded on the job. */
  attempts: NotificationAttempt[];
  /** What the job record must remember (the `ts` of its Slack message), if anything. */
  patch?: JobPatch;
  /** A delivery failed that is worth trying again later (a webhook not answered with 2xx). */
  retry: boolean;
}

/**
 * Tells those who follow a job (the Slack thread of a job submitted from Slack, the job's
 * callbackUrl) about one of its events. Deliveries that already succeeded (the job's
 * `notifications` say so) are not made again, so calling it again after a failure retries only
 * what failed. Never throws for a receiver's failure: that is an attempt that did not deliver.
 */
export interface Notifier {
  notify(job: Job, event: JobEvent): Promise<NotificationOutcome>;
}

/**
 * The key of an idempotent job's request hash (request-hash.ts), kept outside the job table: a stage
 * secret on AWS, a file of the data directory locally. Read when first needed, then kept.
 */
export interface RequestHashKey {
  get(): Promise<string>;
}

/** One wait's hold on a slot of its caller's: given back when the wait is over. */
export interface WaitSlot {
  release(): Promise<void>;
}

/**
 * The slots of waiting requests, `limit` per holder (a token's name). A slot is leased: taken until
 * it is released or its expiry passes, so a wait whose process died without releasing it (a Lambda
 * invocation that timed out) holds it no longer than that.
 */
export interface WaitSlots {
  /** Takes one of `holder`'s `limit` slots until `expiresAt` or its release; undefined when all are taken. */
  take(holder: string, limit: number, expiresAt: Date): Promise<WaitSlot | undefined>;
}

/**
 * Where schedules are kept: the job store's database (a DynamoDB item per schedule on AWS, a row of
 * jobs.db locally). Names are unique: `create` is conditional.
 */
export interface ScheduleStore {
  /** false (nothing written) when a schedule of that name exists. */
  create(schedule: Schedule): Promise<boolean>;
  get(name: string): Promise<Schedule | undefined>;
  /** Every schedule, by name. */
  list(): Promise<Schedule[]>;
  /**
   * Replaces an existing schedule, but for its fires: those are recordFire's, and a fire recorded
   * meanwhile is kept. Undefined when there is none of that name.
   */
  put(schedule: Schedule): Promise<Schedule | undefined>;
  /**
   * Appends a fire (keeping the last MAX_SCHEDULE_FIRES), or replaces the fire of the same `at` (one
   * entry per fire time, however often it was delivered); undefined when the schedule is gone. Two
   * fires recorded at once both land.
   */
  recordFire(name: string, fire: ScheduleFire): Promise<Schedule | undefined>;
  /** false when there was none. */
  delete(name: string): Promise<boolean>;
}

/**
 * What fires schedules: EventBridge Scheduler on AWS (one schedule each, in the stage's group,
 * invoking the function that submits the fire's job), an in-process scheduler locally. Told of every
 * change after the store has it.
 */
export interface ScheduleTrigger {
  /** Creates or replaces the trigger of `schedule` (paused when it is not enabled). */
  upsert(schedule: Schedule): Promise<void>;
  /** Removes it; none there is no error. */
  remove(name: string): Promise<void>;
}

/** What says when a schedule fires: its expression, time zone and, for a rate, the time it was last set. */
export type ScheduleTiming = Pick<Schedule, 'schedule' | 'timezone' | 'updatedAt'>;

/**
 * When schedules fire, read from their expressions by a cron library (the domain checks their syntax
 * only): the local scheduler's timers, and every schedule's `nextFireAt`. A rate counts from the
 * schedule's `updatedAt` (EventBridge Scheduler's restarts when a schedule is updated too).
 */
export interface ScheduleCalendar {
  /**
   * The first fire time strictly after `after`; undefined when there is none (an `at` that has
   * passed, a cron whose days never come again). Throws ValidationError for an expression it cannot run.
   */
  nextFireTime(schedule: ScheduleTiming, after: Date): Date | undefined;
}

/** A bearer token as stored: never the token itself, only its SHA-256. */
export interface TokenRecord {
  /** Hex SHA-256 of the token: the key it is found by. */
  hash: string;
  name: string;
  /** Profile names, or `*` for every profile. */
  profiles: string[];
  /** At most this many of the token's jobs may be active at once; the deployment's limit when absent. */
  maxActiveJobs?: number;
  createdAt: string;
  revokedAt?: string;
}

export interface TokenStore {
  /**
   * Conditional create: false (and nothing written) when an active token has this name, however
   * many creates race for it.
   */
  create(token: TokenRecord): Promise<boolean>;
  findByHash(hash: string): Promise<TokenRecord | undefined>;
  /**
   * The active token of that name, read consistently; undefined when it is revoked (or was never
   * made). A schedule fires as this token, so that revoking it stops the schedule.
   */
  findActiveByName(name: string): Promise<TokenRecord | undefined>;
  /** Every token, revoked ones included, newest first. */
  list(): Promise<TokenRecord[]>;
  /** Revokes the active token of that name and frees the name; undefined when no token has it. */
  revokeByName(name: string, revokedAt: string): Promise<TokenRecord | undefined>;
}
