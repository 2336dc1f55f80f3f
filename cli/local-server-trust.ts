/**
 * Whether the CLI may hand the local token to the server `<data dir>/url` names. The file only says
 * where that server listened: after a `kill -9` it stays, and another user may bind the freed port
 * and collect the token of every request (the same goes for a data directory someone else made).
 * So the CLI trusts a data directory only when it is the user's own and closed to others (as
 * `npm start` leaves it), and before every request that carries the token it has the server prove
 * that it holds the directory's `server-key` (lib/domain/local-server-proof.ts).
 */
import { CHALLENGE_HEADER, isLocalServerProof, newChallenge, PROOF_HEADER } from '#lib/domain/local-server-proof.ts';

/** What the checks read of a stat. */
export interface OwnerAndMode {
  uid: number;
  mode: number;
  isDirectory(): boolean;
}

/** Bits that let anyone but the owner in. */
const GROUP_AND_OTHER = 0o077;

/**
 * Why `path` (the data directory, or a file in it) cannot be trusted by user `uid`, or undefined when
 * it can: it must be the user's own, and neither group nor others may have any access to it.
 */
export function trustProblem(path: string, stat: OwnerAndMode, uid: number, expect: 'directory' | 'file'): string | undefined {
  if (stat.isDirectory() !== (expect === 'directory')) return `${path} is not a ${expect}`;
  if (stat.uid !== uid) {
    return `${path} belongs to another user (uid ${stat.uid}; you are uid ${uid}): the CLI sends no token to the server it names`;
  }
  const mode = stat.mode & 0o777;
  if ((mode & GROUP_AND_OTHER) !== 0) {
    const fix = expect === 'directory' ? `chmod 700 ${path}` : `chmod 600 ${path}`;
    return `${path} is open to other users (mode ${mode.toString(8).padStart(4, '0')}), so the server it names cannot be trusted: make it private with ${fix} (npm start does)`;
  }
  return undefined;
}

/** The server at a URL read from a data directory did not prove it is that directory's server. */
export class UntrustedServerError extends Error {
  override readonly name = 'UntrustedServerError';
}

/**
 * Asks the server at `url` to prove it holds `key` (GET /health with a fresh challenge, no token).
 * Resolves when it does; throws UntrustedServerError when it answers without the proof, and fetch's
 * own error when it cannot be reached (the caller decides whether to try again).
 */
export async function verifyLocalServer(url: string, key: string, shownDataDir: string, fetchImpl: typeof fetch = fetch): Promise<void> {
  const base = url.replace(/\/+$/, '');
  const challenge = newChallenge();
  const response = await fetchImpl(`${base}/health`, { headers: { [CHALLENGE_HEADER]: challenge, accept: 'application/json' } });
  await response.body?.cancel();
  if (isLocalServerProof(key, base, challenge, response.headers.get(PROOF_HEADER))) return;
  throw new UntrustedServerError(
    `the program listening at ${base} is not the fargate-jobs server of ${shownDataDir} (it could not prove it holds ${shownDataDir}/server-key), so the token was not sent to it. ` +
      `If that server was killed, another program now has its port: start it again with npm start (PORT=<port> for another port), or pass --url and --token`,
  );
}
