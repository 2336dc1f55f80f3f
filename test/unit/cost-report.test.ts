/**
 * GET /costs on the DynamoDB store (dynalite): finished jobs' costs summed by profile, label and
 * submitter, only the caller's profiles and the window's jobs, a page of jobs at a time whose sums
 * add up to the whole.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PRICE_TABLE } from '#config/prices.ts';
import { costReport, type CostReport, type CostReportQuery } from '#lib/domain/cost-report.ts';
import { pricesForRegion, type CostSettings } from '#lib/domain/cost.ts';
import type { Caller } from '#lib/domain/caller.ts';
import type { Job } from '#lib/domain/job.ts';
import { aJob } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

const COSTS: CostSettings = { ...pricesForRegion(PRICE_TABLE, 'us-east-1'), taskArchitecture: 'x86', lambdaArchitecture: 'arm' };
const EVERYONE: Caller = { name: 'admin', profiles: ['*'] };
/** One minute of 0.25 vCPU / 0.5 GB, and the happy path's overhead (test/unit/cost.test.ts). */
const MINUTE_COMPUTE = 0.00020571;
const MINUTE_OVERHEAD = 0.00009635;

/** A job that ran `seconds` from `createdAt` and finished. */
function finished(createdAt: string, overrides: Partial<Job> = {}, seconds = 10): Job {
  const stoppedAt = new Date(Date.parse(createdAt) + seconds * 1000).toISOString();
  return aJob({ status: 'SUCCEEDED', cpu: 256, memory: 512, createdAt, updatedAt: stoppedAt, startedAt: createdAt, stoppedAt, exitCode: 0, ...overrides });
}

const WINDOW = { since: '2026-11-01T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' };

describe('costReport', () => {
  let table: TestStore;
  before(async () => {
    table = await createTestStore();
    const jobs = [
      finished('2026-11-02T10:00:00.000Z', { profile: 'default', submittedBy: 'ci', labels: { team: 'data' } }),
      finished('2026-11-03T10:00:00.000Z', { profile: 'default', submittedBy: 'ana', labels: { team: 'data' } }),
      finished('2026-11-04T10:00:00.000Z', { profile: 'ssh', submittedBy: 'ana', labels: { team: 'web' } }, 120),
      finished('2026-11-05T10:00:00.000Z', { profile: 'default', submittedBy: 'ci' }),
      // Outside the window: before it, and at its end (until is exclusive).
      finished('2026-10-31T23:59:59.000Z', { profile: 'default' }),
      finished('2026-12-01T00:00:00.000Z', { profile: 'default' }),
      // Not finished: no cost yet.
      aJob({ status: 'RUNNING', createdAt: '2026-11-06T10:00:00.000Z', startedAt: '2026-11-06T10:00:00.000Z' }),
    ];
    for (const job of jobs) await table.store.create(job);
  });
  after(async () => table.close());

  const report = (query: Partial<CostReportQuery>, caller = EVERYONE) => costReport({ store: table.store, costs: COSTS }, { ...WINDOW, groupBy: 'profile', limit: 500, ...query }, caller);

  it("sums the window's finished jobs by profile, the largest group first", async () => {
    // Act
    const { groups, total, nextCursor } = await report({});

    // Assess: default's three one-minute jobs; ssh's one two-minute job
    assert.deepEqual(
      groups.map((group) => [group.key, group.jobs, group.vcpuSeconds]),
      [
        ['default', 3, 45],
        ['ssh', 1, 30],
      ],
    );
    const defaultGroup = groups[0];
    assert.ok(Math.abs((defaultGroup?.computeUsd ?? 0) - 3 * MINUTE_COMPUTE) < 1e-7);
    assert.ok(Math.abs((defaultGroup?.overheadUsd ?? 0) - 3 * MINUTE_OVERHEAD) < 1e-7);
    assert.equal(total.jobs, 4);
    assert.ok(Math.abs(total.computeUsd - 5 * MINUTE_COMPUTE) < 1e-7);
    assert.equal(nextCursor, null);
  });

  it('groups by a label, the jobs without it in the group null', async () => {
    const { groups } = await report({ groupBy: 'label:team' });
    assert.deepEqual(groups.map((group) => [group.key, group.jobs]).sort(), [['data', 2], ['web', 1], [null, 1]].sort());
  });

  it('groups by submitter', async () => {
    const { groups } = await report({ groupBy: 'submitter' });
    assert.deepEqual(groups.map((group) => [group.key, group.jobs]).sort(), [['ana', 2], ['ci', 2]]);
  });

  it("sums only the caller's profiles", async () => {
    const { groups, total } = await report({}, { name: 'ssh-only', profiles: ['ssh'] });
    assert.deepEqual(groups.map((group) => group.key), ['ssh']);
    assert.equal(total.jobs, 1);
  });

  it('reads a page of jobs at a time, whose sums add up to the whole', async () => {
    // Act: two jobs a page
    const pages: CostReport[] = [];
    let cursor: string | undefined;
    do {
      const page = await report({ limit: 2, ...(cursor ? { cursor } : {}) });
      pages.push(page);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && pages.length < 10);

    // Assess
    assert.ok(pages.length >= 2, 'more than one page');
    const whole = await report({});
    assert.equal(pages.reduce((sum, page) => sum + page.total.jobs, 0), whole.total.jobs);
    const usd = pages.reduce((sum, page) => sum + page.total.usd, 0);
    assert.ok(Math.abs(usd - whole.total.usd) < 1e-7, `${usd} against ${whole.total.usd}`);
  });

  it('refuses a window that ends before it starts', async () => {
    await assert.rejects(report({ since: WINDOW.until, until: WINDOW.since }), /since .* must be before until/);
  });
});
