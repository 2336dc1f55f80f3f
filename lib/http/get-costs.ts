/** GET /costs, for the Lambda of that route and for local mode alike. */
import { costReport, type CostGroupBy, type CostReportPorts } from '#lib/domain/cost-report.ts';
import { clockOf, type Dependencies } from '#lib/domain/ports.ts';
import { httpHandler } from './http-handler.ts';
import { parseQuery } from './request.ts';
import { json } from './responses.ts';
import { costsQuery } from './schemas.ts';

/** How many jobs one request reads unless it asks for another number (at most 1000). */
const DEFAULT_JOBS_PER_PAGE = 500;
const DEFAULT_WINDOW_DAYS = 30;

export type GetCostsPorts = CostReportPorts & Pick<Dependencies, 'logger' | 'now'>;

/**
 * GET /costs: the caller's finished jobs created from `since` (30 days before `until` by default) to
 * `until` (now), their costs summed by `groupBy` (profile by default), a page of jobs at a time.
 */
export function getCostsHandler(ports: GetCostsPorts) {
  return httpHandler(
    async (event, caller) => {
      const query = parseQuery(costsQuery, event);
      const until = query.until ? new Date(query.until) : clockOf(ports)();
      const since = query.since ? new Date(query.since) : new Date(until.getTime() - DEFAULT_WINDOW_DAYS * 86_400_000);
      const report = await costReport(
        ports,
        {
          since: since.toISOString(),
          until: until.toISOString(),
          groupBy: (query.groupBy ?? 'profile') as CostGroupBy,
          limit: query.limit ? Number(query.limit) : DEFAULT_JOBS_PER_PAGE,
          ...(query.cursor ? { cursor: query.cursor } : {}),
        },
        caller,
      );
      return json(200, report);
    },
    { logger: ports.logger },
  );
}
