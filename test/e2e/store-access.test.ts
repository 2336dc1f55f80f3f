/**
 * The running server's store is not an open door: its DynamoDB endpoint (in `<data dir>/dynamodb-endpoint`)
 * answers only requests that carry the secret written beside it, never a web page's, so nobody else
 * on the machine can read the jobs and token hashes or write a token of their own. `npm run token`
 * still reaches it, through that endpoint with that secret.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forgedToken, isAccessDenied, rawDynamoDbCall, withSecret } from '../helpers/raw-dynamodb.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';
import { tokenCommand } from '../helpers/token-command.ts';

/** The table local mode keeps everything in (lib/adapters/local/local-store.ts). */
const TABLE = 'fargate-jobs';

interface StoreAddress {
  endpoint: string;
  secret: string;
}

describe("the running server's store endpoint", () => {
  let server: LocalServerProcess;
  let address: StoreAddress;
  let endpointFile: string;

  before(async () => {
    server = await startServer();
    endpointFile = join(server.dataDir, 'dynamodb-endpoint');
    address = JSON.parse(readFileSync(endpointFile, 'utf8')) as StoreAddress;
  });
  after(async () => {
    await server.stop();
  });

  /** Every item's key, as the store's owner sees them. */
  async function storedKeys(): Promise<string[]> {
    const scan = await rawDynamoDbCall(address.endpoint, 'Scan', { TableName: TABLE }, withSecret(address.secret));
    assert.equal(scan.status, 200, scan.text);
    return ((scan.json?.Items ?? []) as { pk: { S: string } }[]).map((item) => item.pk.S).sort();
  }

  it('is recorded as JSON with a 64-hex-digit secret in a file only its user may read (0600)', () => {
    // Assess
    assert.deepEqual(Object.keys(address).sort(), ['endpoint', 'secret']);
    assert.match(address.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(address.secret, /^[0-9a-f]{64}$/);
    assert.equal(statSync(endpointFile).mode & 0o777, 0o600);
  });

  it('answers a raw Scan with the secret: the token hashes the refusals below protect are there', async () => {
    // Act
    const keys = await storedKeys();

    // Assess
    assert.ok(keys.some((key) => key.startsWith('TOKEN#')), keys.join(', '));
  });

  const attacks: { who: string; headers: () => Record<string, string> }[] = [
    { who: 'a process without the secret', headers: () => ({}) },
    { who: 'a process guessing the secret', headers: () => withSecret('0'.repeat(64)) },
    { who: 'a web page that has the secret (Origin header)', headers: () => ({ ...withSecret(address.secret), origin: 'http://localhost:8080' }) },
  ];
  for (const { who, headers } of attacks) {
    it(`refuses ${who}: Scan and a forged-token PutItem get 403, nothing is read or written, the forged token is no token`, async () => {
      // Prepare
      const { token, putItem } = forgedToken(TABLE);
      const before = await storedKeys();

      // Act
      const scan = await rawDynamoDbCall(address.endpoint, 'Scan', { TableName: TABLE }, headers());
      const put = await rawDynamoDbCall(address.endpoint, 'PutItem', putItem, headers());
      const withForged = await server.request('GET', '/jobs', { token });

      // Assess
      for (const answer of [scan, put]) assert.ok(isAccessDenied(answer), `${answer.status} ${answer.text}`);
      assert.ok(!scan.text.includes('TOKEN#'), scan.text);
      assert.deepEqual(await storedKeys(), before);
      assert.equal(withForged.status, 401, withForged.text);
    });
  }

  it('would accept a forged token written with the secret (so the refusals above are what keep one out)', async () => {
    // Prepare
    const { token, putItem } = forgedToken(TABLE, 'written-by-the-owner');

    // Act
    const put = await rawDynamoDbCall(address.endpoint, 'PutItem', putItem, withSecret(address.secret));
    const withForged = await server.request('GET', '/jobs', { token });

    // Assess
    assert.equal(put.status, 200, put.text);
    assert.equal(withForged.status, 200, withForged.text);
  });

  it('lets npm run token create and list through the endpoint with the secret, and not without it', async () => {
    // Act
    const created = await tokenCommand(server.dataDir, ['create', '--name', 'through-endpoint', '--profiles', 'default']);
    const listed = await tokenCommand(server.dataDir, ['list', '--json']);
    const original = readFileSync(endpointFile, 'utf8');
    writeFileSync(endpointFile, JSON.stringify({ ...address, secret: 'f'.repeat(64) }));
    const withWrongSecret = await tokenCommand(server.dataDir, ['list']);
    writeFileSync(endpointFile, original);

    // Assess
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await server.request('GET', '/jobs', { token: created.stdout.trim() })).status, 200);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as { name: string }[]).some((token) => token.name === 'through-endpoint'), listed.stdout);
    assert.equal(withWrongSecret.code, 1);
    assert.match(withWrongSecret.stderr, /refused the secret in .*dynamodb-endpoint; restart that server/);
  });
});
