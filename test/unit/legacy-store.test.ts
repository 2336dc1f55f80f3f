/**
 * The copy of an earlier version's `db/` folder (dynalite) into jobs.db (lib/composition/legacy-store.ts):
 * every job whole and every token, revoked ones too, once; the folder left as it was.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SqliteJobStore } from '#lib/adapters/local/sqlite-job-store.ts';
import { SqliteTokenStore } from '#lib/adapters/local/sqlite-token-store.ts';
import { describeLegacyImport, importLegacyStore } from '#lib/composition/legacy-store.ts';
import { TokenService } from '#lib/domain/tokens.ts';
import { aJob } from '../helpers/jobs.ts';
import { writeLegacyStore } from '../helpers/legacy-store.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/sqlite.ts';

describe("the copy of an earlier version's db/ folder into jobs.db", () => {
  let target: TestDatabase;
  beforeEach(async () => {
    target = await openTestDatabase();
  });
  afterEach(async () => {
    await target.close();
  });

  it('copies every job whole and every token (a revoked one stays revoked), then nothing on the next call', async () => {
    // Prepare
    const finished = aJob({ status: 'SUCCEEDED', exitCode: 0, logTail: ['hello'], labels: { team: 'ops' }, createdAt: '2026-01-01T00:00:00.000Z' });
    const queued = aJob({ createdAt: '2026-02-01T00:00:00.000Z' });
    const running = aJob({ createdAt: '2026-03-01T00:00:00.000Z' });
    let laptop = '';
    await writeLegacyStore(target.dataDir, {
      jobs: [finished, queued, running],
      alsoJobs: async (store) => {
        await store.transition(running.id, 'PROVISIONING', { taskArn: 'local:123' });
      },
      tokens: async (tokens) => {
        laptop = (await tokens.create({ name: 'laptop', profiles: ['default'] })).token;
        await tokens.create({ name: 'old', profiles: ['*'] });
        await tokens.revoke('old');
      },
    });
    const folderBefore = readdirSync(join(target.dataDir, 'db')).sort();

    // Act
    const first = await importLegacyStore(target.dataDir, target.database);
    const second = await importLegacyStore(target.dataDir, target.database);

    // Assess
    assert.deepEqual(first, { folder: join(target.dataDir, 'db'), jobs: 3, tokens: 2, skippedTokenNames: [] });
    assert.equal(second, undefined, 'copied once');
    const jobs = new SqliteJobStore({ database: target.database });
    assert.deepEqual(await jobs.get(finished.id), finished);
    assert.equal((await jobs.get(running.id))?.status, 'PROVISIONING');
    assert.equal((await jobs.get(running.id))?.taskArn, 'local:123');
    assert.deepEqual((await jobs.list({ limit: 10 })).jobs.map((job) => job.id), [running.id, queued.id, finished.id]);
    const unfinished = (await jobs.unfinishedJobs()).map((job) => job.id);
    assert.ok(unfinished.includes(queued.id) && unfinished.includes(running.id), 'the active jobs are in the index start-up recovery reads');
    const tokens = new TokenService({ store: new SqliteTokenStore({ database: target.database }) });
    assert.deepEqual(await tokens.authenticate(`Bearer ${laptop}`), { authenticated: true, caller: { name: 'laptop', profiles: ['default'] } });
    const listed = await new SqliteTokenStore({ database: target.database }).list();
    assert.deepEqual(listed.map((token) => [token.name, token.revokedAt !== undefined]).sort(), [['laptop', false], ['old', true]]);
    assert.ok(existsSync(join(target.dataDir, 'db')), 'the old folder is left for its owner to delete');
    assert.ok(folderBefore.length > 0);
  });

  it('does nothing, and records nothing, where there is no db/ folder', async () => {
    // Act
    const copy = await importLegacyStore(target.dataDir, target.database);

    // Assess
    assert.equal(copy, undefined);
    assert.equal(existsSync(join(target.dataDir, 'db')), false);
  });

  it('skips a token whose name an active token of jobs.db holds already, and names it', async () => {
    // Prepare: a token made in jobs.db (npm run token, after the upgrade) before the first copy.
    await writeLegacyStore(target.dataDir, { jobs: [], tokens: async (tokens) => void (await tokens.create({ name: 'ci', profiles: ['default'] })) });
    const newer = await new TokenService({ store: new SqliteTokenStore({ database: target.database }) }).create({ name: 'ci', profiles: ['*'] });

    // Act
    const copy = await importLegacyStore(target.dataDir, target.database);

    // Assess
    assert.deepEqual(copy?.skippedTokenNames, ['ci']);
    assert.equal(copy?.tokens, 0);
    const stillNewer = await new TokenService({ store: new SqliteTokenStore({ database: target.database }) }).authenticate(`Bearer ${newer.token}`);
    assert.equal(stillNewer.authenticated, true);
    assert.match(describeLegacyImport(copy!), /not copied: token\(s\) 'ci', a token of that name exists in jobs.db already/);
  });

  it('tells what it copied and how to delete the old folder', () => {
    // Act
    const message = describeLegacyImport({ folder: '/home/me/.data/db', jobs: 4, tokens: 2, skippedTokenNames: [] });

    // Assess
    assert.equal(
      message,
      "copied 4 job(s) and 2 token(s) from the old store in /home/me/.data/db into jobs.db; that folder is no longer used: once you are content, delete it with rm -r '/home/me/.data/db'",
    );
  });
});
