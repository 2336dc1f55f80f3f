import { dependencies } from '#lib/dependencies.ts';
import { httpHandler } from '#lib/http/http-handler.ts';
import { jobDocument } from '#lib/http/job-document.ts';
import { parseWith } from '#lib/http/request.ts';
import { json } from '#lib/http/responses.ts';
import { listJobsQuery } from '#lib/http/schemas.ts';

const DEFAULT_PAGE_SIZE = 20;

export const handler = httpHandler(
  async (event) => {
    const { service } = await dependencies();
    const query = parseWith(listJobsQuery, event.queryStringParameters ?? {}, 'the query string');
    const page = await service.list({
      limit: query.limit ? Number(query.limit) : DEFAULT_PAGE_SIZE,
      ...(query.status ? { status: query.status } : {}),
      ...(query.profile ? { profile: query.profile } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    return json(200, { jobs: page.jobs.map(jobDocument), nextCursor: page.nextCursor });
  },
  { logger: async () => (await dependencies()).logger },
);
