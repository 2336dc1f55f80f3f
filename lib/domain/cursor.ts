/**
 * Opaque pagination cursors: base64url JSON that clients pass back unchanged. A cursor that does not
 * decode is the client's mistake (400), never a 500.
 */
import { ValidationError } from './errors.ts';

/** What encodeCursor writes: base64url without padding (docs/openapi.yaml's Cursor pattern). */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]+$/;

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/**
 * The query parameter a cursor came in, and the field of a page it must come from: `cursor` reads on
 * forward from a `nextCursor`, `before` reads backward from a `previousCursor` (a log's).
 */
export type CursorParameter = 'cursor' | 'before';

const RETURNED_AS: Record<CursorParameter, string> = { cursor: 'nextCursor', before: 'previousCursor' };

/** Decodes a cursor and checks its shape with `isValid`; throws a 400 naming `parameter` for anything else. */
export function decodeCursor<T>(cursor: string, isValid: (value: unknown) => value is T, parameter: CursorParameter = 'cursor'): T {
  // Node's base64url decoding skips characters outside the alphabet: a cursor with one is no cursor.
  if (!CURSOR_PATTERN.test(cursor)) throw invalidCursor(parameter);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor(parameter);
  }
  if (!isValid(value)) throw invalidCursor(parameter);
  return value;
}

function invalidCursor(parameter: CursorParameter): ValidationError {
  return new ValidationError(`${parameter} is not valid: pass back the ${RETURNED_AS[parameter]} of a previous page unchanged`, [
    { path: parameter, message: 'not a cursor this API returned' },
  ]);
}
