/**
 * How the local server proves to a client on this machine that it is the server of a data directory,
 * before the client sends it a token. `<data dir>/url` only says where that server listened: after a
 * `kill -9` the file stays, and any local user may bind the freed port. So the client sends a fresh
 * random challenge (no token) and the server answers HMAC-SHA256 over it and its own URL, keyed with
 * `<data dir>/server-key`, a random key in the 0700 data directory that only its owner can read.
 * A squatter cannot answer; a relay to another server fails, since the proof names the URL answered on.
 *
 * A challenge rather than a Unix socket inside the data directory: `npm start` listens on the API
 * port and nothing else, and the proof stays out of the deployed stack (local mode only).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { equalSecrets } from './constant-time.ts';

/** The key's file in the data directory (0600, made on the first start). */
export const SERVER_KEY_FILE = 'server-key';
/** Request header: the client's challenge, 64 hex digits. */
export const CHALLENGE_HEADER = 'fargate-jobs-challenge';
/** Response header: the server's proof, 64 hex digits. */
export const PROOF_HEADER = 'fargate-jobs-proof';

const CHALLENGE_PATTERN = /^[0-9a-f]{64}$/;

/** A fresh challenge: 32 random bytes as hex. */
export function newChallenge(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The proof for `challenge` by the server that answers on `serverUrl` (its base URL as `<data dir>/url`
 * holds it, e.g. http://127.0.0.1:3000); undefined for a challenge that is not 64 hex digits.
 */
export function localServerProof(key: string, serverUrl: string, challenge: string): string | undefined {
  if (!CHALLENGE_PATTERN.test(challenge)) return undefined;
  return createHmac('sha256', key).update(`fargate-jobs local server proof v1\n${serverUrl.replace(/\/+$/, '')}\n${challenge}`).digest('hex');
}

/** Whether `proof` is what the server of `key` answering on `serverUrl` gives for `challenge` (constant time). */
export function isLocalServerProof(key: string, serverUrl: string, challenge: string, proof: string | null | undefined): boolean {
  const expected = localServerProof(key, serverUrl, challenge);
  return expected !== undefined && typeof proof === 'string' && equalSecrets(proof, expected);
}
