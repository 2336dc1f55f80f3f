/**
 * The CLI's exit codes, as `timeout(1)` and `docker run` have them: the job's own exit code when its
 * container ran, and a few reserved codes for what happened around it.
 */
import type { JobFailure, JobStatus } from '#lib/domain/job.ts';

export const EXIT = {
  OK: 0,
  /** Network and credential errors: the CLI could not talk to the API, or the API would not let it. */
  API_UNREACHABLE_OR_REFUSED_CALLER: 1,
  USAGE: 2,
  TIMED_OUT: 124,
  /** The job never started, or the API refused the job itself (400, 409, 413). */
  NOT_STARTED: 125,
  /** The command was not found where the job runs (local mode). */
  COMMAND_NOT_FOUND: 127,
  /** Ctrl-C, as a shell reports a command it interrupted (128 + SIGINT). */
  INTERRUPTED: 130,
  /** Its stdout (or stderr) was closed, e.g. by `| head`: as a shell reports a program SIGPIPE ended (128 + 13). */
  BROKEN_PIPE: 141,
} as const;

/** A failure the CLI reports in one line (its message) and ends with its own exit code. */
export class ExitError extends Error {
  override readonly name = 'ExitError';
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The fields of a job document the exit code depends on. */
export interface FinishedJob {
  status: JobStatus;
  exitCode: number | null;
  failure?: JobFailure;
}

/**
 * How the local process runner marks a command that does not exist: `stopCode` CommandNotFound
 * (lib/adapters/local/process-task-runner.ts's COMMAND_NOT_FOUND; a test keeps them equal). Its
 * message (`could not start '<file>': no such file or command`) is recognised too, for a server
 * from before the marker.
 */
export const COMMAND_NOT_FOUND_STOP_CODE = 'CommandNotFound';
const COMMAND_NOT_FOUND_MESSAGE = /^could not start '.*': no such file or command$/s;

function commandNotFound(failure: JobFailure): boolean {
  return failure.stopCode === COMMAND_NOT_FOUND_STOP_CODE || COMMAND_NOT_FOUND_MESSAGE.test(failure.message);
}

/** The exit code `fargate-jobs run`/`wait` ends with for a job that has finished. */
export function exitCodeOf(job: FinishedJob): number {
  const ran = job.exitCode;
  switch (job.status) {
    case 'SUCCEEDED':
      return ran ?? EXIT.OK;
    case 'TIMED_OUT':
      return EXIT.TIMED_OUT;
    case 'CANCELLED':
      // Cancelled by someone else: its container's code (143 after SIGTERM) if it had one, else "interrupted".
      return ran ?? EXIT.INTERRUPTED;
    case 'FAILED':
      return failedExitCode(job);
    default:
      throw new Error(`job status ${job.status} is not a finished one`);
  }
}

function failedExitCode(job: FinishedJob): number {
  const ran = job.exitCode;
  switch (job.failure?.category) {
    case 'START_FAILED':
      return commandNotFound(job.failure) ? EXIT.COMMAND_NOT_FOUND : EXIT.NOT_STARTED;
    case 'IMAGE_PULL':
    case 'RESOURCE_INIT':
    case 'CAPACITY':
      return EXIT.NOT_STARTED;
    case 'TIMEOUT':
      return EXIT.TIMED_OUT;
    case 'CANCELLED':
      return ran ?? EXIT.INTERRUPTED;
    case 'USER_EXIT':
    case 'SPOT_INTERRUPTED':
    case 'OOM':
    case 'OUTCOME_UNKNOWN':
    case 'INTERNAL':
    case undefined:
      return ran ?? EXIT.NOT_STARTED;
  }
}

/** The exit code for an API refusal of `POST /jobs` or any other call. */
export function exitCodeOfRefusal(status: number): number {
  return status === 400 || status === 409 || status === 413 ? EXIT.NOT_STARTED : EXIT.API_UNREACHABLE_OR_REFUSED_CALLER;
}
