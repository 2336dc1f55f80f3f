/** GET /jobs/{id}/logs, for the Lambda of that route and for local mode alike. */
import type { Caller } from '#lib/domain/caller.ts';
import { readJobLogsBefore, readJobLogTail, type JobLogTailPorts } from '#lib/domain/job-log-tail.ts';
import { readJobLogs, type JobLogPorts } from '#lib/domain/job-service.ts';
import { downloadJobLog, type LogDownloadPorts } from '#lib/domain/log-download.ts';
import type { Dependencies, LogLine } from '#lib/domain/ports.ts';
import { httpHandler, jobIdOf, waitTimeLeftMs } from './http-handler.ts';
import { parseQuery } from './request.ts';
import { json, streamed, type HttpResponse } from './responses.ts';
import { jobLogsQuery } from './schemas.ts';

/** A page of GET /jobs/{id}/logs without `limit`. */
export const DEFAULT_LOG_LINES = 1000;

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

/**
 * GET /jobs/{id}/logs: the lines after the cursor, and with `wait` a long poll for them; with `tail`
 * the last lines, with `before` the lines before a previousCursor; with `download=1` the whole log.
 */
export function getJobLogsHandler(ports: JobLogPorts & JobLogTailPorts & LogDownloadPorts & Pick<Dependencies, 'logger'>) {
  return httpHandler(
    async (event, caller, context) => {
      const query = parseQuery(jobLogsQuery, event);
      const jobId = jobIdOf(event);
      if (query.download !== undefined) return download(ports, jobId, caller);
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

/**
 * The whole log: a redirect to a short-lived link to its archive, not to be cached past the link's
 * life; or (local mode) its lines streamed as NDJSON, one LogLine a line, as the archive holds them.
 */
async function download(ports: LogDownloadPorts, jobId: string, caller: Caller): Promise<HttpResponse> {
  const found = await downloadJobLog(ports, jobId, caller);
  if ('url' in found) return { statusCode: 302, headers: { location: found.url, 'cache-control': 'no-store' }, body: '' };
  return streamed(200, ndjson(found.lines), {
    'content-type': NDJSON_CONTENT_TYPE,
    'content-disposition': `attachment; filename="${jobId}.ndjson"`,
    'cache-control': 'no-store',
  });
}

async function* ndjson(lines: AsyncIterable<LogLine>): AsyncGenerator<string> {
  for await (const line of lines) yield `${JSON.stringify(line)}\n`;
}
