/** GET /jobs, for the Lambda of that route and for local mode alike. */
import { listJobs, type ListJobsPorts } from '#lib/domain/job-service.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { httpHandler } from './http-handler.ts';
import { jobDocument } from './job-document.ts';
import { labelFiltersOf } from './label-filters.ts';
import { parseQuery } from './request.ts';
import { json } from './responses.ts';
import { listJobsQuery } from './schemas.ts';

const DEFAULT_PAGE_SIZE = 20;

/** GET /jobs: newest first, only the profiles of the caller's scope. */
export function listJobsHandler(ports: ListJobsPorts & Pick<Dependencies, 'logger'>) {
  return httpHandler(
    async (event, caller) => {
      const query = parseQuery(listJobsQuery, event);
      const labels = labelFiltersOf(event);
      const page = await listJobs(
        ports,
        {
          limit: query.limit ? Number(query.limit) : DEFAULT_PAGE_SIZE,
          ...(query.status ? { status: query.status } : {}),
          ...(query.profile ? { profile: query.profile } : {}),
          ...(labels ? { labels } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
        },
        caller,
      );
      return json(200, { jobs: page.jobs.map(jobDocument), nextCursor: page.nextCursor });
    },
    { logger: ports.logger },
  );
}
