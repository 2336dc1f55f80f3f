/**
 * The HTTP status of each error code: the one place the API decides what an error means to a client.
 * A code mapped to a 4xx is the caller's to fix, and its message is shown; anything else (the
 * runner's own trouble, or an error that is not ours) is a 500 that shows nothing internal.
 */
import { FargateJobsError, type ErrorCode } from '#lib/domain/errors.ts';

const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNKNOWN_PROFILE: 400,
  COMMAND_NOT_ALLOWED: 400,
  ENV_NOT_ALLOWED: 400,
  TIMEOUT_TOO_LONG: 400,
  PUBLIC_IP_NOT_ALLOWED: 400,
  NOT_INTERACTIVE: 400,
  TASK_SIZE_TOO_LARGE: 400,
  INVALID_TASK_SIZE: 400,
  OVERRIDES_TOO_LARGE: 400,
  RETRY_NOT_ALLOWED: 400,
  UNAUTHORIZED: 401,
  PROFILE_FORBIDDEN: 403,
  JOB_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  JOB_ALREADY_FINISHED: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  TOKEN_NAME_TAKEN: 409,
  SCHEDULE_EXISTS: 409,
  TOO_MANY_ACTIVE_JOBS: 429,
  TOO_MANY_WAITS: 429,
  EXEC_NOT_ALLOWED: 403,
  EXEC_FORBIDDEN: 403,
  JOB_NOT_RUNNING: 409,
  EXEC_NOT_READY: 409,
  TOO_MANY_EXECS: 409,
  LOG_NOT_ARCHIVED: 409,
  LOG_EXPIRED: 410,
  TASK_NOT_FOUND: 500,
  JOB_RECORD_MISSING: 500,
  TASK_RUNNER_THROTTLED: 500,
  SCHEDULE_TRIGGER_UNAVAILABLE: 500,
  NOTIFICATION_PENDING: 500,
  LOG_ARCHIVE_PENDING: 500,
  RETRY_ATTEMPT: 500,
  JOB_FAILED: 500,
  TASK_NOT_STARTED: 500,
  CONFIGURATION: 500,
};

/** The status an error is answered with: its code's, or 500 for anything that is not one of ours. */
export function httpStatusOf(error: unknown): number {
  return error instanceof FargateJobsError ? HTTP_STATUS[error.code] : 500;
}

/** An error whose message is meant for the caller: one of ours, with a 4xx status. */
export function isClientError(error: unknown): error is FargateJobsError {
  return httpStatusOf(error) < 500;
}
