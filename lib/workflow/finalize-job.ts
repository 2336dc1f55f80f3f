/** FinalizeJob: classifies the stop, stores the exit code, failure and log tail, and the stop time. */
import { classifyStop } from '#lib/domain/classify-stop.ts';
import { LOG_TAIL_LINES } from '#lib/domain/job.ts';
import { hasRun } from '#lib/domain/polling.ts';
import { clockOf, type Dependencies } from '#lib/domain/ports.ts';
import { withLogKeys } from '#lib/logger.ts';
import { loadJob, networkPatch, requireTaskArn, type FinalizeResult, type WorkflowState } from './workflow-state.ts';

export type FinalizeJobPorts = Pick<Dependencies, 'store' | 'taskRunner' | 'logReader' | 'profiles' | 'logger' | 'now'>;

export function finalizeJobStep(ports: FinalizeJobPorts) {
  const now = clockOf(ports);
  return (state: WorkflowState): Promise<FinalizeResult> =>
    withLogKeys({ jobId: state.jobId }, async () => {
      const taskArn = requireTaskArn(state);
      const task = await ports.taskRunner.describeTask(taskArn, { resolveNetwork: false });
      const job = await loadJob(ports.store, state.jobId);
      const outcome = classifyStop(task, state.stopRequest ?? undefined);
      // The verdict comes from the task; logs that cannot be read must not turn it into a failure.
      const logTail = await ports.logReader.tail({ ...job, taskArn }, LOG_TAIL_LINES).catch((error: unknown) => {
        ports.logger.warn('could not read the log tail', { error: String(error) });
        return [];
      });
      const reported = {
        exitCode: outcome.exitCode,
        stoppedAt: task.stoppedAt ?? now().toISOString(),
        logTail,
        // A job cancelled before any poll saw it running still gets its start time and network.
        ...(job.startedAt === undefined && hasRun(task) && task.startedAt ? { startedAt: task.startedAt } : {}),
        ...(job.network === undefined && task.network ? networkPatch(ports.profiles, job, task.network) : {}),
      };
      // Already terminal (cancelled while running): keep that verdict, add what the task reported.
      const { job: final } = await ports.store.transitionOrUpdate(
        job.id,
        outcome.status,
        { ...reported, ...(outcome.failure ? { failure: outcome.failure } : {}) },
        () => reported,
      );
      ports.logger.info('job finished', { status: final.status, exitCode: final.exitCode });
      return { jobId: final.id, status: final.status, exitCode: final.exitCode };
    });
}
