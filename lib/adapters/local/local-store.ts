/**
 * The local store (dynalite on `<data dir>/db`) for one process at a time: LevelDB locks its
 * directory, so while `npm start` runs, other local tools (`npm run token`) reach the store through
 * the running server's DynamoDB endpoint, which the server writes to `<data dir>/dynamodb-endpoint`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { embeddedDynamoDbClient, ensureJobTable, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from './embedded-dynamodb.ts';

export const LOCAL_TABLE_NAME = 'fargate-jobs';
const PROBE_TIMEOUT_MS = 2_000;

/** Where a running server says how to reach its store. */
function endpointFileOf(dataDir: string): string {
  return join(dataDir, 'dynamodb-endpoint');
}

export interface LocalStore {
  client: DynamoDBClient;
  tableName: string;
  close(): Promise<void>;
}

/** Opens the store of a data directory for the process that owns it (the server). */
export async function openOwnedStore(dataDir: string, tableName = LOCAL_TABLE_NAME): Promise<EmbeddedDynamoDb> {
  const dbPath = join(dataDir, 'db');
  mkdirSync(dbPath, { recursive: true });
  let database: EmbeddedDynamoDb;
  try {
    database = await startEmbeddedDynamoDb({ path: dbPath });
    await ensureJobTable(database.client, tableName);
  } catch (error) {
    throw new Error(`the local store in ${dbPath} could not be opened (${(error as Error).message}); is another fargate-jobs server using ${dataDir}?`, { cause: error });
  }
  const endpointFile = endpointFileOf(dataDir);
  writeFileSync(endpointFile, `${database.endpoint}\n`, { mode: 0o600 });
  return {
    ...database,
    async close() {
      // Only this process's endpoint: a newer server on the same directory may have written its own.
      if (existsSync(endpointFile) && readFileSync(endpointFile, 'utf8').trim() === database.endpoint) rmSync(endpointFile);
      await database.close();
    },
  };
}

/**
 * The store of a data directory for a tool: through the running server's endpoint when there is
 * one, else opened directly (and closed again by `close`).
 */
export async function openSharedStore(dataDir: string, tableName = LOCAL_TABLE_NAME): Promise<LocalStore> {
  const endpoint = runningServerEndpoint(dataDir);
  if (endpoint) {
    const client = embeddedDynamoDbClient(endpoint, { maxAttempts: 1 });
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }), { abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      return { client, tableName, close: async () => client.destroy() };
    } catch {
      // A server that died without cleaning up: its directory is free to open.
      client.destroy();
    }
  }
  const database = await openOwnedStore(dataDir, tableName);
  return { client: database.client, tableName, close: () => database.close() };
}

function runningServerEndpoint(dataDir: string): string | undefined {
  const file = endpointFileOf(dataDir);
  if (!existsSync(file)) return undefined;
  const endpoint = readFileSync(file, 'utf8').trim();
  return /^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint) ? endpoint : undefined;
}
