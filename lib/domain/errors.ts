/**
 * Every error the product raises on purpose: one base class with a stable code, a message for the
 * person who caused it and the cause that led to it. Nothing here knows HTTP: the edge maps codes to
 * statuses (lib/http/error-status.ts), and only codes it maps to a 4xx ever show their message.
 *
 * Errors a workflow step throws for the state machine to handle have a `name` equal to the error its
 * `ErrorEquals` names (test/statemachine/run-job.test.ts reads the ASL and checks each one).
 */

export interface ErrorDetail {
  path: string;
  message: string;
}

export type ErrorCode =
  // The request as sent cannot be run.
  | 'VALIDATION_FAILED'
  | 'UNKNOWN_PROFILE'
  | 'COMMAND_NOT_ALLOWED'
  | 'ENV_NOT_ALLOWED'
  | 'TIMEOUT_TOO_LONG'
  | 'PUBLIC_IP_NOT_ALLOWED'
  | 'NOT_INTERACTIVE'
  | 'TASK_SIZE_TOO_LARGE'
  | 'INVALID_TASK_SIZE'
  | 'OVERRIDES_TOO_LARGE'
  | 'RETRY_NOT_ALLOWED'
  // Who is asking, and what they may see.
  | 'UNAUTHORIZED'
  | 'PROFILE_FORBIDDEN'
  | 'JOB_NOT_FOUND'
  | 'TOKEN_NOT_FOUND'
  | 'SCHEDULE_NOT_FOUND'
  // The request conflicts with what is stored.
  | 'JOB_ALREADY_FINISHED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'TOKEN_NAME_TAKEN'
  | 'SCHEDULE_EXISTS'
  // The caller has too much going on.
  | 'TOO_MANY_ACTIVE_JOBS'
  | 'TOO_MANY_WAITS'
  // Getting into a running job (ECS Exec).
  | 'EXEC_NOT_ALLOWED'
  | 'EXEC_FORBIDDEN'
  | 'JOB_NOT_RUNNING'
  | 'EXEC_NOT_READY'
  | 'TOO_MANY_EXECS'
  // A job's whole log, downloaded before it is archived.
  | 'LOG_NOT_ARCHIVED'
  | 'LOG_EXPIRED'
  // The runner's own trouble: never the caller's to fix.
  | 'TASK_NOT_FOUND'
  | 'JOB_RECORD_MISSING'
  | 'TASK_RUNNER_THROTTLED'
  | 'SCHEDULE_TRIGGER_UNAVAILABLE'
  | 'NOTIFICATION_PENDING'
  | 'LOG_ARCHIVE_PENDING'
  | 'RETRY_ATTEMPT'
  | 'JOB_FAILED'
  | 'TASK_NOT_STARTED'
  | 'CONFIGURATION';

/** The codes of the runner's own trouble (above): never the caller's to fix, and a later try may succeed. */
export const SERVICE_ERROR_CODES: readonly ErrorCode[] = ['TASK_NOT_FOUND', 'JOB_RECORD_MISSING', 'TASK_RUNNER_THROTTLED', 'SCHEDULE_TRIGGER_UNAVAILABLE', 'NOTIFICATION_PENDING', 'LOG_ARCHIVE_PENDING', 'CONFIGURATION'];

export interface FargateJobsErrorOptions extends ErrorOptions {
  /** Which parts of the request are wrong, and how (validation errors). */
  details?: ErrorDetail[];
  /** When asking again may succeed, in seconds (a limit that frees itself soon). */
  retryAfterSeconds?: number;
}

export class FargateJobsError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: FargateJobsErrorOptions = {}) {
    const { details, retryAfterSeconds, ...errorOptions } = options;
    super(message, errorOptions);
    this.name = 'FargateJobsError';
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class ValidationError extends FargateJobsError {
  constructor(message: string, details?: ErrorDetail[]) {
    super('VALIDATION_FAILED', message, details ? { details } : {});
    this.name = 'ValidationError';
  }
}

/** What a profile refuses: a command, a variable, a timeout, a public IP, a size over its maxima. */
export class ProfileRejectedError extends FargateJobsError {
  constructor(
    code: 'UNKNOWN_PROFILE' | 'COMMAND_NOT_ALLOWED' | 'ENV_NOT_ALLOWED' | 'TIMEOUT_TOO_LONG' | 'PUBLIC_IP_NOT_ALLOWED' | 'NOT_INTERACTIVE' | 'TASK_SIZE_TOO_LARGE' | 'RETRY_NOT_ALLOWED',
    message: string,
  ) {
    super(code, message);
    this.name = 'ProfileRejectedError';
  }
}

/**
 * A request no profile could run as asked: a task size Fargate does not offer, or a command and
 * environment longer than ECS takes.
 */
export class TaskLimitError extends FargateJobsError {
  constructor(code: 'INVALID_TASK_SIZE' | 'OVERRIDES_TOO_LARGE', message: string, details?: ErrorDetail[]) {
    super(code, message, details ? { details } : {});
    this.name = 'TaskLimitError';
  }
}

/** No usable bearer token: missing, malformed, unknown or revoked. */
export class UnauthorizedError extends FargateJobsError {
  constructor(message: string) {
    super('UNAUTHORIZED', message);
    this.name = 'UnauthorizedError';
  }
}

/** A valid token asking for a profile outside its scope. */
export class ProfileForbiddenError extends FargateJobsError {
  constructor(tokenName: string, profile: string, scope: readonly string[]) {
    super('PROFILE_FORBIDDEN', `token '${tokenName}' may not use profile '${profile}'; it may use: ${scope.join(', ')}`);
    this.name = 'ProfileForbiddenError';
  }
}

export class JobNotFoundError extends FargateJobsError {
  constructor(jobId: string) {
    super('JOB_NOT_FOUND', `job '${jobId}' does not exist`);
    this.name = 'JobNotFoundError';
  }
}

export class TokenNotFoundError extends FargateJobsError {
  constructor(name: string) {
    super('TOKEN_NOT_FOUND', `no active token is named '${name}'`);
    this.name = 'TokenNotFoundError';
  }
}

/** No schedule has this name, or its job's profile is not one the caller may use (as a job of another profile is absent). */
export class ScheduleNotFoundError extends FargateJobsError {
  constructor(name: string) {
    super('SCHEDULE_NOT_FOUND', `schedule '${name}' does not exist`);
    this.name = 'ScheduleNotFoundError';
  }
}

export class ConflictError extends FargateJobsError {
  constructor(code: 'JOB_ALREADY_FINISHED' | 'IDEMPOTENCY_KEY_REUSED' | 'TOKEN_NAME_TAKEN' | 'SCHEDULE_EXISTS', message: string) {
    super(code, message);
    this.name = 'ConflictError';
  }
}

/**
 * An exec the job cannot take: its profile has no exec (EXEC_NOT_ALLOWED), the caller may not get
 * into it (EXEC_FORBIDDEN), it does not run (JOB_NOT_RUNNING: with `retryAfterSeconds` while it has
 * yet to start), its exec agent is not ready yet (EXEC_NOT_READY), or it had as many execs as a job may.
 */
export class ExecRefusedError extends FargateJobsError {
  constructor(
    code: 'EXEC_NOT_ALLOWED' | 'EXEC_FORBIDDEN' | 'JOB_NOT_RUNNING' | 'EXEC_NOT_READY' | 'TOO_MANY_EXECS',
    message: string,
    options: Pick<FargateJobsErrorOptions, 'retryAfterSeconds' | 'details'> = {},
  ) {
    super(code, message, options);
    this.name = 'ExecRefusedError';
  }
}

/**
 * A download of a job's whole log asked before it is archived (on AWS a download is a link to the
 * archive, log-archive.ts): 409, with a Retry-After while the job has yet to finish and be archived.
 */
export class LogNotArchivedError extends FargateJobsError {
  constructor(jobId: string, retryAfterSeconds: number | undefined) {
    const message =
      retryAfterSeconds === undefined
        ? `the log of job ${jobId} is not archived: read it page by page (GET /jobs/${jobId}/logs)`
        : `the log of job ${jobId} is archived once the job has finished: download it then, or read it page by page (GET /jobs/${jobId}/logs)`;
    super('LOG_NOT_ARCHIVED', message, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
    this.name = 'LogNotArchivedError';
  }
}

/**
 * The job's archived log is no longer kept: the archive bucket's lifecycle rule removed it after the
 * stage's logArchiveDays (the job record is kept longer). 410: it will not come back.
 */
export class LogExpiredError extends FargateJobsError {
  constructor(jobId: string) {
    super('LOG_EXPIRED', `the log of job ${jobId} was archived and has since expired (the stage keeps archives logArchiveDays days); its last lines are the job's logTail`);
    this.name = 'LogExpiredError';
  }
}

/** The caller already has as many active jobs as its token allows. */
export class TooManyActiveJobsError extends FargateJobsError {
  constructor(caller: string, limit: number) {
    super(
      'TOO_MANY_ACTIVE_JOBS',
      `'${caller}' already has ${limit} active job(s), the most its token allows at once; wait for one to finish or cancel one`,
    );
    this.name = 'TooManyActiveJobsError';
  }
}

/**
 * The caller already has as many requests waiting (`wait`) as a token may have at once: each holds a
 * Lambda execution for up to 20 s, so one token must not hold them all. One of its waits ends within
 * 20 s, so asking again soon is worth it (or asking without `wait`, which is never limited).
 */
export class TooManyWaitsError extends FargateJobsError {
  constructor(caller: string, limit: number, retryAfterSeconds: number) {
    super(
      'TOO_MANY_WAITS',
      `'${caller}' already has ${limit} request(s) waiting (wait), the most a token may have at once; ask again in ${retryAfterSeconds} s, or without wait`,
      { retryAfterSeconds },
    );
    this.name = 'TooManyWaitsError';
  }
}

/** A task id the task runner does not know (e.g. a local process from before a restart). */
export class TaskNotFoundError extends FargateJobsError {
  constructor(taskArn: string, options?: ErrorOptions) {
    super('TASK_NOT_FOUND', `task '${taskArn}' is not known to the task runner`, options);
    this.name = 'TaskNotFound';
  }
}

/** A step was handed a job id the store does not have: the workflow cannot continue. */
export class JobRecordMissingError extends FargateJobsError {
  constructor(jobId: string) {
    super('JOB_RECORD_MISSING', `job record '${jobId}' is missing`);
    this.name = 'JobRecordMissing';
  }
}

/**
 * The task runner's calls are being throttled (or briefly failing). The state machine retries this
 * error name with backoff; a retried RunTask reuses the job id as clientToken, so it cannot start a
 * second task.
 */
export class TaskRunnerThrottledError extends FargateJobsError {
  constructor(operation: string, cause: unknown) {
    super('TASK_RUNNER_THROTTLED', `${operation} was throttled or temporarily unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'TaskRunnerThrottled';
  }
}

/**
 * What fires schedules (EventBridge Scheduler) throttled a call or briefly failed: the change is kept
 * in the store, and asking again a little later may succeed.
 */
export class ScheduleTriggerUnavailableError extends FargateJobsError {
  constructor(operation: string, cause: unknown) {
    super('SCHEDULE_TRIGGER_UNAVAILABLE', `${operation} was throttled or temporarily unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ScheduleTriggerUnavailable';
  }
}

/**
 * A notification of a finished job was not delivered (a webhook answered no 2xx, or not at all).
 * The state machine retries this error name with backoff for over ten minutes; each retry delivers
 * only what has not been delivered yet.
 */
export class NotificationPendingError extends FargateJobsError {
  constructor(jobId: string) {
    super('NOTIFICATION_PENDING', `a notification about job '${jobId}' is not delivered yet`);
    this.name = 'NotificationPending';
  }
}

/**
 * Not a failure: the job is finished and its followers told, but its log could not be archived yet
 * (log-archive.ts). The state machine retries FinalizeJob with backoff, which archives and nothing
 * else; given up on, the log stays readable from the task's log stream.
 */
export class LogArchivePendingError extends FargateJobsError {
  constructor(jobId: string) {
    super('LOG_ARCHIVE_PENDING', `the log of job '${jobId}' is not archived yet`);
    this.name = 'LogArchivePending';
  }
}

/**
 * Not a failure: the job's attempt ended and its retry rules (retry.ts) call for another, which is
 * recorded on the job. The state machine catches this error name and starts the next attempt
 * (NextAttempt → StartTask), so that only attempts that fail spend state transitions.
 */
export class RetryAttemptError extends FargateJobsError {
  constructor(jobId: string, nextAttempt: number) {
    super('RETRY_ATTEMPT', `job '${jobId}' is retried: attempt ${nextAttempt} follows`);
    this.name = 'RetryAttempt';
  }
}

/**
 * StartTask: the job's task was not started (it could not start, or the job was cancelled first)
 * and the job's end is recorded. The state machine catches this name into NotifyFinished, so that
 * a job that starts spends no Choice state on the question.
 */
export class TaskNotStartedError extends FargateJobsError {
  constructor(jobId: string) {
    super('TASK_NOT_STARTED', `the task of job '${jobId}' was not started; the job's end is recorded`);
    this.name = 'TaskNotStarted';
  }
}

/**
 * NotifyFinished after MarkFailed: the job is marked FAILED (INTERNAL) and told; the state machine
 * catches this name into its JobFailed state, so that the execution ends failed while a job that
 * ended well ends its execution at NotifyFinished, with no state after it.
 */
export class JobFailedError extends FargateJobsError {
  constructor(jobId: string) {
    super('JOB_FAILED', `a workflow step of job '${jobId}' failed; the job was marked FAILED (INTERNAL)`);
    this.name = 'JobFailed';
  }
}

/** A setting the deployment (or `npm start`) must provide is missing or malformed. */
export class ConfigError extends FargateJobsError {
  constructor(message: string) {
    super('CONFIGURATION', message);
    this.name = 'ConfigError';
  }
}
