import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isJobId, JOB_ID_PATTERN, jobIdForIdempotencyKey, newJobId } from '#lib/domain/ids.ts';

describe('newJobId', () => {
  it("is 'job-' and 26 lower-case Crockford base32 characters", () => {
    // Act
    const id = newJobId();

    // Assess
    assert.match(id, JOB_ID_PATTERN);
    assert.equal(id.length, 30);
    assert.equal(isJobId(id), true);
  });

  it('gives a different id to each job created in the same millisecond', () => {
    // Prepare
    const now = new Date('2025-06-01T12:00:00.000Z');

    // Act
    const ids = new Set(Array.from({ length: 1000 }, () => newJobId(now)));

    // Assess
    assert.equal(ids.size, 1000);
  });

  it('sorts ids by creation time, millisecond by millisecond', () => {
    // Prepare
    const start = Date.parse('2025-06-01T12:00:00.000Z');
    const times = [0, 1, 2, 999, 1000, 60_000, 86_400_000].map((offset) => new Date(start + offset));

    // Act
    const ids = times.map((time) => newJobId(time));

    // Assess
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('keeps time order across a change in the number of leading time digits', () => {
    // Prepare
    const early = new Date(1);
    const late = new Date('2100-01-01T00:00:00.000Z');

    // Act
    const earlyId = newJobId(early);
    const lateId = newJobId(late);

    // Assess
    assert.ok(earlyId < lateId, `${earlyId} should sort before ${lateId}`);
    assert.match(earlyId, JOB_ID_PATTERN);
    assert.match(lateId, JOB_ID_PATTERN);
  });
});

describe('jobIdForIdempotencyKey', () => {
  it('gives the same id for the same caller and key', () => {
    // Act
    const first = jobIdForIdempotencyKey('ci-token', 'deploy-2025-06-01');
    const second = jobIdForIdempotencyKey('ci-token', 'deploy-2025-06-01');

    // Assess
    assert.equal(first, second);
  });

  it('gives a valid job id', () => {
    // Act
    const id = jobIdForIdempotencyKey('ci-token', 'deploy-2025-06-01');

    // Assess
    assert.match(id, JOB_ID_PATTERN);
    assert.equal(isJobId(id), true);
  });

  it('gives different callers different jobs for the same key', () => {
    // Act
    const alice = jobIdForIdempotencyKey('alice', 'retry-1');
    const bob = jobIdForIdempotencyKey('bob', 'retry-1');

    // Assess
    assert.notEqual(alice, bob);
  });

  it('gives different keys of one caller different jobs', () => {
    // Act
    const ids = new Set(['a', 'b', 'retry-1', 'retry-2', ''].map((key) => jobIdForIdempotencyKey('alice', key)));

    // Assess
    assert.equal(ids.size, 5);
  });

  it('does not confuse caller and key boundaries', () => {
    // Act
    const first = jobIdForIdempotencyKey('ab', 'c');
    const second = jobIdForIdempotencyKey('a', 'bc');

    // Assess
    assert.notEqual(first, second);
  });

  it('matches the pattern for many callers and keys', () => {
    // Act
    const invalid = Array.from({ length: 500 }, (_, index) => jobIdForIdempotencyKey(`caller-${index % 7}`, `key-${index}`)).filter(
      (id) => !JOB_ID_PATTERN.test(id),
    );

    // Assess
    assert.deepEqual(invalid, []);
  });
});

describe('isJobId', () => {
  it('refuses strings that are not job ids', () => {
    // Prepare
    const valid = newJobId();
    const candidates = [
      '',
      'job-',
      valid.toUpperCase(),
      `${valid}0`,
      valid.slice(0, -1),
      `job-${'i'.repeat(26)}`,
      `../${valid}`,
      'job-01hzzzzzzzzzzzzzzzzzzzzzz!',
    ];

    // Act
    const accepted = candidates.filter(isJobId);

    // Assess
    assert.deepEqual(accepted, []);
  });
});
