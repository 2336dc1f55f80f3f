/**
 * Local mode's data is its user's alone: the data directory and what the server makes in it are
 * 0700 directories and 0600 files whatever the umask, a data directory left open to others is
 * tightened (and the user told, once), and `npm run token` keeps working with no server running.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { JobDocument } from '#lib/http/job-document.ts';
import { startServer } from '../helpers/local-server.ts';
import { tokenCommand } from '../helpers/token-command.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** A data directory path under a fresh scratch directory, removed after the test. */
function scratchDataDir(context: TestContext): string {
  const scratch = mkdtempSync(join(tmpdir(), 'fargate-jobs-private-'));
  context.after(() => rmSync(scratch, { recursive: true, force: true }));
  return join(scratch, 'data');
}

function tighteningNotices(output: string, dataDir: string): number {
  return output.split('\n').filter((line) => line === `fargate-jobs: ${dataDir} was readable by other users (mode 0755); it is now 0700`).length;
}

describe('the modes of local data', () => {
  it('are 0700 for the data directory, logs/, work/ and a job work dir, 0600 for the token, jobs.db with its -wal and -shm, and the job log', async (context) => {
    // Prepare
    const dataDir = scratchDataDir(context);
    const server = await startServer({ dataDir });
    let job: JobDocument;
    try {
      // Act
      const submitted = await server.request<JobDocument>('POST', '/jobs', { body: { command: ['sh', '-c', 'echo private'] } });
      assert.equal(submitted.status, 202, submitted.text);
      job = await server.waitForJob(submitted.json.id, (candidate) => candidate.stoppedAt !== undefined);

      // Assess
      const modes = Object.fromEntries(
        ['.', 'logs', 'work', `work/${job.id}`, 'token', 'jobs.db', 'jobs.db-wal', 'jobs.db-shm', `logs/${job.id}.log`].map((path) => [path, modeOf(join(dataDir, path))]),
      );
      assert.deepEqual(modes, {
        '.': 0o700,
        logs: 0o700,
        work: 0o700,
        [`work/${job.id}`]: 0o700,
        token: 0o600,
        'jobs.db': 0o600,
        'jobs.db-wal': 0o600,
        'jobs.db-shm': 0o600,
        [`logs/${job.id}.log`]: 0o600,
      });
      assert.equal(tighteningNotices(server.output(), dataDir), 0, server.output());
    } finally {
      await server.stop();
    }
  });

  it('tightens a 0755 data directory (once, saying so on stderr), its 0755 logs/ and a 0644 token file', async (context) => {
    // Prepare
    const dataDir = scratchDataDir(context);
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'logs'), 0o755);
    writeFileSync(join(dataDir, 'token'), `fjt_${'A'.repeat(43)}\n`);
    chmodSync(join(dataDir, 'token'), 0o644);

    // Act
    const first = await startServer({ dataDir });
    await first.stop();
    const tightened = { dataDir: modeOf(dataDir), logs: modeOf(join(dataDir, 'logs')), token: modeOf(join(dataDir, 'token')) };
    // The token is still the same one, now readable by others again (a copy, a chmod): the next start rewrites it 0600.
    chmodSync(join(dataDir, 'token'), 0o644);
    const second = await startServer({ dataDir });
    await second.stop();

    // Assess
    assert.deepEqual(tightened, { dataDir: 0o700, logs: 0o700, token: 0o600 });
    assert.equal(tighteningNotices(first.output(), dataDir), 1, first.output());
    assert.equal(tighteningNotices(second.output(), dataDir), 0, second.output());
    assert.equal(second.token, first.token);
    assert.equal(modeOf(join(dataDir, 'token')), 0o600);
  });

  it('lets npm run token create and list with no server running, creating jobs.db (0600) in a private directory', async (context) => {
    // Prepare
    const dataDir = scratchDataDir(context);

    // Act
    const created = await tokenCommand(dataDir, ['create', '--name', 'offline', '--profiles', 'default']);
    const listed = await tokenCommand(dataDir, ['list', '--json']);
    const server = await startServer({ dataDir });
    const withCreated = await server.request('GET', '/jobs', { token: created.stdout.trim() });
    await server.stop();

    // Assess
    assert.equal(created.code, 0, created.stderr);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual((JSON.parse(listed.stdout) as { name: string }[]).map((token) => token.name), ['offline']);
    assert.equal(modeOf(dataDir), 0o700);
    assert.equal(modeOf(join(dataDir, 'jobs.db')), 0o600);
    assert.equal(withCreated.status, 200, withCreated.text);
    assert.ok(!existsSync(join(dataDir, 'db')), 'no store of the earlier layout is made');
  });
});
