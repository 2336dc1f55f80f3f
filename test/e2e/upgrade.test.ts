/**
 * An upgrade from a version that kept local mode's records in dynalite (`<data dir>/db`): the first
 * start copies every job and token into jobs.db and says so on stdout, with how to delete the old
 * folder; nothing is lost (the job reads back by its id, the tokens still authenticate, the
 * server's own token stays the same) and the next start copies nothing again.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOCAL_SERVER_TOKEN_NAME } from '#lib/domain/tokens.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { aJob } from '../helpers/jobs.ts';
import { writeLegacyStore } from '../helpers/legacy-store.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

describe("the first start on an earlier version's data directory", () => {
  let dataDir: string;
  const job = aJob({ command: ['echo', 'from before the upgrade'], status: 'SUCCEEDED', exitCode: 0, logTail: ['from before the upgrade'] });
  let laptop = '';
  let ownToken = '';
  let first: LocalServerProcess;
  let second: LocalServerProcess;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-upgrade-'));
    await writeLegacyStore(dataDir, {
      jobs: [job],
      tokens: async (tokens) => {
        ownToken = (await tokens.create({ name: LOCAL_SERVER_TOKEN_NAME, profiles: ['*'] })).token;
        laptop = (await tokens.create({ name: 'laptop', profiles: ['*'] })).token;
      },
    });
    writeFileSync(join(dataDir, 'token'), `${ownToken}\n`, { mode: 0o600 });
    first = await startServer({ dataDir });
  });
  after(async () => {
    await first.stop();
    await second?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('copies the job and the tokens into jobs.db and says so on stdout, with how to delete the old folder', () => {
    // Assess
    const oldFolder = join(dataDir, 'db');
    assert.ok(
      first.output().includes(`fargate-jobs: copied 1 job(s) and 2 token(s) from the old store in ${oldFolder} into jobs.db; that folder is no longer used: once you are content, delete it with rm -r '${oldFolder}'`),
      first.output(),
    );
    assert.ok(existsSync(join(dataDir, 'jobs.db')));
    assert.ok(existsSync(oldFolder), 'the old folder is left for its owner');
  });

  it('keeps the server its token and the job its id: an old token reads the job back', async () => {
    // Act
    const read = await first.request<JobDocument>('GET', `/jobs/${job.id}`, { token: laptop });

    // Assess
    assert.equal(first.token, ownToken, 'the token file still names a token of the store');
    assert.equal(read.status, 200, read.text);
    assert.equal(read.json.id, job.id);
    assert.deepEqual(read.json.command, job.command);
    assert.equal(read.json.status, 'SUCCEEDED');
  });

  it('copies nothing again on the next start, and the job is still there', async () => {
    // Prepare
    const token = first.token;
    await first.stop();

    // Act
    second = await startServer({ dataDir });
    const read = await second.request<JobDocument>('GET', `/jobs/${job.id}`, { token: laptop });

    // Assess
    assert.doesNotMatch(second.output(), /copied/);
    assert.equal(second.token, token);
    assert.equal(read.status, 200, read.text);
  });
});
