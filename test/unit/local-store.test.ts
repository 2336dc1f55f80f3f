/**
 * One data directory's store shared by the server and the tools (lib/adapters/local/local-store.ts):
 * the owner writes where its store listens and the secret it wants to `<data dir>/dynamodb-endpoint`
 * (JSON, 0600); a tool goes through that endpoint with that secret while the owner runs, and opens
 * the store itself when no owner does.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import { endpointFileOf, LOCAL_TABLE_NAME, openOwnedStore, openSharedStore } from '#lib/adapters/local/local-store.ts';
import type { TokenRecord } from '#lib/domain/ports.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;

function aToken(name: string): TokenRecord {
  return { hash: randomBytes(32).toString('hex'), name, profiles: ['*'], createdAt: new Date().toISOString() };
}

describe('the local store of a data directory', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-store-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records its endpoint and secret as JSON in a 0600 file, and its db/ directory is 0700', async () => {
    // Act
    const owned = await openOwnedStore(dataDir);
    try {
      // Assess
      const file = endpointFileOf(dataDir);
      assert.equal(file, join(dataDir, 'dynamodb-endpoint'));
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { endpoint: owned.endpoint, secret: owned.secret });
      assert.match(owned.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(modeOf(file), 0o600);
      assert.equal(modeOf(join(dataDir, 'db')), 0o700);
    } finally {
      await owned.close();
    }
    assert.ok(!existsSync(endpointFileOf(dataDir)), 'close removes its endpoint file');
  });

  it("lets a tool in through the running owner's endpoint with its secret", async () => {
    // Prepare
    const owned = await openOwnedStore(dataDir);
    try {
      // Act
      const shared = await openSharedStore(dataDir);
      try {
        await new DynamoDbTokenStore({ client: shared.client, tableName: shared.tableName }).create(aToken('through-the-server'));
      } finally {
        await shared.close();
      }

      // Assess: the owner sees it, and still owns its endpoint file.
      const listed = await new DynamoDbTokenStore({ client: owned.client, tableName: LOCAL_TABLE_NAME }).list();
      assert.deepEqual(listed.map((token) => token.name), ['through-the-server']);
      assert.ok(existsSync(endpointFileOf(dataDir)));
    } finally {
      await owned.close();
    }
  });

  it('cannot get in with a wrong secret while the owner runs, and says what to do (the endpoint alone is not enough)', async () => {
    // Prepare
    const owned = await openOwnedStore(dataDir);
    try {
      writeFileSync(endpointFileOf(dataDir), JSON.stringify({ endpoint: owned.endpoint, secret: randomBytes(32).toString('hex') }));

      // Act, Assess
      await assert.rejects(openSharedStore(dataDir), new RegExp(`the fargate-jobs server at ${owned.endpoint} refused the secret in .*dynamodb-endpoint; restart that server`));
    } finally {
      await owned.close();
    }
  });

  const notRunning: { why: string; contents: () => string }[] = [
    { why: 'the address of a server that died', contents: () => JSON.stringify({ endpoint: 'http://127.0.0.1:1', secret: randomBytes(32).toString('hex') }) },
    { why: 'the bare URL an older version wrote', contents: () => 'http://127.0.0.1:1\n' },
    { why: 'JSON without a secret', contents: () => JSON.stringify({ endpoint: 'http://127.0.0.1:1' }) },
    { why: 'no JSON at all', contents: () => '{"endpoint":' },
  ];
  for (const { why, contents } of notRunning) {
    it(`opens the store itself when the endpoint file holds ${why}, and leaves no file behind`, async () => {
      // Prepare
      writeFileSync(endpointFileOf(dataDir), contents());

      // Act
      const shared = await openSharedStore(dataDir);
      let listed: TokenRecord[];
      try {
        listed = await new DynamoDbTokenStore({ client: shared.client, tableName: shared.tableName }).list();
      } finally {
        await shared.close();
      }

      // Assess
      assert.deepEqual(listed, []);
      assert.ok(!existsSync(endpointFileOf(dataDir)), 'the stale file was replaced by its own, and that removed on close');
    });
  }

  it('removes on close only its own endpoint file, not one a newer owner wrote', async () => {
    // Prepare
    const owned = await openOwnedStore(dataDir);
    const newer = JSON.stringify({ endpoint: 'http://127.0.0.1:2', secret: randomBytes(32).toString('hex') });
    writeFileSync(endpointFileOf(dataDir), newer);

    // Act
    await owned.close();

    // Assess
    assert.equal(readFileSync(endpointFileOf(dataDir), 'utf8'), newer);
  });
});
