/**
 * The embedded store's door (lib/adapters/local/embedded-dynamodb.ts): dynalite itself checks no
 * credentials and grants CORS to any page, so a request reaches it only with the store's secret and
 * never from a web page. Each attack is a raw fetch, as any process on the machine could send it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { embeddedDynamoDbClient, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#lib/adapters/local/embedded-dynamodb.ts';
import { ensureJobTable } from '#lib/adapters/local/job-table.ts';
import { forgedToken, isAccessDenied, rawDynamoDbCall, withSecret } from '../helpers/raw-dynamodb.ts';

const TABLE = 'jobs';

describe('the embedded store', () => {
  let database: EmbeddedDynamoDb;
  before(async () => {
    database = await startEmbeddedDynamoDb();
    await ensureJobTable(database.client, TABLE);
  });
  after(async () => {
    await database.close();
  });

  /** What a Scan with the right secret and no Origin sees: the items really in the table. */
  async function itemCount(): Promise<number> {
    const scan = await rawDynamoDbCall(database.endpoint, 'Scan', { TableName: TABLE }, withSecret(database.secret));
    assert.equal(scan.status, 200, scan.text);
    return Number(scan.json?.Count);
  }

  it('has a secret of 32 random bytes in hex, new for each start', async () => {
    // Act
    const other = await startEmbeddedDynamoDb();
    await other.close();

    // Assess
    assert.match(database.secret, /^[0-9a-f]{64}$/);
    assert.notEqual(other.secret, database.secret);
  });

  it('answers a raw Scan and PutItem with the secret (the door the refusals below keep shut is real)', async () => {
    // Prepare
    const { putItem } = forgedToken(TABLE, 'with-secret');
    const before = await itemCount();

    // Act
    const put = await rawDynamoDbCall(database.endpoint, 'PutItem', putItem, withSecret(database.secret));

    // Assess
    assert.equal(put.status, 200, put.text);
    assert.equal(await itemCount(), before + 1);
  });

  const refusals: { why: string; headers: () => Record<string, string> }[] = [
    { why: 'without the secret', headers: () => ({}) },
    { why: 'with a wrong secret of the right length', headers: () => withSecret(randomBytes(32).toString('hex')) },
    { why: 'with a wrong secret of another length', headers: () => withSecret('guess') },
    { why: 'with the secret but from a web page (Origin header)', headers: () => ({ ...withSecret(database.secret), origin: 'https://evil.example' }) },
    { why: 'with the secret and the null Origin of a sandboxed page', headers: () => ({ ...withSecret(database.secret), origin: 'null' }) },
  ];
  for (const { why, headers } of refusals) {
    it(`refuses a raw Scan and a forged-token PutItem ${why}: 403 AccessDeniedException, nothing read or written`, async () => {
      // Prepare
      const { putItem } = forgedToken(TABLE);
      const before = await itemCount();

      // Act
      const scan = await rawDynamoDbCall(database.endpoint, 'Scan', { TableName: TABLE }, headers());
      const put = await rawDynamoDbCall(database.endpoint, 'PutItem', putItem, headers());

      // Assess
      for (const answer of [scan, put]) assert.ok(isAccessDenied(answer), `${answer.status} ${JSON.stringify([...answer.headers])} ${answer.text}`);
      assert.equal(scan.json?.Items, undefined);
      assert.equal(await itemCount(), before);
    });
  }

  it('refuses a CORS preflight, granting no origin, method or header', async () => {
    // Act
    const response = await fetch(database.endpoint, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-amz-target,content-type' },
    });
    await response.text();

    // Assess
    assert.equal(response.status, 403);
    for (const header of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers']) {
      assert.equal(response.headers.get(header), null, header);
    }
  });

  it('sends the secret from every client made for it, and a client with another secret is refused as AccessDeniedException', async () => {
    // Prepare
    const right = embeddedDynamoDbClient(database.endpoint, { secret: database.secret, maxAttempts: 1 });
    const wrong = embeddedDynamoDbClient(database.endpoint, { secret: randomBytes(32).toString('hex'), maxAttempts: 1 });
    const key = { pk: { S: 'JOB#none' }, sk: { S: 'JOB' } };

    try {
      // Act
      const read = await right.send(new GetItemCommand({ TableName: TABLE, Key: key }));
      const refused = await wrong.send(new GetItemCommand({ TableName: TABLE, Key: key })).catch((error: unknown) => error as Error);

      // Assess
      assert.equal(read.$metadata.httpStatusCode, 200);
      assert.equal(refused instanceof Error && refused.name, 'AccessDeniedException');
      assert.match((refused as Error).message, /x-fargate-jobs-store-secret/);
    } finally {
      right.destroy();
      wrong.destroy();
    }
  });
});
