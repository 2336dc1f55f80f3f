import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_STOP_POLL_SECONDS, nextPollDelay, pollDelayBefore } from '#lib/domain/polling.ts';

describe('nextPollDelay', () => {
  it('backs off 5, 10, 20, 40 s and then stays at 60 s', () => {
    // Act
    const delays = [0, 1, 2, 3, 4, 5, 6, 10].map(nextPollDelay);

    // Assess
    assert.deepEqual(delays, [5, 10, 20, 40, 60, 60, 60, 60]);
  });

  it('never waits longer than the cap, however many polls have gone by', () => {
    // Act
    const delay = nextPollDelay(1000);

    // Assess
    assert.equal(delay, MAX_STOP_POLL_SECONDS);
  });

  it('treats a negative attempt as the first poll', () => {
    // Act
    const delay = nextPollDelay(-3);

    // Assess
    assert.equal(delay, 5);
  });

  it('polls a job-hour far less often than a fixed 5 s interval would', () => {
    // Prepare
    let elapsedSeconds = 0;
    let polls = 0;

    // Act
    while (elapsedSeconds < 3600) {
      elapsedSeconds += nextPollDelay(polls);
      polls += 1;
    }

    // Assess
    assert.ok(polls < 80, `expected fewer than 80 polls in an hour, got ${polls}`);
  });
});

describe('pollDelayBefore', () => {
  const now = new Date('2025-06-01T12:00:00.000Z');
  const secondsLater = (seconds: number): Date => new Date(now.getTime() + seconds * 1000);

  it('uses the backoff when there is no deadline', () => {
    // Act
    const delay = pollDelayBefore(undefined, now, 4);

    // Assess
    assert.equal(delay, 60);
  });

  it('uses the backoff when the deadline is further away than the delay', () => {
    // Act
    const delay = pollDelayBefore(secondsLater(600), now, 2);

    // Assess
    assert.equal(delay, 20);
  });

  it('wakes up at the deadline instead of sleeping past it', () => {
    // Act
    const delay = pollDelayBefore(secondsLater(12), now, 4);

    // Assess
    assert.equal(delay, 12);
  });

  it('rounds a fractional remainder up to whole seconds so the deadline has passed on waking', () => {
    // Act
    const delay = pollDelayBefore(secondsLater(7.2), now, 4);

    // Assess
    assert.equal(delay, 8);
  });

  it('waits at least 1 s when the deadline is about to pass', () => {
    // Act
    const delay = pollDelayBefore(secondsLater(0.3), now, 4);

    // Assess
    assert.equal(delay, 1);
  });

  it('waits at least 1 s when the deadline has already passed, never zero or negative', () => {
    // Act
    const delays = [0, -1, -30, -3600].map((seconds) => pollDelayBefore(secondsLater(seconds), now, 4));

    // Assess
    assert.deepEqual(delays, [1, 1, 1, 1]);
  });

  it('stays between 1 s and the backoff delay for every attempt and remaining time', () => {
    // Prepare
    const remainders = [-10, 0, 0.5, 1, 3, 9.9, 15, 45, 59, 61, 3600];

    for (let attempt = 0; attempt < 8; attempt += 1) {
      for (const seconds of remainders) {
        // Act
        const delay = pollDelayBefore(secondsLater(seconds), now, attempt);

        // Assess
        assert.ok(delay >= 1, `attempt ${attempt}, ${seconds} s left: delay ${delay} < 1`);
        assert.ok(delay <= nextPollDelay(attempt), `attempt ${attempt}, ${seconds} s left: delay ${delay} over backoff`);
        assert.ok(Number.isInteger(delay), `attempt ${attempt}, ${seconds} s left: delay ${delay} not whole seconds`);
        if (seconds >= 1) assert.ok(delay <= Math.ceil(seconds), `attempt ${attempt}: sleeps past a deadline ${seconds} s away`);
      }
    }
  });
});
