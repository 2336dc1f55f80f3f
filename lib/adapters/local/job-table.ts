/**
 * The job table of an embedded store: created on first start, kept across restarts, and rebuilt
 * when an earlier version made it with fewer indexes than the current layout has (dynalite's
 * UpdateTable adds no index). A rebuild copies the items to a staging table of the current layout,
 * deletes the old table, makes it afresh and copies the items back. At every moment one table holds
 * every item, so a start interrupted halfway finishes the rebuild on the next start.
 */
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TableDescription,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { setTimeout as delay } from 'node:timers/promises';
import { jobTableDefinition } from '#lib/adapters/aws/dynamodb-table.ts';

const STAGING_SUFFIX = '.upgrade';
const TABLE_STATE_ATTEMPTS = 200;
const TABLE_STATE_POLL_MS = 10;
/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;

/** Makes sure `tableName` exists with the current layout, keeping every item it holds. */
export async function ensureJobTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const staging = `${tableName}${STAGING_SUFFIX}`;
  const [current, staged] = await Promise.all([describe(client, tableName), describe(client, staging)]);
  if (staged && (!current || hasCurrentLayout(current))) {
    // The old table is gone (or made afresh): the staging table holds every item.
    if (!current) await createTable(client, tableName);
    await moveItems(client, staging, tableName);
    return;
  }
  if (!current) return createTable(client, tableName);
  if (hasCurrentLayout(current)) return waitUntilActive(client, tableName);
  // Made by an earlier version; a staging table left from an interrupted copy is incomplete.
  if (staged) await deleteTable(client, staging);
  await createTable(client, staging);
  await copyItems(client, tableName, staging);
  await deleteTable(client, tableName);
  await createTable(client, tableName);
  await moveItems(client, staging, tableName);
}

function hasCurrentLayout(table: TableDescription): boolean {
  const indexes = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  return (jobTableDefinition(table.TableName ?? '').GlobalSecondaryIndexes ?? []).every((index) => indexes.has(index.IndexName));
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(jobTableDefinition(tableName)));
  await waitUntilActive(client, tableName);
}

/** A new table takes writes only once it and its indexes are ACTIVE, a moment after CreateTable answers. */
async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < TABLE_STATE_ATTEMPTS; attempt += 1) {
    const table = await describe(client, tableName);
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await delay(TABLE_STATE_POLL_MS);
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

async function deleteTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  for (let attempt = 0; attempt < TABLE_STATE_ATTEMPTS; attempt += 1) {
    if (!(await describe(client, tableName))) return;
    await delay(TABLE_STATE_POLL_MS);
  }
  throw new Error(`table ${tableName} was not deleted`);
}

async function moveItems(client: DynamoDBClient, from: string, to: string): Promise<void> {
  await copyItems(client, from, to);
  await deleteTable(client, from);
}

/** Puts every item of `from` into `to` (a put of an item already there changes nothing). */
async function copyItems(client: DynamoDBClient, from: string, to: string): Promise<void> {
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: from, ConsistentRead: true, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }));
    const items = page.Items ?? [];
    for (let index = 0; index < items.length; index += BATCH_SIZE) {
      await writeAll(client, to, items.slice(index, index + BATCH_SIZE).map((item) => ({ PutRequest: { Item: item } })));
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

async function writeAll(client: DynamoDBClient, tableName: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  while (pending.length > 0) {
    const { UnprocessedItems } = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
    pending = UnprocessedItems?.[tableName] ?? [];
  }
}
