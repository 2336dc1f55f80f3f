/** GET /jobs, for the Lambda of that route and for local mode alike. */
import { waitForJobList, type JobListWaitPorts } from '#lib/domain/job-listing.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { entityTag, namesVersion } from './entity-tags.ts';
import { header } from './headers.ts';
import { httpHandler, waitTimeLeftMs } from './http-handler.ts';
import { jobDocument } from './job-document.ts';
import { labelFiltersOf } from './label-filters.ts';
import { parseQuery } from './request.ts';
import { json } from './responses.ts';
import { listJobsQuery } from './schemas.ts';

const DEFAULT_PAGE_SIZE = 20;

/**
 * GET /jobs: newest first, only the profiles of the caller's scope, with the page's ETag. With
 * `If-None-Match` naming it (and `wait`), a long poll for a page that differs: 304 with no body
 * when the wait is over and the page is still the one the client has.
 */
export function listJobsHandler(ports: JobListWaitPorts & Pick<Dependencies, 'logger' | 'costs'>) {
  return httpHandler(
    async (event, caller, context) => {
      const query = parseQuery(listJobsQuery, event);
      const labels = labelFiltersOf(event);
      const ifNoneMatch = header(event, 'if-none-match');
      const known = ifNoneMatch === undefined ? undefined : (version: string) => namesVersion(ifNoneMatch, version);
      const maxWaitMs = waitTimeLeftMs(context);
      const { page, version } = await waitForJobList(
        ports,
        {
          limit: query.limit ? Number(query.limit) : DEFAULT_PAGE_SIZE,
          ...(query.status ? { status: query.status } : {}),
          ...(query.profile ? { profile: query.profile } : {}),
          ...(labels ? { labels } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
        },
        {
          ...(known ? { known } : {}),
          ...(query.wait === undefined ? {} : { waitSeconds: Number(query.wait) }),
          ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
        },
        caller,
      );
      const etag = entityTag(version);
      if (known?.(version)) return { statusCode: 304, headers: { etag }, body: '' };
      return json(200, { jobs: page.jobs.map((job) => jobDocument(job, ports.costs)), nextCursor: page.nextCursor }, { etag });
    },
    { logger: ports.logger },
  );
}
