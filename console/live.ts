/**
 * Following something on the server: one long poll after another (each answers when there is news,
 * or after `wait` seconds with none), never a timer that asks on a schedule. A failed poll is asked
 * again after a growing pause (or the server's Retry-After); leaving the view aborts the loop.
 */
import { ApiError, UnauthorizedError } from './api.ts';

/** The long polls' `wait`: the API's largest. */
export const WAIT_SECONDS = 20;

const RETRY_PAUSES_MS = [1000, 2000, 5000, 10_000, 30_000];

/** Resolves after `ms`, or at once (quietly) when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** A controller that also aborts with `parent` (AbortSignal.any, for browsers without it). */
export function childController(parent: AbortSignal): AbortController {
  const child = new AbortController();
  if (parent.aborted) child.abort();
  else parent.addEventListener('abort', () => child.abort(), { once: true, signal: child.signal });
  return child;
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

export interface FollowOptions {
  signal: AbortSignal;
  /** One poll; resolves `false` once there is nothing more to follow. */
  step: () => Promise<boolean>;
  /** Told about a failed poll (to show it) and about recovery (`undefined`). */
  onTrouble: (error: Error | undefined) => void;
}

/** Runs `step` until it says stop, the signal aborts or the token is refused. */
export async function follow({ signal, step, onTrouble }: FollowOptions): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const more = await step();
      if (failures > 0) onTrouble(undefined);
      failures = 0;
      if (!more) return;
    } catch (error) {
      if (signal.aborted || isAbort(error) || error instanceof UnauthorizedError) return;
      // A 4xx other than "too many" will not get better by asking again.
      if (error instanceof ApiError && error.status < 500 && error.status !== 429) {
        onTrouble(error);
        return;
      }
      onTrouble(error instanceof Error ? error : new Error(String(error)));
      const retryAfterMs = error instanceof ApiError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
      await pause(Math.max(retryAfterMs, RETRY_PAUSES_MS[Math.min(failures, RETRY_PAUSES_MS.length - 1)] ?? 30_000), signal);
      failures += 1;
    }
  }
}

/** A message for a failed request, for people. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  if (error instanceof TypeError) return 'the server could not be reached';
  return error instanceof Error ? error.message : String(error);
}
