/**
 * The TokenStore contract against both adapters: DynamoDbTokenStore on dynalite (as on AWS) and
 * local mode's SqliteTokenStore on a jobs.db of its own.
 */
import { describe } from 'node:test';
import { SqliteTokenStore } from '#lib/adapters/local/sqlite-token-store.ts';
import { openTestDatabase } from '../helpers/sqlite.ts';
import { createTestTokenStore } from '../helpers/store.ts';
import { tokenStoreContract } from './token-store.contract.ts';

describe('TokenStore contract: DynamoDbTokenStore on dynalite', () => {
  tokenStoreContract(async () => {
    const table = await createTestTokenStore();
    return { store: table.store, close: () => table.close() };
  });
});

describe('TokenStore contract: SqliteTokenStore of local mode', () => {
  tokenStoreContract(async () => {
    const database = await openTestDatabase();
    return { store: new SqliteTokenStore({ database: database.database }), close: () => database.close() };
  });
});
