/**
 * Local mode's records in one SQLite file, `<data dir>/jobs.db`, through Node's built-in
 * `node:sqlite`: the jobs and the tokens (sqlite-job-store.ts, sqlite-token-store.ts). The server
 * and `npm run token` open it at the same time, so it is in WAL mode (readers never wait for the
 * writer) with a busy timeout (a writer waits its turn instead of failing).
 */
import { DatabaseSync } from 'node:sqlite';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, tightenPrivateFile } from './private-files.ts';
import { SCHEMA_MIGRATIONS } from './sqlite-schema.ts';

export const JOBS_DATABASE_FILE = 'jobs.db';

/** How long a write waits for another process's write to finish before it fails (ms). */
const BUSY_TIMEOUT_MS = 5_000;

/** The file was written by a newer fargate-jobs: this code does not know its schema. */
export class NewerDatabaseError extends Error {
  constructor(path: string, fileVersion: number, knownVersion: number) {
    super(
      `${path} has schema version ${fileVersion}, but this fargate-jobs knows versions up to ${knownVersion}: ` +
        'it was written by a newer fargate-jobs; upgrade fargate-jobs to open it',
    );
    this.name = 'NewerDatabaseError';
  }
}

/** Opens (creating it, 0600, if need be) and migrates `<dataDir>/jobs.db`. */
export function openJobsDatabase(dataDir: string): DatabaseSync {
  const path = join(dataDir, JOBS_DATABASE_FILE);
  // SQLite creates a new file by the umask; its -wal and -shm files take the main file's mode.
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) tightenPrivateFile(file);
  const database = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    database.exec('PRAGMA journal_mode = WAL');
    // WAL with NORMAL: a power cut may lose the last writes, never corrupt the file.
    database.exec('PRAGMA synchronous = NORMAL');
    migrate(database, path);
    return database;
  } catch (error) {
    database.close();
    throw error;
  }
}

/**
 * Brings the schema to the newest version this code knows, in one transaction: two processes
 * starting at once migrate once (the second finds the work done), and a failed migration leaves
 * the file as it was.
 */
export function migrate(database: DatabaseSync, path: string, migrations: readonly string[] = SCHEMA_MIGRATIONS): void {
  inImmediateTransaction(database, () => {
    database.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT');
    const row = database.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    const fileVersion = row?.version ?? 0;
    if (fileVersion > migrations.length) throw new NewerDatabaseError(path, fileVersion, migrations.length);
    for (const migration of migrations.slice(fileVersion)) database.exec(migration);
    if (row === undefined) database.prepare('INSERT INTO schema_version (version) VALUES (?)').run(migrations.length);
    else database.prepare('UPDATE schema_version SET version = ?').run(migrations.length);
  });
}

/**
 * Runs `work` in a transaction that holds the write lock from its start (BEGIN IMMEDIATE), so what
 * it reads cannot change under it before it writes, in this process or another.
 */
export function inImmediateTransaction<T>(database: DatabaseSync, work: () => T): T {
  database.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    database.exec('COMMIT');
    return result;
  } catch (error) {
    database.exec('ROLLBACK');
    throw error;
  }
}

/** Whether the records of `source` (an earlier store of the data directory) were copied in already. */
export function importRecorded(database: DatabaseSync, source: string): boolean {
  return database.prepare('SELECT 1 FROM imports WHERE source = ?').get(source) !== undefined;
}

/** Records that the records of `source` were copied in, so no later start copies them again. */
export function recordImport(database: DatabaseSync, source: string, importedAt: Date): void {
  database.prepare('INSERT INTO imports (source, imported_at) VALUES (?, ?) ON CONFLICT (source) DO NOTHING').run(source, importedAt.toISOString());
}
