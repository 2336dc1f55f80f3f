/**
 * The local store (dynalite on `<data dir>/db`) for one process at a time: LevelDB locks its
 * directory, so while `npm start` runs, other local tools (`npm run token`) reach the store through
 * the running server's DynamoDB endpoint. The server writes where that is, and the secret its store
 * wants, to `<data dir>/dynamodb-endpoint` (JSON, mode 0600: whoever reads it may read every job).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { embeddedDynamoDbClient, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from './embedded-dynamodb.ts';
import { ensureJobTable } from './job-table.ts';
import { ensurePrivateDirectory, writePrivateFileAtomically } from './private-files.ts';

export const LOCAL_TABLE_NAME = 'fargate-jobs';
const PROBE_TIMEOUT_MS = 2_000;

/** How a running server's store is reached: the contents of its endpoint file. */
export interface StoreAddress {
  endpoint: string;
  secret: string;
}

/** Where a running server says how to reach its store. */
export function endpointFileOf(dataDir: string): string {
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
  ensurePrivateDirectory(dbPath);
  let database: EmbeddedDynamoDb;
  try {
    database = await startEmbeddedDynamoDb({ path: dbPath });
    await ensureJobTable(database.client, tableName);
  } catch (error) {
    throw new Error(`the local store in ${dbPath} could not be opened (${(error as Error).message}); is another fargate-jobs server using ${dataDir}?`, { cause: error });
  }
  const endpointFile = endpointFileOf(dataDir);
  const address: StoreAddress = { endpoint: database.endpoint, secret: database.secret };
  writePrivateFileAtomically(endpointFile, `${JSON.stringify(address)}\n`);
  return {
    ...database,
    async close() {
      // Only this process's address: a newer server on the same directory may have written its own.
      if (readStoreAddress(endpointFile)?.secret === database.secret) rmSync(endpointFile, { force: true });
      await database.close();
    },
  };
}

/**
 * The store of a data directory for a tool: through the running server's endpoint when there is
 * one, else opened directly (and closed again by `close`).
 */
export async function openSharedStore(dataDir: string, tableName = LOCAL_TABLE_NAME): Promise<LocalStore> {
  const endpointFile = endpointFileOf(dataDir);
  const address = readStoreAddress(endpointFile);
  if (address) {
    const client = embeddedDynamoDbClient(address.endpoint, { secret: address.secret, maxAttempts: 1 });
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }), { abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      return { client, tableName, close: async () => client.destroy() };
    } catch (error) {
      client.destroy();
      // A store answers there, so its directory is locked: opening it would fail less clearly.
      if ((error as Error).name === 'AccessDeniedException') {
        throw new Error(`the fargate-jobs server at ${address.endpoint} refused the secret in ${endpointFile}; restart that server (it writes the file afresh)`, { cause: error });
      }
      // A server that died without cleaning up: its directory is free to open.
    }
  }
  const database = await openOwnedStore(dataDir, tableName);
  return { client: database.client, tableName, close: () => database.close() };
}

/**
 * The address in an endpoint file, or undefined when there is none or it is not one (a file of an
 * older version held the bare URL, without a secret): then no server is taken to be running.
 */
function readStoreAddress(file: string): StoreAddress | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: Partial<StoreAddress> | null;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoreAddress> | null;
  } catch {
    return undefined;
  }
  const { endpoint, secret } = parsed ?? {};
  if (typeof endpoint !== 'string' || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) return undefined;
  if (typeof secret !== 'string' || !/^[0-9a-f]{64}$/.test(secret)) return undefined;
  return { endpoint, secret };
}
