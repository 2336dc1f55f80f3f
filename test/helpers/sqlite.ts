/** Local mode's SQLite file in a data directory of its own, removed with it when closed. */
import { mkdtemp, rm } from 'node:fs/promises';
import type { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJobsDatabase } from '#lib/adapters/local/sqlite-database.ts';

export interface TestDatabase {
  dataDir: string;
  database: DatabaseSync;
  close(): Promise<void>;
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fargate-jobs-sqlite-'));
  const database = openJobsDatabase(dataDir);
  return {
    dataDir,
    database,
    async close() {
      database.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
