/**
 * How the authorizer's verdict reaches the handlers: `authorizerResponse` is what the Lambda
 * authorizer (and the local server) answers, `authenticatedCaller` what every handler but /health
 * reads back from `requestContext.authorizer.lambda`, a 401 whenever no caller was vouched for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Caller } from '#lib/domain/caller.ts';
import { UnauthorizedError } from '#lib/domain/errors.ts';
import type { AuthenticationFailure } from '#lib/domain/tokens.ts';
import { authenticatedCaller, authorizerResponse } from '#lib/http/authorization.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';

const FAILURES: AuthenticationFailure[] = ['MISSING', 'MALFORMED', 'UNKNOWN', 'REVOKED'];

function withRequestContext(requestContext: Record<string, unknown>): APIGatewayProxyEventV2 {
  return { requestContext: { requestId: 'request-1', ...requestContext } } as unknown as APIGatewayProxyEventV2;
}

/** An event as API Gateway passes it on after a Lambda authorizer answered with this context. */
function withAuthorizerContext(context: unknown): APIGatewayProxyEventV2 {
  return withRequestContext({ authorizer: { lambda: context } });
}

/** Asserts that reading the caller is refused with 401 UNAUTHORIZED; returns the message the client gets. */
function refusal(event: APIGatewayProxyEventV2): string {
  let caught: unknown;
  assert.throws(
    () => authenticatedCaller(event),
    (error: unknown) => {
      caught = error;
      return true;
    },
  );
  assert.ok(caught instanceof UnauthorizedError, `expected an UnauthorizedError, got ${String(caught)}`);
  assert.equal(httpStatusOf(caught), 401);
  assert.equal(caught.code, 'UNAUTHORIZED');
  return caught.message;
}

describe('authenticatedCaller', () => {
  it('returns the caller the authorizer vouched for, with its comma-separated profiles as a list', () => {
    // Act
    const caller = authenticatedCaller(withAuthorizerContext({ caller: 'ci', profiles: 'default,build' }));

    // Assess
    assert.deepEqual(caller, { name: 'ci', profiles: ['default', 'build'] });
  });

  it("returns the token's own active-job limit with the caller", () => {
    // Act
    const caller = authenticatedCaller(withAuthorizerContext({ caller: 'ci', profiles: 'default', maxActiveJobs: 2 }));

    // Assess
    assert.deepEqual(caller, { name: 'ci', profiles: ['default'], maxActiveJobs: 2 });
  });

  it('returns a caller scoped to every profile as such', () => {
    // Act
    const caller = authenticatedCaller(withAuthorizerContext({ caller: 'local', profiles: '*' }));

    // Assess
    assert.deepEqual(caller, { name: 'local', profiles: ['*'] });
  });

  it('answers each failure the authorizer found with 401 UNAUTHORIZED, saying what to do; an unknown token reads like a revoked one', () => {
    // Act
    const messages = Object.fromEntries(FAILURES.map((failure) => [failure, refusal(withAuthorizerContext({ failure }))]));

    // Assess
    assert.match(messages.MISSING ?? '', /Authorization: Bearer <token>/);
    assert.match(messages.MALFORMED ?? '', /Bearer <token>.*fjt_/);
    assert.match(messages.UNKNOWN ?? '', /unknown or has been revoked/);
    assert.equal(messages.REVOKED, messages.UNKNOWN, 'a revoked token reads like an unknown one');
    assert.equal(new Set([messages.MISSING, messages.MALFORMED, messages.UNKNOWN]).size, 3, 'missing, malformed and unknown read differently');
  });

  it('answers 401 when the request carries no authorizer context at all (a route deployed without the authorizer)', () => {
    // Act
    const message = refusal(withRequestContext({}));

    // Assess
    assert.equal(message, refusal(withAuthorizerContext({ failure: 'MISSING' })));
  });

  it('answers 401 to an authorizer context of another kind, such as IAM authorization', () => {
    // Act + Assess
    refusal(withRequestContext({ authorizer: { iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/ops/alice' } } }));
  });

  const incomplete: Array<{ name: string; context: unknown }> = [
    { name: 'an empty caller', context: { caller: '', profiles: 'default' } },
    { name: 'empty profiles', context: { caller: 'ci', profiles: '' } },
    { name: 'no profiles', context: { caller: 'ci' } },
    { name: 'no caller', context: { profiles: 'default' } },
    { name: 'a caller that is not a string', context: { caller: 42, profiles: 'default' } },
    { name: 'a failure reason it does not know', context: { failure: 'EXPIRED' } },
  ];
  for (const testCase of incomplete) {
    it(`answers 401 to an authorizer context with ${testCase.name}`, () => {
      // Act + Assess
      refusal(withAuthorizerContext(testCase.context));
    });
  }
});

describe('authorizerResponse', () => {
  it('lets an authenticated request through with the caller and its profiles, comma-separated', () => {
    // Act
    const response = authorizerResponse({ authenticated: true, caller: { name: 'ci', profiles: ['default', 'build'] } });

    // Assess
    assert.deepEqual(response, { isAuthorized: true, context: { caller: 'ci', profiles: 'default,build' } });
  });

  for (const failure of FAILURES) {
    it(`lets a ${failure} token through too, with the reason, so the handler can answer 401 in the API's error shape`, () => {
      // Act
      const response = authorizerResponse({ authenticated: false, failure });

      // Assess
      assert.deepEqual(response, { isAuthorized: true, context: { failure } });
    });
  }

  it('hands the handlers the very caller the token stands for', () => {
    // Prepare
    const caller: Caller = { name: 'release@ci', profiles: ['default', 'build', 'nightly'] };

    // Act
    const { context } = authorizerResponse({ authenticated: true, caller });

    // Assess
    assert.deepEqual(authenticatedCaller(withAuthorizerContext(context)), caller);
  });

  it('hands the handlers a failure they refuse with 401', () => {
    // Act
    const { context } = authorizerResponse({ authenticated: false, failure: 'REVOKED' });

    // Assess
    assert.match(refusal(withAuthorizerContext(context)), /unknown or has been revoked/);
  });
});
