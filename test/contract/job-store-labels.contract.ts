/**
 * The JobStore contract, listing by labels (job-store.contract.ts runs it): every label asked for
 * must match, key and value exactly, across pages as the status and profile filters do (a page may
 * hold fewer jobs than the limit only where it is the last).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Job } from '#lib/domain/job.ts';
import { allPages, createAll, ids, jobsCreatedInOrder, newestFirst, storeForSuite, type JobStoreFactory } from './job-store-fixtures.ts';

export function jobStoreLabelsContract(make: JobStoreFactory): void {
  describe('list by labels', () => {
    const tested = storeForSuite(make);
    let jobs: Job[];
    before(async () => {
      // 120 jobs, more than one DynamoDB read of a filtered listing: the `rare` label is on the
      // newest and the oldest but five, with a hundred between them.
      jobs = jobsCreatedInOrder(120, (index) => ({
        status: index % 2 === 0 ? 'SUCCEEDED' : 'FAILED',
        profile: index % 3 === 0 ? 'build' : 'default',
        labels: {
          ...(index % 4 === 0 ? { team: 'platform' } : index % 4 === 1 ? { team: 'data' } : {}),
          ...(index % 8 === 0 ? { env: 'prod' } : index % 8 === 4 ? { env: 'production' } : {}),
          ...(index === 5 || index === 119 ? { rare: 'yes' } : {}),
          ...(index % 10 === 0 ? { 'app.kubernetes.io/name': 'api', 'a=b': 'c=d' } : {}),
        },
      }));
      await createAll(tested.store, jobs);
    });

    it('lists the jobs with a label, newest first, across full pages', async () => {
      // Prepare
      const platform = newestFirst(jobs.filter((job) => job.labels.team === 'platform'));

      // Act
      const pages = await allPages(tested.store, { labels: { team: 'platform' }, limit: 7 });

      // Assess
      assert.equal(platform.length, 30);
      assert.deepEqual(pages.map((page) => page.jobs.length), [7, 7, 7, 7, 2]);
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(platform));
      assert.equal(pages.at(-1)?.nextCursor, null);
    });

    it('lists only the jobs with every label asked for, each value matched exactly', async () => {
      // Act
      const page = await tested.store.list({ labels: { team: 'platform', env: 'prod' }, limit: 100 });

      // Assess
      const expected = newestFirst(jobs.filter((job) => job.labels.team === 'platform' && job.labels.env === 'prod'));
      assert.equal(expected.length, 15);
      assert.deepEqual(ids(page.jobs), ids(expected));
      assert.equal(page.nextCursor, null);
    });

    it('matches keys with dots, slashes and equals signs as they are', async () => {
      // Act
      const page = await tested.store.list({ labels: { 'app.kubernetes.io/name': 'api', 'a=b': 'c=d' }, limit: 100 });

      // Assess
      assert.deepEqual(ids(page.jobs), ids(newestFirst(jobs.filter((job) => job.labels['a=b'] === 'c=d'))));
      assert.equal(page.jobs.length, 12);
    });

    it('reads on past a hundred jobs without a match rather than answer an empty page with a cursor', async () => {
      // Act
      const pages = await allPages(tested.store, { labels: { rare: 'yes' }, limit: 1 });

      // Assess
      assert.deepEqual(pages.map((page) => ids(page.jobs)), [[jobs[119]!.id], [jobs[5]!.id]]);
      assert.equal(pages.at(-1)?.nextCursor, null);
    });

    it('combines labels with the status and profiles filters', async () => {
      // Act
      const pages = await allPages(tested.store, { labels: { team: 'platform' }, status: 'SUCCEEDED', profiles: ['build'], limit: 3 });

      // Assess
      const expected = newestFirst(jobs.filter((job) => job.labels.team === 'platform' && job.status === 'SUCCEEDED' && job.profile === 'build'));
      assert.equal(expected.length, 10);
      assert.deepEqual(ids(pages.flatMap((page) => page.jobs)), ids(expected));
    });

    it('returns an empty page with nextCursor null for a label no job has, or a value none has', async () => {
      // Act
      const unknownKey = await tested.store.list({ labels: { owner: 'nobody' }, limit: 5 });
      const otherCase = await tested.store.list({ labels: { team: 'Platform' }, limit: 5 });
      const emptyValue = await tested.store.list({ labels: { team: '' }, limit: 5 });

      // Assess
      for (const page of [unknownKey, otherCase, emptyValue]) assert.deepEqual(page, { jobs: [], nextCursor: null });
    });
  });
}
