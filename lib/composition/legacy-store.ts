/**
 * Versions before jobs.db kept local mode's records in an embedded DynamoDB (dynalite, LevelDB in
 * `<data dir>/db`). The first start (or `npm run token`) that finds that folder copies its jobs and
 * tokens into jobs.db through the two stores' own ports, then records in jobs.db that it did, so an
 * upgrade loses no job and no token and no later start copies again. The folder is left as it was:
 * its owner deletes it once they are content.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import { importRecorded, JOBS_DATABASE_FILE, recordImport } from '#lib/adapters/local/sqlite-database.ts';
import { SqliteJobStore } from '#lib/adapters/local/sqlite-job-store.ts';
import { SqliteTokenStore } from '#lib/adapters/local/sqlite-token-store.ts';
import type { JobStore, TokenStore } from '#lib/domain/ports.ts';

/** The folder earlier versions kept their store in, relative to the data directory. */
export const LEGACY_STORE_FOLDER = 'db';
/** The one table earlier versions kept everything in. */
const LEGACY_TABLE_NAME = 'fargate-jobs';
const PAGE_SIZE = 100;

export interface LegacyImport {
  /** The folder the records came from. */
  folder: string;
  jobs: number;
  tokens: number;
  /** Tokens not copied because jobs.db has an active token of the same name (made since the upgrade). */
  skippedTokenNames: string[];
}

/**
 * Copies the records of `<dataDir>/db` into `database` unless there is no such folder or they were
 * copied already; what was copied, or undefined when nothing was to be.
 */
export async function importLegacyStore(dataDir: string, database: DatabaseSync): Promise<LegacyImport | undefined> {
  const folder = join(dataDir, LEGACY_STORE_FOLDER);
  if (!existsSync(folder) || importRecorded(database, LEGACY_STORE_FOLDER)) return undefined;
  // Loaded only here: dynalite is needed for nothing else, and only once per data directory.
  const { openEmbeddedDynamoDbPrivately } = await import('#lib/adapters/local/embedded-dynamodb.ts');
  const { ensureJobTable } = await import('#lib/adapters/local/job-table.ts');
  let legacy: Awaited<ReturnType<typeof openEmbeddedDynamoDbPrivately>>;
  try {
    legacy = await openEmbeddedDynamoDbPrivately(folder);
  } catch (error) {
    throw new Error(`the old store in ${folder} could not be opened to copy it into ${JOBS_DATABASE_FILE} (${(error as Error).message}); is an older fargate-jobs server still running on this data directory?`, { cause: error });
  }
  try {
    // The table as the last version left it (an even older one may lack an index the listing reads).
    await ensureJobTable(legacy.client, LEGACY_TABLE_NAME);
    const from = { client: legacy.client, tableName: LEGACY_TABLE_NAME };
    const tokens = await copyTokens(new DynamoDbTokenStore(from), new SqliteTokenStore({ database }));
    const jobs = await copyJobs(new DynamoDbJobStore(from), new SqliteJobStore({ database }));
    recordImport(database, LEGACY_STORE_FOLDER, new Date());
    return { folder, jobs, ...tokens };
  } finally {
    await legacy.close();
  }
}

/** Every job, whole (a listing's page may hold less of it than a read): a job already there is left as it is. */
async function copyJobs(from: JobStore, to: JobStore): Promise<number> {
  let copied = 0;
  let cursor: string | undefined;
  do {
    const page = await from.list({ limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    for (const listed of page.jobs) {
      const job = await from.get(listed.id);
      if (job && (await to.create(job)).created) copied += 1;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return copied;
}

/** Every token, revoked ones too (who had access, until when); one already there (a copy interrupted before it was recorded) is left as it is. */
async function copyTokens(from: TokenStore, to: TokenStore): Promise<{ tokens: number; skippedTokenNames: string[] }> {
  let copied = 0;
  const skippedTokenNames: string[] = [];
  for (const token of await from.list()) {
    if (await to.findByHash(token.hash)) continue;
    if (await to.create(token)) copied += 1;
    else skippedTokenNames.push(token.name);
  }
  return { tokens: copied, skippedTokenNames };
}

/** What the user is told about a copy: what was copied, and how to delete the old folder. */
export function describeLegacyImport(copy: LegacyImport): string {
  const skipped =
    copy.skippedTokenNames.length === 0
      ? ''
      : ` (not copied: token(s) ${copy.skippedTokenNames.map((name) => `'${name}'`).join(', ')}, a token of that name exists in ${JOBS_DATABASE_FILE} already)`;
  return (
    `copied ${copy.jobs} job(s) and ${copy.tokens} token(s) from the old store in ${copy.folder} into ${JOBS_DATABASE_FILE}${skipped}; ` +
    `that folder is no longer used: once you are content, delete it with rm -r '${copy.folder}'`
  );
}
