/** Real DynamoDB stores on an in-memory dynalite: the tests exercise the adapters that run on AWS. */
import { randomUUID } from 'node:crypto';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import { ensureJobTable, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#lib/adapters/local/embedded-dynamodb.ts';

interface TestTable {
  database: EmbeddedDynamoDb;
  tableName: string;
  close(): Promise<void>;
}

/** Each call gets its own table, so tests sharing one database never see each other's items. */
async function createTestTable(): Promise<TestTable> {
  const database = await startEmbeddedDynamoDb();
  const tableName = `jobs-${randomUUID()}`;
  await ensureJobTable(database.client, tableName);
  return { database, tableName, close: () => database.close() };
}

export interface TestStore extends TestTable {
  store: DynamoDbJobStore;
}

export async function createTestStore(options: { now?: () => Date } = {}): Promise<TestStore> {
  const table = await createTestTable();
  const { client } = table.database;
  return { ...table, store: new DynamoDbJobStore({ client, tableName: table.tableName, ...(options.now ? { now: options.now } : {}) }) };
}

/** A DynamoDbTokenStore on its own table; `tableName` is the job table the tokens live in, as on AWS. */
export interface TestTokenStore extends TestTable {
  store: DynamoDbTokenStore;
}

export async function createTestTokenStore(): Promise<TestTokenStore> {
  const table = await createTestTable();
  return { ...table, store: new DynamoDbTokenStore({ client: table.database.client, tableName: table.tableName }) };
}
