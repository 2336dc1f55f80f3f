/**
 * Comparing a presented secret (a token, a signature, a proof) with the expected one in constant
 * time, so that how long a refusal takes says nothing of how much of it was right. The lengths are
 * compared first, in bytes: timingSafeEqual throws on buffers of different lengths (a string of the
 * right number of characters may still be more bytes), and the expected length is no secret.
 */
import { timingSafeEqual } from 'node:crypto';

export function equalSecrets(presented: string | Buffer, expected: string | Buffer): boolean {
  const given = typeof presented === 'string' ? Buffer.from(presented, 'utf8') : presented;
  const wanted = typeof expected === 'string' ? Buffer.from(expected, 'utf8') : expected;
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
