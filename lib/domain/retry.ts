/**
 * Retry rules, as AWS Batch's `retryStrategy` has them: `attempts` (1 to 10) and up to five
 * `evaluateOnExit` rules. Each rule's conditions are patterns matched against how an attempt ended
 * (`onExitCode` the exit code in decimal, `onStatusReason` the task's stoppedReason, `onReason` the
 * watched container's reason); a pattern matches exactly, or by prefix when it ends in `*`. A rule
 * applies when every condition it gives matches; the first rule that applies decides (RETRY or
 * EXIT), and when none applies the job is retried while attempts remain. A job that succeeded, was
 * cancelled or timed out is never retried.
 *
 * A Spot fallback comes first: a `spot-first` attempt that found no Spot capacity, or lost it, is
 * followed by one on FARGATE whatever the rules say and however many attempts are left
 * (capacity.ts's fallbackCapacity decides whether one is due). It counts as an attempt.
 *
 * Pure: the table test (test/unit/retry.test.ts) is the specification.
 */
import { ConfigError, ProfileRejectedError } from './errors.ts';
import type { CapacityProvider } from './capacity.ts';
import type { FailureCategory } from './job.ts';

export type RetryAction = 'RETRY' | 'EXIT';

export interface RetryRule {
  onExitCode?: string;
  onStatusReason?: string;
  onReason?: string;
  action: RetryAction;
}

export interface RetryStrategy {
  /** How many attempts the job may have in all (1: it is never retried). */
  attempts: number;
  evaluateOnExit?: RetryRule[];
}

/** Batch's limits. */
export const MAX_RETRY_ATTEMPTS = 10;
export const MAX_RETRY_RULES = 5;
export const MAX_RETRY_PATTERN_LENGTH = 512;
/** Batch's characters: digits for an exit code; letters, digits, `.`, `:`, spaces and tabs for a reason; a `*` only at the end. */
export const EXIT_CODE_PATTERN = /^[0-9]*\*?$/;
export const REASON_PATTERN = /^[A-Za-z0-9.: \t]*\*?$/;

/** How an attempt ended: what the rules are matched against. */
export interface AttemptEnd {
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED';
  /** The watched container's exit code; null when it never ran or reported none. */
  exitCode: number | null;
  category?: FailureCategory;
  /** The task's stoppedReason (for a task that never started, the reason RunTask gave). */
  statusReason?: string;
  /** The watched container's reason (e.g. `OutOfMemoryError: Container killed due to memory usage`). */
  reason?: string;
}

export type RetryDecision =
  | { retry: true; nextAttempt: number; capacity?: CapacityProvider; because: 'RULE' | 'NO_RULE_MATCHED' | 'SPOT_FALLBACK' }
  | { retry: false; because: 'SUCCEEDED' | 'NEVER_RETRIED' | 'EXIT_RULE' | 'ATTEMPTS_EXHAUSTED' };

export interface RetryQuestion {
  /** The job's rules; none: one attempt (a Spot fallback aside). */
  strategy: RetryStrategy | undefined;
  /** The number of the attempt that ended (1-based). */
  attempt: number;
  end: AttemptEnd;
  /** The capacity the ended attempt ran on, if the profile chose one: the next attempt keeps it. */
  capacity?: CapacityProvider;
  /** capacity.ts's fallbackCapacity for the ended attempt: FARGATE when a Spot fallback is due. */
  fallback?: 'FARGATE';
}

/**
 * Whether another attempt follows the one that ended, on which capacity, and why. An outcome not
 * known (OUTCOME_UNKNOWN: the task may well have finished its work) is not retried either.
 */
export function decideRetry(question: RetryQuestion): RetryDecision {
  const { strategy, attempt, end } = question;
  if (end.status === 'SUCCEEDED') return { retry: false, because: 'SUCCEEDED' };
  if (end.status !== 'FAILED' || end.category === 'OUTCOME_UNKNOWN') return { retry: false, because: 'NEVER_RETRIED' };
  const nextAttempt = attempt + 1;
  if (question.fallback) return { retry: true, nextAttempt, capacity: question.fallback, because: 'SPOT_FALLBACK' };
  const rule = strategy?.evaluateOnExit?.find((candidate) => ruleApplies(candidate, end));
  if (rule?.action === 'EXIT') return { retry: false, because: 'EXIT_RULE' };
  if (attempt >= (strategy?.attempts ?? 1)) return { retry: false, because: 'ATTEMPTS_EXHAUSTED' };
  return { retry: true, nextAttempt, ...(question.capacity ? { capacity: question.capacity } : {}), because: rule ? 'RULE' : 'NO_RULE_MATCHED' };
}

/** Every condition the rule gives matches (a rule with none matches every end). */
export function ruleApplies(rule: RetryRule, end: AttemptEnd): boolean {
  return (
    conditionHolds(rule.onExitCode, end.exitCode === null ? undefined : String(end.exitCode)) &&
    conditionHolds(rule.onStatusReason, end.statusReason) &&
    conditionHolds(rule.onReason, end.reason)
  );
}

function conditionHolds(pattern: string | undefined, value: string | undefined): boolean {
  return pattern === undefined || (value !== undefined && patternMatches(pattern, value));
}

/** Exact, or a prefix match where the pattern ends in `*` (`*` alone matches any value there is). */
export function patternMatches(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}

/** A profile's retry settings: the strategy of jobs that give none, and the most attempts a job may ask for. */
export interface ProfileRetry {
  default?: RetryStrategy;
  /** 1 (no retries) when absent. */
  maxAttempts?: number;
}

/**
 * The strategy a job of `profile` runs with: the one it asks for, else the profile's default. One
 * asking for more attempts than the profile allows is refused, naming the profile.
 */
export function resolveRetryStrategy(profile: { name: string; retry?: ProfileRetry }, requested: RetryStrategy | undefined): RetryStrategy | undefined {
  const strategy = requested ?? profile.retry?.default;
  if (strategy === undefined) return undefined;
  const maxAttempts = profile.retry?.maxAttempts ?? 1;
  if (requested !== undefined && strategy.attempts > maxAttempts) {
    throw new ProfileRejectedError(
      'RETRY_NOT_ALLOWED',
      maxAttempts === 1
        ? `profile '${profile.name}' does not retry jobs: give retry.attempts 1, or no retry`
        : `retry.attempts ${strategy.attempts} is over profile '${profile.name}' maximum of ${maxAttempts}`,
    );
  }
  return { attempts: strategy.attempts, ...(strategy.evaluateOnExit?.length ? { evaluateOnExit: strategy.evaluateOnExit.map(normalizedRule) } : {}) };
}

/**
 * Refuses a profile whose retry settings no job could keep to: a maximum outside Batch's 1–10, a
 * default over it, or a default rule the API would refuse.
 */
export function checkRetrySettings(profile: { name: string; retry?: ProfileRetry }): void {
  const { maxAttempts = 1, default: strategy } = profile.retry ?? {};
  const withinBatch = (attempts: number) => Number.isInteger(attempts) && attempts >= 1 && attempts <= MAX_RETRY_ATTEMPTS;
  if (!withinBatch(maxAttempts)) throw new ConfigError(`profile '${profile.name}' has retry.maxAttempts ${maxAttempts}: expected a whole number from 1 to ${MAX_RETRY_ATTEMPTS}`);
  if (strategy === undefined) return;
  if (!withinBatch(strategy.attempts) || strategy.attempts > maxAttempts) {
    throw new ConfigError(`profile '${profile.name}' has a retry.default of ${strategy.attempts} attempts: expected 1 to its retry.maxAttempts (${maxAttempts})`);
  }
  const rules = strategy.evaluateOnExit ?? [];
  const validPattern = (pattern: string | undefined, allowed: RegExp) => pattern === undefined || (pattern.length >= 1 && pattern.length <= MAX_RETRY_PATTERN_LENGTH && allowed.test(pattern));
  const invalid = rules.findIndex(
    (rule) => !validPattern(rule.onExitCode, EXIT_CODE_PATTERN) || !validPattern(rule.onStatusReason, REASON_PATTERN) || !validPattern(rule.onReason, REASON_PATTERN) || !/^(RETRY|EXIT)$/i.test(rule.action),
  );
  if (rules.length > MAX_RETRY_RULES || invalid !== -1) {
    throw new ConfigError(`profile '${profile.name}' has retry.default rules the API would refuse: at most ${MAX_RETRY_RULES}, each pattern as Batch takes it${invalid === -1 ? '' : ` (rule ${invalid + 1})`}`);
  }
}

/** Batch takes the action in any case; it is kept upper case. */
function normalizedRule(rule: RetryRule): RetryRule {
  return { ...rule, action: rule.action.toUpperCase() as RetryAction };
}

/** The environment variable that tells the command which attempt it is (1-based). */
export const ATTEMPT_ENV = 'FARGATE_JOBS_ATTEMPT';
