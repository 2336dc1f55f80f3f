/** Errors as a client meets them: one of ours, with the HTTP status the API answers for its code. */
import assert from 'node:assert/strict';
import { FargateJobsError } from '#lib/domain/errors.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';

/**
 * For `assert.rejects`/`assert.throws`: the error is ours, answered with `status`, and has the
 * expected code (and message, where given).
 */
export function answeredWith(status: number, expected: { code: string; message?: string }): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof FargateJobsError, `expected a FargateJobsError, got ${String(error)}`);
    assert.equal(httpStatusOf(error), status, error.message);
    assert.equal(error.code, expected.code, error.message);
    if (expected.message !== undefined) assert.equal(error.message, expected.message);
    return true;
  };
}
