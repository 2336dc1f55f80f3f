/** The job as clients see it: no environment values, no internal bookkeeping, links to itself. */
import { jobCost, type CostSettings, type JobCost } from '#lib/domain/cost.ts';
import { isExecReady } from '#lib/domain/exec-service.ts';
import { currentAttempt, isRetrying } from '#lib/domain/job-attempts.ts';
import { statusTimeline, stoppedAtOf, type Job, type JobAttempt, type StatusTime } from '#lib/domain/job.ts';
import { secretEnvNames } from '#lib/domain/rerun.ts';

export interface JobDocument {
  id: string;
  profile: string;
  command: string[];
  status: Job['status'];
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  stoppedAt?: string;
  /** The statuses the job has reached, in status order, with when (statusTimeline). */
  timeline: StatusTime[];
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
  /** Where the job's webhook goes; a query string (which may hold a credential) shows as `?***`. */
  callbackUrl?: string;
  callbackEvents?: Job['callbackEvents'];
  /** Every attempt to deliver a notification about the job (Slack, webhook). */
  notifications?: Job['notifications'];
  /** Jobs of profiles with exec: whether `POST /jobs/{id}/exec` can open a session now. */
  exec?: { ready: boolean };
  /** Every exec into the job: when, by whom, what. */
  execs?: Job['execs'];
  /** The names of its variables whose values are not kept (a rerun must give them again); never values. */
  secretEnvNames?: string[];
  /** The job this one reruns. */
  rerunOf?: string;
  /** Its retry rules (AWS Batch's retryStrategy), where it has any. */
  retry?: Job['retry'];
  /**
   * Every attempt, oldest first: the ones that ended and were retried, then the current one (the
   * job's own fields), unless the next has not started yet (`retrying`).
   */
  attempts: JobAttempt[];
  /** Between two attempts: the last one ended and `nextAttempt` is about to start (the status stays). */
  retrying?: true;
  nextAttempt?: number;
  /** The capacity provider of the current attempt's task, where the profile chooses one. */
  capacity?: Job['capacity'];
  /** A finished job whose whole log was archived: how much of it (the archive's location stays inside). */
  logArchive?: { key: string; lines: number; bytes: number; truncated: boolean };
  /** A finalized job's cost, an estimate from its attempts' times and the stage's prices (cost.ts); local mode: `usd` 0 and `fargateUsd`. */
  cost?: JobCost;
  /** `console`: the job's page in the web console (absolute in webhook deliveries, where the API's URL is known). */
  links: { self: string; logs: string; console: string };
}

/** `costs`: how the stage prices its jobs; a finalized job's document carries its cost with them. */
export function jobDocument(job: Job, costs?: CostSettings): JobDocument {
  const self = `/jobs/${job.id}`;
  const cost = costs ? jobCost(job, costs) : undefined;
  const secrets = secretEnvNames(job);
  const stoppedAt = stoppedAtOf(job);
  return {
    id: job.id,
    profile: job.profile,
    command: job.command,
    status: job.status,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(stoppedAt ? { stoppedAt } : {}),
    timeline: statusTimeline(job),
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
    ...(job.callbackUrl ? { callbackUrl: shownCallbackUrl(job.callbackUrl) } : {}),
    ...(job.callbackEvents ? { callbackEvents: job.callbackEvents } : {}),
    ...(job.notifications ? { notifications: job.notifications } : {}),
    ...(job.execEnabled ? { exec: { ready: isExecReady(job) } } : {}),
    ...(job.execs ? { execs: job.execs } : {}),
    ...(secrets.length > 0 ? { secretEnvNames: secrets } : {}),
    ...(job.rerunOf ? { rerunOf: job.rerunOf } : {}),
    ...(job.retry ? { retry: job.retry } : {}),
    ...attemptsOf(job),
    ...(job.capacity ? { capacity: job.capacity } : {}),
    ...(job.logArchive ? { logArchive: { key: job.logArchive.key, lines: job.logArchive.lines, bytes: job.logArchive.bytes, truncated: job.logArchive.truncated === true } } : {}),
    ...(cost ? { cost } : {}),
    links: { self, logs: `${self}/logs`, console: `/#/jobs/${job.id}` },
  };
}

/** The job's attempts, and whether the next is about to start. */
function attemptsOf(job: Job): Pick<JobDocument, 'attempts' | 'retrying' | 'nextAttempt'> {
  const ended = job.attempts ?? [];
  if (isRetrying(job)) return { attempts: ended, retrying: true, nextAttempt: currentAttempt(job) };
  const stoppedAt = stoppedAtOf(job);
  const current: JobAttempt = {
    number: currentAttempt(job),
    ...(job.taskArn ? { taskArn: job.taskArn } : {}),
    ...(job.capacity ? { capacity: job.capacity } : {}),
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(stoppedAt ? { stoppedAt } : {}),
    exitCode: job.exitCode,
    ...(job.failure ? { failure: job.failure } : {}),
  };
  return { attempts: [...ended, current] };
}

/** A webhook URL as shown: its query string, which may hold a credential, as `?***`. */
export function shownCallbackUrl(url: string): string {
  const queryAt = url.indexOf('?');
  return queryAt === -1 ? url : `${url.slice(0, queryAt)}?***`;
}

/**
 * The absolute URL of a job's page in the console (a link in Slack to its full log), under the API's
 * base URL: the console is served at the API's `/` and routes by the fragment. None while the base
 * is unknown.
 */
export function jobConsoleUrl(apiUrl: string | undefined, job: Pick<Job, 'id'>): string | undefined {
  return apiUrl ? `${apiUrl.replace(/\/$/, '')}/#/jobs/${job.id}` : undefined;
}
