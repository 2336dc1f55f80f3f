import { awsJobStore, awsLogger } from '#lib/adapters/aws/aws-wiring.ts';
import { wire } from '#lib/dependencies.ts';
import { JobService } from '#lib/domain/job-service.ts';
import { httpHandler } from '#lib/http/http-handler.ts';
import { jobDocument } from '#lib/http/job-document.ts';
import { parseWith } from '#lib/http/request.ts';
import { json } from '#lib/http/responses.ts';
import { listJobsQuery } from '#lib/http/schemas.ts';

const DEFAULT_PAGE_SIZE = 20;

const dependencies = wire({ store: awsJobStore, logger: awsLogger });
const service = new JobService(dependencies);

export const handler = httpHandler(
  async (event, caller) => {
    const query = parseWith(listJobsQuery, event.queryStringParameters ?? {}, 'the query string');
    const page = await service.list({
      limit: query.limit ? Number(query.limit) : DEFAULT_PAGE_SIZE,
      ...(query.status ? { status: query.status } : {}),
      ...(query.profile ? { profile: query.profile } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    }, caller);
    return json(200, { jobs: page.jobs.map(jobDocument), nextCursor: page.nextCursor });
  },
  { logger: async () => dependencies.logger },
);
