/**
 * Rerunning a job: a new job from the request the old one was made from (its profile, argv, size,
 * timeout, network, retry rules, labels and webhook), submitted as any job is, so that the profile's rules apply
 * as they stand now. Secret values were never stored (the record keeps `***`): a rerun takes them
 * again from the caller, and refuses to run without them rather than run with `***` in their place.
 */
import type { Caller } from './caller.ts';
import { ValidationError } from './errors.ts';
import type { Job } from './job.ts';
import { getJob, submitJob, type SubmitJobPorts, type SubmitJobResult } from './job-service.ts';
import { REDACTED } from './secrets.ts';

export interface RerunInput {
  /** The values of the original job's secret variables (secretEnvNames), and nothing else. */
  env?: Record<string, string>;
  idempotencyKey?: string;
}

/** The names of a job's variables whose values the record does not keep. */
export function secretEnvNames(job: Pick<Job, 'env'>): string[] {
  return Object.entries(job.env)
    .filter(([, value]) => value === REDACTED)
    .map(([name]) => name)
    .sort();
}

export async function rerunJob(ports: SubmitJobPorts, jobId: string, input: RerunInput, caller: Caller): Promise<SubmitJobResult> {
  const original = await getJob(ports, jobId, caller);
  const env = rerunEnv(original, input.env ?? {});
  return submitJob(
    ports,
    {
      profile: original.profile,
      command: original.command,
      env,
      ...(original.cpu === undefined ? {} : { cpu: original.cpu }),
      ...(original.memory === undefined ? {} : { memory: original.memory }),
      timeoutSeconds: original.timeoutSeconds,
      publicIp: original.publicIp,
      ...(original.retry ? { retry: original.retry } : {}),
      labels: { ...original.labels },
      ...(original.callbackUrl ? { callbackUrl: original.callbackUrl } : {}),
      ...(original.callbackEvents ? { callbackEvents: original.callbackEvents } : {}),
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
      rerunOf: original.id,
    },
    caller,
  );
}

/** The original's environment with its secrets given again: each of them, and no other variable. */
function rerunEnv(original: Job, given: Record<string, string>): Record<string, string> {
  const secrets = secretEnvNames(original);
  const details = [
    ...Object.keys(given)
      .filter((name) => !secrets.includes(name))
      .map((name) => ({ path: `env.${name}`, message: `is not a secret of job ${original.id}: a rerun takes only the values of its secrets (${secrets.join(', ') || 'it has none'})` })),
    ...secrets.filter((name) => given[name] === undefined || given[name] === REDACTED).map((name) => ({ path: `env.${name}`, message: 'is a secret, whose value is not kept: give it again' })),
  ];
  if (details.length > 0) {
    throw new ValidationError(`job ${original.id} cannot be rerun as sent: ${details.map((detail) => `${detail.path} ${detail.message}`).join('; ')}`, details);
  }
  return { ...original.env, ...given };
}
