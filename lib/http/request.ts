/** Turns the parts of an API Gateway v2 event into validated values, or a 400 that says what is wrong. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { ValidationError, type ErrorDetail } from '#lib/domain/errors.ts';

z.config(en());

export function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  throw new ValidationError(`${what} is not valid`, result.error.issues.flatMap(toDetails));
}

function toDetails(issue: z.core.$ZodIssue): ErrorDetail[] {
  const path = issue.path.map(String).join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: issue.path.concat(key).map(String).join('.'), message: 'unknown field' }));
  }
  if (issue.code === 'invalid_key') return [{ path, message: 'invalid name' }];
  return [{ path, message: issue.message }];
}

/**
 * The caller the authorizer (or the local server) vouched for: a Lambda authorizer's `caller`, or
 * with IAM authorization the signing principal's ARN.
 */
export function callerOf(event: APIGatewayProxyEventV2): string {
  const context = (event.requestContext as { authorizer?: { lambda?: { caller?: unknown }; iam?: { userArn?: unknown } } })
    .authorizer;
  const caller = context?.lambda?.caller ?? context?.iam?.userArn;
  return typeof caller === 'string' && caller.length > 0 ? caller : 'anonymous';
}

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  return entry?.[1];
}
