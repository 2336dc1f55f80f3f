/**
 * Who is calling and which profiles they may use. A caller is what a verified bearer token stands
 * for: its name (recorded as `submittedBy`, and in "cancelled by …") and its profile scope.
 */

/** In a scope, every profile the deployment has, now and later. */
export const EVERY_PROFILE = '*';

export interface Caller {
  name: string;
  /** Profile names, or `*` for every profile. */
  profiles: readonly string[];
  /** At most this many of its jobs may be active at once (its token's own limit); else the deployment's. */
  maxActiveJobs?: number;
}

export function mayUse(caller: Caller, profile: string): boolean {
  return caller.profiles.includes(EVERY_PROFILE) || caller.profiles.includes(profile);
}

/** The profiles a caller's listings are limited to, or undefined when the caller sees every profile. */
export function profilesVisibleTo(caller: Caller): readonly string[] | undefined {
  return caller.profiles.includes(EVERY_PROFILE) ? undefined : caller.profiles;
}
