import { awsJobStore, awsLogger, awsProfileMap, awsWorkflow } from '#lib/adapters/aws/aws-wiring.ts';
import { wire } from '#lib/dependencies.ts';
import { JobService } from '#lib/domain/job-service.ts';
import { ValidationError } from '#lib/domain/errors.ts';
import { httpHandler } from '#lib/http/http-handler.ts';
import { jobDocument } from '#lib/http/job-document.ts';
import { header } from '#lib/http/headers.ts';
import { parseWith } from '#lib/http/request.ts';
import { json } from '#lib/http/responses.ts';
import { createJobBody, IDEMPOTENCY_KEY } from '#lib/http/schemas.ts';

const dependencies = wire({ store: awsJobStore, workflow: awsWorkflow, profiles: awsProfileMap, logger: awsLogger });
const service = new JobService(dependencies);

export const handler = httpHandler(
  async (event, caller) => {
    const body = parseWith(createJobBody, event.body, 'the request body');
    const idempotencyKey = idempotencyKeyOf(body.idempotencyKey, header(event, 'idempotency-key'));
    const { created, job } = await service.submit(
      {
        profile: body.profile ?? 'default',
        command: body.command,
        env: body.env ?? {},
        labels: body.labels ?? {},
        ...(body.timeoutSeconds === undefined ? {} : { timeoutSeconds: body.timeoutSeconds }),
        ...(body.publicIp === undefined ? {} : { publicIp: body.publicIp }),
        ...(body.sshPublicKey === undefined ? {} : { sshPublicKey: body.sshPublicKey }),
        ...(body.cpu === undefined ? {} : { cpu: body.cpu }),
        ...(body.memory === undefined ? {} : { memory: body.memory }),
        ...(idempotencyKey ? { idempotencyKey } : {}),
      },
      caller,
    );
    const document = jobDocument(job);
    return json(created ? 202 : 200, document, { location: document.links.self });
  },
  { jsonBody: true, logger: async () => dependencies.logger },
);

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
