/**
 * What every JobStore adapter promises (lib/domain/ports.ts), run against each of them
 * (job-store.test.ts beside this file): the DynamoDB store on AWS and the SQLite store of local mode
 * must never drift apart. Each suite gets an empty store of its own.
 */
import { jobStoreAttemptsContract } from './job-store-attempts.contract.ts';
import { jobStoreExecsContract } from './job-store-execs.contract.ts';
import { jobStoreLabelsContract } from './job-store-labels.contract.ts';
import { jobStoreReadsContract } from './job-store-reads.contract.ts';
import { jobStoreStatusTimesContract } from './job-store-status-times.contract.ts';
import { jobStoreTaskStateContract } from './job-store-task-state.contract.ts';
import { jobStoreWritesContract } from './job-store-writes.contract.ts';
import type { JobStoreFactory } from './job-store-fixtures.ts';

export type { JobStoreFactory, StoreUnderTest } from './job-store-fixtures.ts';

export function jobStoreContract(make: JobStoreFactory): void {
  jobStoreWritesContract(make);
  jobStoreTaskStateContract(make);
  jobStoreStatusTimesContract(make);
  jobStoreExecsContract(make);
  jobStoreAttemptsContract(make);
  jobStoreReadsContract(make);
  jobStoreLabelsContract(make);
}
