/**
 * Task-state-change events (ECS's "ECS Task State Change", or the local runner's own): each one
 * updates the job's record at once, without waiting for the workflow's next poll: RUNNING with its
 * start time and network as soon as the task runs, the stop (exit code, stop code, reason) as soon
 * as it has stopped. The workflow still classifies the stop and stores the logs (FinalizeJob).
 *
 * Events come late, out of order and more than once: ECS's `version` orders them, an event no newer
 * than the one recorded changes nothing, and a job's status only ever moves forward.
 */
import { isTerminal, type Job, type JobTaskState } from './job.ts';
import { mergeNetwork, networkPatch } from './network.ts';
import { notifyJobEvent } from './notifications.ts';
import { hasRun } from './polling.ts';
import type { Dependencies, TaskSnapshot } from './ports.ts';

/** One task-state-change event: the task as it is now, the job that started it, and ECS's version. */
export interface TaskStateChange extends TaskSnapshot {
  jobId: string;
  version: number;
}

export type TaskEventPorts = Pick<Dependencies, 'store' | 'profiles' | 'notifier' | 'logger' | 'now'>;

export type TaskEventOutcome = { outcome: 'applied'; job: Job } | { outcome: 'stale' | 'unknown-job' };

export async function applyTaskStateChange(ports: TaskEventPorts, change: TaskStateChange): Promise<TaskEventOutcome> {
  const job = await ports.store.get(change.jobId);
  // The job's task, or a task the job has not recorded yet (the event may beat StartTask's write).
  if (!job || (job.taskArn !== undefined && job.taskArn !== change.taskArn)) return { outcome: 'unknown-job' };
  if ((job.taskState?.version ?? -1) >= change.version) return { outcome: 'stale' };
  const network = change.network && !isTerminal(job.status) ? networkPatch(ports.profiles, job, mergeNetwork(job.network, change.network)) : {};
  const recorded = await ports.store.recordTaskState(job.id, { taskState: taskStateOf(change), ...network });
  if (!recorded.applied) return { outcome: 'stale' };
  let current = recorded.job;
  if (hasRun(change) && (current.status === 'QUEUED' || current.status === 'PROVISIONING')) {
    const startedAt = change.startedAt ?? ports.now?.().toISOString() ?? new Date().toISOString();
    const { applied, job: running } = await ports.store.transition(job.id, 'RUNNING', { startedAt });
    current = applied ? (await notifyJobEvent(ports, running, 'job.running')).job : running;
  }
  return { outcome: 'applied', job: current };
}

function taskStateOf(change: TaskStateChange): JobTaskState {
  const { lastStatus, version, startedAt, stoppedAt, stopCode, stoppedReason, exitCode, containerReason } = change;
  return {
    lastStatus,
    version,
    ...(startedAt ? { startedAt } : {}),
    ...(stoppedAt ? { stoppedAt } : {}),
    ...(stopCode ? { stopCode } : {}),
    ...(stoppedReason ? { stoppedReason } : {}),
    ...(exitCode === undefined ? {} : { exitCode }),
    ...(containerReason ? { containerReason } : {}),
  };
}
