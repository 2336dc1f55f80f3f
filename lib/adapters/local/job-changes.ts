/**
 * The JobChangeFeed port in local mode: the store and the log files belong to this process, so it
 * knows when a job changes and tells the requests waiting on it (`wait`) instead of letting them
 * poll. One feed for record writes (a store wrapper publishes after each write), one for log lines
 * (the process runner publishes after each line reached the file).
 */
import type { JobChangeFeed, JobStore } from '#lib/domain/ports.ts';

export class JobChangeHub implements JobChangeFeed {
  readonly #listeners = new Map<string, Set<() => void>>();
  readonly #everyJob = new Set<() => void>();

  subscribe(jobId: string, listener: () => void): () => void {
    const listeners = this.#listeners.get(jobId) ?? new Set();
    listeners.add(listener);
    this.#listeners.set(jobId, listeners);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#listeners.get(jobId) === listeners) this.#listeners.delete(jobId);
    };
  }

  subscribeAll(listener: () => void): () => void {
    this.#everyJob.add(listener);
    return () => {
      this.#everyJob.delete(listener);
    };
  }

  /** Tells everyone waiting on `jobId`, and everyone waiting on any job, that it changed. */
  publish(jobId: string): void {
    // Copies: a listener may unsubscribe (its wait is over) while the others are told.
    for (const listener of [...(this.#listeners.get(jobId) ?? []), ...this.#everyJob]) listener();
  }
}

/** `store`, publishing each job it writes to `changes` once the write is done (applied or not: a look costs little). */
export function publishingJobStore(store: JobStore, changes: Pick<JobChangeHub, 'publish'>): JobStore {
  const published = async <T>(jobId: string, write: Promise<T>): Promise<T> => {
    try {
      return await write;
    } finally {
      changes.publish(jobId);
    }
  };
  return {
    create: (job) => published(job.id, store.create(job)),
    get: (jobId) => store.get(jobId),
    transition: (jobId, status, patch) => published(jobId, store.transition(jobId, status, patch)),
    transitionOrUpdate: (jobId, status, patch, otherwise) => published(jobId, store.transitionOrUpdate(jobId, status, patch, otherwise)),
    update: (jobId, patch) => published(jobId, store.update(jobId, patch)),
    recordTaskState: (jobId, patch) => published(jobId, store.recordTaskState(jobId, patch)),
    keepEarlyTaskState: (jobId, taskArn, state) => published(jobId, store.keepEarlyTaskState(jobId, taskArn, state)),
    recordExec: (jobId, exec) => published(jobId, store.recordExec(jobId, exec)),
    endAttempt: (jobId, ended, patch) => published(jobId, store.endAttempt(jobId, ended, patch)),
    list: (query) => store.list(query),
    unfinishedJobs: () => store.unfinishedJobs(),
    countActive: (submittedBy, atMost) => store.countActive(submittedBy, atMost),
    delete: (jobId) => published(jobId, store.delete(jobId)),
  };
}
