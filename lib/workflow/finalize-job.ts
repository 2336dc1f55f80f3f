/** FinalizeJob: classifies the stop, stores the exit code, failure and log tail, and the stop time. */
import { classifyStop, type StopOutcome } from '#lib/domain/classify-stop.ts';
import { TaskNotFoundError } from '#lib/domain/errors.ts';
import { LOG_TAIL_LINES, type Job } from '#lib/domain/job.ts';
import { hasRun } from '#lib/domain/polling.ts';
import { clockOf, type Dependencies, type TaskSnapshot } from '#lib/domain/ports.ts';
import { withLogKeys } from '#lib/logger.ts';
import { loadJob, networkPatch, requireTaskArn, type FinalizeResult, type WorkflowState } from './workflow-state.ts';

/** What a job whose task had gone, with no record of how it stopped, ends as: no guess at an outcome. */
const OUTCOME_UNKNOWN: StopOutcome = {
  status: 'FAILED',
  exitCode: null,
  failure: {
    category: 'OUTCOME_UNKNOWN',
    message: 'the task had gone before its stop was seen (ECS keeps stopped tasks about an hour) and no task-state event recorded how it ended; its logs are kept',
  },
};

export type FinalizeJobPorts = Pick<Dependencies, 'store' | 'taskRunner' | 'logReader' | 'profiles' | 'logger' | 'now'>;

export function finalizeJobStep(ports: FinalizeJobPorts) {
  const now = clockOf(ports);
  return (state: WorkflowState): Promise<FinalizeResult> =>
    withLogKeys({ jobId: state.jobId }, async () => {
      const taskArn = requireTaskArn(state);
      const job = await loadJob(ports.store, state.jobId);
      const task = await stoppedTask(ports, job, taskArn);
      const outcome = task ? classifyStop(task, state.stopRequest ?? undefined) : OUTCOME_UNKNOWN;
      // The verdict comes from the task; logs that cannot be read must not turn it into a failure.
      const logTail = await ports.logReader.tail({ ...job, taskArn }, LOG_TAIL_LINES).catch((error: unknown) => {
        ports.logger.warn('could not read the log tail', { error: String(error) });
        return [];
      });
      const reported = {
        exitCode: outcome.exitCode,
        stoppedAt: task?.stoppedAt ?? now().toISOString(),
        logTail,
        // A job cancelled before any poll saw it running still gets its start time and network.
        ...(task && job.startedAt === undefined && hasRun(task) && task.startedAt ? { startedAt: task.startedAt } : {}),
        ...(task && job.network === undefined && task.network ? networkPatch(ports.profiles, job, task.network) : {}),
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

/**
 * The stopped task as DescribeTasks tells it, or, once ECS has forgotten it, as its STOPPED event
 * recorded it on the job; undefined when neither knows.
 */
async function stoppedTask(ports: FinalizeJobPorts, job: Job, taskArn: string): Promise<TaskSnapshot | undefined> {
  try {
    return await ports.taskRunner.describeTask(taskArn, { resolveNetwork: false });
  } catch (error) {
    if (!(error instanceof TaskNotFoundError)) throw error;
    const recorded = job.taskState;
    if (recorded?.lastStatus !== 'STOPPED') return undefined;
    const { lastStatus: _status, version: _version, ...stop } = recorded;
    return { taskArn, lastStatus: 'STOPPED', ...stop, exitCode: recorded.exitCode ?? null };
  }
}
