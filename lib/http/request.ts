/** Turns the parts of an API Gateway v2 event into validated values, or a 400 that says what is wrong. */
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
