/** POST /jobs/{id}/cancel and its alias DELETE /jobs/{id}, for the Lambda of those routes and for local mode alike. */
import { cancelJob, type CancelJobPorts } from '#lib/domain/job-service.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { httpHandler, jobIdOf } from './http-handler.ts';
import { jobDocument } from './job-document.ts';
import { json } from './responses.ts';

/** Records CANCELLED, stops the task and answers the job (which stays readable). */
export function cancelJobHandler(ports: CancelJobPorts & Pick<Dependencies, 'logger'>) {
  return httpHandler(async (event, caller) => json(200, jobDocument(await cancelJob(ports, jobIdOf(event), caller))), { logger: ports.logger });
}
