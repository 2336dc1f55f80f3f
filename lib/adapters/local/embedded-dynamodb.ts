/**
 * An embedded DynamoDB-compatible store (dynalite, LevelDB on disk) on a loopback port, so the local
 * mode and the tests use the very DynamoDB adapter that runs on AWS.
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { setTimeout as delay } from 'node:timers/promises';
import { jobTableDefinition } from '#lib/adapters/aws/dynamodb-table.ts';

const TABLE_ACTIVE_ATTEMPTS = 200;
const TABLE_ACTIVE_POLL_MS = 10;

export interface EmbeddedDynamoDb {
  client: DynamoDBClient;
  endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite; with `path` its data persists there, without it lives in memory. */
export async function startEmbeddedDynamoDb(options: { path?: string } = {}): Promise<EmbeddedDynamoDb> {
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = embeddedDynamoDbClient(endpoint);
  return {
    client,
    endpoint,
    async close() {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** A client of an embedded store at `endpoint` (dynalite takes any region and credentials). */
export function embeddedDynamoDbClient(endpoint: string, options: { maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...options,
  });
}

/** Creates the job table unless it exists (its data survives restarts on disk). */
export async function ensureJobTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(jobTableDefinition(tableName)));
  } catch (error) {
    // It exists already: its data survived a restart.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // A new table takes writes only once ACTIVE, a moment after CreateTable answers.
  for (let attempt = 0; attempt < TABLE_ACTIVE_ATTEMPTS; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await delay(TABLE_ACTIVE_POLL_MS);
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
