/** The API's shapes the console reads (docs/openapi.yaml); optional where an older server may not send them. */

export type JobStatus = 'QUEUED' | 'PROVISIONING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED';

export interface NotificationAttempt {
  channel: 'slack' | 'webhook';
  event: string;
  attempt: number;
  time: string;
  statusCode?: number;
  delivered: boolean;
  error?: string;
}

export interface Job {
  id: string;
  profile: string;
  command: string[];
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  stoppedAt?: string;
  exitCode: number | null;
  failure?: { category: string; message: string; stopCode?: string; stoppedReason?: string };
  network?: { eniId?: string; privateIp?: string; publicIp?: string | null };
  connect?: { ssh?: string; host?: string; port?: number; user?: string };
  logTail: string[];
  timeoutSeconds: number;
  cpu?: number;
  memory?: number;
  labels: Record<string, string>;
  submittedBy: string;
  /** Its variables whose values are not kept: a rerun must give them again. Names only. */
  secretEnvNames?: string[];
  /** The job this one reruns. */
  rerunOf?: string;
  notifications?: NotificationAttempt[];
  exec?: { ready: boolean };
  execs?: { at: string; by: string; command: string[] }[];
  /** Every status the job has reached, in order, with when. */
  timeline: { status: JobStatus; at: string }[];
  /** A finished job's cost, an estimate (docs/api.md "Costs"); locally `usd` 0 and `fargateUsd`. */
  cost?: JobCost;
  /** Its attempts, oldest first (the current one last); one unless its retry rules tried again. */
  attempts?: JobAttempt[];
  /** An attempt ended and the next is about to start (`nextAttempt`). */
  retrying?: boolean;
  nextAttempt?: number;
}

export interface JobAttempt {
  number: number;
  capacity?: string;
  startedAt?: string;
  stoppedAt?: string;
  exitCode: number | null;
  failure?: { category: string; message: string };
}

export interface JobCost {
  usd: number;
  computeUsd: number;
  overheadUsd: number;
  capacity: string;
  estimate: true;
  pricesAsOf: string;
  local?: true;
  fargateUsd?: number;
  notes?: string[];
}

export interface ListQuery {
  status?: string;
  profile?: string;
  /** `key=value` each. */
  labels?: string[];
  cursor?: string;
  limit?: number;
}

export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}

export interface LogLine {
  timestamp: string;
  message: string;
  stream?: 'stdout' | 'stderr';
}

export interface LogPage {
  lines: LogLine[];
  nextCursor: string;
  complete: boolean;
  truncated: boolean;
  /** With `tail` or `before`: where older lines continue; null at the log's start. */
  previousCursor?: string | null;
}

export interface Profile {
  name: string;
  description: string;
  commands: 'any' | unknown[];
  shell: boolean;
  envNames: 'any' | string[];
  secretEnvPatterns: string[];
  timeoutSeconds: { default: number; max: number };
  publicIp: 'never' | 'optional' | 'always';
  exec: boolean;
}

export interface CreateJobRequest {
  profile: string;
  command: string[] | string;
  env?: Record<string, string>;
  timeoutSeconds?: number;
  labels?: Record<string, string>;
}

/** A new job from an old one's request (`POST /jobs` with `rerunOf`): only its secrets' values come with it. */
export interface RerunRequest {
  rerunOf: string;
  env?: Record<string, string>;
}

export interface ErrorDetail {
  path: string;
  message: string;
}
