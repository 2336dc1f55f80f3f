/**
 * Secret environment values: never stored or shown in clear. A job record holds them as `***`; the
 * values travel only in the workflow's input to StartTask, which puts them back for the task.
 */
import type { Profile } from './profile.ts';

export const DEFAULT_SECRET_PATTERNS: readonly string[] = ['*TOKEN*', '*SECRET*', '*PASSWORD*', '*KEY*'];
export const REDACTED = '***';

/** The patterns of the names whose values are secret in a profile's jobs: its own, else the defaults. */
export function secretPatternsOf(profile: Pick<Profile, 'secretEnvPatterns'>): readonly string[] {
  return profile.secretEnvPatterns ?? DEFAULT_SECRET_PATTERNS;
}

/** Splits a job's environment into what may be stored (secrets as `***`) and the secret values. */
export function separateSecrets(
  profile: Pick<Profile, 'secretEnvPatterns'>,
  env: Record<string, string>,
): { stored: Record<string, string>; secrets: Record<string, string> } {
  const patterns = secretPatternsOf(profile).map(globToRegExp);
  const stored: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (patterns.some((pattern) => pattern.test(name))) {
      stored[name] = REDACTED;
      secrets[name] = value;
    } else {
      stored[name] = value;
    }
  }
  return { stored, secrets };
}

/** Puts the secret values back; only variables the record holds as `***` can be filled this way. */
export function restoreSecrets(stored: Record<string, string>, secrets: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(stored).map(([name, value]) => [name, value === REDACTED ? (secrets[name] ?? value) : value]),
  );
}

function globToRegExp(glob: string): RegExp {
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i');
}
