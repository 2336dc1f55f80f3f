/** `fargate-jobs costs`: the finished jobs' costs, summed by group, every page of GET /costs added up. */
import type { CostGroup, CostReport, CostSums } from '#lib/domain/cost-report.ts';
import { UsageError, type VerbSpec } from '../args.ts';
import { EXIT } from '../exit-codes.ts';
import { sanitizeMetadata } from '../sanitize.ts';
import { printJson, stringValue, type VerbContext } from './context.ts';

export const costsSpec: VerbSpec = {
  usage: 'costs [--since 7d|2026-12-01] [--until …] [--by profile|submitter|label:<key>]',
  help: `The costs of your finished jobs (an estimate: see docs/api.md "Costs"), summed by group.
  --since t   jobs created from t: a date or date-time (2026-12-01), or a number of days back (7d); default 30d
  --until t   jobs created before t (same forms); default now
  --by g      profile (default), submitter, or label:<key>
In local mode nothing is billed: USD is 0, and COMPUTE + OVERHEAD is what Fargate would charge.`,
  options: { since: { type: 'string' }, until: { type: 'string' }, by: { type: 'string' } },
  positionals: [],
};

/** How many pages it reads at most: 50 pages of 1000 jobs. */
const MAX_PAGES = 50;
const PAGE_JOBS = 1000;

export async function costs(context: VerbContext): Promise<number> {
  const now = new Date();
  const since = timeFlag(context, 'since', now);
  const until = timeFlag(context, 'until', now);
  const groupBy = stringValue(context, 'by');
  let report: CostReport | undefined;
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const query = { since, until, groupBy, limit: PAGE_JOBS, cursor };
    const { body } = await context.client().request<CostReport>('GET', '/costs', { query, retry: true });
    report = report ? merged(report, body) : body;
    cursor = body.nextCursor ?? undefined;
    if (cursor === undefined) break;
  }
  if (!report) return EXIT.OK;
  if (cursor !== undefined) context.out.stderr.write(`fargate-jobs: more than ${MAX_PAGES * PAGE_JOBS} jobs in the window: the sums are of the newest; give a shorter window\n`);
  if (context.command.globals.json) printJson(context, { ...report, nextCursor: cursor ?? null });
  else context.out.stdout.write(costTable(report));
  return EXIT.OK;
}

/** `7d` (days back from now), or an ISO date or date-time as the API takes it; undefined: the API's default. */
function timeFlag(context: VerbContext, name: string, now: Date): string | undefined {
  const value = stringValue(context, name);
  if (value === undefined) return undefined;
  const days = /^(\d{1,4})d$/.exec(value)?.[1];
  if (days !== undefined) return new Date(now.getTime() - Number(days) * 86_400_000).toISOString();
  if (Number.isNaN(Date.parse(value))) throw new UsageError(`--${name} takes a date (2026-12-01), a date-time or a number of days back (7d), got '${value}'`, 'costs');
  return value;
}

/** Two pages' sums as one: a group on both is added up. */
function merged(report: CostReport, page: CostReport): CostReport {
  const groups = new Map<string | null, CostGroup>(report.groups.map((group) => [group.key, group]));
  for (const group of page.groups) {
    const known = groups.get(group.key);
    groups.set(group.key, known ? { key: group.key, ...added(known, group) } : group);
  }
  const sorted = [...groups.values()].sort((a, b) => b.computeUsd + b.overheadUsd - (a.computeUsd + a.overheadUsd));
  return { ...report, groups: sorted, total: added(report.total, page.total), nextCursor: page.nextCursor };
}

function added(a: CostSums, b: CostSums): CostSums {
  const usd = (value: number) => Math.round(value * 1e8) / 1e8;
  return {
    jobs: a.jobs + b.jobs,
    usd: usd(a.usd + b.usd),
    computeUsd: usd(a.computeUsd + b.computeUsd),
    overheadUsd: usd(a.overheadUsd + b.overheadUsd),
    vcpuSeconds: a.vcpuSeconds + b.vcpuSeconds,
    gbSeconds: a.gbSeconds + b.gbSeconds,
  };
}

function costTable(report: CostReport): string {
  const header = `${report.groupBy} costs, ${report.since} to ${report.until}${report.local ? ' (local mode: nothing billed; compute + overhead is what Fargate would charge)' : ' (an estimate)'}\n`;
  if (report.total.jobs === 0) return `${header}No finished jobs.\n`;
  const row = (key: string, sums: CostSums) => [key, String(sums.jobs), dollars(sums.usd), dollars(sums.computeUsd), dollars(sums.overheadUsd)];
  const rows = [
    [report.groupBy.toUpperCase(), 'JOBS', 'USD', 'COMPUTE', 'OVERHEAD'],
    ...report.groups.map((group) => row(sanitizeMetadata(group.key ?? '(none)'), group)),
    row('TOTAL', report.total),
  ];
  const widths = rows[0]!.map((_cell, column) => Math.max(...rows.map((cells) => cells[column]!.length)));
  const lines = rows.map((cells) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd());
  return `${header}${lines.join('\n')}\n`;
}

/** Dollars to the hundredth of a cent, small sums to their first significant figures. */
function dollars(value: number): string {
  if (value === 0) return '$0.00';
  return value >= 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(6)}`;
}
