import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '#lib/domain/errors.ts';
import { parseWith } from '#lib/http/request.ts';
import { createJobBody } from '#lib/http/schemas.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';

/** Asserts that `parse` throws a 400 VALIDATION_FAILED; returns the error for its message and details. */
function validationErrorOf(parse: () => unknown): ValidationError {
  let caught: unknown;
  assert.throws(parse, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof ValidationError, `expected a ValidationError, got ${String(caught)}`);
  assert.equal(httpStatusOf(caught), 400);
  assert.equal(caught.code, 'VALIDATION_FAILED');
  return caught;
}

describe('parseWith', () => {
  it('returns the value when it is valid', () => {
    // Act
    const body = parseWith(createJobBody, { command: ['npm', 'test'], labels: { team: 'platform' } }, 'the request body');

    // Assess
    assert.deepEqual(body, { command: ['npm', 'test'], labels: { team: 'platform' } });
  });

  it('names what was not valid and the path and reason of each problem', () => {
    // Act
    const error = validationErrorOf(() => parseWith(createJobBody, { command: 5, timeoutSeconds: 0 }, 'the request body'));

    // Assess
    assert.equal(error.message, 'the request body is not valid');
    assert.deepEqual(
      error.details?.map((detail) => detail.path),
      ['command', 'timeoutSeconds'],
    );
    assert.match(error.details?.[0]?.message ?? '', /must be an array of strings/);
  });

  it('lists every unknown field on its own, so a typo is easy to spot', () => {
    // Act
    const error = validationErrorOf(() => parseWith(createJobBody, { command: ['true'], colour: 'red', timeout: 60 }, 'the request body'));

    // Assess
    assert.deepEqual(error.details, [
      { path: 'colour', message: 'unknown field' },
      { path: 'timeout', message: 'unknown field' },
    ]);
  });

  it('calls a bad environment variable name an invalid name, at its path', () => {
    // Act
    const error = validationErrorOf(() => parseWith(createJobBody, { command: ['true'], env: { '1BAD': 'x' } }, 'the request body'));

    // Assess
    assert.deepEqual(error.details, [{ path: 'env.1BAD', message: 'invalid name' }]);
  });

  it('reports a value of the wrong type as a whole at (root)', () => {
    // Act
    const error = validationErrorOf(() => parseWith(createJobBody, 'npm test', 'the request body'));

    // Assess
    assert.equal(error.details?.[0]?.path, '(root)');
    assert.equal(error.details?.length, 1);
  });
});
