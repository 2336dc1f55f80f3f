/**
 * A job store that remembers the records it wrote and read, for local mode, where one server owns
 * its data directory (the single-instance lock) and so every write of a job record goes through
 * this process. Reads of a job it knows are answered from memory; every write still goes to the
 * store (on disk) first and is answered only once it is there, so nothing is less durable.
 *
 * A record is remembered only when no other write of the same job overlapped the one that gave it:
 * two overlapping writes may be applied in either order, and the answer that came last need not
 * be the record as it is. After an overlap the next read goes to the store again.
 */
import type { Job } from '#lib/domain/job.ts';
import type { JobStore } from '#lib/domain/ports.ts';

/** How many records are kept (the most recently used): far more than local mode has active. */
export const DEFAULT_CACHED_JOBS = 1000;

interface Writes {
  /** Writes of the job under way. */
  inFlight: number;
  /** Whether writes under way overlapped: their answers must not be remembered. */
  overlapped: boolean;
}

export function cachedJobStore(store: JobStore, options: { maxJobs?: number } = {}): JobStore {
  const maxJobs = options.maxJobs ?? DEFAULT_CACHED_JOBS;
  const records = new Map<string, Job>();
  const writes = new Map<string, Writes>();
  // Counts the writes started, of any job: a read during which one started is not remembered.
  let writesStarted = 0;

  const remember = (job: Job) => {
    records.delete(job.id);
    records.set(job.id, structuredClone(job));
    // Map keeps insertion order: the first key is the least recently used.
    if (records.size > maxJobs) records.delete(records.keys().next().value as string);
  };
  const writing = async <T>(jobId: string, write: () => Promise<T>, recordOf: (result: T) => Job | undefined): Promise<T> => {
    const state = writes.get(jobId) ?? { inFlight: 0, overlapped: false };
    writes.set(jobId, state);
    if (state.inFlight > 0) state.overlapped = true;
    state.inFlight += 1;
    writesStarted += 1;
    records.delete(jobId);
    let result: T | undefined;
    try {
      result = await write();
      return result;
    } finally {
      state.inFlight -= 1;
      if (state.inFlight === 0) {
        const record = result === undefined || state.overlapped ? undefined : recordOf(result);
        if (record) remember(record);
        writes.delete(jobId);
      }
    }
  };

  return {
    create: (job) => writing(job.id, () => store.create(job), (result) => result.job),
    async get(jobId) {
      const known = records.get(jobId);
      if (known) {
        remember(known);
        return structuredClone(known);
      }
      // Only a read no write overlapped tells the record as it is: none under way when it began (the
      // store may apply one after reading), none begun while it ran.
      const unwritten = !writes.has(jobId);
      const before = writesStarted;
      const job = await store.get(jobId);
      if (job && unwritten && writesStarted === before && !writes.has(jobId)) remember(job);
      return job;
    },
    transition: (jobId, status, patch) => writing(jobId, () => store.transition(jobId, status, patch), (result) => result.job),
    transitionOrUpdate: (jobId, status, patch, otherwise) =>
      writing(jobId, () => store.transitionOrUpdate(jobId, status, patch, otherwise), (result) => result.job),
    update: (jobId, patch) => writing(jobId, () => store.update(jobId, patch), (job) => job),
    recordTaskState: (jobId, patch) => writing(jobId, () => store.recordTaskState(jobId, patch), (result) => result.job),
    keepEarlyTaskState: (jobId, taskArn, state) => writing(jobId, () => store.keepEarlyTaskState(jobId, taskArn, state), (result) => result.job),
    recordExec: (jobId, exec) => writing(jobId, () => store.recordExec(jobId, exec), (result) => result.job),
    endAttempt: (jobId, ended, patch) => writing(jobId, () => store.endAttempt(jobId, ended, patch), (result) => result.job),
    list: (query) => store.list(query),
    unfinishedJobs: () => store.unfinishedJobs(),
    countActive: (submittedBy, atMost) => store.countActive(submittedBy, atMost),
    delete: (jobId) => writing(jobId, () => store.delete(jobId), () => undefined),
  };
}
