/** The job as clients see it: no environment values, no internal bookkeeping, links to itself. */
import type { Job } from '#lib/domain/job.ts';

export interface JobDocument {
  id: string;
  profile: string;
  command: string[];
  status: Job['status'];
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  stoppedAt?: string;
  exitCode: number | null;
  failure?: Job['failure'];
  taskArn?: string;
  network?: Job['network'];
  connect?: Job['connect'];
  logTail: string[];
  timeoutSeconds: number;
  cpu?: number;
  memory?: number;
  labels: Record<string, string>;
  submittedBy: string;
  idempotencyKey?: string;
  links: { self: string; logs: string };
}

export function jobDocument(job: Job): JobDocument {
  const self = `/jobs/${job.id}`;
  return {
    id: job.id,
    profile: job.profile,
    command: job.command,
    status: job.status,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.stoppedAt ? { stoppedAt: job.stoppedAt } : {}),
    exitCode: job.exitCode,
    ...(job.failure ? { failure: job.failure } : {}),
    ...(job.taskArn ? { taskArn: job.taskArn } : {}),
    ...(job.network ? { network: job.network } : {}),
    ...(job.connect ? { connect: job.connect } : {}),
    logTail: job.logTail,
    timeoutSeconds: job.timeoutSeconds,
    ...(job.cpu === undefined ? {} : { cpu: job.cpu }),
    ...(job.memory === undefined ? {} : { memory: job.memory }),
    labels: job.labels,
    submittedBy: job.submittedBy,
    ...(job.idempotencyKey ? { idempotencyKey: job.idempotencyKey } : {}),
    links: { self, logs: `${self}/logs` },
  };
}
