/**
 * Typed errors. Errors a client caused carry an HTTP status and a stable code; everything else is
 * internal and reaches the client only as a generic 500. Errors thrown by workflow steps keep a
 * `name` equal to the ASL error the state machine matches in `ErrorEquals`.
 */

export interface ErrorDetail {
  path: string;
  message: string;
}

export class ClientError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;

  constructor(statusCode: number, code: string, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = 'ClientError';
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
  }
}

export class ValidationError extends ClientError {
  constructor(message: string, details?: ErrorDetail[]) {
    super(400, 'VALIDATION_FAILED', message, details);
    this.name = 'ValidationError';
  }
}

export class JobNotFoundError extends ClientError {
  constructor(jobId: string) {
    super(404, 'JOB_NOT_FOUND', `job '${jobId}' does not exist`);
    this.name = 'JobNotFoundError';
  }
}

export class ConflictError extends ClientError {
  constructor(code: string, message: string) {
    super(409, code, message);
    this.name = 'ConflictError';
  }
}

/** No usable bearer token: missing, malformed, unknown or revoked. */
export class UnauthorizedError extends ClientError {
  constructor(message: string) {
    super(401, 'UNAUTHORIZED', message);
    this.name = 'UnauthorizedError';
  }
}

/** A valid token asking for a profile outside its scope. */
export class ProfileForbiddenError extends ClientError {
  constructor(tokenName: string, profile: string, scope: readonly string[]) {
    super(403, 'PROFILE_FORBIDDEN', `token '${tokenName}' may not use profile '${profile}'; it may use: ${scope.join(', ')}`);
    this.name = 'ProfileForbiddenError';
  }
}

export class ProfileRejectedError extends ClientError {
  constructor(code: string, message: string) {
    super(400, code, message);
    this.name = 'ProfileRejectedError';
  }
}

/**
 * A request no profile could run as asked: a task size Fargate does not offer, or a command and
 * environment longer than ECS takes.
 */
export class TaskLimitError extends ClientError {
  constructor(code: string, message: string, details?: ErrorDetail[]) {
    super(400, code, message, details);
    this.name = 'TaskLimitError';
  }
}

/** A task id the task runner does not know (e.g. a local process from before a restart). */
export class TaskNotFoundError extends Error {
  constructor(taskArn: string) {
    super(`task '${taskArn}' is not known to the task runner`);
    this.name = 'TaskNotFound';
  }
}

/** A step was handed a job id the store does not have: the workflow cannot continue. */
export class JobRecordMissingError extends Error {
  constructor(jobId: string) {
    super(`job record '${jobId}' is missing`);
    this.name = 'JobRecordMissing';
  }
}
