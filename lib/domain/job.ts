/**
 * The job model: what a job is, the statuses it moves through and which moves are allowed.
 * Policy lives here so that every adapter (DynamoDB, local) enforces the same rules.
 */
import type { CapacityProvider } from './capacity.ts';
import type { LogArchive } from './log-archive.ts';
import type { RetryStrategy } from './retry.ts';

export const JOB_STATUSES = [
  'QUEUED',
  'PROVISIONING',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'CANCELLED',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
export const ACTIVE_STATUSES: readonly JobStatus[] = ['QUEUED', 'PROVISIONING', 'RUNNING'];

export const FAILURE_CATEGORIES = [
  'IMAGE_PULL',
  'RESOURCE_INIT',
  'CAPACITY',
  'START_FAILED',
  'SPOT_INTERRUPTED',
  'OOM',
  'USER_EXIT',
  'TIMEOUT',
  'CANCELLED',
  'OUTCOME_UNKNOWN',
  'INTERNAL',
] as const;
export type FailureCategory = (typeof FAILURE_CATEGORIES)[number];

export interface JobFailure {
  category: FailureCategory;
  message: string;
  stopCode?: string;
  stoppedReason?: string;
}

/**
 * The operating-system process a runner on this machine started for the job (local mode), so that a
 * runner that restarted can find it again and tell it from a later process given the same pid.
 */
export interface JobProcess {
  pid: number;
  processGroup: number;
  /** When the process started, as the runner reads it; opaque here, only ever compared for equality. */
  startTime: string;
}

/** How many of the last log lines the job record keeps. */
export const LOG_TAIL_LINES = 20;

export interface JobNetwork {
  eniId?: string;
  privateIp?: string;
  publicIp?: string | null;
}

/**
 * What happened to a job that those following it hear about: its Slack message is posted
 * (`job.queued`), it started running, it reached a terminal status. Webhooks get `job.finished`,
 * and `job.running` when the job asks for it (`callbackEvents`).
 */
export const JOB_EVENTS = ['job.queued', 'job.running', 'job.finished'] as const;
export type JobEvent = (typeof JOB_EVENTS)[number];

/** The events a webhook may ask for besides `job.finished`, which it always gets. */
export const CALLBACK_EVENTS = ['job.running', 'job.finished'] as const;
export type CallbackEvent = (typeof CALLBACK_EVENTS)[number];

/** One attempt to tell someone about a job (a Slack message, a webhook delivery), as recorded on the job. */
export interface NotificationAttempt {
  channel: 'slack' | 'webhook';
  event: JobEvent;
  /** 1 for the first attempt of this channel and event, counting up across retries. */
  attempt: number;
  time: string;
  /** The HTTP status the receiver answered, where it answered at all. */
  statusCode?: number;
  /** true when the attempt delivered what it had to (a webhook's 2xx, Slack's `ok`). */
  delivered: boolean;
  /** Why it did not, for the person reading the job. */
  error?: string;
  /** A webhook delivery's `Fargate-Jobs-Delivery` id: the same across its retries. */
  deliveryId?: string;
}

/** How many notification attempts a job record keeps (the latest). */
export const MAX_NOTIFICATION_ATTEMPTS = 50;

/**
 * The job's task as its latest task-state-change event told it (ECS's events, or the local runner's):
 * `version` orders the events, so a late or repeated one changes nothing.
 */
export interface JobTaskState {
  lastStatus: string;
  version: number;
  startedAt?: string;
  stoppedAt?: string;
  stopCode?: string;
  stoppedReason?: string;
  /** The watched container's exit code, once it has one. */
  exitCode?: number | null;
  containerReason?: string;
  /** The watched container's ECS Exec agent (`ExecuteCommandAgent`): RUNNING once one may exec into it. */
  execAgentStatus?: string;
}

/**
 * A task-state-change event that came before the job recorded its task's ARN (the event may beat
 * StartTask's write of what RunTask returned), kept aside under the ARN of the task it is about
 * (`Job.earlyTaskStates`) instead of applied: any task in the cluster started with `startedBy=<job
 * id>` reports for the job, and job ids from idempotency keys can be guessed. StartTask applies the
 * one of the task it started; the others are ignored.
 */
export interface EarlyTaskState extends JobTaskState {
  network?: JobNetwork;
  taskDefinitionFamily?: string;
}

/**
 * How many tasks' early events a job keeps aside: a task reports a handful of changes before
 * StartTask records it, and a job with more tasks reporting for it than this has been targeted (the
 * rest are dropped; the job's own task is still found by StartTask's record, the polls and the reconciler).
 */
export const MAX_EARLY_TASKS = 5;

/** One exec into the job (`POST /jobs/{id}/exec`), as its audit record keeps it. */
export interface ExecRecord {
  at: string;
  /** The caller's name (its token's). */
  by: string;
  command: string[];
}

/** How many execs one job may have: each is recorded on the job, and its record has a size limit. */
export const MAX_EXECS = 100;

/**
 * One attempt of a job that ended and was followed by another (retry.ts): what its task was and how
 * it ended. The job's own fields are those of its current (or last) attempt.
 */
export interface JobAttempt {
  /** 1-based. */
  number: number;
  taskArn?: string;
  /** The capacity provider its task ran on (or was refused on), where the profile chooses one (capacity.ts). */
  capacity?: CapacityProvider;
  startedAt?: string;
  stoppedAt?: string;
  exitCode: number | null;
  failure?: JobFailure;
}

/** The Slack conversation a job submitted from Slack reports to. */
export interface SlackThread {
  team: string;
  channel: string;
  /** The Slack user who submitted it. */
  user: string;
  /** The `ts` of the job's message once posted: the thread its progress goes into. */
  messageTs?: string;
}

export interface Job {
  id: string;
  profile: string;
  command: string[];
  env: Record<string, string>;
  cpu?: number;
  memory?: number;
  publicIp: boolean;
  timeoutSeconds: number;
  labels: Record<string, string>;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  /**
   * When the job reached each status it has been in, by the store's clock: QUEUED at its creation,
   * each other with the write that moved it there. Records from before it was kept have none
   * (statusTimeline derives what it can for them).
   */
  statusTimes?: Partial<Record<JobStatus, string>>;
  startedAt?: string;
  /**
   * When the job's task stopped (or, with no task, when the job ended), recorded once the workflow
   * (or a recovery) has seen it: only ever on a terminal job, and the mark that it is done with
   * (isFinalized). A job cancelled while running is terminal before its stop is recorded.
   */
  stoppedAt?: string;
  /** The watched container's exit code; null while running and when it never ran — never 0 by default. */
  exitCode: number | null;
  failure?: JobFailure;
  taskArn?: string;
  /** The task's process, where the runner reports one (local mode). */
  process?: JobProcess;
  network?: JobNetwork;
  /** How to reach an interactive job (profile.ts connectHint); records from before port and user were stored have `ssh` alone. */
  connect?: { ssh?: string; host?: string; port?: number; user?: string };
  logTail: string[];
  /** Who submitted the job (token name, Slack user, `local`). */
  submittedBy: string;
  idempotencyKey?: string;
  /** With an idempotency key: the keyed hash of the request (request-hash.ts), to tell a replay from a different request. */
  requestHash?: string;
  /** Where the job's webhook deliveries go (https; checked at submit and again at send time). */
  callbackUrl?: string;
  /** The webhook events besides `job.finished` the job asked for. */
  callbackEvents?: CallbackEvent[];
  /** Submitted from Slack: where its progress is posted. */
  slack?: SlackThread;
  /** Every attempt to notify someone about the job, oldest first (the latest MAX_NOTIFICATION_ATTEMPTS). */
  notifications?: NotificationAttempt[];
  /** What the task's state-change events said last. */
  taskState?: JobTaskState;
  /** Events that came before the task's ARN was recorded, by task ARN: the newest of each (EarlyTaskState). Never shown to clients. */
  earlyTaskStates?: Record<string, EarlyTaskState>;
  /**
   * The workflow waiting for the task's next event: the token that wakes it and the state it waits
   * in (the workflow's own JSON), stored by AwaitTask. Never shown to clients.
   */
  waitToken?: string;
  waitState?: Record<string, unknown>;
  /** The job this one is a rerun of. */
  rerunOf?: string;
  /** Its profile allows exec: its task starts with the exec agent, and the job document tells when it is ready. */
  execEnabled?: boolean;
  /** Every exec into the job, oldest first (at most MAX_EXECS). */
  execs?: ExecRecord[];
  /** When and how often it is tried again (retry.ts); none: one attempt. */
  retry?: RetryStrategy;
  /** The attempts that ended and were followed by another, oldest first; absent before the first retry. */
  attempts?: JobAttempt[];
  /** The capacity provider of the current attempt's task, where the profile chooses one (capacity.ts). */
  capacity?: CapacityProvider;
  /** Its whole log, archived once the job finished and its log drained (log-archive.ts); reads then come from there. Absent until then, and where no archive is kept. */
  logArchive?: LogArchive;
}

/** Fields a step or use case may change besides the status. */
export type JobPatch = Partial<
  Pick<Job, 'startedAt' | 'stoppedAt' | 'exitCode' | 'failure' | 'taskArn' | 'process' | 'network' | 'connect' | 'logTail' | 'slack' | 'notifications' | 'taskState' | 'waitToken' | 'waitState' | 'capacity' | 'logArchive'>
>;

const ALLOWED_TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  QUEUED: ['PROVISIONING', 'RUNNING', ...TERMINAL_STATUSES],
  PROVISIONING: ['RUNNING', ...TERMINAL_STATUSES],
  RUNNING: TERMINAL_STATUSES,
  SUCCEEDED: [],
  FAILED: [],
  TIMED_OUT: [],
  CANCELLED: [],
};

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Terminal and done with: the stop of its task (or that it never had one) is recorded. */
export function isFinalized(job: Pick<Job, 'status' | 'stoppedAt'>): boolean {
  return isTerminal(job.status) && job.stoppedAt !== undefined;
}

/**
 * When the job's task stopped, as soon as it is known: the stop recorded by the workflow, or, for a
 * job whose end its task's STOPPED event has already recorded (stop-verdict.ts), the event's time,
 * before the workflow has drained the log and finalized it (isFinalized still says false then).
 */
export function stoppedAtOf(job: Pick<Job, 'status' | 'stoppedAt' | 'taskState'>): string | undefined {
  if (job.stoppedAt !== undefined) return job.stoppedAt;
  return isTerminal(job.status) && job.taskState?.lastStatus === 'STOPPED' ? job.taskState.stoppedAt : undefined;
}

/** One status a job reached and when. */
export interface StatusTime {
  status: JobStatus;
  at: string;
}

/**
 * The statuses the job has reached, in the order of JOB_STATUSES, with when. What the store recorded
 * (statusTimes) stands; for a record from before it kept them, what the job's own times tell:
 * QUEUED at its creation, RUNNING when its task started, its terminal status when it stopped.
 */
export function statusTimeline(job: Pick<Job, 'status' | 'statusTimes' | 'createdAt' | 'startedAt' | 'stoppedAt'>): StatusTime[] {
  const derived: Partial<Record<JobStatus, string>> = { QUEUED: job.createdAt };
  if (job.startedAt !== undefined && (job.status === 'RUNNING' || isTerminal(job.status))) derived.RUNNING = job.startedAt;
  if (job.stoppedAt !== undefined && isTerminal(job.status)) derived[job.status] = job.stoppedAt;
  const times = { ...derived, ...job.statusTimes };
  return JOB_STATUSES.flatMap((status) => {
    const at = times[status];
    return at === undefined ? [] : [{ status, at }];
  });
}

/** The statusTimes of a job created now: QUEUED at its creation, for a job created QUEUED that carries none. */
export function initialStatusTimes(job: Pick<Job, 'status' | 'statusTimes' | 'createdAt'>): Job['statusTimes'] {
  return job.statusTimes ?? (job.status === 'QUEUED' ? { QUEUED: job.createdAt } : undefined);
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

/** The statuses a job may be in for a move to `to` to be allowed: the condition of a conditional write. */
export function statusesThatMayBecome(to: JobStatus): JobStatus[] {
  return JOB_STATUSES.filter((from) => canTransition(from, to));
}
