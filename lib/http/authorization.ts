/**
 * How a token check reaches the handlers. The authorizer (on AWS a Lambda authorizer, locally the
 * local server calling the same module) answers every request it is asked about with
 * `isAuthorized: true` and a context saying who the caller is, or why there is none; every
 * handler but /health then turns "none" into a 401 in the API's error shape.
 *
 * Why not `isAuthorized: false`: an HTTP API answers that with 403 `{"message":"Forbidden"}`, and
 * HTTP APIs cannot change gateway responses, so a bad token would look like a scope refusal and not
 * like the 401 a client should re-authenticate on. Only a missing Authorization header (the
 * authorizer's identity source) is answered by API Gateway itself, with 401 `{"message":"Unauthorized"}`.
 */
import type { APIGatewayProxyEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import type { Caller } from '#lib/domain/caller.ts';
import { UnauthorizedError } from '#lib/domain/errors.ts';
import type { Authentication, AuthenticationFailure } from '#lib/domain/tokens.ts';

/** Simple-response context values are strings, numbers or booleans: profiles travel comma-separated. */
export type AuthorizerContext = { caller: string; profiles: string; maxActiveJobs?: number } | { failure: AuthenticationFailure };

const FAILURE_MESSAGES: Record<AuthenticationFailure, string> = {
  MISSING: 'send a token as "Authorization: Bearer <token>"',
  MALFORMED: 'the Authorization header must be "Bearer <token>" with a fargate-jobs token (fjt_…)',
  UNKNOWN: 'the token is unknown or has been revoked',
  REVOKED: 'the token is unknown or has been revoked',
};

export function authorizerResponse(authentication: Authentication): APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext> {
  const context: AuthorizerContext = authentication.authenticated ? callerContext(authentication.caller) : { failure: authentication.failure };
  return { isAuthorized: true, context };
}

/**
 * The caller the authorizer vouched for, or a 401. A request with no authorizer context at all
 * (a route deployed without the authorizer) is refused too: the check fails closed.
 */
export function authenticatedCaller(event: APIGatewayProxyEventV2): Caller {
  const context = (event.requestContext as { authorizer?: { lambda?: Partial<Record<string, unknown>> } }).authorizer?.lambda;
  const caller = context?.caller;
  const profiles = context?.profiles;
  if (typeof caller === 'string' && caller !== '' && typeof profiles === 'string' && profiles !== '') {
    const maxActiveJobs = Number(context?.maxActiveJobs);
    return { name: caller, profiles: profiles.split(','), ...(Number.isInteger(maxActiveJobs) && maxActiveJobs > 0 ? { maxActiveJobs } : {}) };
  }
  const failure = context?.failure;
  throw new UnauthorizedError(FAILURE_MESSAGES[isFailure(failure) ? failure : 'MISSING']);
}

function callerContext(caller: Caller): AuthorizerContext {
  return { caller: caller.name, profiles: caller.profiles.join(','), ...(caller.maxActiveJobs === undefined ? {} : { maxActiveJobs: caller.maxActiveJobs }) };
}

function isFailure(value: unknown): value is AuthenticationFailure {
  return typeof value === 'string' && Object.hasOwn(FAILURE_MESSAGES, value);
}
