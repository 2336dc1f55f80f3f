/**
 * The JobStore contract against both adapters: DynamoDbJobStore on dynalite (as on AWS) and local
 * mode's SqliteJobStore on a jobs.db of its own.
 */
import { describe } from 'node:test';
import { SqliteJobStore } from '#lib/adapters/local/sqlite-job-store.ts';
import { createTestStore } from '../helpers/store.ts';
import { openTestDatabase } from '../helpers/sqlite.ts';
import { jobStoreContract } from './job-store.contract.ts';

describe('JobStore contract: DynamoDbJobStore on dynalite', () => {
  jobStoreContract(async ({ now }) => {
    const table = await createTestStore(now ? { now } : {});
    return { store: table.store, close: () => table.close() };
  });
});

describe('JobStore contract: SqliteJobStore of local mode', () => {
  jobStoreContract(async ({ now }) => {
    const database = await openTestDatabase();
    return { store: new SqliteJobStore({ database: database.database, ...(now ? { now } : {}) }), close: () => database.close() };
  });
});
