import { awsJobStore, awsLogReader, awsLogger } from '#lib/adapters/aws/aws-wiring.ts';
import { wire } from '#lib/dependencies.ts';
import { JobService } from '#lib/domain/job-service.ts';
import { httpHandler } from '#lib/http/http-handler.ts';
import { parseWith } from '#lib/http/request.ts';
import { json } from '#lib/http/responses.ts';
import { jobLogsQuery } from '#lib/http/schemas.ts';

const DEFAULT_LINES = 1000;

const dependencies = wire({ store: awsJobStore, logReader: awsLogReader, logger: awsLogger });
const service = new JobService(dependencies);

export const handler = httpHandler(
  async (event, caller) => {
    const query = parseWith(jobLogsQuery, event.queryStringParameters ?? {}, 'the query string');
    const logs = await service.readLogs(event.pathParameters?.id ?? '', {
      limit: query.limit ? Number(query.limit) : DEFAULT_LINES,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    }, caller);
    return json(200, logs);
  },
  { logger: async () => dependencies.logger },
);
