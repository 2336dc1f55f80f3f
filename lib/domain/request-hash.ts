/**
 * The hash an idempotent job keeps of the request that created it, so that a replay of its
 * idempotency key can be told apart from a different request (409). It is an HMAC whose key lives
 * outside the job table: the request holds secret env values, and a plain hash of it would let
 * anyone who can read the table confirm guesses of them (hash the record's request with `hunter2`,
 * compare).
 */
import { createHash, createHmac } from 'node:crypto';
import { equalSecrets } from './constant-time.ts';
import type { RequestHashKey } from './ports.ts';

const KEYED_PREFIX = 'hmac-sha256:';

export async function requestHash(key: RequestHashKey, request: object): Promise<string> {
  return `${KEYED_PREFIX}${createHmac('sha256', await key.get()).update(canonicalJson(request)).digest('hex')}`;
}

/**
 * Whether `stored` is the hash of `request`. Records written before the hash was keyed hold a plain
 * SHA-256 and are compared as such, so that a retry across an upgrade is not taken for a new request.
 */
export async function isSameRequest(stored: string | undefined, request: object, key: RequestHashKey): Promise<boolean> {
  if (stored === undefined) return false;
  const expected = stored.startsWith(KEYED_PREFIX) ? await requestHash(key, request) : createHash('sha256').update(canonicalJson(request)).digest('hex');
  return equalSecrets(stored, expected);
}

/** The same fields and values give the same text whatever the key order; undefined fields are left out. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
