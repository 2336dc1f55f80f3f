/**
 * Long polls: a request that waits, inside itself, until what the client asked about has happened
 * or its time is up, so that a client following a job asks once every `wait` seconds instead of
 * hammering the API. Where the source says when it changed (local mode: the store and the log file
 * are this process's own) the wait sleeps until told; where it cannot (DynamoDB, CloudWatch Logs) it
 * looks again at a modest interval. Pure: the clock and the timer are given.
 */

/** The longest `wait` a request may ask for, in seconds: well inside API Gateway's 30 s for an integration. */
export const MAX_WAIT_SECONDS = 20;
/** How often a wait looks at a job record nothing reports changes of (DynamoDB: one GetItem). */
export const RECORD_POLL_MS = 1000;
/**
 * How long a wait on a log nothing reports growth of (CloudWatch Logs) pauses after its first look
 * that found nothing; each further quiet look doubles the pause, up to LOG_POLL_MAX_MS. GetLogEvents
 * has one rate for the whole account and region (25 a second unless raised), which FinalizeJob needs
 * too: a quiet 20-s wait looks at 0, 2, 6, 14 and 20 s, 5 calls instead of the 11 of a fixed 2-s
 * poll, while a line that comes after a quiet spell is seen at most 8 s late. A look that finds lines
 * ends the wait, so the next request (the client's next page) starts again at 2 s.
 */
export const LOG_POLL_MS = 2000;
export const LOG_POLL_MAX_MS = 8000;

/** The pause after the `quietLooks`-th look in a row that found no new log lines (1, 2, …): 2, 4, 8, 8, … s. */
export function logPollDelayMs(quietLooks: number): number {
  return Math.min(LOG_POLL_MS * 2 ** Math.max(0, quietLooks - 1), LOG_POLL_MAX_MS);
}

/**
 * Reports the changes of one job to whoever subscribed: after each write of its record, or each line
 * appended to its log, depending on the feed. A feed that is not there means: poll.
 */
export interface JobChangeFeed {
  /** Calls `listener` after each change of job `jobId` until the returned function is called. */
  subscribe(jobId: string, listener: () => void): () => void;
  /** Calls `listener` after each change of any job until the returned function is called (a wait on a listing). */
  subscribeAll(listener: () => void): () => void;
}

/** The timer of a wait: resolves after `ms`, or as soon as `signal` is aborted (never rejects). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export interface WaitOptions {
  /** When to give up and answer with the last look (ms since the epoch, as `now`). */
  deadline: number;
  now: () => number;
  sleep: Sleep;
  /** Feeds that wake the wait; each is subscribed to before the first look, so no change is missed. */
  changes: ReadonlyArray<(wake: () => void) => () => void>;
  /**
   * Look again this often even without a change (a source no feed covers); only on a change when
   * undefined. A function gives the pause after the n-th look that did not end the wait (a backoff).
   */
  pollMs?: number | ((quietLooks: number) => number);
  /**
   * What a wait holds while it waits (its caller's wait slot): taken once the first look has not
   * ended the wait and there is time to wait, given back (the function it returns) when the wait is
   * over. A wait that its first look ends holds nothing; a `hold` that throws ends the wait with its
   * error.
   */
  hold?: () => Promise<() => Promise<void>>;
}

/** What one look found: `done` when the wait is over, `value` what to answer either way. */
export interface Look<T> {
  done: boolean;
  value: T;
}

/**
 * Looks with `check` until it says done or the deadline passes, and returns the last look's value.
 * Looks once at least (at once: a wait with nothing to wait for costs one look); never two looks at
 * a time (changes during a look cause one more look after it, not one each).
 */
export async function waitUntil<T>(check: () => Promise<Look<T>>, options: WaitOptions): Promise<T> {
  let changed = false;
  let interrupt = new AbortController();
  const wake = () => {
    changed = true;
    interrupt.abort();
  };
  const unsubscribes = options.changes.map((subscribe) => subscribe(wake));
  let release: (() => Promise<void>) | undefined;
  try {
    for (let looks = 1; ; looks += 1) {
      changed = false;
      const look = await check();
      if (look.done || options.deadline - options.now() <= 0) return look.value;
      if (options.hold && !release) release = await options.hold();
      if (changed) continue;
      interrupt = new AbortController();
      const remaining = options.deadline - options.now();
      await options.sleep(Math.min(remaining, pauseAfter(options.pollMs, looks) ?? remaining), interrupt.signal);
    }
  } finally {
    for (const unsubscribe of unsubscribes) unsubscribe();
    await release?.();
  }
}

function pauseAfter(pollMs: WaitOptions['pollMs'], quietLooks: number): number | undefined {
  return typeof pollMs === 'function' ? pollMs(quietLooks) : pollMs;
}
