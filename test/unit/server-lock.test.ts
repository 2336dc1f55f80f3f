/**
 * The single-instance lock of a data directory (local/server-lock.ts): a live owner is refused with
 * its pid and port; a lock whose owner is gone — its pid dead, or reused by a process that started
 * later — is taken over; a release removes only the lock that is still the releaser's.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { acquireServerLock, DataDirectoryInUseError, processStartOf, SERVER_LOCK_FILE, takeoverClaimPath, type ServerLockOwner } from '#local/server-lock.ts';

const writeLock = (dataDir: string, owner: ServerLockOwner) => writeFileSync(join(dataDir, SERVER_LOCK_FILE), `${JSON.stringify(owner)}\n`);
const readLock = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, SERVER_LOCK_FILE), 'utf8')) as ServerLockOwner;

/** A process that runs until killed, standing in for another server. */
async function sleeper(): Promise<ChildProcess & { pid: number }> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return child as ChildProcess & { pid: number };
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  await once(child, 'exit');
  assert.ok(child.pid);
  return child.pid;
}

async function refusal(dataDir: string, shownDataDir?: string): Promise<DataDirectoryInUseError> {
  const error = await acquireServerLock(dataDir, shownDataDir).then(
    () => assert.fail('the lock was taken although its owner is alive'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof DataDirectoryInUseError, String(error));
  return error;
}

describe('the server lock of a data directory', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'server-lock-'));
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is a 0600 file naming this process, its start time and, once set, its port', async () => {
    // Act
    const lock = await acquireServerLock(dataDir);
    const whileStarting = readLock(dataDir);
    lock.setPort(41234);

    // Assess
    assert.equal(statSync(join(dataDir, SERVER_LOCK_FILE)).mode & 0o777, 0o600);
    assert.equal(whileStarting.pid, process.pid);
    assert.equal(whileStarting.port, null);
    assert.ok(whileStarting.processStart, 'the process start time is known on this machine');
    assert.equal(whileStarting.processStart, await processStartOf(process.pid));
    assert.deepEqual(readLock(dataDir), { ...whileStarting, port: 41234 });
    assert.deepEqual(lock.owner, { ...whileStarting, port: 41234 });
  });

  it('refuses a second server while the owner lives, naming its pid and port (? while it starts) and the directory as given', async () => {
    // Prepare
    const lock = await acquireServerLock(dataDir);

    // Act
    const whileStarting = await refusal(dataDir, '.data');
    lock.setPort(3000);
    const whileListening = await refusal(dataDir, '.data');

    // Assess
    assert.equal(whileStarting.message, `another fargate-jobs server (pid ${process.pid}, port ?) is using .data; stop it or set FARGATE_JOBS_DATA_DIR`);
    assert.equal(whileListening.message, `another fargate-jobs server (pid ${process.pid}, port 3000) is using .data; stop it or set FARGATE_JOBS_DATA_DIR`);
    assert.deepEqual(whileListening.owner, lock.owner);
    assert.equal(readLock(dataDir).pid, process.pid, 'the refused start left the lock alone');
  });

  it('refuses a lock held by another live process that started when the lock says', async () => {
    // Prepare
    const other = await sleeper();
    children.push(other);
    const owner = { pid: other.pid, port: 3000, startedAt: new Date().toISOString(), processStart: await processStartOf(other.pid) };
    writeLock(dataDir, owner);

    // Act
    const error = await refusal(dataDir);

    // Assess
    assert.deepEqual(error.owner, owner);
  });

  it('takes over a lock whose pid is no longer running', async () => {
    // Prepare
    writeLock(dataDir, { pid: await deadPid(), port: 3000, startedAt: '2026-01-01T00:00:00.000Z', processStart: 'boot:1' });

    // Act
    const lock = await acquireServerLock(dataDir);

    // Assess
    assert.equal(lock.owner.pid, process.pid);
    assert.deepEqual(readLock(dataDir), lock.owner);
  });

  it('takes over a lock whose pid now belongs to a process that started at another time', async () => {
    // Prepare: the pid is alive (another process got it after the server died), the start time is not the server's.
    const other = await sleeper();
    children.push(other);
    const realStart = await processStartOf(other.pid);
    assert.ok(realStart);
    writeLock(dataDir, { pid: other.pid, port: 3000, startedAt: '2026-01-01T00:00:00.000Z', processStart: `${realStart}0` });

    // Act
    const lock = await acquireServerLock(dataDir);

    // Assess
    assert.deepEqual(readLock(dataDir), lock.owner);
  });

  it('takes over a lock file that holds no lock (empty, not JSON) and leaves no claim or temporary file', async () => {
    // Prepare
    writeFileSync(join(dataDir, SERVER_LOCK_FILE), '');

    // Act
    const lock = await acquireServerLock(dataDir);

    // Assess
    assert.deepEqual(readLock(dataDir), lock.owner);
    assert.deepEqual(readdirSync(dataDir), [SERVER_LOCK_FILE]);
  });

  it('leaves a stale lock alone while another start is taking it over (its claim is fresh)', async () => {
    // Prepare: two starts found the same stale lock; the other one claimed it first.
    const stale = JSON.stringify({ pid: await deadPid(), port: 3000, startedAt: '2026-01-01T00:00:00.000Z', processStart: null });
    writeFileSync(join(dataDir, SERVER_LOCK_FILE), stale);
    const claim = takeoverClaimPath(join(dataDir, SERVER_LOCK_FILE), stale);
    writeFileSync(claim, '12345\n');

    // Act
    const error = await acquireServerLock(dataDir).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );

    // Assess
    assert.match(error?.message ?? 'the lock was taken', /kept changing while this server tried to take it/);
    assert.equal(readFileSync(join(dataDir, SERVER_LOCK_FILE), 'utf8'), stale, 'only the claimant replaces the stale lock');
  });

  it('takes over a stale lock whose claim was abandoned (its claimant died mid-takeover) and removes the claim', async () => {
    // Prepare
    const stale = JSON.stringify({ pid: await deadPid(), port: 3000, startedAt: '2026-01-01T00:00:00.000Z', processStart: null });
    writeFileSync(join(dataDir, SERVER_LOCK_FILE), stale);
    const claim = takeoverClaimPath(join(dataDir, SERVER_LOCK_FILE), stale);
    writeFileSync(claim, '12345\n');
    const aMinuteAgo = new Date(Date.now() - 60_000);
    utimesSync(claim, aMinuteAgo, aMinuteAgo);

    // Act
    const lock = await acquireServerLock(dataDir);

    // Assess
    assert.deepEqual(readLock(dataDir), lock.owner);
    assert.deepEqual(readdirSync(dataDir), [SERVER_LOCK_FILE]);
  });

  it('is removed on release, and a new server can take it', async () => {
    // Prepare
    const lock = await acquireServerLock(dataDir);

    // Act
    lock.release();
    lock.release();

    // Assess
    assert.equal(existsSync(join(dataDir, SERVER_LOCK_FILE)), false);
    const next = await acquireServerLock(dataDir);
    assert.deepEqual(readLock(dataDir), next.owner);
  });

  it('is left alone on release once it is another server’s', async () => {
    // Prepare: this lock was judged stale and taken over (its owner had hung, say).
    const lock = await acquireServerLock(dataDir);
    const other = await sleeper();
    children.push(other);
    const newOwner = { pid: other.pid, port: 4000, startedAt: new Date().toISOString(), processStart: await processStartOf(other.pid) };
    writeLock(dataDir, newOwner);

    // Act
    const held = lock.isHeld();
    lock.release();
    lock.setPort(5000);

    // Assess
    assert.equal(held, false);
    assert.deepEqual(readLock(dataDir), newOwner);
  });

  it('says it is held while its file is its own', async () => {
    // Prepare
    const lock = await acquireServerLock(dataDir);

    // Act
    const whileHeld = lock.isHeld();
    lock.release();

    // Assess
    assert.equal(whileHeld, true);
    assert.equal(lock.isHeld(), false);
  });
});
