/** What the JobStore contract's suites share: how they get a store, and the jobs and pages they read. */
import { after, before } from 'node:test';
import { newJobId } from '#lib/domain/ids.ts';
import type { Job, JobStatus } from '#lib/domain/job.ts';
import type { JobPage, JobStore } from '#lib/domain/ports.ts';
import { aJob } from '../helpers/jobs.ts';

export interface StoreUnderTest {
  store: JobStore;
  close(): Promise<void>;
}

/** Makes an empty store of the adapter under test, reading `now` as its clock where given. */
export type JobStoreFactory = (options: { now?: () => Date }) => Promise<StoreUnderTest>;

/**
 * A store of its own for the suite it is called in (made before its tests, closed after them):
 * read `.store` inside the tests.
 */
export function storeForSuite(make: JobStoreFactory, options: { now?: () => Date } = {}): { readonly store: JobStore } {
  let opened: StoreUnderTest | undefined;
  before(async () => {
    opened = await make(options);
  });
  after(async () => {
    await opened?.close();
  });
  return {
    get store(): JobStore {
      if (!opened) throw new Error('the store is made before the suite runs');
      return opened.store;
    },
  };
}

/** A clock that moves one second per reading, so every write gets a distinct, known updatedAt. */
export function steppingClock(start = Date.UTC(2030, 0, 1)): { now: () => Date; readings: string[] } {
  let next = start;
  const readings: string[] = [];
  return {
    readings,
    now() {
      const reading = new Date(next);
      next += 1000;
      readings.push(reading.toISOString());
      return reading;
    },
  };
}

/** `count` jobs created one minute apart (oldest first), each shaped by `shape(index)`. */
export function jobsCreatedInOrder(count: number, shape: (index: number) => Partial<Job> = () => ({})): Job[] {
  const base = Date.UTC(2024, 0, 1);
  return Array.from({ length: count }, (_unused, index) => {
    const createdAt = new Date(base + index * 60_000);
    return aJob({ id: newJobId(createdAt), createdAt: createdAt.toISOString(), updatedAt: createdAt.toISOString(), ...shape(index) });
  });
}

export async function createAll(store: JobStore, jobs: Job[]): Promise<void> {
  for (const job of jobs) await store.create(job);
}

/** Follows nextCursor from the first page to the last; returns every page. */
export async function allPages(
  store: JobStore,
  query: { limit: number; status?: JobStatus; profiles?: readonly string[]; labels?: Record<string, string>; createdBefore?: string },
): Promise<JobPage[]> {
  const pages: JobPage[] = [];
  let cursor: string | undefined;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const page = await store.list({ ...query, ...(cursor ? { cursor } : {}) });
    pages.push(page);
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
  throw new Error('listing did not end after 200 pages');
}

export function ids(jobs: ReadonlyArray<{ id: string }>): string[] {
  return jobs.map((job) => job.id);
}

export function newestFirst(jobs: Job[]): Job[] {
  return [...jobs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export const taskArn = (name: string | number): string => `arn:aws:ecs:eu-west-1:123456789012:task/c/${name}`;
