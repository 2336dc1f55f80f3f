/**
 * Files only their owner may read (lib/adapters/local/private-files.ts) and the data directory's
 * secret keys (localSecretKey, the request-hash key of local mode): modes stat'ed as `ls -l`
 * shows them, whatever the umask would have given.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateFileOnce, ensurePrivateDirectory, localSecretKey, writePrivateFileAtomically } from '#lib/adapters/local/private-files.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('private files and directories', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'private-files-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('creates a directory and its missing parents 0700, reporting nothing to tighten', () => {
    // Act
    const replaced = ensurePrivateDirectory(join(root, 'data', 'logs'));

    // Assess
    assert.equal(replaced, undefined);
    assert.equal(modeOf(join(root, 'data')), 0o700);
    assert.equal(modeOf(join(root, 'data', 'logs')), 0o700);
  });

  it('tightens an existing 0755 directory to 0700 and reports the mode it had, once', () => {
    // Prepare
    const path = join(root, 'data');
    mkdirSync(path);
    chmodSync(path, 0o755);

    // Act
    const first = ensurePrivateDirectory(path);
    const second = ensurePrivateDirectory(path);

    // Assess
    assert.equal(first, 0o755);
    assert.equal(second, undefined);
    assert.equal(modeOf(path), 0o700);
  });

  it('refuses to close a shared sticky directory such as /tmp, leaving its mode alone', () => {
    // Prepare
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);

    // Act, Assess
    assert.throws(() => ensurePrivateDirectory(shared), /shared directory \(sticky bit, like \/tmp\) and cannot be made private; choose a directory of your own/);
    assert.equal(statSync(shared).mode & 0o7777, 0o1777);
  });

  it('writes a file 0600 over an existing 0644 one, through a temporary file it does not leave behind', () => {
    // Prepare
    const path = join(root, 'token');
    writeFileSync(path, 'old\n');
    chmodSync(path, 0o644);

    // Act
    writePrivateFileAtomically(path, 'new\n');

    // Assess
    assert.equal(readFileSync(path, 'utf8'), 'new\n');
    assert.equal(modeOf(path), 0o600);
    assert.deepEqual(readdirSync(root), ['token']);
  });

  it('creates a file only once: a second creation keeps the first content', () => {
    // Prepare
    const path = join(root, 'key');

    // Act
    const first = createPrivateFileOnce(path, 'first\n');
    const second = createPrivateFileOnce(path, 'second\n');

    // Assess
    assert.deepEqual([first, second], [true, false]);
    assert.equal(readFileSync(path, 'utf8'), 'first\n');
    assert.equal(modeOf(path), 0o600);
    assert.deepEqual(readdirSync(root), ['key']);
  });
});

describe("a data directory's secret key (localSecretKey)", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-secret-key-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is made on first use as 32 random bytes in hex, in a 0600 file named for it', () => {
    // Act
    const key = localSecretKey(dataDir, 'request-hash-key');

    // Assess
    const path = join(dataDir, 'request-hash-key');
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.equal(readFileSync(path, 'utf8').trim(), key);
    assert.equal(modeOf(path), 0o600);
  });

  it('is the same on every later call, and differs from another data directory', () => {
    // Prepare
    const other = mkdtempSync(join(tmpdir(), 'local-secret-key-other-'));

    try {
      // Act
      const first = localSecretKey(dataDir, 'request-hash-key');
      const again = localSecretKey(dataDir, 'request-hash-key');
      const elsewhere = localSecretKey(other, 'request-hash-key');

      // Assess
      assert.equal(again, first);
      assert.notEqual(elsewhere, first);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('keeps a key whose file others could read, tightening the file to 0600', () => {
    // Prepare
    const key = localSecretKey(dataDir, 'request-hash-key');
    const path = join(dataDir, 'request-hash-key');
    chmodSync(path, 0o644);

    // Act
    const again = localSecretKey(dataDir, 'request-hash-key');

    // Assess
    assert.equal(again, key);
    assert.equal(modeOf(path), 0o600);
  });

  it('refuses a file that holds no key, saying how to get a new one', () => {
    // Prepare
    writeFileSync(join(dataDir, 'request-hash-key'), 'not a key\n', { mode: 0o600 });

    // Act, Assess
    assert.throws(() => localSecretKey(dataDir, 'request-hash-key'), /request-hash-key does not hold a key of 64 hex digits; delete it/);
  });
});
