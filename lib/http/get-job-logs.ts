/** GET /jobs/{id}/logs, for the Lambda of that route and for local mode alike. */
import { readJobLogsBefore, readJobLogTail, type JobLogTailPorts } from '#lib/domain/job-log-tail.ts';
import { readJobLogs, type JobLogPorts } from '#lib/domain/job-service.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { httpHandler, jobIdOf, waitTimeLeftMs } from './http-handler.ts';
import { parseQuery } from './request.ts';
import { json } from './responses.ts';
import { jobLogsQuery } from './schemas.ts';

const DEFAULT_LOG_LINES = 1000;

/**
 * GET /jobs/{id}/logs: the lines after the cursor, and with `wait` a long poll for them; with `tail`
 * the last lines, with `before` the lines before a previousCursor.
 */
export function getJobLogsHandler(ports: JobLogPorts & JobLogTailPorts & Pick<Dependencies, 'logger'>) {
  return httpHandler(
    async (event, caller, context) => {
      const query = parseQuery(jobLogsQuery, event);
      const jobId = jobIdOf(event);
      const limit = query.limit ? Number(query.limit) : DEFAULT_LOG_LINES;
      if (query.tail !== undefined) return json(200, await readJobLogTail(ports, jobId, { lines: Number(query.tail) }, caller));
      if (query.before !== undefined) return json(200, await readJobLogsBefore(ports, jobId, { before: query.before, limit }, caller));
      const maxWaitMs = waitTimeLeftMs(context);
      const request = {
        limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
        ...(query.wait === undefined ? {} : { waitSeconds: Number(query.wait) }),
        ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
      };
      return json(200, await readJobLogs(ports, jobId, request, caller));
    },
    { logger: ports.logger },
  );
}
