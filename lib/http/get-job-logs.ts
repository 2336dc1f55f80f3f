/** GET /jobs/{id}/logs, for the Lambda of that route and for local mode alike. */
import { readJobLogs, type JobLogPorts } from '#lib/domain/job-service.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { httpHandler, jobIdOf, waitTimeLeftMs } from './http-handler.ts';
import { parseQuery } from './request.ts';
import { json } from './responses.ts';
import { jobLogsQuery } from './schemas.ts';

const DEFAULT_LOG_LINES = 1000;

/** GET /jobs/{id}/logs, and with `wait` a long poll for the lines after the cursor. */
export function getJobLogsHandler(ports: JobLogPorts & Pick<Dependencies, 'logger'>) {
  return httpHandler(
    async (event, caller, context) => {
      const query = parseQuery(jobLogsQuery, event);
      const maxWaitMs = waitTimeLeftMs(context);
      const request = {
        limit: query.limit ? Number(query.limit) : DEFAULT_LOG_LINES,
        ...(query.cursor ? { cursor: query.cursor } : {}),
        ...(query.wait === undefined ? {} : { waitSeconds: Number(query.wait) }),
        ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
      };
      return json(200, await readJobLogs(ports, jobIdOf(event), request, caller));
    },
    { logger: ports.logger },
  );
}
