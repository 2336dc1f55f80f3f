/** The exit code `fargate-jobs run`/`wait` ends with, for every finished status and failure category. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMAND_NOT_FOUND_STOP_CODE, EXIT, exitCodeOf, exitCodeOfRefusal, type FinishedJob } from '#cli/exit-codes.ts';
import { COMMAND_NOT_FOUND } from '#lib/adapters/local/process-task-runner.ts';
import { FAILURE_CATEGORIES, type FailureCategory } from '#lib/domain/job.ts';

const failed = (category: FailureCategory, exitCode: number | null, message = 'it failed'): FinishedJob => ({
  status: 'FAILED',
  exitCode,
  failure: { category, message },
});

describe('exitCodeOf', () => {
  it('is the container\'s exit code when it ran', () => {
    assert.equal(exitCodeOf({ status: 'SUCCEEDED', exitCode: 0 }), 0);
    assert.equal(exitCodeOf(failed('USER_EXIT', 3)), 3);
    assert.equal(exitCodeOf(failed('USER_EXIT', 255)), 255);
  });

  it('is 124 for a job that timed out, whatever its container\'s code', () => {
    assert.equal(exitCodeOf({ status: 'TIMED_OUT', exitCode: 143, failure: { category: 'TIMEOUT', message: 'timed out' } }), 124);
    assert.equal(exitCodeOf({ status: 'TIMED_OUT', exitCode: null }), 124);
    assert.equal(exitCodeOf(failed('TIMEOUT', null)), 124);
  });

  it('is 125 for a job that never started', () => {
    for (const category of ['START_FAILED', 'IMAGE_PULL', 'RESOURCE_INIT', 'CAPACITY'] as const) {
      assert.equal(exitCodeOf(failed(category, null, 'CannotPullContainerError: no such image')), 125, category);
    }
  });

  it('is 127 for a command the local runner could not find, by its stop code (or its message)', () => {
    const notFound: FinishedJob = { status: 'FAILED', exitCode: null, failure: { category: 'START_FAILED', stopCode: COMMAND_NOT_FOUND, message: 'whatever it says' } };
    assert.equal(COMMAND_NOT_FOUND_STOP_CODE, COMMAND_NOT_FOUND, "the runner's marker");
    assert.equal(exitCodeOf(notFound), 127);
    assert.equal(exitCodeOf(failed('START_FAILED', null, "could not start 'no-such-command-xyz': no such file or command")), 127);
    assert.equal(exitCodeOf(failed('START_FAILED', null, "could not start './deploy.sh': permission denied")), 125);
  });

  it('keeps the container\'s code for a spot interruption, an OOM kill or an internal failure, else 125', () => {
    for (const category of ['SPOT_INTERRUPTED', 'OOM', 'INTERNAL'] as const) {
      assert.equal(exitCodeOf(failed(category, 137)), 137, category);
      assert.equal(exitCodeOf(failed(category, null)), 125, category);
    }
  });

  it('is the container\'s code for a job cancelled by someone else, else 130', () => {
    assert.equal(exitCodeOf({ status: 'CANCELLED', exitCode: 143, failure: { category: 'CANCELLED', message: 'cancelled by ci' } }), 143);
    assert.equal(exitCodeOf({ status: 'CANCELLED', exitCode: null, failure: { category: 'CANCELLED', message: 'cancelled by ci' } }), 130);
  });

  it('gives every failure category a code', () => {
    for (const category of FAILURE_CATEGORIES) assert.equal(typeof exitCodeOf(failed(category, null)), 'number', category);
  });

  it('refuses a status that is not finished', () => {
    assert.throws(() => exitCodeOf({ status: 'RUNNING', exitCode: null }), /not a finished one/);
  });
});

describe('exitCodeOfRefusal', () => {
  it('is 125 when the API refused the job itself, 1 for credentials and the rest', () => {
    assert.deepEqual([400, 409, 413].map(exitCodeOfRefusal), [EXIT.NOT_STARTED, EXIT.NOT_STARTED, EXIT.NOT_STARTED]);
    assert.deepEqual([401, 403, 404, 429, 500].map(exitCodeOfRefusal), [1, 1, 1, 1, 1]);
  });
});
