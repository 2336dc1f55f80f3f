import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '#lib/domain/errors.ts';
import { parseQuery, parseWith } from '#lib/http/request.ts';
import { createJobBody, jobLogsQuery, listJobsQuery } from '#lib/http/schemas.ts';
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
    assert.match(error.message, /^the request body is not valid: command: .*must be an array of strings.*; timeoutSeconds: /);
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

  it('says how many items an argv over 1000 has, not that it is neither an argv nor a string', () => {
    // Act
    const error = validationErrorOf(() => parseWith(createJobBody, { command: Array.from({ length: 1001 }, () => 'x') }, 'the request body'));

    // Assess
    assert.deepEqual(error.details, [{ path: 'command', message: 'command has 1001 items; at most 1000' }]);
  });

  it('points at the argument of an argv that is wrong, as an argv', () => {
    // Act
    const error = validationErrorOf(() => parseWith(createJobBody, { command: ['echo', 'a\u0000b', 7] }, 'the request body'));

    // Assess
    assert.deepEqual(error.details, [
      { path: 'command.1', message: 'must not contain NUL characters' },
      { path: 'command.2', message: 'Invalid input: expected string, received number' },
    ]);
  });

  it('leaves a cpu or memory past any Fargate size to the domain (INVALID_TASK_SIZE), refusing only what is not a positive whole number', () => {
    // Act
    const huge = parseWith(createJobBody, { command: ['true'], cpu: 2 ** 53, memory: 1e308 }, 'the request body');
    const fraction = validationErrorOf(() => parseWith(createJobBody, { command: ['true'], cpu: 256.5 }, 'the request body'));
    const negative = validationErrorOf(() => parseWith(createJobBody, { command: ['true'], memory: -512 }, 'the request body'));

    // Assess
    assert.equal(huge.cpu, 2 ** 53);
    assert.equal(huge.memory, 1e308);
    assert.deepEqual(fraction.details, [{ path: 'cpu', message: 'must be a whole number' }]);
    assert.deepEqual(negative.details?.map((detail) => detail.path), ['memory']);
  });
});

describe('parseQuery', () => {
  it('takes a parameter given empty as one not given', () => {
    // Act
    const logs = parseQuery(jobLogsQuery, { queryStringParameters: { cursor: '', limit: '' } });
    const list = parseQuery(listJobsQuery, { queryStringParameters: { status: '', profile: '', cursor: '', limit: '' } });
    const some = parseQuery(listJobsQuery, { queryStringParameters: { status: 'RUNNING', limit: '' } });

    // Assess
    assert.deepEqual(logs, {});
    assert.deepEqual(list, {});
    assert.deepEqual(some, { status: 'RUNNING' });
  });

  it('still refuses a parameter it does not know, even empty, and a known one that is not valid', () => {
    // Act
    const unknown = validationErrorOf(() => parseQuery(listJobsQuery, { queryStringParameters: { sort: '' } }));
    const invalid = validationErrorOf(() => parseQuery(listJobsQuery, { queryStringParameters: { limit: '0' } }));

    // Assess
    assert.equal(unknown.message, 'the query string is not valid: sort: unknown field');
    assert.deepEqual(unknown.details, [{ path: 'sort', message: 'unknown field' }]);
    assert.deepEqual(invalid.details?.map((detail) => detail.path), ['limit']);
  });

  it('names the range of a page size over its maximum in the message, which is all a CLI or curl user sees', () => {
    // Act
    const jobs = validationErrorOf(() => parseQuery(listJobsQuery, { queryStringParameters: { limit: '500' } }));
    const lines = validationErrorOf(() => parseQuery(jobLogsQuery, { queryStringParameters: { limit: 'ten' } }));

    // Assess
    assert.equal(jobs.message, 'the query string is not valid: limit: must be a whole number from 1 to 100');
    assert.equal(lines.message, 'the query string is not valid: limit: must be a whole number from 1 to 10000');
  });

  it('names at most three problems in the message, and how many more the details hold', () => {
    // Act
    const error = validationErrorOf(() => parseWith(createJobBody, { command: ['true'], a: 1, b: 2, c: 3, d: 4, e: 5 }, 'the request body'));

    // Assess
    assert.equal(error.message, 'the request body is not valid: a: unknown field; b: unknown field; c: unknown field (and 2 more)');
    assert.equal(error.details?.length, 5);
  });
});

describe('createJobBody: retry', () => {
  it("takes AWS Batch's retryStrategy, its action in any case, kept upper case", () => {
    // Act
    const body = parseWith(
      createJobBody,
      { command: ['true'], retry: { attempts: 3, evaluateOnExit: [{ onStatusReason: 'Host EC2*', action: 'retry' }, { onExitCode: '1*', onReason: 'Out Of:Memory.\t*', action: 'Exit' }] } },
      'the request body',
    );

    // Assess
    assert.deepEqual(body.retry, { attempts: 3, evaluateOnExit: [{ onStatusReason: 'Host EC2*', action: 'RETRY' }, { onExitCode: '1*', onReason: 'Out Of:Memory.\t*', action: 'EXIT' }] });
  });

  const refused: Array<[string, unknown, string]> = [
    ['no attempts', { evaluateOnExit: [] }, 'retry.attempts'],
    ['0 attempts', { attempts: 0 }, 'retry.attempts'],
    ['11 attempts', { attempts: 11 }, 'retry.attempts'],
    ['six rules', { attempts: 2, evaluateOnExit: Array.from({ length: 6 }, () => ({ action: 'RETRY' })) }, 'retry.evaluateOnExit'],
    ['another action', { attempts: 2, evaluateOnExit: [{ onExitCode: '1', action: 'IGNORE' }] }, 'retry.evaluateOnExit.0.action'],
    ['an exit code pattern with a letter', { attempts: 2, evaluateOnExit: [{ onExitCode: '1a', action: 'EXIT' }] }, 'retry.evaluateOnExit.0.onExitCode'],
    ['a * before the end', { attempts: 2, evaluateOnExit: [{ onStatusReason: 'Host*EC2', action: 'EXIT' }] }, 'retry.evaluateOnExit.0.onStatusReason'],
    ['a character Batch refuses', { attempts: 2, evaluateOnExit: [{ onReason: 'CannotPull (x)', action: 'EXIT' }] }, 'retry.evaluateOnExit.0.onReason'],
    ['a pattern over 512 characters', { attempts: 2, evaluateOnExit: [{ onReason: 'x'.repeat(513), action: 'EXIT' }] }, 'retry.evaluateOnExit.0.onReason'],
    ['an unknown field', { attempts: 2, evaluateOnExit: [{ onStatus: 'x', action: 'EXIT' }] }, 'retry.evaluateOnExit.0.onStatus'],
  ];
  for (const [name, retry, path] of refused) {
    it(`refuses ${name}, naming its path`, () => {
      // Act
      const error = validationErrorOf(() => parseWith(createJobBody, { command: ['true'], retry }, 'the request body'));

      // Assess
      assert.deepEqual(error.details?.map((detail) => detail.path), [path]);
    });
  }
});
