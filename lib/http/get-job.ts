/** GET /jobs/{id}, for the Lambda of that route and for local mode alike. */
import { getJob, type JobReadPorts } from '#lib/domain/job-service.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { httpHandler, jobIdOf } from './http-handler.ts';
import { jobDocument } from './job-document.ts';
import { json } from './responses.ts';

/** GET /jobs/{id} */
export function getJobHandler(ports: JobReadPorts & Pick<Dependencies, 'logger'>) {
  return httpHandler(async (event, caller) => json(200, jobDocument(await getJob(ports, jobIdOf(event), caller))), { logger: ports.logger });
}
