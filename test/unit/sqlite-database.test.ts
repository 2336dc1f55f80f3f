/**
 * Local mode's SQLite file itself: where and how it is made (0600, WAL, synchronous=NORMAL, a busy
 * timeout), its schema version and migrations, the refusal of a file a newer fargate-jobs wrote,
 * and two connections on it at once (the server and `npm run token`). What the stores promise is in
 * test/contract/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrate, NewerDatabaseError, openJobsDatabase } from '#lib/adapters/local/sqlite-database.ts';
import { SqliteJobStore } from '#lib/adapters/local/sqlite-job-store.ts';
import { SqliteTokenStore } from '#lib/adapters/local/sqlite-token-store.ts';
import { SCHEMA_MIGRATIONS } from '#lib/adapters/local/sqlite-schema.ts';
import { encodeCursor } from '#lib/domain/cursor.ts';
import { ValidationError } from '#lib/domain/errors.ts';
import { aJob } from '../helpers/jobs.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** The value of a pragma, as the connection has it set. */
function pragma(database: DatabaseSync, name: string): unknown {
  return Object.values(database.prepare(`PRAGMA ${name}`).get() ?? {})[0];
}

/** The schema version a file records. */
function versionOf(database: DatabaseSync): number {
  return (database.prepare('SELECT version FROM schema_version').get() as { version: number }).version;
}

describe('openJobsDatabase', () => {
  let dataDir: string;
  let opened = 0;
  /** A data directory of its own for each test. */
  const aDataDir = () => join(dataDir, `data-${(opened += 1)}`);
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fargate-jobs-sqlite-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function freshDir(): Promise<string> {
    const dir = aDataDir();
    await mkdir(dir, { mode: 0o700 });
    return dir;
  }

  it('makes <data dir>/jobs.db and its write-ahead log readable by their owner only, in WAL mode with synchronous=NORMAL and a busy timeout', async () => {
    // Prepare
    const dir = await freshDir();

    // Act
    const database = openJobsDatabase(dir);
    await new SqliteJobStore({ database }).create(aJob());

    // Assess
    try {
      assert.equal(modeOf(join(dir, 'jobs.db')), 0o600);
      assert.equal(modeOf(join(dir, 'jobs.db-wal')), 0o600);
      assert.equal(pragma(database, 'journal_mode'), 'wal');
      assert.equal(pragma(database, 'synchronous'), 1, 'NORMAL');
      assert.ok(Number(pragma(database, 'busy_timeout')) >= 1000);
      assert.equal(versionOf(database), SCHEMA_MIGRATIONS.length);
    } finally {
      database.close();
    }
  });

  it('tightens a jobs.db that group or others could read', async () => {
    // Prepare
    const dir = await freshDir();
    openJobsDatabase(dir).close();
    chmodSync(join(dir, 'jobs.db'), 0o644);

    // Act
    openJobsDatabase(dir).close();

    // Assess
    assert.equal(modeOf(join(dir, 'jobs.db')), 0o600);
  });

  it('keeps jobs and tokens across a reopen, migrating nothing twice', async () => {
    // Prepare
    const dir = await freshDir();
    const first = openJobsDatabase(dir);
    const job = aJob({ labels: { keep: 'me' } });
    const token = { hash: 'a'.repeat(64), name: 'ci', profiles: ['*'], createdAt: '2030-01-01T00:00:00.000Z' };
    await new SqliteJobStore({ database: first }).create(job);
    const written = (await new SqliteJobStore({ database: first }).transition(job.id, 'RUNNING', { taskArn: 'arn:task/persisted' })).job;
    await new SqliteTokenStore({ database: first }).create(token);
    first.close();

    // Act
    const second = openJobsDatabase(dir);
    try {
      const store = new SqliteJobStore({ database: second });

      // Assess
      assert.deepEqual(await store.get(job.id), written);
      assert.deepEqual((await store.list({ limit: 10 })).jobs, [written]);
      assert.deepEqual(await new SqliteTokenStore({ database: second }).findByHash(token.hash), token);
      assert.equal(versionOf(second), SCHEMA_MIGRATIONS.length);
    } finally {
      second.close();
    }
  });

  it('refuses a file a newer fargate-jobs wrote, naming the file and saying to upgrade, and leaves it as it was', async () => {
    // Prepare
    const dir = await freshDir();
    const path = join(dir, 'jobs.db');
    openJobsDatabase(dir).close();
    const newer = new DatabaseSync(path);
    newer.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_MIGRATIONS.length + 1);
    newer.close();

    // Act and assess
    assert.throws(() => openJobsDatabase(dir), (error: unknown) => {
      assert.ok(error instanceof NewerDatabaseError);
      assert.ok(error.message.includes(path), error.message);
      assert.match(error.message, /upgrade fargate-jobs/);
      return true;
    });
    const after = new DatabaseSync(path);
    assert.equal(versionOf(after), SCHEMA_MIGRATIONS.length + 1);
    after.close();
  });

  it('runs only the migrations a file lacks, and none of a list where one fails', async () => {
    // Prepare
    const database = new DatabaseSync(':memory:');
    migrate(database, ':memory:', ['CREATE TABLE a (x INTEGER) STRICT']);

    // Act
    migrate(database, ':memory:', ['CREATE TABLE a (x INTEGER) STRICT', 'CREATE TABLE b (x INTEGER) STRICT']);
    assert.throws(() => migrate(database, ':memory:', ['CREATE TABLE a (x INTEGER) STRICT', 'CREATE TABLE b (x INTEGER) STRICT', 'CREATE TABLE c (x INTEGER) STRICT', 'NOT SQL']));

    // Assess
    const tables = database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((row) => row.name);
    assert.deepEqual(tables, ['a', 'b', 'schema_version']);
    assert.equal(versionOf(database), 2);
    database.close();
  });

  it('lets two connections share the file (the server and `npm run token`): each sees what the other wrote, and of two racing transitions one wins', async () => {
    // Prepare
    const dir = await freshDir();
    const [server, tokenCommand] = [openJobsDatabase(dir), openJobsDatabase(dir)];
    const [serverJobs, otherJobs] = [new SqliteJobStore({ database: server }), new SqliteJobStore({ database: tokenCommand })];
    const job = aJob({ status: 'RUNNING' });
    await serverJobs.create(job);
    const token = { hash: 'b'.repeat(64), name: 'laptop', profiles: ['default'], createdAt: '2030-01-01T00:00:00.000Z' };

    // Act
    await new SqliteTokenStore({ database: tokenCommand }).create(token);
    const [finish, cancel] = await Promise.all([serverJobs.transition(job.id, 'SUCCEEDED'), otherJobs.transition(job.id, 'CANCELLED')]);

    // Assess
    try {
      assert.deepEqual(await new SqliteTokenStore({ database: server }).findByHash(token.hash), token);
      assert.equal([finish.applied, cancel.applied].filter(Boolean).length, 1);
      assert.deepEqual(await serverJobs.get(job.id), await otherJobs.get(job.id));
    } finally {
      server.close();
      tokenCommand.close();
    }
  });

  it("rejects a DynamoDB store's cursor as any other cursor it never wrote", async () => {
    // Prepare
    const dir = await freshDir();
    const database = openJobsDatabase(dir);
    const dynamoDbCursor = encodeCursor({ pk: 'JOB#job-1', sk: 'JOB', gsi1pk: 'JOBS', gsi1sk: '2030-01-01T00:00:00.000Z#job-1' });

    // Act and assess
    try {
      await assert.rejects(new SqliteJobStore({ database }).list({ limit: 5, cursor: dynamoDbCursor }), ValidationError);
    } finally {
      database.close();
    }
  });
});
