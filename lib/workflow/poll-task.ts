/**
 * PollTask: looks at the job's task, records what changed (RUNNING with its start time, the network
 * and connect hint once known) and decides what the workflow does next (decideNextPoll).
 */
import { TaskNotFoundError } from '#lib/domain/errors.ts';
import { isTerminal, type Job, type JobNetwork } from '#lib/domain/job.ts';
import { decideNextPoll, hasRun } from '#lib/domain/polling.ts';
import { mergeNetwork } from '#lib/domain/network.ts';
import { notifyJobEvent } from '#lib/domain/notifications.ts';
import { clockOf, type Dependencies, type TaskSnapshot } from '#lib/domain/ports.ts';
import { recordStopVerdict } from '#lib/domain/stop-verdict.ts';
import { withLogKeys } from '#lib/logger.ts';
import { goneState } from './wake.ts';
import { loadJob, networkPatch, requireTaskArn, type WorkflowState } from './workflow-state.ts';

export type PollTaskPorts = Pick<Dependencies, 'store' | 'taskRunner' | 'profiles' | 'notifier' | 'logger' | 'now'>;

export function pollTaskStep(ports: PollTaskPorts) {
  const now = clockOf(ports);
  return (state: WorkflowState): Promise<WorkflowState> =>
    withLogKeys({ jobId: state.jobId }, async () => {
      const taskArn = requireTaskArn(state);
      const job = await loadJob(ports.store, state.jobId);
      // Addresses are looked up until known: a public IP, once seen, does not change.
      const resolveNetwork = !state.networkReady || (job.publicIp && !job.network?.publicIp);
      const task = await ports.taskRunner.describeTask(taskArn, { resolveNetwork }).catch((error: unknown) => {
        // Gone (ECS forgets stopped tasks): it has stopped, and FinalizeJob ends the job from what is recorded.
        if (error instanceof TaskNotFoundError) return undefined;
        throw error;
      });
      if (!task) return goneState(state);
      await recordProgress(ports, job, task);
      // The end shows now; FinalizeJob drains the log and records the stop after.
      if (task.lastStatus === 'STOPPED') await recordStopVerdict(ports, job, task, state.stopRequest);
      return { ...state, ...decideNextPoll(state, task, now()), lookNeeded: false as const };
    });
}

/**
 * Writes what changed since the last poll: RUNNING with its start time, and the network (and connect
 * hint) once known. The move to RUNNING is announced to those following the job.
 */
async function recordProgress(ports: PollTaskPorts, job: Job, task: TaskSnapshot): Promise<void> {
  const seen = task.network && mergeNetwork(job.network, task.network);
  const network = seen && !sameNetwork(job.network, seen) ? networkPatch(ports.profiles, job, seen) : undefined;
  const startedAt = task.startedAt ?? clockOf(ports)().toISOString();
  if (hasRun(task) && (job.status === 'QUEUED' || job.status === 'PROVISIONING')) {
    const { applied, job: running } = await ports.store.transition(job.id, 'RUNNING', { startedAt, ...network });
    if (applied) await notifyJobEvent(ports, running, 'job.running');
  } else if (hasRun(task) && job.status === 'RUNNING' && job.startedAt === undefined) {
    // A later attempt of a job that ran before (retry.ts): its own start time.
    await ports.store.update(job.id, { startedAt, ...network });
  } else if (network && !isTerminal(job.status)) {
    await ports.store.update(job.id, network);
  }
}

function sameNetwork(a: JobNetwork | undefined, b: JobNetwork): boolean {
  return a?.eniId === b.eniId && a?.privateIp === b.privateIp && (a?.publicIp ?? null) === (b.publicIp ?? null);
}
