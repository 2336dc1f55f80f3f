/**
 * Local mode's data directory holds every command, log, job record and token of its user, so it is
 * made private (0700) before anything is written into it, and its owner told once when it was not.
 * Without dynalite, so `npm run token` can use it before deciding how to reach the store.
 */
import { ensurePrivateDirectory, formatMode, PRIVATE_DIRECTORY_MODE } from '#lib/adapters/local/private-files.ts';

export { createPrivateFileOnce, localSecretKey, writePrivateFileAtomically } from '#lib/adapters/local/private-files.ts';
/** For the data directory's single-server lock (local/server-lock.ts): is its owner still the process it names? */
export { identifyProcess } from '#lib/adapters/local/process-identity.ts';

/**
 * `<data dir>/url`: the base URL of the server running on the data directory (`http://127.0.0.1:3000`
 * and a newline), written once it listens and removed when it stops; with `<data dir>/token`, how a
 * client on this machine (the CLI) finds it.
 */
export const SERVER_URL_FILE = 'url';

/** A line for the person at the terminal. */
export type Notice = (message: string) => void;

export const noticeOnStderr: Notice = (message) => {
  process.stderr.write(`${message}\n`);
};

/** Creates `dataDir` as 0700, or tightens it to 0700 and says so when group or others could get in. */
export function makeDataDirectoryPrivate(dataDir: string, notice: Notice = noticeOnStderr): void {
  const looserMode = ensurePrivateDirectory(dataDir);
  if (looserMode === undefined) return;
  notice(`fargate-jobs: ${dataDir} was readable by other users (mode ${formatMode(looserMode)}); it is now ${formatMode(PRIVATE_DIRECTORY_MODE)}`);
}
