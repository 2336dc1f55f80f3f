/**
 * TokenService on the real DynamoDbTokenStore (dynalite): tokens are made, stored only as their
 * SHA-256, checked from an Authorization header, named uniquely among active tokens however many
 * creates race, revoked (freeing the name, also after an interrupted create or revoke) and listed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_SCOPE_PROFILES, TOKEN_PATTERN, TokenService } from '#lib/domain/tokens.ts';
import { createTestTokenStore, type TestTokenStore } from '../helpers/store.ts';
import { answeredWith } from '../helpers/errors.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';

const DEPLOYED_PROFILES = ['default', 'ssh'];

/** A clock that moves one second per reading, so every token gets a distinct, known time. */
function steppingClock(start = Date.UTC(2030, 0, 1)): () => Date {
  let next = start;
  return () => {
    const reading = new Date(next);
    next += 1000;
    return reading;
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A token of the right shape that was never issued. */
function wellFormedUnknownToken(): string {
  return `fjt_${randomBytes(32).toString('base64url')}`;
}

let uniqueName = 0;
/** A fresh token name, so tests sharing one table never see each other's tokens. */
function aName(prefix = 'ci'): string {
  uniqueName += 1;
  return `${prefix}-${uniqueName}`;
}

/** Every item of the table as DynamoDB holds it (attribute values, no unmarshalling). */
async function rawItems(testStore: TestTokenStore) {
  const { Items } = await testStore.database.client.send(new ScanCommand({ TableName: testStore.tableName, ConsistentRead: true }));
  return Items ?? [];
}

/** The item that holds an active token's name, as DynamoDB holds it; undefined once the name is free. */
async function nameItem(testStore: TestTokenStore, name: string) {
  return (await rawItems(testStore)).find((item) => item.pk?.S === `TOKENNAME#${name}`);
}

/** Writes to the table directly, as a store interrupted halfway would have left it. */
function rawDocuments(testStore: TestTokenStore): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(testStore.database.client);
}

/** `count` distinct profile names. */
function profileNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `profile-${index + 1}`);
}

describe('TokenService with the DynamoDB token store', () => {
  let testStore: TestTokenStore;
  let tokens: TokenService;
  before(async () => {
    testStore = await createTestTokenStore();
    tokens = new TokenService({ store: testStore.store, profileNames: DEPLOYED_PROFILES, now: steppingClock() });
  });
  after(async () => {
    await testStore.close();
  });

  describe('create', () => {
    it('returns a token of fjt_ and 43 base64url characters with a record of its name, profiles and creation time', async () => {
      // Prepare
      const name = aName();

      // Act
      const { token, record } = await tokens.create({ name, profiles: ['default', 'ssh'] });

      // Assess
      assert.match(token, TOKEN_PATTERN);
      assert.match(token, /^fjt_[A-Za-z0-9_-]{43}$/);
      assert.equal(record.name, name);
      assert.deepEqual(record.profiles, ['default', 'ssh']);
      assert.ok(!Number.isNaN(Date.parse(record.createdAt)));
      assert.equal(record.revokedAt, undefined);
    });

    it('makes a different token each time', async () => {
      // Act
      const first = await tokens.create({ name: aName(), profiles: ['default'] });
      const second = await tokens.create({ name: aName(), profiles: ['default'] });

      // Assess
      assert.notEqual(first.token, second.token);
      assert.notEqual(first.record.hash, second.record.hash);
    });

    it('stores the SHA-256 of the token and never the token itself: the clear token appears nowhere in the table', async () => {
      // Prepare
      const name = aName();

      // Act
      const { token, record } = await tokens.create({ name, profiles: ['default'] });

      // Assess
      const items = await rawItems(testStore);
      const stored = items.find((item) => item.name?.S === name);
      assert.ok(stored, 'the token item is in the table');
      assert.equal(record.hash, sha256(token));
      assert.equal(stored.hash?.S, sha256(token));
      assert.equal(stored.pk?.S, `TOKEN#${sha256(token)}`);
      assert.deepEqual(Object.keys(stored).sort(), ['createdAt', 'gsi1pk', 'gsi1sk', 'hash', 'name', 'pk', 'profiles', 'sk']);
      assert.deepEqual(await nameItem(testStore, name), { pk: { S: `TOKENNAME#${name}` }, sk: { S: 'TOKEN' }, hash: { S: sha256(token) } });
      const randomPart = token.slice('fjt_'.length);
      assert.ok(!JSON.stringify(items).includes(randomPart), 'no item holds the token, with or without its prefix');
    });

    it('keeps each profile once when a profile is named twice', async () => {
      // Act
      const { record } = await tokens.create({ name: aName(), profiles: ['ssh', 'default', 'ssh', 'default'] });

      // Assess
      assert.deepEqual(record.profiles, ['ssh', 'default']);
      assert.deepEqual((await testStore.store.findByHash(record.hash))?.profiles, ['ssh', 'default']);
    });

    it('accepts * for every profile, whatever profiles the deployment has', async () => {
      // Act
      const { token } = await tokens.create({ name: aName(), profiles: ['*'] });

      // Assess
      const authentication = await tokens.authenticate(`Bearer ${token}`);
      assert.ok(authentication.authenticated);
      assert.deepEqual(authentication.caller.profiles, ['*']);
    });

    it('accepts names of up to 64 letters, digits, dots, underscores, at signs and dashes', async () => {
      // Prepare
      const names = ['a'.repeat(64), 'deploy-bot_2.0@platform', '7'];

      // Act
      const created = await Promise.all(names.map((name) => tokens.create({ name, profiles: ['default'] })));

      // Assess
      assert.deepEqual(created.map(({ record }) => record.name), names);
    });

    it('refuses an invalid name with 400 VALIDATION_FAILED and stores nothing', async () => {
      // Prepare
      const invalidNames = ['', 'a'.repeat(65), '-ci', '.ci', 'ci bot', 'ci/bot', 'ci,bot', 'ci\n', 'ci\u00e9'];
      const itemsBefore = (await rawItems(testStore)).length;

      for (const name of invalidNames) {
        // Act & Assess
        await assert.rejects(tokens.create({ name, profiles: ['default'] }), answeredWith(400, { code: 'VALIDATION_FAILED' }), `name ${JSON.stringify(name)}`);
      }
      assert.equal((await rawItems(testStore)).length, itemsBefore);
    });

    it('refuses an active-job limit that is not a whole number from 1 to 10000 with 400 VALIDATION_FAILED', async () => {
      for (const maxActiveJobs of [0, -1, 2.5, 10_001, Number.NaN]) {
        // Act & Assess
        await assert.rejects(
          tokens.create({ name: aName(), profiles: ['default'], maxActiveJobs }),
          answeredWith(400, { code: 'VALIDATION_FAILED', message: 'the active-job limit is not valid' }),
          String(maxActiveJobs),
        );
      }
    });

    it('refuses a token without profiles with 400 VALIDATION_FAILED', async () => {
      // Act & Assess
      await assert.rejects(tokens.create({ name: aName(), profiles: [] }), answeredWith(400, { code: 'VALIDATION_FAILED', message: 'a token needs at least one profile' }));
    });

    it('refuses profile names the deployment does not have, naming them and the ones it has', async () => {
      // Act & Assess
      await assert.rejects(tokens.create({ name: aName(), profiles: ['default', 'gpu', 'build'] }), (error: Error & { statusCode?: number; code?: string; details?: { message: string }[] }) => {
        assert.equal(httpStatusOf(error), 400);
        assert.equal(error.code, 'VALIDATION_FAILED');
        assert.equal(error.message, "unknown profiles 'gpu', 'build'; the profiles here are: default, ssh (or * for all)");
        return true;
      });
    });

    it('takes any profile name when it is not told which profiles exist', async () => {
      // Prepare
      const unchecked = new TokenService({ store: testStore.store });

      // Act
      const { record } = await unchecked.create({ name: aName(), profiles: ['gpu'] });

      // Assess
      assert.deepEqual(record.profiles, ['gpu']);
    });

    it(`refuses a scope of more than ${MAX_SCOPE_PROFILES} distinct profiles with 400 VALIDATION_FAILED and stores nothing`, async () => {
      // Prepare
      const unchecked = new TokenService({ store: testStore.store });
      const itemsBefore = (await rawItems(testStore)).length;

      // Act & Assess
      await assert.rejects(unchecked.create({ name: aName(), profiles: profileNames(101) }), answeredWith(400, { code: 'VALIDATION_FAILED', message: 'a token names at most 100 profiles' }));
      assert.equal((await rawItems(testStore)).length, itemsBefore);
    });

    it(`accepts exactly ${MAX_SCOPE_PROFILES} distinct profiles, however often they are repeated`, async () => {
      // Prepare
      const unchecked = new TokenService({ store: testStore.store });
      const profiles = profileNames(100);

      // Act
      const { token, record } = await unchecked.create({ name: aName(), profiles: [...profiles, 'profile-1', 'profile-100'] });

      // Assess
      assert.deepEqual(record.profiles, profiles);
      const authentication = await unchecked.authenticate(`Bearer ${token}`);
      assert.ok(authentication.authenticated);
      assert.deepEqual(authentication.caller.profiles, profiles);
    });

    it('refuses a second active token with the same name with 409 TOKEN_NAME_TAKEN, and the first keeps working', async () => {
      // Prepare
      const name = aName();
      const first = await tokens.create({ name, profiles: ['default'] });

      // Act & Assess
      await assert.rejects(tokens.create({ name, profiles: ['ssh'] }), answeredWith(409, { code: 'TOKEN_NAME_TAKEN' }));
      assert.equal((await tokens.list()).filter((token) => token.name === name).length, 1);
      assert.deepEqual(await tokens.authenticate(`Bearer ${first.token}`), { authenticated: true, caller: { name, profiles: ['default'] } });
    });

    it('lets the name of a revoked token be used again; the old token stays revoked', async () => {
      // Prepare
      const name = aName();
      const old = await tokens.create({ name, profiles: ['default'] });
      await tokens.revoke(name);

      // Act
      const renewed = await tokens.create({ name, profiles: ['ssh'] });

      // Assess
      assert.deepEqual(await tokens.authenticate(`Bearer ${renewed.token}`), { authenticated: true, caller: { name, profiles: ['ssh'] } });
      assert.deepEqual(await tokens.authenticate(`Bearer ${old.token}`), { authenticated: false, failure: 'REVOKED' });
      const listed = (await tokens.list()).filter((token) => token.name === name);
      assert.deepEqual(listed.map((token) => [token.hash, token.revokedAt === undefined]), [[renewed.record.hash, true], [old.record.hash, false]]);
    });

    it('lets exactly one of five concurrent creates of the same name through; the others get 409 TOKEN_NAME_TAKEN', async () => {
      // Prepare
      const name = aName('race');

      // Act
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => tokens.create({ name, profiles: ['default'] })));

      // Assess
      const created = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      assert.equal(created.length, 1);
      assert.equal(refused.length, 4);
      for (const { reason } of refused) assert.deepEqual([httpStatusOf(reason), reason.code], [409, 'TOKEN_NAME_TAKEN']);
      const winner = created[0]?.value;
      assert.ok(winner);
      const listed = (await tokens.list()).filter((token) => token.name === name);
      assert.deepEqual(listed, [winner.record]);
      assert.deepEqual(await tokens.authenticate(`Bearer ${winner.token}`), { authenticated: true, caller: { name, profiles: ['default'] } });
      assert.equal((await nameItem(testStore, name))?.hash?.S, winner.record.hash);
    });

    it('refuses the name of a create interrupted before its token item was written with 409, until a revoke of the name frees it', async () => {
      // Prepare
      const name = aName('interrupted-create');
      await rawDocuments(testStore).send(
        new PutCommand({ TableName: testStore.tableName, Item: { pk: `TOKENNAME#${name}`, sk: 'TOKEN', hash: sha256('never written') } }),
      );

      // Act & Assess
      await assert.rejects(tokens.create({ name, profiles: ['default'] }), answeredWith(409, { code: 'TOKEN_NAME_TAKEN' }));
      assert.deepEqual((await tokens.list()).filter((token) => token.name === name), []);
      // No token was ever written, so there is none to revoke; the name is freed all the same.
      await assert.rejects(tokens.revoke(name), answeredWith(404, { code: 'TOKEN_NOT_FOUND' }));
      assert.equal(await nameItem(testStore, name), undefined);
      const { token } = await tokens.create({ name, profiles: ['ssh'] });
      assert.deepEqual(await tokens.authenticate(`Bearer ${token}`), { authenticated: true, caller: { name, profiles: ['ssh'] } });
    });

    it('bars a token whose create was overtaken by a revoke of its name: its late write fails, it never authenticates, and the name is free', async () => {
      // Prepare: create wrote the name item, then a revoke of the name ran before the token item.
      const name = aName('overtaken');
      const late = { hash: sha256('late token'), name, profiles: ['default'], createdAt: '2030-01-01T00:00:00.000Z' };
      await rawDocuments(testStore).send(
        new PutCommand({ TableName: testStore.tableName, Item: { pk: `TOKENNAME#${name}`, sk: 'TOKEN', hash: late.hash } }),
      );
      await assert.rejects(tokens.revoke(name), answeredWith(404, { code: 'TOKEN_NOT_FOUND' }));

      // Act: the create's token write arrives late (as the store would send it).
      const lateWrite = testStore.store.create(late);

      // Assess
      await assert.rejects(lateWrite, { message: `token '${name}' was revoked while it was being created` });
      assert.equal(await testStore.store.findByHash(late.hash), undefined);
      assert.deepEqual((await tokens.list()).filter((token) => token.name === name), []);
      assert.equal(await nameItem(testStore, name), undefined);
      const renewed = await tokens.create({ name, profiles: ['default'] });
      assert.equal((await tokens.authenticate(`Bearer ${renewed.token}`)).authenticated, true);
    });

    it('refuses the name of a token whose revoke was interrupted before the name was freed with 409; revoking again answers the revocation and frees it', async () => {
      // Prepare
      const name = aName('interrupted-revoke');
      const interrupted = await tokens.create({ name, profiles: ['default'] });
      const interruptedAt = '2030-06-01T00:00:00.000Z';
      await rawDocuments(testStore).send(
        new UpdateCommand({
          TableName: testStore.tableName,
          Key: { pk: `TOKEN#${interrupted.record.hash}`, sk: 'TOKEN' },
          UpdateExpression: 'SET revokedAt = :revokedAt, expiresAt = :expiresAt',
          ExpressionAttributeValues: { ':revokedAt': interruptedAt, ':expiresAt': Date.parse(interruptedAt) / 1000 + 90 * 24 * 3600 },
        }),
      );

      // Act & Assess
      await assert.rejects(tokens.create({ name, profiles: ['ssh'] }), answeredWith(409, { code: 'TOKEN_NAME_TAKEN' }));
      const revoked = await tokens.revoke(name);
      assert.deepEqual(revoked, { ...interrupted.record, revokedAt: interruptedAt });
      assert.equal(await nameItem(testStore, name), undefined);
      const renewed = await tokens.create({ name, profiles: ['ssh'] });
      assert.deepEqual(await tokens.authenticate(`Bearer ${renewed.token}`), { authenticated: true, caller: { name, profiles: ['ssh'] } });
      assert.deepEqual(await tokens.authenticate(`Bearer ${interrupted.token}`), { authenticated: false, failure: 'REVOKED' });
    });
  });

  describe('authenticate', () => {
    let valid: { name: string; token: string };
    before(async () => {
      const name = aName('authenticate');
      const { token } = await tokens.create({ name, profiles: ['default', 'ssh'] });
      valid = { name, token };
    });

    it('answers the caller, name and profiles, of a valid bearer token', async () => {
      // Act
      const authentication = await tokens.authenticate(`Bearer ${valid.token}`);

      // Assess
      assert.deepEqual(authentication, { authenticated: true, caller: { name: valid.name, profiles: ['default', 'ssh'] } });
    });

    it("answers the caller's own active-job limit when its token has one", async () => {
      // Prepare
      const name = aName('limited');
      const { token } = await tokens.create({ name, profiles: ['default'], maxActiveJobs: 4 });

      // Act
      const authentication = await tokens.authenticate(`Bearer ${token}`);

      // Assess
      assert.deepEqual(authentication, { authenticated: true, caller: { name, profiles: ['default'], maxActiveJobs: 4 } });
    });

    it('takes the Bearer scheme in any case, and spaces around the token', async () => {
      for (const header of [`bearer ${valid.token}`, `BEARER ${valid.token}`, `bEaReR ${valid.token}`, `Bearer   ${valid.token}  `]) {
        // Act
        const authentication = await tokens.authenticate(header);

        // Assess
        assert.equal(authentication.authenticated, true, header);
      }
    });

    it('answers MISSING without a header or with a blank one', async () => {
      for (const header of [undefined, '', '   ']) {
        // Act
        const authentication = await tokens.authenticate(header);

        // Assess
        assert.deepEqual(authentication, { authenticated: false, failure: 'MISSING' }, JSON.stringify(header));
      }
    });

    it('answers MALFORMED for another scheme, a scheme alone, a wrong prefix or a wrong length', async () => {
      // Prepare
      const randomPart = valid.token.slice('fjt_'.length);
      const headers = [
        'Basic x',
        `Basic ${Buffer.from('ci:secret').toString('base64')}`,
        'Bearer',
        'Bearer ',
        valid.token,
        `Token ${valid.token}`,
        `Bearer${valid.token}`,
        `Bearer ghp_${randomPart}`,
        `Bearer ${randomPart}`,
        `Bearer ${valid.token.slice(0, -1)}`,
        `Bearer ${valid.token}A`,
        `Bearer ${valid.token} ${valid.token}`,
        `Bearer fjt_${'+'.repeat(43)}`,
      ];

      for (const header of headers) {
        // Act
        const authentication = await tokens.authenticate(header);

        // Assess
        assert.deepEqual(authentication, { authenticated: false, failure: 'MALFORMED' }, header);
      }
    });

    it('answers UNKNOWN for a well-formed token that was never issued', async () => {
      // Act
      const authentication = await tokens.authenticate(`Bearer ${wellFormedUnknownToken()}`);

      // Assess
      assert.deepEqual(authentication, { authenticated: false, failure: 'UNKNOWN' });
    });

    it('answers REVOKED for a revoked token', async () => {
      // Prepare
      const name = aName();
      const { token } = await tokens.create({ name, profiles: ['default'] });
      await tokens.revoke(name);

      // Act
      const authentication = await tokens.authenticate(`Bearer ${token}`);

      // Assess
      assert.deepEqual(authentication, { authenticated: false, failure: 'REVOKED' });
    });
  });

  describe('revoke', () => {
    it('marks the active token of the name revoked and returns its record with revokedAt', async () => {
      // Prepare
      const name = aName();
      const { record } = await tokens.create({ name, profiles: ['default'] });

      // Act
      const revoked = await tokens.revoke(name);

      // Assess
      assert.equal(revoked.hash, record.hash);
      assert.ok(revoked.revokedAt !== undefined && revoked.revokedAt > record.createdAt);
      assert.deepEqual(await testStore.store.findByHash(record.hash), revoked);
      assert.equal(await nameItem(testStore, name), undefined, 'the name is free again');
    });

    it('answers 404 TOKEN_NOT_FOUND for a name no token has', async () => {
      // Act & Assess
      await assert.rejects(tokens.revoke('nobody-has-this-name'), answeredWith(404, { code: 'TOKEN_NOT_FOUND', message: "no active token is named 'nobody-has-this-name'" }));
    });

    it('answers 404 TOKEN_NOT_FOUND the second time and keeps the first revocation time', async () => {
      // Prepare
      const name = aName();
      await tokens.create({ name, profiles: ['default'] });
      const first = await tokens.revoke(name);

      // Act & Assess
      await assert.rejects(tokens.revoke(name), answeredWith(404, { code: 'TOKEN_NOT_FOUND' }));
      assert.deepEqual(await testStore.store.findByHash(first.hash), first);
    });
  });
});

describe('TokenService.list', () => {
  let testStore: TestTokenStore;
  before(async () => {
    testStore = await createTestTokenStore();
  });
  after(async () => {
    await testStore.close();
  });

  it('lists every token newest first, revoked ones included with their revokedAt, and no token itself', async () => {
    // Prepare
    const tokens = new TokenService({ store: testStore.store, profileNames: DEPLOYED_PROFILES, now: steppingClock(Date.UTC(2031, 5, 1)) });
    const oldest = await tokens.create({ name: 'oldest', profiles: ['default'] });
    const middle = await tokens.create({ name: 'middle', profiles: ['ssh'] });
    const newest = await tokens.create({ name: 'newest', profiles: ['*'] });
    await tokens.revoke('middle');

    // Act
    const listed = await tokens.list();

    // Assess
    assert.deepEqual(listed, [
      newest.record,
      { ...middle.record, revokedAt: '2031-06-01T00:00:03.000Z' },
      oldest.record,
    ]);
    assert.deepEqual(listed.map((token) => token.createdAt), ['2031-06-01T00:00:02.000Z', '2031-06-01T00:00:01.000Z', '2031-06-01T00:00:00.000Z']);
    for (const { token } of [oldest, middle, newest]) assert.ok(!JSON.stringify(listed).includes(token));
  });

  it('never lists the items that hold the names of active tokens', async () => {
    // Prepare
    const ownStore = await createTestTokenStore();
    try {
      const tokens = new TokenService({ store: ownStore.store, now: steppingClock() });
      const active = await tokens.create({ name: 'active', profiles: ['default'] });
      const revoked = await tokens.create({ name: 'revoked', profiles: ['default'] });
      await tokens.revoke('revoked');

      // Act
      const listed = await tokens.list();

      // Assess
      const keys = (await rawItems(ownStore)).map((item) => item.pk?.S).sort();
      assert.deepEqual(keys, [`TOKEN#${active.record.hash}`, `TOKEN#${revoked.record.hash}`, 'TOKENNAME#active'].sort());
      assert.deepEqual(listed, [{ ...revoked.record, revokedAt: '2030-01-01T00:00:02.000Z' }, active.record]);
    } finally {
      await ownStore.close();
    }
  });
});

describe('DynamoDbTokenStore conditions, as DynamoDB evaluates them', () => {
  let testStore: TestTokenStore;
  before(async () => {
    testStore = await createTestTokenStore();
  });
  after(async () => {
    await testStore.close();
  });

  it('never overwrites a token item: a create with a stored hash throws, keeps the first record and frees the name it claimed', async () => {
    // Prepare
    const first = { hash: sha256('first'), name: 'first', profiles: ['default'], createdAt: '2030-01-01T00:00:00.000Z' };
    await testStore.store.create(first);

    // Act & Assess
    await assert.rejects(testStore.store.create({ ...first, name: 'second' }), { message: "token 'second' was revoked while it was being created" });
    assert.deepEqual(await testStore.store.findByHash(first.hash), first);
    assert.equal(await nameItem(testStore, 'second'), undefined);
    assert.equal(await testStore.store.create({ ...first, hash: sha256('second'), name: 'second' }), true);
  });

  it('revokes a name once, with revokedAt and a TTL 90 days later; again, or a name never stored, answers undefined and writes nothing', async () => {
    // Prepare
    const record = { hash: sha256('revoked'), name: 'revoked', profiles: ['default'], createdAt: '2030-01-01T00:00:00.000Z' };
    await testStore.store.create(record);

    // Act
    const first = await testStore.store.revokeByName('revoked', '2030-01-02T00:00:00.000Z');
    const again = await testStore.store.revokeByName('revoked', '2030-01-03T00:00:00.000Z');
    const unknown = await testStore.store.revokeByName('never-stored', '2030-01-03T00:00:00.000Z');

    // Assess
    assert.deepEqual([first, again, unknown], [{ ...record, revokedAt: '2030-01-02T00:00:00.000Z' }, undefined, undefined]);
    assert.equal((await testStore.store.findByHash(record.hash))?.revokedAt, '2030-01-02T00:00:00.000Z');
    const stored = (await rawItems(testStore)).find((item) => item.hash?.S === record.hash);
    assert.equal(stored?.pk?.S, `TOKEN#${record.hash}`);
    assert.equal(stored?.expiresAt?.N, String(Date.UTC(2030, 0, 2) / 1000 + 90 * 24 * 3600));
    assert.equal(await nameItem(testStore, 'never-stored'), undefined);
  });
});
