/**
 * TEMPORARY, branch u23-sched-aws only: stands in for the DynamoDB schedule store (u23-sched-local)
 * so that the schedule functions bundle before it lands; deleted, and aws.ts pointed at the real
 * adapter, then. Every call fails.
 */
import type { ScheduleStore } from '#lib/domain/ports.ts';

function missing(): never {
  throw new Error('the DynamoDB schedule store is not here yet');
}

export const temporaryScheduleStore: ScheduleStore = {
  create: async () => missing(),
  get: async () => missing(),
  list: async () => missing(),
  put: async () => missing(),
  recordFire: async () => missing(),
  delete: async () => missing(),
};
