/**
 * The ScheduleStore contract against both adapters: DynamoDbScheduleStore on dynalite (as on AWS)
 * and local mode's SqliteScheduleStore on a jobs.db of its own.
 */
import { describe } from 'node:test';
import { SqliteScheduleStore } from '#lib/adapters/local/sqlite-schedule-store.ts';
import { openTestDatabase } from '../helpers/sqlite.ts';
import { createTestScheduleStore } from '../helpers/store.ts';
import { scheduleStoreContract } from './schedule-store.contract.ts';

describe('ScheduleStore contract: DynamoDbScheduleStore on dynalite', () => {
  scheduleStoreContract(async () => {
    const table = await createTestScheduleStore();
    return { store: table.store, close: () => table.close() };
  });
});

describe('ScheduleStore contract: SqliteScheduleStore of local mode', () => {
  scheduleStoreContract(async () => {
    const database = await openTestDatabase();
    return { store: new SqliteScheduleStore({ database: database.database }), close: () => database.close() };
  });
});
