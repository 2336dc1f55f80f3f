/** GET /jobs/{id}, for the Lambda of that route and for local mode alike. */
import { waitForJob, type JobWaitPorts } from '#lib/domain/job-service.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { httpHandler, jobIdOf, waitTimeLeftMs } from './http-handler.ts';
import { jobDocument } from './job-document.ts';
import { parseQuery } from './request.ts';
import { json } from './responses.ts';
import { getJobQuery } from './schemas.ts';

/** GET /jobs/{id}, and with `wait` and `ifStatus` a long poll for the job's next status. */
export function getJobHandler(ports: JobWaitPorts & Pick<Dependencies, 'logger' | 'costs'>) {
  return httpHandler(
    async (event, caller, context) => {
      const query = parseQuery(getJobQuery, event);
      const maxWaitMs = waitTimeLeftMs(context);
      const request = {
        ...(query.wait === undefined ? {} : { waitSeconds: Number(query.wait) }),
        ...(query.ifStatus === undefined ? {} : { ifStatus: query.ifStatus }),
        ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
      };
      return json(200, jobDocument(await waitForJob(ports, jobIdOf(event), request, caller), ports.costs));
    },
    { logger: ports.logger },
  );
}
