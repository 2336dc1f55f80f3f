/**
 * The cursors of the CloudWatch log reader: each wraps one of CloudWatch's tokens, forward or
 * backward, and the attempt whose stream it is of (none: the first attempt's, as every cursor from
 * before retries). Each direction's is refused where the other's belongs, as CloudWatch's tokens are.
 *
 * A forward cursor also says where it is in the job's log, where the reader knows (`line`: the lines
 * of all attempts before it), so that it reads on from the job's archive once there is one with no
 * line lost or repeated (log-archive.ts). Cursors from before `line` still read the stream.
 */
import { encodeCursor } from '#lib/domain/cursor.ts';
import { isLineNumber } from '#lib/domain/log-archive.ts';
import { ValidationError } from '#lib/domain/errors.ts';

export interface StreamCursor {
  /** CloudWatch's nextForwardToken; null reads from the head of the stream. */
  forwardToken: string | null;
  /** The attempt whose stream the token is of; the first's when absent. */
  attempt?: number;
  /** The lines of the job's log before the token's position; absent where the reader did not know (a read from the end, an older cursor). */
  line?: number;
}

export function isStreamCursor(value: unknown): value is StreamCursor {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const { forwardToken, attempt, line } = value as { forwardToken?: unknown; attempt?: unknown; line?: unknown };
  return (forwardToken === null || (typeof forwardToken === 'string' && forwardToken.length > 0)) && isAttempt(attempt) && (line === undefined || isLineNumber(line));
}

export interface BackwardStreamCursor {
  /**
   * CloudWatch's nextBackwardToken: the events before the ones returned so far come next. Absent:
   * from the end of the attempt's stream (a page that ended at the start of a later attempt's).
   */
  backwardToken?: string;
  /** The attempt whose stream the token is of; the first's when absent. */
  attempt?: number;
}

export function isBackwardStreamCursor(value: unknown): value is BackwardStreamCursor {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const { backwardToken, attempt } = value as { backwardToken?: unknown; attempt?: unknown };
  const token = typeof backwardToken === 'string' && backwardToken.length > 0;
  return isAttempt(attempt) && (token || (backwardToken === undefined && attempt !== undefined));
}

function isAttempt(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1);
}

/** A forward cursor: the first attempt's as it always was, a later one's with its number; its `line` where known. */
export function forwardCursor(forwardToken: string | null, attempt: number, line: number | undefined): string {
  return encodeCursor({ forwardToken, ...(attempt > 1 ? { attempt } : {}), ...(line === undefined ? {} : { line }) } satisfies StreamCursor);
}

export function backwardCursor(backwardToken: string, attempt: number): string {
  return encodeCursor({ backwardToken, ...(attempt > 1 ? { attempt } : {}) } satisfies BackwardStreamCursor);
}

/** A token CloudWatch no longer takes (they expire after 24 hours): the client's to replace, a 400. */
export function expiredCursor(parameter: 'cursor' | 'before'): ValidationError {
  const instead = parameter === 'cursor' ? 'read the logs again from the start (without a cursor)' : 'read the tail again (tail) and page back from its previousCursor';
  return new ValidationError(`${parameter} has expired: ${instead}`, [{ path: parameter, message: 'log cursors are valid for 24 hours' }]);
}
