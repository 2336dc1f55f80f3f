/**
 * Which Fargate capacity a profile's tasks run on. `on-demand` is FARGATE; `spot` is FARGATE_SPOT
 * (far cheaper, but AWS may have none to give, and may take a running task back after a 2-minute
 * warning); `spot-first` starts on FARGATE_SPOT and, when Spot fails the attempt, starts the next one
 * on FARGATE. Pure policy: the workflow asks these functions which provider an attempt starts on, and
 * the task runner starts it there.
 */
import { ConfigError } from './errors.ts';
import type { FailureCategory, JobFailure } from './job.ts';
import type { Profile } from './profile.ts';

export const CAPACITIES = ['on-demand', 'spot', 'spot-first'] as const;
export type Capacity = (typeof CAPACITIES)[number];

/** ECS's capacity providers of Fargate, as RunTask's capacityProviderStrategy names them. */
export type CapacityProvider = 'FARGATE' | 'FARGATE_SPOT';

/**
 * Seconds a container may take between SIGTERM and SIGKILL (its task definition's `stopTimeout`):
 * Fargate allows 2 to 120, and Spot's interruption warning comes 120 s before the task is taken back.
 */
export const STOP_TIMEOUT_SECONDS = { min: 2, max: 120 } as const;

/**
 * How Spot fails an attempt: RunTask had no Spot capacity (CAPACITY), or AWS took the task back
 * (SPOT_INTERRUPTED: stop code SpotInterruption or TerminationNotice, classify-stop.ts).
 */
const SPOT_LOSSES: ReadonlySet<FailureCategory> = new Set(['CAPACITY', 'SPOT_INTERRUPTED']);

export function isCapacity(value: string): value is Capacity {
  return (CAPACITIES as readonly string[]).includes(value);
}

/** The provider a profile's jobs start on; undefined for a profile with no capacity (one that does not run on ECS). */
export function firstCapacity(profile: Pick<Profile, 'capacity'>): CapacityProvider | undefined {
  switch (profile.capacity) {
    case 'on-demand':
      return 'FARGATE';
    case 'spot':
    case 'spot-first':
      return 'FARGATE_SPOT';
    default:
      return undefined;
  }
}

/**
 * Where the next attempt starts after `attempt` failed: FARGATE when the profile is `spot-first`, the
 * attempt ran (or tried to start) on FARGATE_SPOT and Spot is what failed it; otherwise undefined (no
 * change of capacity: whether to try again at all is the retry rules' decision).
 */
export function fallbackCapacity(profile: Pick<Profile, 'capacity'>, attempt: { capacity?: string; failure?: JobFailure }): 'FARGATE' | undefined {
  if (profile.capacity !== 'spot-first' || attempt.capacity !== 'FARGATE_SPOT') return undefined;
  return attempt.failure && SPOT_LOSSES.has(attempt.failure.category) ? 'FARGATE' : undefined;
}

/**
 * Refuses, when profiles are loaded, a capacity that is not one of CAPACITIES or a stopTimeout that
 * Fargate would not take: a profile that would fail every job should stop the server from starting.
 */
export function checkCapacitySettings(profile: Pick<Profile, 'name' | 'capacity' | 'stopTimeout'>): void {
  const { name, capacity, stopTimeout } = profile;
  if (capacity !== undefined && !isCapacity(capacity)) {
    throw new ConfigError(`profile '${name}' has capacity '${String(capacity)}': expected one of ${CAPACITIES.join(', ')}`);
  }
  if (stopTimeout === undefined) return;
  const { min, max } = STOP_TIMEOUT_SECONDS;
  if (!Number.isInteger(stopTimeout) || stopTimeout < min || stopTimeout > max) {
    throw new ConfigError(`profile '${name}' has stopTimeout ${stopTimeout}: Fargate takes a whole number of seconds from ${min} to ${max}`);
  }
}
