/**
 * The embedded store's job table across versions: a table an earlier version made without the
 * active-jobs index is rebuilt with every item kept, also when a rebuild was interrupted; a table
 * of the current layout is left as it is.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateTableCommand, DescribeTableCommand, ListTablesCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { ACTIVE_INDEX, jobTableDefinition, listedJobKey, listedTokenKey } from '#lib/adapters/aws/dynamodb-table.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#lib/adapters/local/embedded-dynamodb.ts';
import { ensureJobTable } from '#lib/adapters/local/job-table.ts';
import { aJob } from '../helpers/jobs.ts';

/** The table as versions before the active-jobs index made it. */
async function createEarlierTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const current = jobTableDefinition(tableName);
  await client.send(
    new CreateTableCommand({
      ...current,
      AttributeDefinitions: current.AttributeDefinitions?.filter((attribute) => attribute.AttributeName !== 'activeSubmitter'),
      GlobalSecondaryIndexes: current.GlobalSecondaryIndexes?.filter((index) => index.IndexName !== ACTIVE_INDEX),
    }),
  );
}

/** 60 job items and a token item, as an earlier version stored them (no active-index key). */
function earlierItems(): Record<string, unknown>[] {
  const jobs = Array.from({ length: 60 }, (_unused, index) => aJob({ submittedBy: 'ci', command: ['echo', String(index)] }));
  const token = { hash: 'ab'.repeat(32), name: 'ci', profiles: ['*'], createdAt: '2030-01-01T00:00:00.000Z' };
  return [...jobs.map((job) => ({ ...job, ...listedJobKey(job) })), { ...token, ...listedTokenKey(token) }];
}

async function putItems(client: DynamoDBClient, tableName: string, items: Record<string, unknown>[]): Promise<void> {
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  for (let index = 0; index < items.length; index += 25) {
    await documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: items.slice(index, index + 25).map((item) => ({ PutRequest: { Item: item } })) } }));
  }
}

async function itemsOf(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const { Items } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return (Items ?? []).map((item) => JSON.stringify(item, Object.keys(item).sort())).sort();
}

async function indexesOf(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName ?? '').sort();
}

describe('ensureJobTable', () => {
  let database: EmbeddedDynamoDb;
  before(async () => {
    database = await startEmbeddedDynamoDb();
  });
  after(async () => {
    await database.close();
  });

  it('rebuilds a table of an earlier version with the current indexes, keeping every item, and counts active jobs on it', async () => {
    // Prepare
    const tableName = `jobs-${randomUUID()}`;
    await createEarlierTable(database.client, tableName);
    const items = earlierItems();
    await putItems(database.client, tableName, items);
    const before = await itemsOf(database.client, tableName);

    // Act
    await ensureJobTable(database.client, tableName);

    // Assess
    assert.deepEqual(await indexesOf(database.client, tableName), ['activeBySubmitter', 'byCreatedAt']);
    assert.deepEqual(await itemsOf(database.client, tableName), before);
    const { TableNames } = await database.client.send(new ListTablesCommand({}));
    assert.deepEqual(TableNames?.filter((name) => name.startsWith(tableName)), [tableName], 'no staging table is left');
    const store = new DynamoDbJobStore({ client: database.client, tableName });
    await store.create(aJob({ submittedBy: 'ci' }));
    assert.equal(await store.countActive('ci', 100), 1, 'jobs stored from now on are counted');
  });

  it('finishes a rebuild interrupted after the old table was deleted, from the staging table', async () => {
    // Prepare
    const tableName = `jobs-${randomUUID()}`;
    await database.client.send(new CreateTableCommand(jobTableDefinition(`${tableName}.upgrade`)));
    await putItems(database.client, `${tableName}.upgrade`, earlierItems());
    const staged = await itemsOf(database.client, `${tableName}.upgrade`);

    // Act
    await ensureJobTable(database.client, tableName);

    // Assess
    assert.deepEqual(await itemsOf(database.client, tableName), staged);
    const { TableNames } = await database.client.send(new ListTablesCommand({}));
    assert.ok(!TableNames?.includes(`${tableName}.upgrade`), 'the staging table is gone');
  });

  it('starts a rebuild interrupted while copying out again, from the old table', async () => {
    // Prepare
    const tableName = `jobs-${randomUUID()}`;
    await createEarlierTable(database.client, tableName);
    const items = earlierItems();
    await putItems(database.client, tableName, items);
    await database.client.send(new CreateTableCommand(jobTableDefinition(`${tableName}.upgrade`)));
    await putItems(database.client, `${tableName}.upgrade`, items.slice(0, 10));
    const before = await itemsOf(database.client, tableName);

    // Act
    await ensureJobTable(database.client, tableName);

    // Assess
    assert.deepEqual(await itemsOf(database.client, tableName), before);
    assert.deepEqual(await indexesOf(database.client, tableName), ['activeBySubmitter', 'byCreatedAt']);
  });

  it('leaves a table of the current layout as it is', async () => {
    // Prepare
    const tableName = `jobs-${randomUUID()}`;
    await ensureJobTable(database.client, tableName);
    const store = new DynamoDbJobStore({ client: database.client, tableName });
    await store.create(aJob());
    const created = (await database.client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.CreationDateTime;

    // Act
    await ensureJobTable(database.client, tableName);

    // Assess
    assert.deepEqual((await database.client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.CreationDateTime, created);
    assert.equal((await itemsOf(database.client, tableName)).length, 1);
  });
});
