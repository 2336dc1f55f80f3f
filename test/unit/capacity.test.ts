/**
 * Which Fargate capacity provider a job's attempts start on: the profile's first, and FARGATE after
 * Spot failed a `spot-first` attempt (no Spot capacity at RunTask, or the task taken back), once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CAPACITIES, checkCapacitySettings, fallbackCapacity, firstCapacity, isCapacity, type Capacity } from '#lib/domain/capacity.ts';
import { classifyStop } from '#lib/domain/classify-stop.ts';
import type { FailureCategory, JobFailure } from '#lib/domain/job.ts';

const NO_SPOT_CAPACITY = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';

function failure(category: FailureCategory): JobFailure {
  return { category, message: `a ${category} failure` };
}

describe('firstCapacity', () => {
  const cases: Array<[Capacity | undefined, string | undefined]> = [
    ['on-demand', 'FARGATE'],
    ['spot', 'FARGATE_SPOT'],
    ['spot-first', 'FARGATE_SPOT'],
    // Local mode's process profiles run no ECS task.
    [undefined, undefined],
  ];
  for (const [capacity, expected] of cases) {
    it(`starts a profile of capacity ${capacity ?? '(none)'} on ${expected ?? 'no capacity provider'}`, () => {
      // Act
      const provider = firstCapacity(capacity === undefined ? {} : { capacity });

      // Assess
      assert.equal(provider, expected);
    });
  }
});

describe('fallbackCapacity', () => {
  const cases: Array<{ capacity: Capacity | undefined; attempt: { capacity?: string; failure?: JobFailure }; expected: 'FARGATE' | undefined; why: string }> = [
    { capacity: 'spot-first', attempt: { capacity: 'FARGATE_SPOT', failure: failure('CAPACITY') }, expected: 'FARGATE', why: 'RunTask had no Spot capacity' },
    { capacity: 'spot-first', attempt: { capacity: 'FARGATE_SPOT', failure: failure('SPOT_INTERRUPTED') }, expected: 'FARGATE', why: 'Spot took the task back' },
    { capacity: 'spot-first', attempt: { capacity: 'FARGATE', failure: failure('CAPACITY') }, expected: undefined, why: 'the attempt already ran on demand: it falls back once' },
    { capacity: 'spot-first', attempt: { capacity: 'FARGATE', failure: failure('SPOT_INTERRUPTED') }, expected: undefined, why: 'an on-demand attempt is never Spot-interrupted' },
    { capacity: 'spot-first', attempt: { capacity: 'FARGATE_SPOT', failure: failure('USER_EXIT') }, expected: undefined, why: 'the command failed, not Spot' },
    { capacity: 'spot-first', attempt: { capacity: 'FARGATE_SPOT', failure: failure('OOM') }, expected: undefined, why: 'the command ran out of memory, on any capacity' },
    { capacity: 'spot-first', attempt: { capacity: 'FARGATE_SPOT', failure: failure('START_FAILED') }, expected: undefined, why: 'the task could not start for a reason of its own' },
    { capacity: 'spot-first', attempt: { capacity: 'FARGATE_SPOT', failure: failure('TIMEOUT') }, expected: undefined, why: 'the job ran out of time' },
    { capacity: 'spot-first', attempt: { capacity: 'FARGATE_SPOT', failure: failure('CANCELLED') }, expected: undefined, why: 'someone cancelled it' },
    { capacity: 'spot-first', attempt: { capacity: 'FARGATE_SPOT' }, expected: undefined, why: 'the attempt did not fail' },
    { capacity: 'spot-first', attempt: { failure: failure('SPOT_INTERRUPTED') }, expected: undefined, why: 'the attempt has no capacity recorded' },
    { capacity: 'spot', attempt: { capacity: 'FARGATE_SPOT', failure: failure('CAPACITY') }, expected: undefined, why: 'a spot profile stays on Spot' },
    { capacity: 'spot', attempt: { capacity: 'FARGATE_SPOT', failure: failure('SPOT_INTERRUPTED') }, expected: undefined, why: 'a spot profile stays on Spot' },
    { capacity: 'on-demand', attempt: { capacity: 'FARGATE', failure: failure('CAPACITY') }, expected: undefined, why: 'an on-demand profile has nothing to fall back to' },
    { capacity: undefined, attempt: { failure: failure('CAPACITY') }, expected: undefined, why: 'a profile of local processes has no capacity' },
  ];
  for (const { capacity, attempt, expected, why } of cases) {
    it(`${capacity ?? '(none)'}, an attempt on ${attempt.capacity ?? '(unrecorded)'} failed ${attempt.failure?.category ?? '(none)'} → ${expected ?? 'no change'}: ${why}`, () => {
      // Act
      const next = fallbackCapacity(capacity === undefined ? {} : { capacity }, attempt);

      // Assess
      assert.equal(next, expected);
    });
  }

  it('falls back on the failures classifyStop gives a Spot interruption and its termination notice', () => {
    for (const stopCode of ['SpotInterruption', 'TerminationNotice']) {
      // Prepare: the container got SIGTERM (143), or was gone before it reported.
      for (const exitCode of [143, null]) {
        const outcome = classifyStop({ stopCode, stoppedReason: 'Your Spot Task was interrupted.', exitCode });

        // Act
        const next = fallbackCapacity({ capacity: 'spot-first' }, { capacity: 'FARGATE_SPOT', ...(outcome.failure ? { failure: outcome.failure } : {}) });

        // Assess
        assert.equal(next, 'FARGATE', `${stopCode}, exit code ${exitCode}`);
      }
    }
  });

  it("falls back on RunTask's own words for no Spot capacity, as the ECS runner classifies them", () => {
    // Prepare: what the runner reports for them (ecs-task-runner.test.ts proves it on RunTask's answer).
    const failed: JobFailure = { category: 'CAPACITY', message: `the task could not be started: ${NO_SPOT_CAPACITY}` };

    // Act + Assess
    assert.equal(fallbackCapacity({ capacity: 'spot-first' }, { capacity: 'FARGATE_SPOT', failure: failed }), 'FARGATE');
  });
});

describe('isCapacity', () => {
  it('takes exactly on-demand, spot and spot-first', () => {
    assert.deepEqual([...CAPACITIES], ['on-demand', 'spot', 'spot-first']);
    for (const value of CAPACITIES) assert.equal(isCapacity(value), true, value);
    for (const value of ['', 'ondemand', 'SPOT', 'FARGATE_SPOT', 'spot-last', ' spot']) assert.equal(isCapacity(value), false, JSON.stringify(value));
  });
});

describe('checkCapacitySettings', () => {
  it('takes every capacity, no capacity, and a stopTimeout from 2 to 120', () => {
    for (const capacity of [...CAPACITIES, undefined]) {
      for (const stopTimeout of [2, 30, 120, undefined]) {
        assert.doesNotThrow(() => checkCapacitySettings({ name: 'p', ...(capacity ? { capacity } : {}), ...(stopTimeout ? { stopTimeout } : {}) }));
      }
    }
  });

  it('refuses a stopTimeout Fargate would not take, naming the profile and the range', () => {
    for (const stopTimeout of [0, 1, 121, 300, 30.5, Number.NaN]) {
      assert.throws(() => checkCapacitySettings({ name: 'build', stopTimeout }), {
        name: 'ConfigError',
        message: `profile 'build' has stopTimeout ${stopTimeout}: Fargate takes a whole number of seconds from 2 to 120`,
      });
    }
  });

  it('refuses a capacity that is not one of the three, naming them', () => {
    assert.throws(() => checkCapacitySettings({ name: 'build', capacity: 'cheap' as Capacity }), {
      name: 'ConfigError',
      message: "profile 'build' has capacity 'cheap': expected one of on-demand, spot, spot-first",
    });
  });
});
