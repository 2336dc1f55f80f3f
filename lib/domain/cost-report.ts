/**
 * GET /costs: the costs of the caller's finished jobs created in a window, summed by group. A window
 * may hold more jobs than one request should read, so a request reads at most `limit` jobs (newest
 * first) and answers their sums with a cursor to the rest: the client adds the pages up (the CLI
 * does). Each page's groups are its own jobs'; a group may appear on several pages.
 */
import { profilesVisibleTo, type Caller } from './caller.ts';
import { jobCost, type CostSettings, type JobCost } from './cost.ts';
import { ValidationError } from './errors.ts';
import type { Job } from './job.ts';
import type { Dependencies } from './ports.ts';

export type CostReportPorts = Pick<Dependencies, 'store'> & Required<Pick<Dependencies, 'costs'>>;

/** `profile`, `submitter`, or `label:<key>` (a job without that label is in the group `null`). */
export type CostGroupBy = 'profile' | 'submitter' | `label:${string}`;

export interface CostReportQuery {
  /** ISO 8601: jobs created at or after it. */
  since: string;
  /** ISO 8601: jobs created before it. */
  until: string;
  groupBy: CostGroupBy;
  /** How many jobs this request reads at most. */
  limit: number;
  cursor?: string;
}

export interface CostSums {
  jobs: number;
  usd: number;
  computeUsd: number;
  overheadUsd: number;
  vcpuSeconds: number;
  gbSeconds: number;
}

export interface CostGroup extends CostSums {
  key: string | null;
}

export interface CostReport {
  since: string;
  until: string;
  groupBy: CostGroupBy;
  /** Largest first. */
  groups: CostGroup[];
  total: CostSums;
  /** More jobs of the window: the next page's sums. */
  nextCursor: string | null;
  /** Local mode: nothing is billed, `usd` is 0 and computeUsd + overheadUsd is what Fargate would charge. */
  local?: true;
  pricesAsOf?: string;
}

/** How many jobs the store is asked for at a time. */
const STORE_PAGE = 100;

export async function costReport(ports: CostReportPorts, query: CostReportQuery, caller: Caller): Promise<CostReport> {
  if (!(query.since < query.until)) throw new ValidationError(`since (${query.since}) must be before until (${query.until})`);
  const { costs } = ports;
  const profiles = profilesVisibleTo(caller);
  const groups = new Map<string | null, CostGroup>();
  let cursor = query.cursor;
  let read = 0;
  let nextCursor: string | null = null;
  while (read < query.limit) {
    const page = await ports.store.list({
      limit: Math.min(STORE_PAGE, query.limit - read),
      createdBefore: query.until,
      ...(profiles ? { profiles } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const inWindow = page.jobs.filter((job) => job.createdAt >= query.since);
    read += page.jobs.length;
    for (const job of inWindow) addJob(groups, job, query.groupBy, costs);
    // Newest first: a job older than `since` ends the window.
    const windowEnded = inWindow.length < page.jobs.length || page.nextCursor === null;
    nextCursor = windowEnded ? null : page.nextCursor;
    if (nextCursor === null) break;
    cursor = nextCursor;
  }
  const sorted = [...groups.values()].sort((a, b) => b.computeUsd + b.overheadUsd - (a.computeUsd + a.overheadUsd) || String(a.key).localeCompare(String(b.key)));
  return {
    since: query.since,
    until: query.until,
    groupBy: query.groupBy,
    groups: sorted.map((group) => ({ ...group, ...rounded(group) })),
    total: rounded(sorted.reduce(add, emptySums())),
    nextCursor,
    ...(costs.local ? { local: true as const } : {}),
    pricesAsOf: costs.asOf,
  };
}

function addJob(groups: Map<string | null, CostGroup>, job: Job, groupBy: CostGroupBy, costs: CostSettings): void {
  const cost = jobCost(job, costs);
  if (!cost) return;
  const key = groupKey(job, groupBy);
  const group = groups.get(key) ?? { key, ...emptySums() };
  groups.set(key, { key, ...add(group, sumsOf(cost)) });
}

function groupKey(job: Job, groupBy: CostGroupBy): string | null {
  if (groupBy === 'profile') return job.profile;
  if (groupBy === 'submitter') return job.submittedBy;
  return job.labels[groupBy.slice('label:'.length)] ?? null;
}

function sumsOf(cost: JobCost): CostSums {
  const { usd, computeUsd, overheadUsd, vcpuSeconds, gbSeconds } = cost;
  return { jobs: 1, usd, computeUsd, overheadUsd, vcpuSeconds, gbSeconds };
}

function emptySums(): CostSums {
  return { jobs: 0, usd: 0, computeUsd: 0, overheadUsd: 0, vcpuSeconds: 0, gbSeconds: 0 };
}

function add(a: CostSums, b: CostSums): CostSums {
  return {
    jobs: a.jobs + b.jobs,
    usd: a.usd + b.usd,
    computeUsd: a.computeUsd + b.computeUsd,
    overheadUsd: a.overheadUsd + b.overheadUsd,
    vcpuSeconds: a.vcpuSeconds + b.vcpuSeconds,
    gbSeconds: a.gbSeconds + b.gbSeconds,
  };
}

/** Sums of many jobs' figures, without a float's noise. */
function rounded(sums: CostSums): CostSums {
  const usd = (value: number) => Math.round(value * 1e8) / 1e8;
  const seconds = (value: number) => Math.round(value * 1000) / 1000;
  return { jobs: sums.jobs, usd: usd(sums.usd), computeUsd: usd(sums.computeUsd), overheadUsd: usd(sums.overheadUsd), vcpuSeconds: seconds(sums.vcpuSeconds), gbSeconds: seconds(sums.gbSeconds) };
}
