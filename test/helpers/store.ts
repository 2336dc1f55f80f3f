/** Real DynamoDB stores on an in-memory dynalite: the tests exercise the adapters that run on AWS. */
import { randomUUID } from 'node:crypto';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
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

export interface TestTokenStore {
  store: DynamoDbTokenStore;
  database: EmbeddedDynamoDb;
  /** The job table the tokens live in, as on AWS (read it raw through `database.client`). */
  tableName: string;
  close(): Promise<void>;
}

/** A DynamoDbTokenStore on its own dynalite table. */
export async function createTestTokenStore(): Promise<TestTokenStore> {
  const database = await startEmbeddedDynamoDb();
  const tableName = `jobs-${randomUUID()}`;
  await ensureJobTable(database.client, tableName);
  return {
    store: new DynamoDbTokenStore({ client: database.client, tableName }),
    database,
    tableName,
    close: () => database.close(),
  };
}
