import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRateLimit, RateLimiter } from '#local/rate-limiter.ts';

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('RateLimiter', () => {
  it('lets a burst through, then refuses with the seconds until the next request may go', () => {
    // Prepare
    const time = clock();
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3 }, time.now);

    // Act
    const decisions = Array.from({ length: 4 }, () => limiter.take('ci'));

    // Assess
    assert.deepEqual(decisions, [{ allowed: true }, { allowed: true }, { allowed: true }, { allowed: false, retryAfterSeconds: 1 }]);
  });

  it('refills at the rate, up to the burst', () => {
    // Prepare
    const time = clock();
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3 }, time.now);
    for (let index = 0; index < 3; index += 1) limiter.take('ci');

    // Act
    time.advance(500);
    const afterHalfASecond = [limiter.take('ci'), limiter.take('ci')];
    time.advance(60_000);
    const afterAMinute = Array.from({ length: 4 }, () => limiter.take('ci'));

    // Assess
    assert.deepEqual(afterHalfASecond, [{ allowed: true }, { allowed: false, retryAfterSeconds: 1 }]);
    assert.deepEqual(afterAMinute.map((decision) => decision.allowed), [true, true, true, false]);
  });

  it('keeps one bucket per caller', () => {
    // Prepare
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1 }, clock().now);

    // Act
    const decisions = [limiter.take('ci'), limiter.take('ci'), limiter.take('slack')];

    // Assess
    assert.deepEqual(decisions.map((decision) => decision.allowed), [true, false, true]);
  });

  it('says a slow rate makes the caller wait longer', () => {
    const limiter = new RateLimiter({ ratePerSecond: 0.1, burst: 1 }, clock().now);
    limiter.take('ci');
    assert.deepEqual(limiter.take('ci'), { allowed: false, retryAfterSeconds: 10 });
  });
});

describe('parseRateLimit', () => {
  it('reads <rate>/<burst>', () => {
    assert.deepEqual(parseRateLimit('20/40'), { ratePerSecond: 20, burst: 40 });
    assert.deepEqual(parseRateLimit('0.5/1'), { ratePerSecond: 0.5, burst: 1 });
  });

  it('refuses anything else with a message that shows the form', () => {
    for (const text of ['20', '0/5', '5/0', 'fast', '']) {
      assert.throws(() => parseRateLimit(text), /'<requests per second>\/<burst>'/);
    }
  });
});
