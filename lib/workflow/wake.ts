/**
 * When a task's state change must wake the execution waiting for it (AwaitTask), and with what: only
 * its STOPPED, with the state PollTask would have returned, decided from the change the job record
 * holds instead of a DescribeTasks. Every other change (RUNNING, the network) is recorded on the job
 * by the event handler alone and costs the execution nothing: its deadlines are kept by the wait's
 * own timeout (the job's timeout), by the reconciler (the provisioning limit) and by PollTask when a
 * wait times out. Pure; the event handler and AwaitTask (for an event that came before its token was
 * stored) both ask it, so whichever of them sees both the token and the change wakes the execution.
 */
import type { Job } from '#lib/domain/job.ts';
import { decideNextPoll } from '#lib/domain/polling.ts';
import type { TaskSnapshot, Workflow } from '#lib/domain/ports.ts';
import type { WorkflowState } from './workflow-state.ts';

/** The next state of an execution waiting in `state` for `job`'s task, or undefined when the change is nothing it waits for. */
export function wakeFor(job: Job, state: WorkflowState, now: Date): WorkflowState | undefined {
  const task = job.taskState;
  if (!task || !state.taskArn || task.lastStatus !== 'STOPPED' || state.taskStatus === 'STOPPED') return undefined;
  const snapshot: TaskSnapshot = {
    taskArn: state.taskArn,
    lastStatus: 'STOPPED',
    exitCode: task.exitCode ?? null,
    ...(task.startedAt ? { startedAt: task.startedAt } : {}),
    ...(task.stoppedAt ? { stoppedAt: task.stoppedAt } : {}),
    ...(job.network ? { network: job.network } : {}),
  };
  return { ...state, ...decideNextPoll(state, snapshot, now), lookNeeded: false };
}

/** The next state of an execution whose task has gone (ECS forgets stopped tasks): it has stopped, and FinalizeJob ends the job from what is recorded. */
export function goneState(state: WorkflowState): WorkflowState {
  return { ...state, taskStatus: 'STOPPED', stopNeeded: false, lookNeeded: false };
}

/**
 * Wakes the execution waiting for `job`'s task (the token and state AwaitTask stored) when what the
 * record holds, or the task's being gone, is news to it; true when it woke one.
 */
export async function wakeWaiting(workflow: Pick<Workflow, 'wake'>, job: Job, now: Date, options: { gone?: boolean } = {}): Promise<boolean> {
  if (!job.waitToken || !job.waitState) return false;
  const state = job.waitState as unknown as WorkflowState;
  const next = options.gone ? (state.taskStatus === 'STOPPED' ? undefined : goneState(state)) : wakeFor(job, state, now);
  if (!next) return false;
  await workflow.wake(job.waitToken, next);
  return true;
}
