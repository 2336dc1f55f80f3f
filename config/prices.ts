/**
 * List prices in USD by region, as of the date below: what a job's cost (lib/domain/cost.ts) is
 * reckoned from. Update the date with the figures. Fargate Spot's price moves with supply; its
 * discount here is a configured estimate (Spot "up to 70%" off).
 *
 * Read on 2026-12-07 from (via the stored copies of these pages):
 * - https://aws.amazon.com/fargate/pricing/ — us-east-1 Linux/x86 $0.04048 per vCPU-hour and
 *   $0.004445 per GB-hour, Linux/ARM $0.03238 and $0.00356 (as quoted by vantage.sh/blog/fargate-pricing
 *   and factualminds.com, June 2026); per second, one-minute minimum.
 * - https://aws.amazon.com/dynamodb/pricing/on-demand/ — $0.625 per million write request units and
 *   $0.125 per million read request units after the November 2024 cut (airbyte.com, July 2025).
 * - https://aws.amazon.com/step-functions/pricing/ — Standard: $0.025 per 1,000 state transitions.
 * - https://aws.amazon.com/lambda/pricing/ — $0.20 per million requests; $0.0000166667 per GB-second
 *   on x86, $0.0000133334 on arm64.
 */
import type { PriceTable } from '#lib/domain/cost.ts';

export const PRICE_TABLE: PriceTable = {
  asOf: '2026-12-07',
  sources: [
    'https://aws.amazon.com/fargate/pricing/',
    'https://aws.amazon.com/step-functions/pricing/',
    'https://aws.amazon.com/lambda/pricing/',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  ],
  regions: {
    'us-east-1': {
      fargate: { x86: { vcpuHour: 0.04048, gbHour: 0.004445 }, arm: { vcpuHour: 0.03238, gbHour: 0.00356 } },
      spotDiscount: 0.7,
      stepFunctionsStandardPerTransition: 0.000025,
      lambda: { perRequest: 0.0000002, perGbSecond: { x86: 0.0000166667, arm: 0.0000133334 } },
      dynamodb: { perWriteRequestUnit: 0.000000625, perReadRequestUnit: 0.000000125 },
    },
  },
};
