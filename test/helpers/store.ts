/** Real DynamoDB stores on an in-memory dynalite: the tests exercise the adapters that run on AWS. */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { DynamoDbScheduleStore } from '#lib/adapters/aws/dynamodb-schedule-store.ts';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import { startEmbeddedDynamoDb, STORE_SECRET_HEADER, type EmbeddedDynamoDb } from '#lib/adapters/local/embedded-dynamodb.ts';
import { ensureJobTable } from '#lib/adapters/local/job-table.ts';
import { closeServer } from './http-server.ts';

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

/** A DynamoDbScheduleStore on its own table: the job table, as on AWS. */
export interface TestScheduleStore extends TestTable {
  store: DynamoDbScheduleStore;
}

export async function createTestScheduleStore(): Promise<TestScheduleStore> {
  const table = await createTestTable();
  return { ...table, store: new DynamoDbScheduleStore({ client: table.database.client, tableName: table.tableName }) };
}

/**
 * An endpoint in front of `database` that adds its secret to every request, for a client the test
 * cannot give a middleware (one the AWS composition root builds from AWS_ENDPOINT_URL_DYNAMODB).
 */
export async function secretAddingProxy(database: EmbeddedDynamoDb): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const upstream = httpRequest(
      `${database.endpoint}${request.url ?? '/'}`,
      { method: request.method, headers: { ...request.headers, [STORE_SECRET_HEADER]: database.secret } },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => closeServer(server),
  };
}
