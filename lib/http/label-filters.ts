/**
 * GET /jobs's `label` filters: `label=key=value`, repeated for more (every one must match). API
 * Gateway hands repeated parameters over joined with commas, which a label's value may hold, so
 * each is read from the raw query string. Each is split at its first `=`: the key is checked as a
 * label's key in POST /jobs (a key holding `=` cannot be filtered on), the value as a label's value.
 */
import * as z from 'zod/mini';
import { ValidationError, type ErrorDetail } from '#lib/domain/errors.ts';
import type { HttpEvent } from './http-handler.ts';
import { labelKey, labelValue } from './schemas.ts';

/** Each label filter is one more condition on every job read: a few narrow a listing enough. */
export const MAX_LABEL_FILTERS = 5;

/** The labels a listing is limited to (undefined: none given), or a 400 naming what is wrong. */
export function labelFiltersOf(event: Pick<HttpEvent, 'rawQueryString' | 'queryStringParameters'>): Record<string, string> | undefined {
  // Given empty (`?label=`) is not given, as with every other parameter.
  const given = labelParameters(event).filter((filter) => filter !== '');
  if (given.length === 0) return undefined;
  const details: ErrorDetail[] = given.length > MAX_LABEL_FILTERS ? [{ path: 'label', message: `at most ${MAX_LABEL_FILTERS} labels; ${given.length} given` }] : [];
  const labels: Record<string, string> = {};
  for (const [index, filter] of given.entries()) {
    const path = `label.${index}`;
    const at = filter.indexOf('=');
    const key = filter.slice(0, at);
    const value = filter.slice(at + 1);
    if (at === -1 || !z.safeParse(labelKey, key).success) {
      details.push({ path, message: "must be key=value, the key of 1 to 128 letters, digits and _ . : / + @ - (starting with a letter or digit)" });
    } else if (!z.safeParse(labelValue, value).success) {
      details.push({ path, message: 'the value must be at most 256 characters, without NUL' });
    } else if (key in labels && labels[key] !== value) {
      details.push({ path, message: `label '${key}' is given twice with different values: no job has both` });
    } else {
      labels[key] = value;
    }
  }
  if (details.length > 0) throw new ValidationError(`the query string is not valid: ${details.map((detail) => `${detail.path}: ${detail.message}`).join('; ')}`, details);
  return labels;
}

function labelParameters(event: Pick<HttpEvent, 'rawQueryString' | 'queryStringParameters'>): string[] {
  if (typeof event.rawQueryString === 'string') return new URLSearchParams(event.rawQueryString).getAll('label');
  const joined = event.queryStringParameters?.label;
  return joined === undefined ? [] : [joined];
}
