/** How the workflow paces its polls. Pure, so the backoff is tested without waiting. */

export const NETWORK_POLL_SECONDS = 2;
export const FIRST_STOP_POLL_SECONDS = 5;
export const MAX_STOP_POLL_SECONDS = 60;
/** A task still PROVISIONING/PENDING after this long is stopped and the job fails START_FAILED. */
export const DEFAULT_PROVISIONING_TIMEOUT_SECONDS = 600;

/** 5 s, 10 s, 20 s, 40 s, then 60 s: about 70 polls in a job-hour instead of 720 at a fixed 5 s. */
export function nextPollDelay(attempt: number): number {
  return Math.min(FIRST_STOP_POLL_SECONDS * 2 ** Math.max(0, attempt), MAX_STOP_POLL_SECONDS);
}

/**
 * The wait before the next poll: the backoff delay, but never sleeping past a deadline by more than
 * the rounding to whole seconds that a Wait state needs.
 */
export function pollDelayBefore(deadline: Date | undefined, now: Date, attempt: number): number {
  const delay = nextPollDelay(attempt);
  if (!deadline) return delay;
  const secondsLeft = Math.ceil((deadline.getTime() - now.getTime()) / 1000);
  return Math.max(1, Math.min(delay, secondsLeft));
}
