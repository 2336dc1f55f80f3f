/** POST /jobs/{id}/exec, for the Lambda of that route and for local mode alike. */
import { startExec, type ExecPorts } from '#lib/domain/exec-service.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { httpHandler, jobIdOf } from './http-handler.ts';
import { parseWith } from './request.ts';
import { json } from './responses.ts';
import { execJobBody } from './schemas.ts';

/**
 * 201 with the session to attach to: `{ sessionId, streamUrl, tokenValue, target, region }`, as
 * session-manager-plugin takes it (or, in local mode, the local server's own stream). The token
 * opens the session: never cached on the way.
 */
export function execJobHandler(ports: ExecPorts & Pick<Dependencies, 'logger'>) {
  return httpHandler(
    async (event, caller) => {
      const { command } = parseWith(execJobBody, event.body, 'the request body');
      const { session } = await startExec(ports, jobIdOf(event), command === undefined ? {} : { command }, caller);
      const { sessionId, streamUrl, tokenValue, target, region } = session;
      return json(201, { sessionId, streamUrl, tokenValue, target, region }, { 'cache-control': 'no-store' });
    },
    { jsonBody: true, logger: ports.logger },
  );
}
