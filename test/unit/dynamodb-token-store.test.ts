/**
 * The DynamoDB token store's calls as DynamoDB receives them (aws-sdk-client-mock on the document
 * client): a create that claims the name with a conditional Put before the conditional Put of the
 * token (and frees the name again when the second fails), a consistent Get by the token's hash, a
 * newest-first Query of the token partition that follows every page, and a revoke by name that reads
 * the name item, revokes its token with a TTL and frees the name, finishing an interrupted revoke or
 * create on the way.
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import type { TokenRecord } from '#lib/domain/ports.ts';

const TABLE = 'fargate-jobs-test-jobs';
const NINETY_DAYS_SECONDS = 90 * 24 * 3600;

// The store sends through the document client, so that is the client to mock.
const dynamodb = mockClient(DynamoDBDocumentClient);

function aRecord(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    hash: 'a'.repeat(64),
    name: 'ci',
    profiles: ['default', 'ssh'],
    createdAt: '2030-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** The item as the store writes it: the record plus its keys. */
function storedItem(record: TokenRecord, extra: Record<string, unknown> = {}) {
  return { ...record, pk: `TOKEN#${record.hash}`, sk: 'TOKEN', gsi1pk: 'TOKENS', gsi1sk: `${record.createdAt}#${record.hash}`, ...extra };
}

function tokenKey(hash: string) {
  return { pk: `TOKEN#${hash}`, sk: 'TOKEN' };
}

/** The key of the item that holds an active token's name. */
function nameKey(name: string) {
  return { pk: `TOKENNAME#${name}`, sk: 'TOKEN' };
}

/** Every command the store sent, in order, as its name and input. */
function sentCommands(): { command: string; input: unknown }[] {
  return dynamodb.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: unknown };
    return { command: command.constructor.name, input: command.input };
  });
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
}

function throttled(): ProvisionedThroughputExceededException {
  return new ProvisionedThroughputExceededException({
    message: 'The level of configured provisioned throughput for the table was exceeded.',
    $metadata: { httpStatusCode: 400 },
  });
}

function aStore(): DynamoDbTokenStore {
  return new DynamoDbTokenStore({ client: new DynamoDBClient({ region: 'eu-west-1' }), tableName: TABLE });
}

describe('DynamoDbTokenStore', () => {
  beforeEach(() => {
    dynamodb.reset();
  });

  describe('create', () => {
    it('claims the name with a conditional Put of TOKENNAME#<name>, then puts the token item keyed by its hash, listed under TOKENS, also only if new', async () => {
      // Prepare
      dynamodb.on(PutCommand).resolves({});
      const record = aRecord();

      // Act
      const created = await aStore().create(record);

      // Assess
      assert.equal(created, true);
      assert.deepEqual(sentCommands(), [
        {
          command: 'PutCommand',
          input: { TableName: TABLE, Item: { ...nameKey('ci'), hash: record.hash }, ConditionExpression: 'attribute_not_exists(pk)' },
        },
        {
          command: 'PutCommand',
          input: { TableName: TABLE, Item: storedItem(record), ConditionExpression: 'attribute_not_exists(pk)' },
        },
      ]);
    });

    it('answers false and writes no token item when the name is already held (ConditionalCheckFailedException on the name item)', async () => {
      // Prepare
      dynamodb.on(PutCommand).rejects(conditionFailed());

      // Act
      const created = await aStore().create(aRecord());

      // Assess
      assert.equal(created, false);
      assert.deepEqual(sentCommands().map(({ command, input }) => [command, (input as { Item: { pk: string } }).Item.pk]), [['PutCommand', 'TOKENNAME#ci']]);
    });

    it('lets any other DynamoDB error on the name item through, and writes nothing more', async () => {
      // Prepare
      dynamodb.on(PutCommand).rejects(throttled());

      // Act & Assess
      await assert.rejects(aStore().create(aRecord()), { name: 'ProvisionedThroughputExceededException' });
      assert.equal(dynamodb.calls().length, 1);
    });

    it('keeps the name held and says to revoke it when the token item cannot be written (the write may have been applied)', async () => {
      // Prepare
      const record = aRecord();
      dynamodb.on(PutCommand).resolves({});
      dynamodb.on(PutCommand, { Item: { pk: `TOKEN#${record.hash}` } }).rejects(throttled());

      // Act & Assess
      await assert.rejects(aStore().create(record), (error: Error) => {
        assert.match(error.message, /token 'ci' may not have been stored; revoke the name before creating it again/);
        assert.equal((error.cause as Error).name, 'ProvisionedThroughputExceededException');
        return true;
      });
      assert.deepEqual(sentCommands().map(({ command }) => command), ['PutCommand', 'PutCommand']);
    });

    it('frees its name and throws when the token item is barred by a revoke of the name that came between its writes', async () => {
      // Prepare
      const record = aRecord();
      dynamodb.on(PutCommand).resolves({});
      dynamodb.on(PutCommand, { Item: { pk: `TOKEN#${record.hash}` } }).rejects(conditionFailed());
      dynamodb.on(DeleteCommand).resolves({});

      // Act & Assess
      await assert.rejects(aStore().create(record), { message: "token 'ci' was revoked while it was being created" });
      assert.deepEqual(sentCommands().map(({ command }) => command), ['PutCommand', 'PutCommand', 'DeleteCommand']);
      assert.deepEqual(dynamodb.commandCalls(DeleteCommand)[0]?.args[0].input, {
        TableName: TABLE,
        Key: nameKey('ci'),
        ConditionExpression: 'attribute_not_exists(pk) OR #hash = :hash',
        ExpressionAttributeNames: { '#hash': 'hash' },
        ExpressionAttributeValues: { ':hash': record.hash },
      });
    });
  });

  describe('findByHash', () => {
    it('reads the item by TOKEN#<hash> with a consistent read and returns the record without its keys', async () => {
      // Prepare
      const record = aRecord();
      dynamodb.on(GetCommand).resolves({ Item: storedItem(record) });

      // Act
      const found = await aStore().findByHash(record.hash);

      // Assess
      assert.deepEqual(found, record);
      assert.deepEqual(dynamodb.commandCalls(GetCommand)[0]?.args[0].input, {
        TableName: TABLE,
        Key: { pk: `TOKEN#${record.hash}`, sk: 'TOKEN' },
        ConsistentRead: true,
      });
    });

    it('keeps revokedAt of a revoked token and drops its TTL attribute', async () => {
      // Prepare
      const record = aRecord({ revokedAt: '2030-02-01T00:00:00.000Z' });
      dynamodb.on(GetCommand).resolves({ Item: storedItem(record, { expiresAt: 1_900_000_000 }) });

      // Act
      const found = await aStore().findByHash(record.hash);

      // Assess
      assert.deepEqual(found, record);
    });

    it('answers undefined when no item has that hash', async () => {
      // Prepare
      dynamodb.on(GetCommand).resolves({});

      // Act
      const found = await aStore().findByHash('b'.repeat(64));

      // Assess
      assert.equal(found, undefined);
    });

    it('lets a DynamoDB error through', async () => {
      // Prepare
      dynamodb.on(GetCommand).rejects(throttled());

      // Act & Assess
      await assert.rejects(aStore().findByHash('b'.repeat(64)), { name: 'ProvisionedThroughputExceededException' });
    });
  });

  describe('findActiveByName', () => {
    it('reads the name item, then the token item of its hash, both consistently, and returns the active token', async () => {
      // Prepare
      const record = aRecord({ maxActiveJobs: 4 });
      dynamodb.on(GetCommand, { Key: nameKey('ci') }).resolves({ Item: { ...nameKey('ci'), hash: record.hash } });
      dynamodb.on(GetCommand, { Key: tokenKey(record.hash) }).resolves({ Item: storedItem(record) });

      // Act
      const found = await aStore().findActiveByName('ci');

      // Assess
      assert.deepEqual(found, record);
      assert.deepEqual(sentCommands(), [
        { command: 'GetCommand', input: { TableName: TABLE, Key: nameKey('ci'), ConsistentRead: true } },
        { command: 'GetCommand', input: { TableName: TABLE, Key: tokenKey(record.hash), ConsistentRead: true } },
      ]);
    });

    it('answers undefined after one read when no item holds the name', async () => {
      // Prepare
      dynamodb.on(GetCommand).resolves({});

      // Act
      const found = await aStore().findActiveByName('ghost');

      // Assess
      assert.equal(found, undefined);
      assert.equal(dynamodb.commandCalls(GetCommand).length, 1);
    });

    it('answers undefined when the name is still held by a token already revoked (a revoke interrupted before it freed the name)', async () => {
      // Prepare
      const record = aRecord({ revokedAt: '2030-02-01T00:00:00.000Z' });
      dynamodb.on(GetCommand, { Key: nameKey('ci') }).resolves({ Item: { ...nameKey('ci'), hash: record.hash } });
      dynamodb.on(GetCommand, { Key: tokenKey(record.hash) }).resolves({ Item: storedItem(record, { expiresAt: 1_900_000_000 }) });

      // Act
      const found = await aStore().findActiveByName('ci');

      // Assess
      assert.equal(found, undefined);
    });

    it('answers undefined when the name is held but its token was never stored (a create interrupted between its writes)', async () => {
      // Prepare
      dynamodb.on(GetCommand, { Key: nameKey('ci') }).resolves({ Item: { ...nameKey('ci'), hash: 'c'.repeat(64) } });
      dynamodb.on(GetCommand, { Key: tokenKey('c'.repeat(64)) }).resolves({});

      // Act
      const found = await aStore().findActiveByName('ci');

      // Assess
      assert.equal(found, undefined);
    });

    it('lets a DynamoDB error through', async () => {
      // Prepare
      dynamodb.on(GetCommand).rejects(throttled());

      // Act & Assess
      await assert.rejects(aStore().findActiveByName('ci'), { name: 'ProvisionedThroughputExceededException' });
    });
  });

  describe('list', () => {
    it('queries the TOKENS partition of byCreatedAt newest first and follows LastEvaluatedKey to the last page', async () => {
      // Prepare
      const newest = aRecord({ hash: '3'.repeat(64), name: 'newest', createdAt: '2030-01-03T00:00:00.000Z' });
      const middle = aRecord({ hash: '2'.repeat(64), name: 'middle', createdAt: '2030-01-02T00:00:00.000Z', revokedAt: '2030-01-05T00:00:00.000Z' });
      const oldest = aRecord({ hash: '1'.repeat(64), name: 'oldest', createdAt: '2030-01-01T00:00:00.000Z' });
      const afterFirstPage = { pk: `TOKEN#${middle.hash}`, sk: 'TOKEN', gsi1pk: 'TOKENS', gsi1sk: `${middle.createdAt}#${middle.hash}` };
      const afterSecondPage = { pk: `TOKEN#${oldest.hash}`, sk: 'TOKEN', gsi1pk: 'TOKENS', gsi1sk: `${oldest.createdAt}#${oldest.hash}` };
      dynamodb
        .on(QueryCommand)
        .resolvesOnce({ Items: [storedItem(newest), storedItem(middle, { expiresAt: 1_900_000_000 })], LastEvaluatedKey: afterFirstPage })
        .resolvesOnce({ Items: [storedItem(oldest)], LastEvaluatedKey: afterSecondPage })
        .resolvesOnce({ Items: [] });

      // Act
      const listed = await aStore().list();

      // Assess
      assert.deepEqual(listed, [newest, middle, oldest]);
      const queries = dynamodb.commandCalls(QueryCommand).map((call) => call.args[0].input);
      const firstQuery = {
        TableName: TABLE,
        IndexName: 'byCreatedAt',
        KeyConditionExpression: 'gsi1pk = :partition',
        ExpressionAttributeValues: { ':partition': 'TOKENS' },
        ScanIndexForward: false,
      };
      assert.deepEqual(queries, [
        firstQuery,
        { ...firstQuery, ExclusiveStartKey: afterFirstPage },
        { ...firstQuery, ExclusiveStartKey: afterSecondPage },
      ]);
    });

    it('answers an empty list after one query when there are no tokens', async () => {
      // Prepare
      dynamodb.on(QueryCommand).resolves({ Items: [] });

      // Act
      const listed = await aStore().list();

      // Assess
      assert.deepEqual(listed, []);
      assert.equal(dynamodb.commandCalls(QueryCommand).length, 1);
    });

    it('lets a DynamoDB error on a later page through', async () => {
      // Prepare
      dynamodb
        .on(QueryCommand)
        .resolvesOnce({ Items: [storedItem(aRecord())], LastEvaluatedKey: { pk: 'TOKEN#x', sk: 'TOKEN', gsi1pk: 'TOKENS', gsi1sk: 'x' } })
        .rejectsOnce(throttled());

      // Act & Assess
      await assert.rejects(aStore().list(), { name: 'ProvisionedThroughputExceededException' });
    });
  });

  describe('revokeByName', () => {
    const revokedAt = '2030-03-01T12:00:00.750Z';
    // DynamoDB TTL reads whole epoch seconds.
    const expiresAt = Date.UTC(2030, 2, 1, 12, 0, 0) / 1000 + NINETY_DAYS_SECONDS;

    /** The name item of `record`, and what a revoking update of its token item answers. */
    function anActiveToken(record: TokenRecord = aRecord()) {
      dynamodb.on(GetCommand, { Key: nameKey(record.name) }).resolves({ Item: { ...nameKey(record.name), hash: record.hash } });
      dynamodb.on(UpdateCommand).resolves({ Attributes: storedItem({ ...record, revokedAt }, { expiresAt }) });
      return record;
    }

    it('reads the name item consistently, revokes its token with a 90-day TTL only if not yet revoked, then frees the name only if it still holds that hash', async () => {
      // Prepare
      const record = anActiveToken();
      dynamodb.on(DeleteCommand).resolves({});

      // Act
      const revoked = await aStore().revokeByName('ci', revokedAt);

      // Assess
      assert.deepEqual(revoked, { ...record, revokedAt });
      assert.deepEqual(sentCommands(), [
        { command: 'GetCommand', input: { TableName: TABLE, Key: nameKey('ci'), ConsistentRead: true } },
        {
          command: 'UpdateCommand',
          input: {
            TableName: TABLE,
            Key: tokenKey(record.hash),
            UpdateExpression: 'SET revokedAt = :revokedAt, expiresAt = :expiresAt',
            ConditionExpression: 'attribute_not_exists(revokedAt)',
            ExpressionAttributeValues: { ':revokedAt': revokedAt, ':expiresAt': expiresAt },
            ReturnValues: 'ALL_NEW',
          },
        },
        {
          command: 'DeleteCommand',
          input: {
            TableName: TABLE,
            Key: nameKey('ci'),
            ConditionExpression: 'attribute_not_exists(pk) OR #hash = :hash',
            ExpressionAttributeNames: { '#hash': 'hash' },
            ExpressionAttributeValues: { ':hash': record.hash },
          },
        },
      ]);
      const sentExpiresAt = dynamodb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':expiresAt'] as number;
      assert.ok(Number.isInteger(sentExpiresAt));
      assert.equal(new Date(sentExpiresAt * 1000).toISOString(), '2030-05-30T12:00:00.000Z');
    });

    it('answers undefined and writes nothing when no item holds the name', async () => {
      // Prepare
      dynamodb.on(GetCommand).resolves({});

      // Act
      const revoked = await aStore().revokeByName('ghost', revokedAt);

      // Assess
      assert.equal(revoked, undefined);
      assert.deepEqual(sentCommands(), [{ command: 'GetCommand', input: { TableName: TABLE, Key: nameKey('ghost'), ConsistentRead: true } }]);
    });

    it('finishes an interrupted revoke: when the token is already revoked it reads it consistently, frees the name and returns the earlier revocation', async () => {
      // Prepare
      const earlier = aRecord({ revokedAt: '2030-02-01T00:00:00.000Z' });
      anActiveToken(earlier);
      dynamodb.on(UpdateCommand).rejects(conditionFailed());
      dynamodb.on(GetCommand, { Key: tokenKey(earlier.hash) }).resolves({ Item: storedItem(earlier, { expiresAt: 1_900_000_000 }) });
      dynamodb.on(DeleteCommand).resolves({});

      // Act
      const revoked = await aStore().revokeByName('ci', revokedAt);

      // Assess
      assert.deepEqual(revoked, earlier);
      const sent = sentCommands();
      assert.deepEqual(sent.map(({ command }) => command), ['GetCommand', 'UpdateCommand', 'GetCommand', 'DeleteCommand']);
      assert.deepEqual(sent[2]?.input, { TableName: TABLE, Key: tokenKey(earlier.hash), ConsistentRead: true });
      assert.deepEqual((sent[3]?.input as { Key: unknown }).Key, nameKey('ci'));
    });

    it('frees the name a create left without a token item, answers undefined, and the update leaves a revoked stub under the hash', async () => {
      // Prepare: the update created the item, so it has nothing but its key and the revocation.
      const record = anActiveToken();
      dynamodb.on(UpdateCommand).resolves({ Attributes: { ...tokenKey(record.hash), revokedAt, expiresAt } });
      dynamodb.on(DeleteCommand).resolves({});

      // Act
      const revoked = await aStore().revokeByName('ci', revokedAt);

      // Assess
      assert.equal(revoked, undefined);
      assert.deepEqual(sentCommands().map(({ command }) => command), ['GetCommand', 'UpdateCommand', 'DeleteCommand']);
      assert.equal(dynamodb.commandCalls(UpdateCommand)[0]?.args[0].input.ConditionExpression, 'attribute_not_exists(revokedAt)');
      assert.deepEqual(dynamodb.commandCalls(DeleteCommand)[0]?.args[0].input.Key, nameKey('ci'));
    });

    it('leaves the name to a newer token that took it meanwhile (ConditionalCheckFailedException on the delete) and still returns the revoked record', async () => {
      // Prepare
      const record = anActiveToken();
      dynamodb.on(DeleteCommand).rejects(conditionFailed());

      // Act
      const revoked = await aStore().revokeByName('ci', revokedAt);

      // Assess
      assert.deepEqual(revoked, { ...record, revokedAt });
      assert.equal(dynamodb.commandCalls(DeleteCommand).length, 1);
    });

    it('lets any other DynamoDB error on the delete of the name item through', async () => {
      // Prepare
      anActiveToken();
      dynamodb.on(DeleteCommand).rejects(throttled());

      // Act & Assess
      await assert.rejects(aStore().revokeByName('ci', revokedAt), { name: 'ProvisionedThroughputExceededException' });
    });

    it('lets any other DynamoDB error on the revoking update through, and keeps the name', async () => {
      // Prepare
      anActiveToken();
      dynamodb.on(UpdateCommand).rejects(throttled());

      // Act & Assess
      await assert.rejects(aStore().revokeByName('ci', revokedAt), { name: 'ProvisionedThroughputExceededException' });
      assert.deepEqual(sentCommands().map(({ command }) => command), ['GetCommand', 'UpdateCommand']);
    });

    it('lets a DynamoDB error reading the name item through, and writes nothing', async () => {
      // Prepare
      dynamodb.on(GetCommand).rejects(throttled());

      // Act & Assess
      await assert.rejects(aStore().revokeByName('ci', revokedAt), { name: 'ProvisionedThroughputExceededException' });
      assert.equal(dynamodb.calls().length, 1);
    });
  });
});
