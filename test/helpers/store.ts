/** A real DynamoDbJobStore on an in-memory dynalite: the tests exercise the adapter that runs on AWS. */
import { randomUUID } from 'node:crypto';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { ensureJobTable, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#lib/adapters/local/embedded-dynamodb.ts';

export interface TestStore {
  store: DynamoDbJobStore;
  database: EmbeddedDynamoDb;
  tableName: string;
  close(): Promise<void>;
}

/** Each call gets its own table, so tests sharing one database never see each other's jobs. */
export async function createTestStore(options: { now?: () => Date } = {}): Promise<TestStore> {
  const database = await startEmbeddedDynamoDb();
  const tableName = `jobs-${randomUUID()}`;
  await ensureJobTable(database.client, tableName);
  return {
    store: new DynamoDbJobStore({ client: database.client, tableName, ...(options.now ? { now: options.now } : {}) }),
    database,
    tableName,
    close: () => database.close(),
  };
}
