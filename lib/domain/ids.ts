import { createHash, randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const ID_BODY_LENGTH = 26;

/** `job-` and 26 lower-case Crockford base32 characters: fits an execution name and a URL segment. */
export const JOB_ID_PATTERN = /^job-[0-9a-hjkmnp-tv-z]{26}$/;

/** A new, time-ordered id (ULID layout: 48 bits of milliseconds, 80 random bits). */
export function newJobId(now: Date = new Date()): string {
  const time = encodeBase32(BigInt(now.getTime()), 10);
  const random = encodeBase32(BigInt(`0x${randomBytes(10).toString('hex')}`), 16);
  return `job-${time}${random}`;
}

/**
 * The id an idempotency key maps to. Deriving the id from (caller, key) makes the store's
 * conditional create the idempotency check: one write, no second record to keep in step.
 */
export function jobIdForIdempotencyKey(caller: string, key: string): string {
  // JSON keeps the pair unambiguous whatever characters caller and key contain.
  const digest = createHash('sha256').update(JSON.stringify([caller, key])).digest('hex');
  return `job-${encodeBase32(BigInt(`0x${digest.slice(0, 33)}`), ID_BODY_LENGTH)}`;
}

export function isJobId(value: string): boolean {
  return JOB_ID_PATTERN.test(value);
}

function encodeBase32(value: bigint, length: number): string {
  let remaining = value;
  let encoded = '';
  for (let index = 0; index < length; index += 1) {
    encoded = CROCKFORD[Number(remaining % 32n)] + encoded;
    remaining /= 32n;
  }
  return encoded;
}
