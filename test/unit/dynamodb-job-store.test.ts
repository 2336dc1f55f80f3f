/**
 * What is DynamoDB's own in the DynamoDB job store: how it asks the table (the list index's key
 * condition, no read for an empty list of profiles), the index attribute it keeps to itself, the
 * cursors it refuses, and persistence through the embedded database on disk. What every JobStore
 * promises is in test/contract/job-store.contract.ts, run against this store on dynalite.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { DynamoDbJobStore } from '#lib/adapters/aws/dynamodb-job-store.ts';
import { ACTIVE_SUBMITTER, jobKey } from '#lib/adapters/aws/dynamodb-table.ts';
import { startEmbeddedDynamoDb } from '#lib/adapters/local/embedded-dynamodb.ts';
import { ensureJobTable } from '#lib/adapters/local/job-table.ts';
import { encodeCursor } from '#lib/domain/cursor.ts';
import { ValidationError } from '#lib/domain/errors.ts';
import type { Job } from '#lib/domain/job.ts';
import { aJob } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';

function ids(jobs: Job[]): string[] {
  return jobs.map((job) => job.id);
}

/** Polls (bounded) until the table reports ACTIVE. */
async function untilTableActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${tableName} never became ACTIVE`);
}

describe('DynamoDbJobStore', () => {
  describe('on dynalite', () => {
    let testStore: TestStore;
    before(async () => {
      testStore = await createTestStore();
    });
    after(async () => {
      await testStore.close();
    });

    /** The item as DynamoDB holds it, index attributes included. */
    async function rawItem(jobId: string): Promise<Record<string, unknown> | undefined> {
      const { Item } = await testStore.database.client.send(
        new GetItemCommand({ TableName: testStore.tableName, Key: { pk: { S: jobKey(jobId).pk }, sk: { S: jobKey(jobId).sk } }, ConsistentRead: true }),
      );
      return Item;
    }

    it('keeps the active index key on the item until the stop is recorded, and never hands it to a reader', async () => {
      // Prepare
      const { store } = testStore;
      const job = aJob({ submittedBy: 'nightly-ci', status: 'RUNNING' });
      await store.create(job);
      const whileRunning = await rawItem(job.id);

      // Act
      await store.transition(job.id, 'CANCELLED');
      const cancelled = await rawItem(job.id);
      await store.update(job.id, { stoppedAt: '2030-01-01T00:00:00.000Z' });
      const stopped = await rawItem(job.id);

      // Assess
      assert.deepEqual(whileRunning?.[ACTIVE_SUBMITTER], { S: 'nightly-ci' });
      assert.deepEqual(cancelled?.[ACTIVE_SUBMITTER], { S: 'nightly-ci' }, 'a cancelled job stays in the reconciler\'s view');
      assert.equal(stopped?.[ACTIVE_SUBMITTER], undefined);
      assert.deepEqual(Object.keys((await store.get(job.id))!).filter((key) => key.startsWith('active')), [], 'the index key stays inside the store');
    });

    it('rejects a cursor of its own shape that points into another partition of the index with a ValidationError (400)', async () => {
      // Prepare
      const cursor = encodeCursor({ pk: 'JOB#x', sk: 'JOB', gsi1pk: 'OTHER', gsi1sk: '2024' });

      // Act and assess
      await assert.rejects(testStore.store.list({ limit: 5, cursor }), (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.equal(httpStatusOf(error), 400);
        return true;
      });
    });
  });

  describe('list createdBefore', () => {
    // Mocked: what matters is how the table is asked, not what it answers.
    let documents: AwsClientStub<DynamoDBDocumentClient>;
    before(() => {
      documents = mockClient(DynamoDBDocumentClient);
    });
    after(() => {
      documents.restore();
    });

    it("is a condition on the index's sort key, so jobs created since are never read", async () => {
      // Prepare
      documents.reset();
      documents.on(QueryCommand).resolves({ Items: [] });
      const store = new DynamoDbJobStore({ client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: 'fargate-jobs-test-jobs' });

      // Act
      await store.list({ limit: 5, createdBefore: '2025-05-01T00:00:00.000Z' });

      // Assess
      const [call] = documents.commandCalls(QueryCommand);
      assert.equal(call?.args[0].input.KeyConditionExpression, 'gsi1pk = :partition AND gsi1sk < :before');
      assert.equal(call?.args[0].input.ExpressionAttributeValues?.[':before'], '2025-05-01T00:00:00.000Z');
      assert.equal(call?.args[0].input.FilterExpression, undefined);
    });
  });

  describe('status times and label filters, as asked of the table', () => {
    // Mocked: what matters is that each is part of the one request, not what the table answers.
    let documents: AwsClientStub<DynamoDBDocumentClient>;
    const now = new Date('2030-03-03T03:03:03.000Z');
    before(() => {
      documents = mockClient(DynamoDBDocumentClient);
    });
    after(() => {
      documents.restore();
    });

    it('records the status reached in the conditional write that moves the job there, at its updatedAt', async () => {
      // Prepare
      documents.reset();
      const job = aJob({ status: 'RUNNING', statusTimes: { QUEUED: '2030-03-03T03:00:00.000Z' } });
      documents.on(UpdateCommand).resolves({ Attributes: { ...job, ...jobKey(job.id), status: 'SUCCEEDED' } });
      const store = new DynamoDbJobStore({ client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: 'fargate-jobs-test-jobs', now: () => now });

      // Act
      await store.transition(job.id, 'SUCCEEDED', { exitCode: 0 });

      // Assess
      const calls = documents.commandCalls(UpdateCommand);
      assert.equal(calls.length, 1);
      const input = calls[0]!.args[0].input;
      assert.match(input.UpdateExpression ?? '', /#statusTimes\.#reached = :reachedAt/);
      assert.match(input.ConditionExpression ?? '', /#status IN \(.*\) AND attribute_exists\(#statusTimes\)/);
      assert.equal(input.ExpressionAttributeNames?.['#reached'], 'SUCCEEDED');
      assert.equal(input.ExpressionAttributeValues?.[':reachedAt'], now.toISOString());
      assert.ok(Object.values(input.ExpressionAttributeValues ?? {}).filter((value) => value === now.toISOString()).length >= 2, 'updatedAt is the same time');
    });

    it('filters on each label by a name placeholder, so that any key the API accepts is safe in the expression', async () => {
      // Prepare
      documents.reset();
      documents.on(QueryCommand).resolves({ Items: [] });
      const store = new DynamoDbJobStore({ client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: 'fargate-jobs-test-jobs' });

      // Act
      await store.list({ limit: 5, labels: { 'app.kubernetes.io/name': 'api', team: 'platform' } });

      // Assess
      const input = documents.commandCalls(QueryCommand)[0]!.args[0].input;
      assert.equal(input.FilterExpression, '#labels.#label0 = :label0 AND #labels.#label1 = :label1');
      assert.deepEqual(input.ExpressionAttributeNames, { '#labels': 'labels', '#label0': 'app.kubernetes.io/name', '#label1': 'team' });
      assert.equal(input.ExpressionAttributeValues?.[':label1'], 'platform');
    });
  });

  describe('list with an empty list of profiles', () => {
    // Mocked only here: the other blocks run against dynalite, one block after the other.
    let documents: AwsClientStub<DynamoDBDocumentClient>;
    let store: DynamoDbJobStore;
    before(() => {
      documents = mockClient(DynamoDBDocumentClient);
    });
    beforeEach(() => {
      documents.reset();
      documents.on(QueryCommand).resolves({ Items: [aJob()] });
      store = new DynamoDbJobStore({ client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: 'fargate-jobs-test-jobs' });
    });
    after(() => {
      documents.restore();
    });

    it('returns an empty page without reading the table: a caller with no profiles sees no job', async () => {
      // Act
      const page = await store.list({ profiles: [], limit: 5 });
      const failed = await store.list({ profiles: [], status: 'FAILED', limit: 5 });

      // Assess
      assert.deepEqual(page, { jobs: [], nextCursor: null });
      assert.deepEqual(failed, { jobs: [], nextCursor: null });
      assert.equal(documents.commandCalls(QueryCommand).length, 0);
    });
  });

  describe('on disk', () => {
    let dataDir: string;
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'fargate-jobs-store-'));
    });
    after(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });

    it('keeps jobs across a restart of the embedded database', async () => {
      // Prepare
      const path = join(dataDir, 'db');
      const tableName = 'jobs';
      const first = await startEmbeddedDynamoDb({ path });
      let written: Job;
      try {
        await ensureJobTable(first.client, tableName);
        // Readiness right after ensureJobTable is the next test's subject; this one is about the restart.
        await untilTableActive(first.client, tableName);
        const store = new DynamoDbJobStore({ client: first.client, tableName });
        const job = aJob({ labels: { keep: 'me' } });
        await store.create(job);
        written = (await store.transition(job.id, 'RUNNING', { taskArn: 'arn:task/persisted' })).job;
      } finally {
        await first.close();
      }

      // Act
      const second = await startEmbeddedDynamoDb({ path });
      try {
        await ensureJobTable(second.client, tableName);
        const store = new DynamoDbJobStore({ client: second.client, tableName });
        const readBack = await store.get(written.id);
        const listed = await store.list({ limit: 10 });

        // Assess
        assert.deepEqual(readBack, written);
        assert.deepEqual(ids(listed.jobs), [written.id]);
      } finally {
        await second.close();
      }
    });

    it('takes writes as soon as ensureJobTable resolves on a fresh database (first start)', async () => {
      // Prepare: dynalite marks a new table ACTIVE a moment after CreateTable answers, so the race is
      // timing-dependent; several fresh starts make it show up reliably.
      const attempts = 25;
      const failures: string[] = [];

      // Act
      for (let attempt = 0; attempt < attempts; attempt += 1) {
        const database = await startEmbeddedDynamoDb({ path: join(dataDir, `fresh-${attempt}`) });
        try {
          await ensureJobTable(database.client, 'jobs');
          const store = new DynamoDbJobStore({ client: database.client, tableName: 'jobs' });
          await store.create(aJob());
          await store.list({ limit: 1 });
        } catch (error) {
          failures.push(`start ${attempt}: ${(error as Error).name}`);
        } finally {
          await database.close();
        }
      }

      // Assess
      assert.deepEqual(failures, []);
    });
  });
});
