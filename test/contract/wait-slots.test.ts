/**
 * The WaitSlots contract against both adapters: the job table's slots (DynamoDbWaitSlots on dynalite,
 * as on AWS) and local mode's, in the server's memory (MemoryWaitSlots).
 */
import { after, before, describe } from 'node:test';
import { DynamoDbWaitSlots } from '#lib/adapters/aws/dynamodb-wait-slots.ts';
import { MemoryWaitSlots } from '#lib/adapters/local/memory-wait-slots.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';
import { waitSlotsContract } from './wait-slots.contract.ts';

describe('WaitSlots contract: DynamoDbWaitSlots on the job table', () => {
  let table: TestStore;

  before(async () => {
    table = await createTestStore();
  });
  after(async () => {
    await table?.close();
  });

  waitSlotsContract((now) => new DynamoDbWaitSlots({ client: table.database.client, tableName: table.tableName, now }));
});

describe('WaitSlots contract: MemoryWaitSlots of local mode', () => {
  waitSlotsContract((now) => new MemoryWaitSlots({ now }));
});
