/**
 * A data directory as versions before jobs.db left it: their records in dynalite under `db/`, in
 * the one table `fargate-jobs`, written through the DynamoDB stores as those versions wrote them.
 */
import { join } from 'node:path';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import { startEmbeddedDynamoDb } from '#lib/adapters/local/embedded-dynamodb.ts';
import { ensureJobTable } from '#lib/adapters/local/job-table.ts';
import type { Job } from '#lib/domain/job.ts';
import type { JobStore } from '#lib/domain/ports.ts';
import { TokenService } from '#lib/domain/tokens.ts';

/** What the old store is given: its jobs, and its tokens made through the token service. */
export interface LegacyContents {
  jobs: Job[];
  /** Creates the tokens; resolves to whatever the test needs of them (their clear values…). */
  tokens?: (tokens: TokenService) => Promise<void>;
  /** Anything else written through the job store (e.g. a job moved along). */
  alsoJobs?: (store: JobStore) => Promise<void>;
}

export async function writeLegacyStore(dataDir: string, contents: LegacyContents): Promise<void> {
  const database = await startEmbeddedDynamoDb({ path: join(dataDir, 'db') });
  try {
    const tableName = 'fargate-jobs';
    await ensureJobTable(database.client, tableName);
    const store = new DynamoDbJobStore({ client: database.client, tableName });
    for (const job of contents.jobs) await store.create(job);
    await contents.alsoJobs?.(store);
    await contents.tokens?.(new TokenService({ store: new DynamoDbTokenStore({ client: database.client, tableName }) }));
  } finally {
    await database.close();
  }
}
