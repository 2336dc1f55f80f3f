/**
 * One `npm start` per data directory: a second start on a directory a live server uses (on the same
 * port or another) exits 1 at once with one line naming that server, never a store stack trace, and
 * leaves the first one serving; once the first has died (kill -9), the next start takes the directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { exitWithin, killLeftovers, PROJECT_ROOT, spawnNpmStart, waitUntilListening } from '../helpers/npm-start.ts';

/** "At once": npm and node start in about a second here; the store is never opened. */
const REFUSAL_TIMEOUT_MS = 5_000;

describe('one server per data directory', () => {
  it('refuses a second npm start on the same data directory, on the same port or another, in one line', async (context) => {
    // Prepare: the data directory as a user would give it, relative to where npm start runs.
    const absoluteDataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-single-'));
    const dataDir = relative(PROJECT_ROOT, absoluteDataDir);
    const first = spawnNpmStart({ dataDir });
    const leftovers = [first.pid];
    context.after(() => {
      killLeftovers(leftovers);
      rmSync(absoluteDataDir, { recursive: true, force: true });
    });
    const server = await waitUntilListening(first);
    leftovers.push(server.serverPid);
    const expected = `another fargate-jobs server (pid ${server.serverPid}, port ${server.port}) is using ${dataDir}; stop it or set FARGATE_JOBS_DATA_DIR`;

    for (const port of [server.port, 0]) {
      // Act
      const startedAt = Date.now();
      const second = spawnNpmStart({ dataDir, port });
      leftovers.push(second.pid);
      const exit = await exitWithin(second, REFUSAL_TIMEOUT_MS);

      // Assess
      assert.equal(exit.code, 1, `PORT=${port}: exit ${exit.code ?? exit.signal}`);
      assert.ok(Date.now() - startedAt < REFUSAL_TIMEOUT_MS);
      assert.equal(second.stderr(), `${expected}\n`, `PORT=${port}: stderr is that one line`);
      assert.doesNotMatch(`${second.stdout()}${second.stderr()}`, /^\s+at /m, 'no stack trace');
      assert.doesNotMatch(second.stdout(), /API:/, 'the second server never listened');
      const health = await fetch(`${server.url}/health`);
      assert.equal(health.status, 200, 'the first server still serves');
    }
  });

  it('lets a new npm start take the directory of a server that was killed (kill -9)', async (context) => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-single-'));
    const first = spawnNpmStart({ dataDir });
    const leftovers = [first.pid];
    context.after(() => {
      killLeftovers(leftovers);
      rmSync(dataDir, { recursive: true, force: true });
    });
    const killed = await waitUntilListening(first);
    leftovers.push(killed.serverPid);
    process.kill(killed.serverPid, 'SIGKILL');
    await exitWithin(first, REFUSAL_TIMEOUT_MS);

    // Act
    const next = spawnNpmStart({ dataDir, port: killed.port });
    leftovers.push(next.pid);
    const server = await waitUntilListening(next);
    leftovers.push(server.serverPid);

    // Assess
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(next.stderr(), '', 'the stale lock was taken over without a word');
    process.kill(next.pid, 'SIGTERM');
    assert.equal((await exitWithin(next, REFUSAL_TIMEOUT_MS)).code, 0);
  });
});
