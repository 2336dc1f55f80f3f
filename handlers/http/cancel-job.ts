import { dependencies } from '#lib/dependencies.ts';
import { httpHandler } from '#lib/http/http-handler.ts';
import { jobDocument } from '#lib/http/job-document.ts';
import { callerOf } from '#lib/http/request.ts';
import { json } from '#lib/http/responses.ts';

export const handler = httpHandler(
  async (event) => {
    const { service } = await dependencies();
    const job = await service.cancel(event.pathParameters?.id ?? '', callerOf(event));
    return json(200, jobDocument(job));
  },
  { logger: async () => (await dependencies()).logger },
);
