/**
 * A finished job's cost against figures worked out by hand from the us-east-1 table: per-second
 * billing with a one-minute minimum, the job's size, Spot's discount, attempts summed, the workflow's
 * overhead, and local mode's zero beside what Fargate would charge.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PRICE_TABLE } from '#config/prices.ts';
import { billedSeconds, jobCost, pricesForRegion, type CostSettings } from '#lib/domain/cost.ts';
import type { Job, JobAttempt } from '#lib/domain/job.ts';

const SETTINGS: CostSettings = { ...pricesForRegion(PRICE_TABLE, 'us-east-1'), taskArchitecture: 'x86', lambdaArchitecture: 'arm' };

/** 3 transitions × $0.000025 + 8 requests × $0.0000002 + (7 × 0.0375 + FinalizeJob's 0.75) GB-s × $0.0000133334 + 10 writes × $0.000000625. */
const HAPPY_PATH_OVERHEAD = 0.00009635;
/** 0.25 vCPU and 0.5 GB for 60 s: 15 × 0.04048 / 3600 + 30 × 0.004445 / 3600. */
const QUARTER_VCPU_MINUTE = 0.00020571;

const START = '2026-12-01T10:00:00.000Z';
function after(seconds: number, from = START): string {
  return new Date(Date.parse(from) + seconds * 1000).toISOString();
}

function finishedJob(overrides: Partial<Job> = {}): Job {
  return {
    id: 'job-01jb8y3k5d9x2m7q4r6t8v0w1z',
    profile: 'default',
    command: ['true'],
    env: {},
    cpu: 256,
    memory: 512,
    publicIp: false,
    timeoutSeconds: 600,
    labels: {},
    status: 'SUCCEEDED',
    createdAt: START,
    updatedAt: after(70),
    startedAt: START,
    stoppedAt: after(10),
    exitCode: 0,
    logTail: [],
    submittedBy: 'ci',
    ...overrides,
  };
}

function assertUsd(actual: number | undefined, expected: number): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-8, `expected $${expected}, got $${actual}`);
}

describe('billedSeconds', () => {
  const cases: Array<[string, number, number]> = [
    ['a 10 s task is billed the one-minute minimum', 10, 60],
    ['a 61.2 s task is billed 62 s', 61.2, 62],
    ['a 60 s task is billed 60 s', 60, 60],
    ['an hour is billed 3600 s', 3600, 3600],
  ];
  for (const [title, seconds, expected] of cases) {
    it(title, () => {
      assert.equal(billedSeconds(START, after(seconds)), expected);
    });
  }
});

describe('jobCost', () => {
  it('bills a 10-second 0.25 vCPU / 0.5 GB job one minute, plus the workflow overhead', () => {
    // Act
    const cost = jobCost(finishedJob(), SETTINGS);

    // Assess
    assert.ok(cost);
    assert.equal(cost.vcpuSeconds, 15);
    assert.equal(cost.gbSeconds, 30);
    assertUsd(cost.computeUsd, QUARTER_VCPU_MINUTE);
    assertUsd(cost.overheadUsd, HAPPY_PATH_OVERHEAD);
    assertUsd(cost.usd, QUARTER_VCPU_MINUTE + HAPPY_PATH_OVERHEAD);
    assert.deepEqual([cost.capacity, cost.transitions, cost.lambdaInvocations, cost.dynamodbWrites, cost.estimate], ['FARGATE', 3, 8, 10, true]);
    assert.equal(cost.pricesAsOf, PRICE_TABLE.asOf);
  });

  it('bills a 61.2-second job 62 s', () => {
    // Act
    const cost = jobCost(finishedJob({ stoppedAt: after(61.2) }), SETTINGS);

    // Assess: 15.5 vCPU-s × 0.04048 / 3600 + 31 GB-s × 0.004445 / 3600
    assert.equal(cost?.vcpuSeconds, 15.5);
    assertUsd(cost?.computeUsd, 0.00021257);
  });

  it('takes 70% off a Spot task', () => {
    // Act: 1 vCPU / 2 GB for 100 s on FARGATE_SPOT
    const cost = jobCost(finishedJob({ cpu: 1024, memory: 2048, stoppedAt: after(100), capacity: 'FARGATE_SPOT' }), SETTINGS);

    // Assess: (100 × 0.04048 + 200 × 0.004445) / 3600 × 0.3
    assertUsd(cost?.computeUsd, 0.00041142);
    assert.equal(cost?.capacity, 'FARGATE_SPOT');
  });

  it('sums the attempts of a retried job, each billed on its own capacity', () => {
    // Prepare: 30 s on Spot (billed 60 s), taken back; then 120 s on demand
    const spot: JobAttempt = { number: 1, capacity: 'FARGATE_SPOT', startedAt: START, stoppedAt: after(30), exitCode: null };
    const job = finishedJob({ attempts: [spot], capacity: 'FARGATE', startedAt: after(40), stoppedAt: after(160) });

    // Act
    const cost = jobCost(job, SETTINGS);

    // Assess: 0.00020571 × 0.3 + 0.00020571 × 2
    assertUsd(cost?.computeUsd, 0.00047313);
    assert.deepEqual([cost?.vcpuSeconds, cost?.gbSeconds, cost?.capacity], [45, 90, 'mixed']);
    assert.deepEqual([cost?.transitions, cost?.lambdaInvocations, cost?.dynamodbWrites], [7, 16, 18]);
  });

  it('charges a job that never ran only the workflow overhead', () => {
    // Prepare: refused at RunTask, so never started
    const job = finishedJob({ status: 'FAILED', startedAt: undefined, stoppedAt: after(2), exitCode: null });

    // Act
    const cost = jobCost(job, SETTINGS);

    // Assess: 2 × 0.000025 + 2 × 0.0000007000025 + 3 × 0.000000625
    assert.equal(cost?.computeUsd, 0);
    assert.equal(cost?.vcpuSeconds, 0);
    assertUsd(cost?.overheadUsd, 0.000053275);
    assertUsd(cost?.usd, 0.000053275);
  });

  it('has no cost until the job is finalized', () => {
    assert.equal(jobCost(finishedJob({ status: 'RUNNING', stoppedAt: undefined }), SETTINGS), undefined);
    assert.equal(jobCost(finishedJob({ status: 'CANCELLED', stoppedAt: undefined }), SETTINGS), undefined);
  });

  it('shows usd 0 in local mode, with what the job would cost on Fargate', () => {
    // Act
    const cost = jobCost(finishedJob(), { ...SETTINGS, local: true });

    // Assess
    assert.equal(cost?.usd, 0);
    assert.equal(cost?.local, true);
    assertUsd(cost?.fargateUsd, QUARTER_VCPU_MINUTE + HAPPY_PATH_OVERHEAD);
  });

  it('assumes the task definition size, and says so, for a job of no size', () => {
    // Act
    const cost = jobCost(finishedJob({ cpu: undefined, memory: undefined }), SETTINGS);

    // Assess
    assertUsd(cost?.computeUsd, QUARTER_VCPU_MINUTE);
    assert.match(cost?.notes?.join(' ') ?? '', /size unknown/);
  });

  it("prices a region the table does not list at us-east-1's, with a note", () => {
    // Act
    const cost = jobCost(finishedJob(), { ...pricesForRegion(PRICE_TABLE, 'ap-south-2'), taskArchitecture: 'x86', lambdaArchitecture: 'arm' });

    // Assess
    assertUsd(cost?.computeUsd, QUARTER_VCPU_MINUTE);
    assert.equal(cost?.region, 'ap-south-2');
    assert.match(cost?.notes?.join(' ') ?? '', /no prices for ap-south-2: us-east-1/);
  });
});
