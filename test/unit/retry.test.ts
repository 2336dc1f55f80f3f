/**
 * AWS Batch's retry semantics (retryStrategy / evaluateOnExit), as a table: each row an attempt's end,
 * the job's rules and what follows. Then a Spot attempt's fallback, and a profile's limits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRetrySettings, decideRetry, patternMatches, resolveRetryStrategy, type AttemptEnd, type RetryDecision, type RetryQuestion, type RetryStrategy } from '#lib/domain/retry.ts';

const exit = (exitCode: number, more: Partial<AttemptEnd> = {}): AttemptEnd => ({ status: 'FAILED', exitCode, category: 'USER_EXIT', statusReason: 'Essential container in task exited', ...more });
const OOM: AttemptEnd = { status: 'FAILED', exitCode: 137, category: 'OOM', statusReason: 'Essential container in task exited', reason: 'OutOfMemoryError: Container killed due to memory usage' };
const SPOT_INTERRUPTED: AttemptEnd = { status: 'FAILED', exitCode: 143, category: 'SPOT_INTERRUPTED', statusReason: 'Your Spot Task was interrupted.' };
const NO_CAPACITY: AttemptEnd = { status: 'FAILED', exitCode: null, category: 'CAPACITY', statusReason: 'Capacity is unavailable at this time' };
const IMAGE_PULL: AttemptEnd = { status: 'FAILED', exitCode: null, category: 'IMAGE_PULL', statusReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)' };

const three = (...evaluateOnExit: NonNullable<RetryStrategy['evaluateOnExit']>): RetryStrategy => ({ attempts: 3, ...(evaluateOnExit.length ? { evaluateOnExit } : {}) });
const retried = (nextAttempt: number, because: 'RULE' | 'NO_RULE_MATCHED' | 'SPOT_FALLBACK', capacity?: 'FARGATE' | 'FARGATE_SPOT'): RetryDecision => ({
  retry: true,
  nextAttempt,
  ...(capacity ? { capacity } : {}),
  because,
});
const stops = (because: Extract<RetryDecision, { retry: false }>['because']): RetryDecision => ({ retry: false, because });

const TABLE: Array<[string, RetryQuestion, RetryDecision]> = [
  // Rules: exact, trailing *, all conditions of a rule, first match wins.
  ['onExitCode exact: 7 matches "7"', { strategy: three({ onExitCode: '7', action: 'EXIT' }), attempt: 1, end: exit(7) }, stops('EXIT_RULE')],
  ['onExitCode exact: 71 does not match "7"', { strategy: three({ onExitCode: '7', action: 'EXIT' }), attempt: 1, end: exit(71) }, retried(2, 'NO_RULE_MATCHED')],
  ['onExitCode "7*" matches 71 by prefix', { strategy: three({ onExitCode: '7*', action: 'EXIT' }), attempt: 1, end: exit(71) }, stops('EXIT_RULE')],
  ['onExitCode "*" matches any exit code', { strategy: three({ onExitCode: '*', action: 'EXIT' }), attempt: 1, end: exit(3) }, stops('EXIT_RULE')],
  ['onExitCode never matches an attempt without an exit code', { strategy: three({ onExitCode: '*', action: 'EXIT' }), attempt: 1, end: IMAGE_PULL }, retried(2, 'NO_RULE_MATCHED')],
  ['onStatusReason by prefix', { strategy: three({ onStatusReason: 'CannotPullContainerError*', action: 'RETRY' }), attempt: 1, end: IMAGE_PULL }, retried(2, 'RULE')],
  ['onStatusReason is case-sensitive', { strategy: three({ onStatusReason: 'cannotpull*', action: 'EXIT' }), attempt: 1, end: IMAGE_PULL }, retried(2, 'NO_RULE_MATCHED')],
  ['onReason: the container\'s reason', { strategy: three({ onReason: 'OutOfMemoryError*', action: 'EXIT' }), attempt: 1, end: OOM }, stops('EXIT_RULE')],
  ['a rule applies only when all its conditions match (exit code matches, reason does not)', { strategy: three({ onExitCode: '137', onReason: 'Timeout*', action: 'EXIT' }), attempt: 1, end: OOM }, retried(2, 'NO_RULE_MATCHED')],
  ['a rule applies when all its conditions match', { strategy: three({ onExitCode: '137', onReason: 'OutOfMemory*', action: 'EXIT' }), attempt: 1, end: OOM }, stops('EXIT_RULE')],
  ['the first rule that matches wins (RETRY before EXIT)', { strategy: three({ onExitCode: '1', action: 'RETRY' }, { onExitCode: '*', action: 'EXIT' }), attempt: 1, end: exit(1) }, retried(2, 'RULE')],
  ['the first rule that matches wins (EXIT before RETRY)', { strategy: three({ onExitCode: '*', action: 'EXIT' }, { onExitCode: '1', action: 'RETRY' }), attempt: 1, end: exit(1) }, stops('EXIT_RULE')],
  ['the usual pair: retry a Spot interruption, exit on anything else', { strategy: three({ onStatusReason: 'Your Spot Task*', action: 'RETRY' }, { onReason: '*', action: 'EXIT' }, { onExitCode: '*', action: 'EXIT' }), attempt: 1, end: exit(2) }, stops('EXIT_RULE')],
  // No rule, or none that matches: retried while attempts remain.
  ['no rules: retried', { strategy: three(), attempt: 1, end: exit(1) }, retried(2, 'NO_RULE_MATCHED')],
  ['no rule matches: retried', { strategy: three({ onExitCode: '2', action: 'EXIT' }), attempt: 2, end: exit(1) }, retried(3, 'NO_RULE_MATCHED')],
  ['a RETRY rule matches but the attempts are used up', { strategy: three({ onExitCode: '*', action: 'RETRY' }), attempt: 3, end: exit(1) }, stops('ATTEMPTS_EXHAUSTED')],
  ['the attempts are used up', { strategy: three(), attempt: 3, end: exit(1) }, stops('ATTEMPTS_EXHAUSTED')],
  ['attempts: 1 never retries', { strategy: { attempts: 1 }, attempt: 1, end: exit(1) }, stops('ATTEMPTS_EXHAUSTED')],
  ['no strategy: one attempt', { strategy: undefined, attempt: 1, end: exit(1) }, stops('ATTEMPTS_EXHAUSTED')],
  ['a start failure follows the rules as any failure', { strategy: three(), attempt: 1, end: { status: 'FAILED', exitCode: null, category: 'START_FAILED', statusReason: 'ECS refused to start the task' } }, retried(2, 'NO_RULE_MATCHED')],
  // Never retried.
  ['a success is never retried', { strategy: three(), attempt: 1, end: { status: 'SUCCEEDED', exitCode: 0 } }, stops('SUCCEEDED')],
  ['a cancelled job is never retried, whatever the rules', { strategy: three({ onExitCode: '*', action: 'RETRY' }), attempt: 1, end: { status: 'CANCELLED', exitCode: 143, category: 'CANCELLED' } }, stops('NEVER_RETRIED')],
  ['a timed-out job is never retried', { strategy: three(), attempt: 1, end: { status: 'TIMED_OUT', exitCode: 143, category: 'TIMEOUT' } }, stops('NEVER_RETRIED')],
  ['an outcome nobody saw is never retried (it may have done its work)', { strategy: three(), attempt: 1, end: { status: 'FAILED', exitCode: null, category: 'OUTCOME_UNKNOWN' } }, stops('NEVER_RETRIED')],
  // The capacity stays the attempt's.
  ['a retry keeps the capacity the attempt ran on', { strategy: three(), attempt: 1, end: exit(1), capacity: 'FARGATE_SPOT' }, retried(2, 'NO_RULE_MATCHED', 'FARGATE_SPOT')],
  // Spot fallback: an extra attempt on FARGATE, whatever the rules and attempts say.
  ['Spot fallback after an interruption, with no retry rules at all', { strategy: undefined, attempt: 1, end: SPOT_INTERRUPTED, capacity: 'FARGATE_SPOT', fallback: 'FARGATE' }, retried(2, 'SPOT_FALLBACK', 'FARGATE')],
  ['Spot fallback when RunTask had no Spot capacity', { strategy: { attempts: 1 }, attempt: 1, end: NO_CAPACITY, capacity: 'FARGATE_SPOT', fallback: 'FARGATE' }, retried(2, 'SPOT_FALLBACK', 'FARGATE')],
  ['Spot fallback even where an EXIT rule matches', { strategy: three({ onExitCode: '*', action: 'EXIT' }), attempt: 1, end: SPOT_INTERRUPTED, capacity: 'FARGATE_SPOT', fallback: 'FARGATE' }, retried(2, 'SPOT_FALLBACK', 'FARGATE')],
  ['Spot fallback past the last attempt: one more', { strategy: three(), attempt: 3, end: SPOT_INTERRUPTED, capacity: 'FARGATE_SPOT', fallback: 'FARGATE' }, retried(4, 'SPOT_FALLBACK', 'FARGATE')],
  ['after the fallback the rules decide again, on FARGATE', { strategy: three(), attempt: 2, end: exit(1), capacity: 'FARGATE' }, retried(3, 'NO_RULE_MATCHED', 'FARGATE')],
  ['a cancelled Spot attempt falls back to nothing', { strategy: three(), attempt: 1, end: { status: 'CANCELLED', exitCode: 143, category: 'CANCELLED' }, capacity: 'FARGATE_SPOT', fallback: 'FARGATE' }, stops('NEVER_RETRIED')],
];

describe('decideRetry: AWS Batch evaluateOnExit semantics', () => {
  for (const [name, question, expected] of TABLE) {
    test(name, () => {
      assert.deepEqual(decideRetry(question), expected);
    });
  }
});

describe('patternMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['7', '7', true],
    ['7', '70', false],
    ['7*', '70', true],
    ['7*', '7', true],
    ['*', '', true],
    ['Essential container*', 'Essential container in task exited', true],
    ['Essential container', 'Essential container in task exited', false],
    // A `*` anywhere but at the end is no wildcard (Batch refuses such a pattern; schemas.ts does too).
    ['Ess*tial', 'Essential', false],
  ];
  for (const [pattern, value, expected] of cases) {
    test(`'${pattern}' ${expected ? 'matches' : 'does not match'} '${value}'`, () => {
      assert.equal(patternMatches(pattern, value), expected);
    });
  }
});

describe('resolveRetryStrategy: the profile sets a default and a maximum', () => {
  const generous = { name: 'default', retry: { maxAttempts: 10, default: { attempts: 2 } } };
  const strict = { name: 'echo' };

  test("a job that asks for none gets the profile's default", () => {
    assert.deepEqual(resolveRetryStrategy(generous, undefined), { attempts: 2 });
    assert.equal(resolveRetryStrategy(strict, undefined), undefined);
  });

  test('a job within the maximum gets what it asks for, its actions in upper case (Batch takes any case)', () => {
    const requested = { attempts: 10, evaluateOnExit: [{ onExitCode: '1', action: 'exit' as 'EXIT' }] };
    assert.deepEqual(resolveRetryStrategy(generous, requested), { attempts: 10, evaluateOnExit: [{ onExitCode: '1', action: 'EXIT' }] });
  });

  test("a job over the profile's maximum is refused, naming the profile and its maximum", () => {
    assert.throws(() => resolveRetryStrategy({ name: 'small', retry: { maxAttempts: 3 } }, { attempts: 4 }), {
      code: 'RETRY_NOT_ALLOWED',
      message: "retry.attempts 4 is over profile 'small' maximum of 3",
    });
  });

  test('a profile that sets no maximum retries nothing: attempts 1 is all a job may ask for', () => {
    assert.deepEqual(resolveRetryStrategy(strict, { attempts: 1 }), { attempts: 1 });
    assert.throws(() => resolveRetryStrategy(strict, { attempts: 2 }), { code: 'RETRY_NOT_ALLOWED', message: /profile 'echo' does not retry jobs/ });
  });
});

describe('checkRetrySettings: a profile no job could keep to stops the server', () => {
  const valid = [{}, { maxAttempts: 1 }, { maxAttempts: 10, default: { attempts: 3, evaluateOnExit: [{ onExitCode: '1*', action: 'EXIT' as const }] } }];
  for (const retry of valid) {
    test(`takes ${JSON.stringify(retry)}`, () => {
      assert.doesNotThrow(() => checkRetrySettings({ name: 'p', retry }));
    });
  }

  const invalid: Array<[string, Parameters<typeof checkRetrySettings>[0]['retry'], RegExp]> = [
    ['a maximum over Batch\'s 10', { maxAttempts: 11 }, /retry.maxAttempts 11: expected a whole number from 1 to 10/],
    ['a maximum of 0', { maxAttempts: 0 }, /retry.maxAttempts 0/],
    ['a default over the maximum', { maxAttempts: 2, default: { attempts: 3 } }, /retry.default of 3 attempts: expected 1 to its retry.maxAttempts \(2\)/],
    ['a default pattern Batch refuses', { maxAttempts: 3, default: { attempts: 2, evaluateOnExit: [{ onExitCode: 'x', action: 'EXIT' }] } }, /rules the API would refuse.*\(rule 1\)/],
  ];
  for (const [name, retry, message] of invalid) {
    test(`refuses ${name}, naming the profile`, () => {
      assert.throws(() => checkRetrySettings({ name: 'build', retry }), { name: 'ConfigError', message: new RegExp(`profile 'build' .*${message.source}`) });
    });
  }

  test('the shipped profiles keep to it', async () => {
    const { awsProfiles, localProfiles } = await import('#config/profiles.ts');
    const aws = awsProfiles({ cluster: 'c', subnets: ['subnet-1'], securityGroups: ['sg-1'], logGroup: '/jobs', taskDefinitionPrefix: 'fargate-jobs-dev' });
    for (const profile of [...localProfiles, ...aws]) assert.doesNotThrow(() => checkRetrySettings(profile), profile.name);
  });
});
