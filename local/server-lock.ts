/**
 * One `npm start` per data directory. LevelDB locks `db/` as well, but a second server only finds
 * that out deep inside dynalite, as a stack trace; this lock, taken before the store is opened, lets
 * it refuse at once in one line that names the server holding the directory.
 *
 * `<data dir>/server.lock` (JSON, 0600) names its owner by pid and by when that process started, so
 * a lock left by a server that died without releasing it (kill -9, a crash, a reboot) is recognised
 * even when its pid now belongs to another process, and is taken over.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createPrivateFileOnce, identifyProcess, writePrivateFileAtomically } from '#lib/composition/data-directory.ts';

export const SERVER_LOCK_FILE = 'server.lock';

/** What a lock file says about the server holding it. */
export interface ServerLockOwner {
  pid: number;
  /** The port it listens on; null while it is still starting. */
  port: number | null;
  startedAt: string;
  /** When the process started (processStartOf), or null where that could not be found. */
  processStart: string | null;
}

export interface ServerLock {
  readonly owner: ServerLockOwner;
  /** Records the port the server listens on, for the message a second start prints. */
  setPort(port: number): void;
  /** Whether the lock file is still this lock's (a server that took a stale lock over may have replaced it). */
  isHeld(): boolean;
  /** Removes the lock file if it is still this lock's; safe to call more than once. */
  release(): void;
}

/** The data directory is held by another live server. */
export class DataDirectoryInUseError extends Error {
  override readonly name = 'DataDirectoryInUseError';
  readonly owner: ServerLockOwner;

  /** `shownDataDir`: the data directory as the user gave it (`.data`, not its absolute path). */
  constructor(owner: ServerLockOwner, shownDataDir: string) {
    super(`another fargate-jobs server (pid ${owner.pid}, port ${owner.port ?? '?'}) is using ${shownDataDir}; stop it or set FARGATE_JOBS_DATA_DIR`);
    this.owner = owner;
  }
}

/** A lock file whose owner is live changes only when it releases it: a few retries settle any race. */
const ATTEMPTS = 10;
const RETRY_MS = 25;
/** A takeover takes milliseconds; a claim this old was left by a process that died during one. */
const ABANDONED_CLAIM_MS = 10_000;

/**
 * Takes the data directory's lock for this process, or throws DataDirectoryInUseError naming the
 * live server that has it. A lock whose owner is gone is taken over without a word.
 */
export async function acquireServerLock(dataDir: string, shownDataDir: string = dataDir): Promise<ServerLock> {
  const path = join(dataDir, SERVER_LOCK_FILE);
  const ours: ServerLockOwner = { pid: process.pid, port: null, startedAt: new Date().toISOString(), processStart: await processStartOf(process.pid) };
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    if (createPrivateFileOnce(path, serialize(ours))) return heldLock(path, ours);
    const found = readLockFile(path);
    if (found === undefined) continue;
    if (found.owner && (await isAlive(found.owner))) throw new DataDirectoryInUseError(found.owner, shownDataDir);
    if (takeOver(path, found.raw, ours)) return heldLock(path, ours);
    await delay(RETRY_MS);
  }
  throw new Error(`${path} kept changing while this server tried to take it; is another fargate-jobs server starting on ${shownDataDir}?`);
}

function heldLock(path: string, ours: ServerLockOwner): ServerLock {
  const isOurs = () => {
    const owner = readLockFile(path)?.owner;
    return owner?.pid === ours.pid && owner.startedAt === ours.startedAt && owner.processStart === ours.processStart;
  };
  return {
    get owner() {
      return { ...ours };
    },
    setPort(port) {
      ours.port = port;
      if (isOurs()) writePrivateFileAtomically(path, serialize(ours));
    },
    isHeld: isOurs,
    release() {
      if (isOurs()) rmSync(path, { force: true });
    },
  };
}

/**
 * Replaces the stale lock whose content is `staleRaw` with ours. Two starts may find the same stale
 * lock: only the one that creates the claim named after that content may replace it, and only while
 * the lock still holds that content, so they cannot both end up holding it.
 */
function takeOver(path: string, staleRaw: string, ours: ServerLockOwner): boolean {
  const claim = takeoverClaimPath(path, staleRaw);
  removeAbandonedClaim(claim);
  if (!createPrivateFileOnce(claim, `${process.pid}\n`)) return false;
  try {
    if (readLockFile(path)?.raw !== staleRaw) return false;
    writePrivateFileAtomically(path, serialize(ours));
    return true;
  } finally {
    rmSync(claim, { force: true });
  }
}

/** The file a start creates while it replaces the stale lock at `lockPath` that holds `staleContent`. */
export function takeoverClaimPath(lockPath: string, staleContent: string): string {
  return `${lockPath}.takeover-${createHash('sha256').update(staleContent).digest('hex').slice(0, 16)}`;
}

function removeAbandonedClaim(claim: string): void {
  try {
    if (Date.now() - statSync(claim).mtimeMs > ABANDONED_CLAIM_MS) rmSync(claim, { force: true });
  } catch {
    // No claim: nobody is taking the lock over.
  }
}

/** The lock file's text and its owner (null when it is not a lock this code wrote); undefined when there is none. */
function readLockFile(path: string): { raw: string; owner: ServerLockOwner | null } | undefined {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return { raw, owner: parseOwner(raw) };
}

function parseOwner(raw: string): ServerLockOwner | null {
  let parsed: Partial<ServerLockOwner> | null;
  try {
    parsed = JSON.parse(raw) as Partial<ServerLockOwner> | null;
  } catch {
    return null;
  }
  const { pid, port, startedAt, processStart } = parsed ?? {};
  if (!Number.isInteger(pid) || (pid as number) <= 0) return null;
  if (port !== null && !Number.isInteger(port)) return null;
  if (typeof startedAt !== 'string' || (processStart !== null && typeof processStart !== 'string')) return null;
  return { pid: pid as number, port: port as number | null, startedAt, processStart };
}

function serialize(owner: ServerLockOwner): string {
  return `${JSON.stringify(owner)}\n`;
}

/** Whether the lock's owner still runs: its pid is alive and, where known, started when it did. */
async function isAlive(owner: ServerLockOwner): Promise<boolean> {
  const now = await identifyProcess(owner.pid);
  if (!now?.running) return false;
  // Cannot tell a reused pid from the server: better a refusal the user can resolve than two servers.
  if (owner.processStart === null) return true;
  return startOf(now.startTime) === owner.processStart;
}

/**
 * When process `pid` started, as a string that differs between two processes that had the same pid;
 * null when it is not running or that cannot be found out (lib/adapters/local/process-identity.ts).
 */
export async function processStartOf(pid: number): Promise<string | null> {
  const identity = await identifyProcess(pid);
  return identity?.running ? startOf(identity.startTime) : null;
}

/** Linux counts start times in clock ticks since boot: with the boot id, a pid and tick repeated after a reboot still differ. */
function startOf(startTime: string): string {
  const boot = bootId();
  return boot === '' ? startTime : `${boot}:${startTime}`;
}

let cachedBootId: string | undefined;

function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = '';
    }
  }
  return cachedBootId;
}
