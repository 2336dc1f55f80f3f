import { dependencies } from '#lib/dependencies.ts';
import { httpHandler } from '#lib/http/http-handler.ts';
import { parseWith } from '#lib/http/request.ts';
import { json } from '#lib/http/responses.ts';
import { jobLogsQuery } from '#lib/http/schemas.ts';

const DEFAULT_LINES = 1000;

export const handler = httpHandler(
  async (event) => {
    const { service } = await dependencies();
    const query = parseWith(jobLogsQuery, event.queryStringParameters ?? {}, 'the query string');
    const logs = await service.readLogs(event.pathParameters?.id ?? '', {
      limit: query.limit ? Number(query.limit) : DEFAULT_LINES,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    return json(200, logs);
  },
  { logger: async () => (await dependencies()).logger },
);
