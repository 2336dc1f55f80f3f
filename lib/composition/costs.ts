/**
 * How a stage's jobs are priced (lib/domain/cost.ts): the price table of its region (AWS_REGION; a
 * region the table does not list gets us-east-1's, with a note), its task definitions' x86_64 and
 * its Lambdas' arm64 (serverless.yml).
 */
import { PRICE_TABLE } from '#config/prices.ts';
import { FALLBACK_REGION, pricesForRegion, type CostSettings } from '#lib/domain/cost.ts';

/** `local`: the process runner's jobs, which nothing bills: their cost is what Fargate would charge. */
export function stageCosts(options: { local?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): CostSettings {
  const region = env.AWS_REGION?.trim() || FALLBACK_REGION;
  return { ...pricesForRegion(PRICE_TABLE, region), taskArchitecture: 'x86', lambdaArchitecture: 'arm', ...(options.local ? { local: true } : {}) };
}
