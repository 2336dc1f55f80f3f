import { awsJobStore, awsLogger, awsTaskRunner } from '#lib/adapters/aws/aws-wiring.ts';
import { wire } from '#lib/dependencies.ts';
import { JobService } from '#lib/domain/job-service.ts';
import { httpHandler } from '#lib/http/http-handler.ts';
import { jobDocument } from '#lib/http/job-document.ts';
import { json } from '#lib/http/responses.ts';

const dependencies = wire({ store: awsJobStore, taskRunner: awsTaskRunner, logger: awsLogger });
const service = new JobService(dependencies);

export const handler = httpHandler(
  async (event, caller) => {
    const job = await service.cancel(event.pathParameters?.id ?? '', caller);
    return json(200, jobDocument(job));
  },
  { logger: async () => dependencies.logger },
);
