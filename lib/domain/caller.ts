/**
 * Who is calling and which profiles they may use. A caller is what a verified bearer token stands
 * for: its name (recorded as `submittedBy`, and in "cancelled by …") and its profile scope.
 */
import type { Profile } from './profile.ts';

/** In a scope, every profile the deployment has, now and later. */
export const EVERY_PROFILE = '*';

export interface Caller {
  name: string;
  /** Profile names, or `*` for every profile. */
  profiles: readonly string[];
  /** At most this many of its jobs may be active at once (its token's own limit); else the deployment's. */
  maxActiveJobs?: number;
}

/** The profile a job runs with when its request names none. */
export const DEFAULT_PROFILE = 'default';

/**
 * The profile of a request that names none: the one profile of a token scoped to exactly one (a
 * token for `echo` means `echo`), else `default`.
 */
export function defaultProfileOf(caller: Caller): string {
  const [only, ...others] = caller.profiles;
  return only !== undefined && only !== EVERY_PROFILE && others.length === 0 ? only : DEFAULT_PROFILE;
}

export function mayUse(caller: Caller, profile: string): boolean {
  return caller.profiles.includes(EVERY_PROFILE) || caller.profiles.includes(profile);
}

/** The profiles a caller's listings are limited to, or undefined when the caller sees every profile. */
export function profilesVisibleTo(caller: Caller): readonly string[] | undefined {
  return caller.profiles.includes(EVERY_PROFILE) ? undefined : caller.profiles;
}

/**
 * The profiles of `profiles` the caller may use, by name: a token learns of no other (not even that
 * it exists), as a job of another profile is as absent as one that does not exist.
 */
export function profilesUsableBy(caller: Caller, profiles: ReadonlyMap<string, Profile>): Profile[] {
  return [...profiles.values()].filter((profile) => mayUse(caller, profile.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
