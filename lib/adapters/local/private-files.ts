/**
 * Files and directories only their owner may read. Local mode keeps every command, log, job record
 * and token of its user under the data directory, so nothing there may be left to the umask (0755
 * directories, 0644 files on most machines): directories are 0700, files 0600.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SERVER_KEY_FILE } from '#lib/domain/local-server-proof.ts';

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** Bits that let anyone but the owner in. */
const GROUP_AND_OTHER = 0o077;
const STICKY = 0o1000;

/** The permission bits of `path` (`0o755`…). */
function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

/** `0o755` as the `0755` that `ls -l` users and chmod know. */
export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * Creates `path` (and missing parents) as 0700, or tightens an existing one that group or others
 * could enter. Returns the looser mode it replaced, so the caller can tell the owner.
 */
export function ensurePrivateDirectory(path: string): number | undefined {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  // A sticky directory (such as /tmp) is shared on purpose: closing it would break its other users.
  if ((statSync(path).mode & STICKY) !== 0) {
    throw new Error(`${path} is a shared directory (sticky bit, like /tmp) and cannot be made private; choose a directory of your own`);
  }
  return tightenMode(path, PRIVATE_DIRECTORY_MODE);
}

/** Sets `path` to `mode` when group or others have any access to it; returns the mode it had then. */
function tightenMode(path: string, mode: number): number | undefined {
  const current = modeOf(path);
  if ((current & GROUP_AND_OTHER) === 0) return undefined;
  chmodSync(path, mode);
  return current;
}

/** Tightens an existing file to 0600 when group or others could read it; returns the mode it had. */
export function tightenPrivateFile(path: string): number | undefined {
  return tightenMode(path, PRIVATE_FILE_MODE);
}

/**
 * Writes `content` to `path` as a 0600 file, replacing whatever was there. Through a temporary file
 * in the same directory and a rename: an existing file keeps its mode when written in place (so a
 * 0644 file would stay 0644), and a reader never sees half a file.
 */
export function writePrivateFileAtomically(path: string, content: string): void {
  const temporary = writeTemporaryPrivateFile(path, content);
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Like writePrivateFileAtomically, but only when `path` does not exist yet: two processes creating
 * it at once agree on one content. Returns false (writing nothing) when it existed.
 */
export function createPrivateFileOnce(path: string, content: string): boolean {
  const temporary = writeTemporaryPrivateFile(path, content);
  try {
    // A hard link, unlike a rename, fails instead of replacing a file another process made first.
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** A new 0600 file beside `path` holding `content`; `wx` so it never follows a planted file or link. */
function writeTemporaryPrivateFile(path: string, content: string): string {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(temporary, content, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  return temporary;
}

/** The secrets a data directory keeps, each in `<data dir>/<name>` (server-key: lib/domain/local-server-proof.ts). */
export const LOCAL_SECRET_NAMES = ['request-hash-key', 'webhook-secret', SERVER_KEY_FILE] as const;
export type LocalSecretName = (typeof LOCAL_SECRET_NAMES)[number];

const SECRET_KEY_BYTES = 32;
const SECRET_KEY_PATTERN = /^[0-9a-f]{64}$/;

/**
 * A random key (32 bytes, as 64 hex digits) that belongs to one data directory: made on first use,
 * the same on every later call and start, kept in `<data dir>/<name>` as a 0600 file.
 */
export function localSecretKey(dataDir: string, name: LocalSecretName): string {
  if (!(LOCAL_SECRET_NAMES as readonly string[]).includes(name)) throw new Error(`'${name}' is not a secret local mode keeps`);
  const path = join(dataDir, name);
  if (!existsSync(path)) createPrivateFileOnce(path, `${randomBytes(SECRET_KEY_BYTES).toString('hex')}\n`);
  tightenPrivateFile(path);
  const key = readFileSync(path, 'utf8').trim();
  if (!SECRET_KEY_PATTERN.test(key)) {
    throw new Error(`${path} does not hold a key of 64 hex digits; delete it and a new key is made on the next start`);
  }
  return key;
}
