/**
 * What every TokenStore adapter promises (lib/domain/ports.ts), run against each of them
 * (token-store.test.ts beside this file): the DynamoDB store on AWS and the SQLite store of local
 * mode must never drift apart. Each suite gets an empty store of its own.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TokenRecord, TokenStore } from '#lib/domain/ports.ts';

export interface TokenStoreUnderTest {
  store: TokenStore;
  close(): Promise<void>;
}

export type TokenStoreFactory = () => Promise<TokenStoreUnderTest>;

let tokens = 0;
/** A record with a hash and a name of its own, created one second after the one before. */
function aRecord(overrides: Partial<TokenRecord> = {}): TokenRecord {
  tokens += 1;
  return {
    hash: createHash('sha256').update(`token-${tokens}-${Math.random()}`).digest('hex'),
    name: `ci-${tokens}`,
    profiles: ['default', 'ssh'],
    createdAt: new Date(Date.UTC(2030, 0, 1) + tokens * 1000).toISOString(),
    ...overrides,
  };
}

function storeForSuite(make: TokenStoreFactory): { readonly store: TokenStore } {
  let opened: TokenStoreUnderTest | undefined;
  before(async () => {
    opened = await make();
  });
  after(async () => {
    await opened?.close();
  });
  return {
    get store(): TokenStore {
      if (!opened) throw new Error('the store is made before the suite runs');
      return opened.store;
    },
  };
}

export function tokenStoreContract(make: TokenStoreFactory): void {
  describe('create and findByHash', () => {
    const tested = storeForSuite(make);

    it('stores a token and finds it by its hash, unchanged, with its own active-job limit', async () => {
      // Prepare
      const record = aRecord({ maxActiveJobs: 3 });

      // Act
      const created = await tested.store.create(record);

      // Assess
      assert.equal(created, true);
      assert.deepEqual(await tested.store.findByHash(record.hash), record);
    });

    it('answers undefined for a hash no token has', async () => {
      // Act and assess
      assert.equal(await tested.store.findByHash(aRecord().hash), undefined);
    });

    it('answers false and stores nothing for a second active token of the same name; the first keeps it', async () => {
      // Prepare
      const first = aRecord();
      await tested.store.create(first);
      const second = aRecord({ name: first.name });

      // Act
      const created = await tested.store.create(second);

      // Assess
      assert.equal(created, false);
      assert.equal(await tested.store.findByHash(second.hash), undefined);
      assert.deepEqual(await tested.store.findByHash(first.hash), first);
    });

    it('lets exactly one of five concurrent creates of the same name through', async () => {
      // Prepare
      const name = aRecord().name;
      const racing = Array.from({ length: 5 }, () => aRecord({ name }));

      // Act
      const created = await Promise.all(racing.map((record) => tested.store.create(record)));

      // Assess
      assert.equal(created.filter(Boolean).length, 1);
      const stored = await Promise.all(racing.map((record) => tested.store.findByHash(record.hash)));
      assert.deepEqual(stored.map((record) => record !== undefined), created);
    });

    it('never overwrites a stored token: a create with its hash fails, and leaves the first record and the new name as they were', async () => {
      // Prepare
      const first = aRecord();
      await tested.store.create(first);
      const sameHash = aRecord({ hash: first.hash });

      // Act
      await assert.rejects(tested.store.create(sameHash));

      // Assess
      assert.deepEqual(await tested.store.findByHash(first.hash), first);
      assert.equal(await tested.store.create(aRecord({ name: sameHash.name })), true, 'the name was not taken');
    });
  });

  describe('revokeByName', () => {
    const tested = storeForSuite(make);

    it('revokes the active token of the name and answers its record with revokedAt; the token stays found, revoked', async () => {
      // Prepare
      const record = aRecord();
      await tested.store.create(record);

      // Act
      const revoked = await tested.store.revokeByName(record.name, '2030-02-01T00:00:00.000Z');

      // Assess
      assert.deepEqual(revoked, { ...record, revokedAt: '2030-02-01T00:00:00.000Z' });
      assert.deepEqual(await tested.store.findByHash(record.hash), revoked);
    });

    it('frees the name: a new token may take it, and the old one stays revoked', async () => {
      // Prepare
      const old = aRecord();
      await tested.store.create(old);
      await tested.store.revokeByName(old.name, '2030-02-01T00:00:00.000Z');
      const renewed = aRecord({ name: old.name });

      // Act
      const created = await tested.store.create(renewed);

      // Assess
      assert.equal(created, true);
      assert.deepEqual(await tested.store.findByHash(renewed.hash), renewed);
      assert.equal((await tested.store.findByHash(old.hash))?.revokedAt, '2030-02-01T00:00:00.000Z');
    });

    it('answers undefined for a name no token has, and the second time, keeping the first revocation time', async () => {
      // Prepare
      const record = aRecord();
      await tested.store.create(record);
      await tested.store.revokeByName(record.name, '2030-02-01T00:00:00.000Z');

      // Act
      const again = await tested.store.revokeByName(record.name, '2030-03-01T00:00:00.000Z');
      const unknown = await tested.store.revokeByName(aRecord().name, '2030-03-01T00:00:00.000Z');

      // Assess
      assert.deepEqual([again, unknown], [undefined, undefined]);
      assert.equal((await tested.store.findByHash(record.hash))?.revokedAt, '2030-02-01T00:00:00.000Z');
    });

    it('revokes once when two revokes of the name race: every answer that is a record is that one revocation', async () => {
      // Prepare
      const record = aRecord();
      await tested.store.create(record);

      // Act
      const revokes = await Promise.all([
        tested.store.revokeByName(record.name, '2030-02-01T00:00:00.000Z'),
        tested.store.revokeByName(record.name, '2030-02-01T00:00:01.000Z'),
      ]);

      // Assess
      // The loser may answer undefined (the name was free by then) or the winner's revocation (DynamoDB
      // finishes what it takes for an interrupted revoke); never a second revocation time.
      const stored = await tested.store.findByHash(record.hash);
      const answered = revokes.filter((revoked) => revoked !== undefined);
      assert.ok(answered.length >= 1);
      for (const revoked of answered) assert.deepEqual(revoked, stored);
      assert.ok(['2030-02-01T00:00:00.000Z', '2030-02-01T00:00:01.000Z'].includes(stored?.revokedAt ?? ''));
    });
  });

  describe('findActiveByName', () => {
    const tested = storeForSuite(make);

    it('finds the active token of the name, with its scope and active-job limit', async () => {
      // Prepare
      const record = aRecord({ maxActiveJobs: 2 });
      await tested.store.create(record);

      // Act
      const found = await tested.store.findActiveByName(record.name);

      // Assess
      assert.deepEqual(found, record);
    });

    it('answers undefined once the token of the name is revoked', async () => {
      // Prepare
      const record = aRecord();
      await tested.store.create(record);
      await tested.store.revokeByName(record.name, '2030-02-01T00:00:00.000Z');

      // Act
      const found = await tested.store.findActiveByName(record.name);

      // Assess
      assert.equal(found, undefined);
    });

    it('finds the new token of a name revoked and made again, not the revoked one', async () => {
      // Prepare
      const old = aRecord({ profiles: ['*'] });
      await tested.store.create(old);
      await tested.store.revokeByName(old.name, '2030-02-01T00:00:00.000Z');
      const renewed = aRecord({ name: old.name, profiles: ['default'] });
      await tested.store.create(renewed);

      // Act
      const found = await tested.store.findActiveByName(old.name);

      // Assess
      assert.deepEqual(found, renewed);
    });

    it('answers undefined for a name no token has', async () => {
      // Act and assess
      assert.equal(await tested.store.findActiveByName(aRecord().name), undefined);
    });
  });

  describe('list', () => {
    const tested = storeForSuite(make);

    it('answers an empty list when there are no tokens', async () => {
      // Act and assess
      assert.deepEqual(await tested.store.list(), []);
    });

    it('lists every token newest first, revoked ones included with their revokedAt, and nothing else', async () => {
      // Prepare
      const [oldest, middle, newest] = [aRecord(), aRecord({ maxActiveJobs: 2 }), aRecord()];
      for (const record of [middle!, newest!, oldest!]) await tested.store.create(record);
      const revoked = await tested.store.revokeByName(middle!.name, '2030-02-01T00:00:00.000Z');

      // Act
      const listed = await tested.store.list();

      // Assess
      assert.deepEqual(listed, [newest, revoked, oldest]);
    });
  });
}
