/**
 * When a task's state change must wake the execution waiting for it (AwaitTask), and with what: the
 * state PollTask would have returned, decided from the change the job record holds instead of a
 * DescribeTasks. Pure; the event handler and AwaitTask (for an event that came before its token was
 * stored) both ask it, so whichever of them sees both the token and the change wakes the execution.
 */
import type { Job } from '#lib/domain/job.ts';
import { decideNextPoll, hasRun } from '#lib/domain/polling.ts';
import type { TaskLastStatus, TaskSnapshot } from '#lib/domain/ports.ts';
import type { WorkflowState } from './workflow-state.ts';

/** The next state of an execution waiting in `state` for `job`'s task, or undefined when the change is nothing it waits for. */
export function wakeFor(job: Job, state: WorkflowState, now: Date): WorkflowState | undefined {
  const task = job.taskState;
  if (!task || !state.taskArn) return undefined;
  const snapshot: TaskSnapshot = {
    taskArn: state.taskArn,
    lastStatus: task.lastStatus as TaskLastStatus,
    exitCode: task.exitCode ?? null,
    ...(task.startedAt ? { startedAt: task.startedAt } : {}),
    ...(task.stoppedAt ? { stoppedAt: task.stoppedAt } : {}),
    ...(job.network ? { network: job.network } : {}),
  };
  const stopped = task.lastStatus === 'STOPPED' && state.taskStatus !== 'STOPPED';
  // Running: the deadline is now the job's timeout, no longer the provisioning limit.
  const started = hasRun(snapshot) && state.deadline === null;
  // The interface is up and the job wants a public IP: PollTask looks it up (an EC2 call).
  const lookNeeded = job.publicIp && !job.network?.publicIp && job.network?.eniId !== undefined && !state.networkReady;
  if (!stopped && !started && !lookNeeded) return undefined;
  return { ...state, ...decideNextPoll(state, snapshot, now), lookNeeded };
}
