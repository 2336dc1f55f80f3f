/** Turns the parts of an API Gateway v2 event into validated values, or a 400 that says what is wrong. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { ValidationError, type ErrorDetail } from '#lib/domain/errors.ts';

z.config(en());

export function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const details = result.error.issues.flatMap((issue) => toDetails(issue, []));
  throw new ValidationError(`${what} is not valid: ${summaryOf(details)}`, details);
}

/** The message names the problems too: clients that show only the message (a CLI, curl) still say what to fix. */
const SUMMARIZED_DETAILS = 3;

function summaryOf(details: readonly ErrorDetail[]): string {
  const named = details.slice(0, SUMMARIZED_DETAILS).map((detail) => `${detail.path}: ${detail.message}`);
  const more = details.length - named.length;
  return named.join('; ') + (more > 0 ? ` (and ${more} more)` : '');
}

/**
 * The query string, validated. A parameter the schema knows, given empty (`?cursor=&limit=`), is
 * taken as not given, as a form or a script that fills in only some of them sends it; an unknown
 * one is refused even when empty.
 */
export function parseQuery<T>(schema: z.ZodMiniType<T> & { shape: object }, event: Pick<APIGatewayProxyEventV2, 'queryStringParameters'>): T {
  const known = Object.keys(schema.shape);
  const given = Object.entries(event.queryStringParameters ?? {}).filter(([name, value]) => !(known.includes(name) && (value ?? '') === ''));
  return parseWith(schema, Object.fromEntries(given), 'the query string');
}

function toDetails(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): ErrorDetail[] {
  const at = [...prefix, ...issue.path];
  const path = at.map(String).join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...at, key].map(String).join('.'), message: 'unknown field' }));
  }
  if (issue.code === 'invalid_key') return [{ path, message: 'invalid name' }];
  if (issue.code === 'invalid_union') {
    // A value of the type of one alternative (an argv array, say) is told what is wrong with it
    // as that alternative, not that it is neither alternative.
    const ofItsType = issue.errors.filter((issues) => !issues.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0));
    if (ofItsType.length === 1) return (ofItsType[0] ?? []).flatMap((inner) => toDetails(inner, at));
  }
  return [{ path, message: issue.message }];
}
