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

/** Decodes a cursor and checks its shape with `isValid`; throws a 400 for anything else. */
export function decodeCursor<T>(cursor: string, isValid: (value: unknown) => value is T): T {
  // Node's base64url decoding skips characters outside the alphabet: a cursor with one is no cursor.
  if (!CURSOR_PATTERN.test(cursor)) throw invalidCursor();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!isValid(value)) throw invalidCursor();
  return value;
}

function invalidCursor(): ValidationError {
  return new ValidationError('cursor is not valid: pass back the nextCursor of a previous page unchanged', [
    { path: 'cursor', message: 'not a cursor this API returned' },
  ]);
}
