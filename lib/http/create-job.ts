/** POST /jobs, for the Lambda of that route and for local mode alike. */
import { defaultProfileOf } from '#lib/domain/caller.ts';
import { ValidationError } from '#lib/domain/errors.ts';
import { submitJob, type SubmitJobPorts } from '#lib/domain/job-service.ts';
import { rerunJob } from '#lib/domain/rerun.ts';
import type { Dependencies } from '#lib/domain/ports.ts';
import { header } from './headers.ts';
import { httpHandler } from './http-handler.ts';
import { jobDocument } from './job-document.ts';
import { parseWith } from './request.ts';
import { json } from './responses.ts';
import { callbackEventsOf, createJobBody, IDEMPOTENCY_KEY } from './schemas.ts';

/**
 * POST /jobs: 202 with the new job, or 200 with the job an idempotent replay created before. A body
 * naming no profile means the caller's one profile when its token has exactly one, else `default`.
 */
export function createJobHandler(ports: SubmitJobPorts & Pick<Dependencies, 'logger'>) {
  return httpHandler(
    async (event, caller) => {
      const { idempotencyKey: fromBody, profile, env, labels, callbackEvents, rerunOf, ...request } = parseWith(createJobBody, event.body, 'the request body');
      const idempotencyKey = idempotencyKeyOf(fromBody, header(event, 'idempotency-key'));
      const keyed = idempotencyKey ? { idempotencyKey } : {};
      const { created, job } =
        rerunOf !== undefined
          ? await rerunJob(ports, rerunOf, { ...onlyRerunFields({ profile, labels, callbackEvents, ...request }), ...(env ? { env } : {}), ...keyed }, caller)
          : await submitJob(
              ports,
              {
                ...request,
                profile: profile ?? defaultProfileOf(caller),
                env: env ?? {},
                labels: labels ?? {},
                ...keyed,
                ...(callbackEvents ? { callbackEvents: callbackEventsOf(callbackEvents) } : {}),
              },
              caller,
            );
      const document = jobDocument(job);
      return json(created ? 202 : 200, document, { location: document.links.self });
    },
    { jsonBody: true, logger: ports.logger },
  );
}

/** A rerun takes its request from the job it reruns: a field of a new request beside `rerunOf` would be silently dropped, so it is refused. */
function onlyRerunFields(others: Record<string, unknown>): Record<string, never> {
  const given = Object.entries(others).filter(([, value]) => value !== undefined).map(([name]) => name);
  if (given.length > 0) {
    throw new ValidationError('a rerun (rerunOf) takes only env (the values of its secrets) and idempotencyKey', given.map((name) => ({ path: name, message: 'must be absent with rerunOf' })));
  }
  return {};
}

/** The key may come in the body or the Idempotency-Key header; both at once must agree. */
function idempotencyKeyOf(fromBody: string | undefined, fromHeader: string | undefined): string | undefined {
  if (fromHeader !== undefined && !IDEMPOTENCY_KEY.test(fromHeader)) {
    throw new ValidationError('the Idempotency-Key header is not valid', [
      { path: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters without spaces' },
    ]);
  }
  if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
    throw new ValidationError('idempotencyKey and the Idempotency-Key header differ', [
      { path: 'idempotencyKey', message: 'must match the Idempotency-Key header' },
    ]);
  }
  return fromBody ?? fromHeader;
}
