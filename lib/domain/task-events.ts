/**
 * Task-state-change events (ECS's "ECS Task State Change", or the local runner's own): each one
 * updates the job's record at once, without waiting for the workflow's next poll: RUNNING with its
 * start time and network as soon as the task runs, the stop (exit code, stop code, reason) as soon
 * as it has stopped, with the job's terminal status, exit code and failure when no further attempt
 * follows (stop-verdict.ts). The workflow still drains the logs and records the stop (FinalizeJob).
 *
 * Events come late, out of order and more than once: ECS's `version` orders them, an event no newer
 * than the one recorded changes nothing, and a job's status only ever moves forward.
 *
 * An event names its job by `startedBy`, which anyone who may start a task in the cluster can set,
 * and job ids from idempotency keys can be guessed: so an event is applied only to the job whose
 * recorded task ARN it names, and only when its task runs the job's profile's task definition
 * family. One that comes before StartTask recorded the ARN is kept aside under its task's ARN
 * (EarlyTaskState) until StartTask applies the one of the task it started (applyEarlyTaskState).
 */
import { profileTaskFamily } from './aws-profile.ts';
import type { StopRequest } from './classify-stop.ts';
import { isTerminal, type EarlyTaskState, type Job, type JobNetwork, type JobTaskState } from './job.ts';
import { mergeNetwork, networkPatch } from './network.ts';
import { notifyJobEvent } from './notifications.ts';
import { hasRun } from './polling.ts';
import type { Dependencies, LogReader, NetworkResolver, TaskLastStatus, TaskSnapshot } from './ports.ts';
import { recordStopVerdict } from './stop-verdict.ts';

/** One task-state-change event: the task as it is now, the job that started it, and ECS's version. */
export interface TaskStateChange extends TaskSnapshot {
  jobId: string;
  version: number;
}

/**
 * `networkResolver`: where a job that asked for a public IP gets it (EC2 on AWS), so that no
 * execution needs waking to look it up; a job's address is then recorded with the event that
 * brought its interface. Absent where tasks have no interface of their own (local processes).
 */
export type TaskEventPorts = Pick<Dependencies, 'store' | 'profiles' | 'notifier' | 'logger' | 'now'> & {
  networkResolver?: NetworkResolver;
  /** Where the log tail recorded with a stop's verdict is read from (recordStopVerdict); none: FinalizeJob's alone. */
  logReader?: LogReader;
};

/** `kept`: set aside until StartTask records the job's task; `foreign-task`: about a task that is not the job's. */
export type TaskEventOutcome = { outcome: 'applied'; job: Job } | { outcome: 'kept' | 'stale' | 'unknown-job' | 'foreign-task' };

export async function applyTaskStateChange(ports: TaskEventPorts, change: TaskStateChange): Promise<TaskEventOutcome> {
  const job = await ports.store.get(change.jobId);
  if (!job) return { outcome: 'unknown-job' };
  // A late or repeated event of an attempt that has ended (retry.ts): its end is recorded already.
  if (job.attempts?.some((attempt) => attempt.taskArn === change.taskArn)) return { outcome: 'stale' };
  return job.taskArn === undefined ? keepAside(ports, job, change) : applyToJobTask(ports, job, change);
}

/**
 * For StartTask, once it has recorded the task ARN RunTask returned: applies the event kept aside for
 * that task, if any. Events kept for other tasks came from tasks someone else started in the job's
 * name: logged, never applied.
 */
export async function applyEarlyTaskState(ports: TaskEventPorts, job: Job): Promise<TaskEventOutcome | undefined> {
  const { taskArn, earlyTaskStates = {} } = job;
  for (const other of Object.keys(earlyTaskStates).filter((arn) => arn !== taskArn)) {
    ports.logger.warn('ignored the events of a task the job did not start', { jobId: job.id, taskArn: other, jobTaskArn: taskArn });
  }
  const own = taskArn === undefined ? undefined : earlyTaskStates[taskArn];
  if (taskArn === undefined || !own) return undefined;
  const { network, lastStatus, exitCode, ...rest } = own;
  const change: TaskStateChange = { ...rest, jobId: job.id, taskArn, lastStatus: lastStatus as TaskLastStatus, exitCode: exitCode ?? null, ...(network ? { network } : {}) };
  return applyToJobTask(ports, job, change);
}

/** An event that came before the job recorded its task: kept aside, or applied if StartTask has recorded the task meanwhile. */
async function keepAside(ports: TaskEventPorts, job: Job, change: TaskStateChange): Promise<TaskEventOutcome> {
  if (!ofProfileFamily(ports, job, change)) return { outcome: 'foreign-task' };
  const kept = await ports.store.keepEarlyTaskState(job.id, change.taskArn, earlyStateOf(change));
  if (kept.applied) return { outcome: 'kept' };
  if (kept.job.taskArn !== undefined) return applyToJobTask(ports, kept.job, change);
  // No newer than the one kept for its task, or more tasks report for the job than are kept.
  return { outcome: 'stale' };
}

async function applyToJobTask(ports: TaskEventPorts, job: Job, change: TaskStateChange): Promise<TaskEventOutcome> {
  if (change.taskArn !== job.taskArn) {
    ports.logger.warn('ignored a task state change about another task than the job recorded', { jobId: job.id, taskArn: change.taskArn, jobTaskArn: job.taskArn });
    return { outcome: 'foreign-task' };
  }
  if (!ofProfileFamily(ports, job, change)) return { outcome: 'foreign-task' };
  if ((job.taskState?.version ?? -1) >= change.version) return { outcome: 'stale' };
  const seen = change.network && !isTerminal(job.status) ? await withPublicIp(ports, job, change, mergeNetwork(job.network, change.network)) : undefined;
  const network = seen ? networkPatch(ports.profiles, job, seen) : {};
  const startedAt = change.startedAt ?? ports.now?.().toISOString() ?? new Date().toISOString();
  // A later attempt of a job that is RUNNING already (retry.ts): its own start time, with the event.
  const restarted = hasRun(change) && job.status === 'RUNNING' && job.startedAt === undefined ? { startedAt } : {};
  const recorded = await ports.store.recordTaskState(job.id, { taskState: taskStateOf(change), ...network, ...restarted });
  if (!recorded.applied) return { outcome: 'stale' };
  let current = recorded.job;
  if (hasRun(change) && (current.status === 'QUEUED' || current.status === 'PROVISIONING')) {
    const { applied, job: running } = await ports.store.transition(job.id, 'RUNNING', { startedAt });
    current = applied ? (await notifyJobEvent(ports, running, 'job.running')).job : running;
  }
  if (change.lastStatus === 'STOPPED') current = await recordStopVerdict(ports, current, change, (current.waitState?.['stopRequest'] ?? null) as StopRequest | null);
  return { outcome: 'applied', job: current };
}

/** Statuses of a task whose interface is up (EC2 knows its addresses) and not being torn down. */
const INTERFACE_UP: ReadonlySet<TaskLastStatus> = new Set(['PENDING', 'ACTIVATING', 'RUNNING']);

/**
 * `network` with its public IP looked up, when the job asked for one, its interface is up and the IP
 * is not known yet (ECS's events carry the private IP only). Asked again on the task's next event
 * until found; a subnet with no public IPs keeps answering null.
 */
async function withPublicIp(ports: TaskEventPorts, job: Job, change: TaskStateChange, network: JobNetwork): Promise<JobNetwork> {
  if (!ports.networkResolver || !job.publicIp || !network.eniId || network.publicIp || !INTERFACE_UP.has(change.lastStatus)) return network;
  const resolved = await ports.networkResolver.resolve(network.eniId, network.privateIp);
  return mergeNetwork(network, { eniId: network.eniId, ...resolved });
}

/**
 * Whether the change's task runs the task definition family of the job's profile, where the profile
 * runs on ECS (a profile of local mode's process runner has none: its events come from this process).
 */
function ofProfileFamily(ports: TaskEventPorts, job: Job, change: TaskStateChange): boolean {
  const family = profileTaskFamily(ports.profiles.get(job.profile));
  if (family === undefined || change.taskDefinitionFamily === family) return true;
  ports.logger.warn("ignored a task state change about a task of another task definition than the job's profile runs", {
    jobId: job.id,
    taskArn: change.taskArn,
    taskDefinitionFamily: change.taskDefinitionFamily ?? null,
    profileFamily: family,
  });
  return false;
}

function taskStateOf(change: TaskStateChange): JobTaskState {
  const { lastStatus, version, startedAt, stoppedAt, stopCode, stoppedReason, exitCode, containerReason, execAgentStatus } = change;
  return {
    lastStatus,
    version,
    ...(startedAt ? { startedAt } : {}),
    ...(stoppedAt ? { stoppedAt } : {}),
    ...(stopCode ? { stopCode } : {}),
    ...(stoppedReason ? { stoppedReason } : {}),
    ...(exitCode === undefined ? {} : { exitCode }),
    ...(containerReason ? { containerReason } : {}),
    ...(execAgentStatus ? { execAgentStatus } : {}),
  };
}

function earlyStateOf(change: TaskStateChange): EarlyTaskState {
  return {
    ...taskStateOf(change),
    ...(change.network ? { network: change.network } : {}),
    ...(change.taskDefinitionFamily ? { taskDefinitionFamily: change.taskDefinitionFamily } : {}),
  };
}
