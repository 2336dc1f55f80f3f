/**
 * What a finished job cost: its task's compute, billed as Fargate bills it (per second, one minute at
 * least, from the task's start to its stop, for the task's vCPU and memory), and the workflow's
 * overhead (workflow-usage.ts), priced from a dated table (config/prices.ts). An estimate: the start
 * is the attempt's `startedAt` (Fargate bills from when the image pull starts, which is not recorded,
 * so a few seconds of pull are missed), Spot is priced at a configured discount, and the overhead is a
 * model of the workflow, not a meter.
 */
import type { CapacityProvider } from './capacity.ts';
import { isRetrying } from './job-attempts.ts';
import { isTerminal, stoppedAtOf, type Job, type JobAttempt } from './job.ts';
import { workflowUsage } from './workflow-usage.ts';

export type Architecture = 'x86' | 'arm';

export interface ComputePrices {
  vcpuHour: number;
  gbHour: number;
}

/** One region's list prices in USD. */
export interface RegionPrices {
  fargate: Record<Architecture, ComputePrices>;
  /** Fargate Spot's discount on on-demand, 0–1: Spot prices vary, so this is a configured estimate. */
  spotDiscount: number;
  stepFunctionsStandardPerTransition: number;
  lambda: { perRequest: number; perGbSecond: Record<Architecture, number> };
  dynamodb: { perWriteRequestUnit: number; perReadRequestUnit: number };
}

export interface PriceTable {
  /** The day the prices were read from their sources. */
  asOf: string;
  sources: string[];
  regions: Readonly<Record<string, RegionPrices>>;
}

/** The region whose prices stand in for a region the table does not list. */
export const FALLBACK_REGION = 'us-east-1';

/** The size of the task definitions (serverless.yml): what a job of a profile with no taskSize runs with. */
export const TASK_DEFINITION_SIZE = { cpu: 256, memory: 512 } as const;

/** How a stage's jobs are priced. */
export interface CostSettings {
  region: string;
  asOf: string;
  prices: RegionPrices;
  /** The task definitions' CPU architecture. */
  taskArchitecture: Architecture;
  /** The Lambda functions' architecture. */
  lambdaArchitecture: Architecture;
  /** Local mode: nothing is billed; the figures say what the job would cost on Fargate. */
  local?: boolean;
  /** Why the prices may not be the region's (a region the table does not list). */
  note?: string;
}

/** The prices of `region`, or FALLBACK_REGION's with a note saying so. */
export function pricesForRegion(table: PriceTable, region: string): Pick<CostSettings, 'region' | 'asOf' | 'prices' | 'note'> {
  const prices = table.regions[region];
  if (prices) return { region, asOf: table.asOf, prices };
  const fallback = table.regions[FALLBACK_REGION];
  if (!fallback) throw new Error(`the price table has no ${FALLBACK_REGION} prices`);
  return { region, asOf: table.asOf, prices: fallback, note: `no prices for ${region}: ${FALLBACK_REGION}'s are used` };
}

export interface JobCost {
  /** What the job cost in USD: computeUsd + overheadUsd (0 in local mode, where nothing is billed). */
  usd: number;
  computeUsd: number;
  overheadUsd: number;
  vcpuSeconds: number;
  gbSeconds: number;
  /** The capacity its attempts ran on: 'mixed' when some ran on Spot and some on demand. */
  capacity: CapacityProvider | 'mixed';
  transitions: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  dynamodbWrites: number;
  estimate: true;
  region: string;
  pricesAsOf: string;
  /** Local mode: `usd` is 0, and `fargateUsd` (computeUsd + overheadUsd) is what the job would cost on Fargate. */
  local?: true;
  fargateUsd?: number;
  notes?: string[];
}

/** One attempt's billed seconds: from its start to its stop, rounded up to the second, one minute at least. */
export function billedSeconds(startedAt: string, stoppedAt: string): number {
  const seconds = (Date.parse(stoppedAt) - Date.parse(startedAt)) / 1000;
  return Math.max(60, Math.ceil(seconds));
}

/** The cost of a finished job; undefined before its last stop is known (stoppedAtOf). */
export function jobCost(job: Job, settings: CostSettings): JobCost | undefined {
  if (!isTerminal(job.status) || stoppedAtOf(job) === undefined) return undefined;
  const notes: string[] = settings.note ? [settings.note] : [];
  const size = { cpu: job.cpu ?? TASK_DEFINITION_SIZE.cpu, memory: job.memory ?? TASK_DEFINITION_SIZE.memory };
  if (job.cpu === undefined || job.memory === undefined) notes.push('size unknown: the task definition’s 0.25 vCPU and 0.5 GB are assumed');
  const compute = computeOf(attemptsOf(job), size, settings);
  const usage = workflowUsage(job);
  const { prices } = settings;
  const lambdaUsd = usage.lambdaInvocations * prices.lambda.perRequest + usage.lambdaGbSeconds * prices.lambda.perGbSecond[settings.lambdaArchitecture];
  const overheadUsd = usage.transitions * prices.stepFunctionsStandardPerTransition + lambdaUsd + usage.dynamodbWrites * prices.dynamodb.perWriteRequestUnit;
  const fargateUsd = compute.usd + overheadUsd;
  return {
    usd: settings.local ? 0 : usd(fargateUsd),
    computeUsd: usd(compute.usd),
    overheadUsd: usd(overheadUsd),
    vcpuSeconds: compute.vcpuSeconds,
    gbSeconds: compute.gbSeconds,
    capacity: compute.capacity,
    ...usage,
    estimate: true,
    region: settings.region,
    pricesAsOf: settings.asOf,
    ...(settings.local ? { local: true as const, fargateUsd: usd(fargateUsd) } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** Every attempt of a finished job: the ended ones, then the last (the job's own fields). */
function attemptsOf(job: Job): Pick<JobAttempt, 'capacity' | 'startedAt' | 'stoppedAt'>[] {
  const ended = job.attempts ?? [];
  if (isRetrying(job)) return ended;
  return [...ended, { capacity: job.capacity, startedAt: job.startedAt, stoppedAt: stoppedAtOf(job) }];
}

function computeOf(attempts: Pick<JobAttempt, 'capacity' | 'startedAt' | 'stoppedAt'>[], size: { cpu: number; memory: number }, settings: CostSettings) {
  const { vcpuHour, gbHour } = settings.prices.fargate[settings.taskArchitecture];
  const capacities = new Set<CapacityProvider>();
  let vcpuSeconds = 0;
  let gbSeconds = 0;
  let total = 0;
  for (const attempt of attempts) {
    // Only attempts whose task ran are billed: a task refused by RunTask never started.
    if (attempt.startedAt === undefined || attempt.stoppedAt === undefined) continue;
    const capacity = attempt.capacity ?? 'FARGATE';
    capacities.add(capacity);
    const seconds = billedSeconds(attempt.startedAt, attempt.stoppedAt);
    const attemptVcpuSeconds = (seconds * size.cpu) / 1024;
    const attemptGbSeconds = (seconds * size.memory) / 1024;
    const onDemand = (attemptVcpuSeconds * vcpuHour + attemptGbSeconds * gbHour) / 3600;
    total += capacity === 'FARGATE_SPOT' ? onDemand * (1 - settings.prices.spotDiscount) : onDemand;
    vcpuSeconds += attemptVcpuSeconds;
    gbSeconds += attemptGbSeconds;
  }
  const capacity: JobCost['capacity'] = capacities.size > 1 ? 'mixed' : capacities.has('FARGATE_SPOT') ? 'FARGATE_SPOT' : 'FARGATE';
  return { usd: total, vcpuSeconds, gbSeconds, capacity };
}

/** USD to a hundred-millionth of a dollar: enough for one DynamoDB write, none of a float's noise. */
function usd(value: number): number {
  return Math.round(value * 1e8) / 1e8;
}
