/**
 * The reconciler, on a schedule: what lost events left behind is repaired within one period. It
 * reads the unfinished jobs from their sparse index (the active ones, and the terminal ones whose
 * stop is not recorded: a job cancelled while running stays there until its workflow records the
 * stop, so a lost STOPPED event cannot leave its execution waiting out the safety net), describes their tasks in batches (100 a call on
 * ECS), records what changed as an event would, and wakes each execution that waits for a change
 * that has happened. A task the runner no longer knows has stopped: its execution is woken to
 * finalize the job from what is recorded (FinalizeJob), and nothing is sent to stop it.
 *
 * It also keeps the provisioning limit: an execution waits for its task's STOPPED event only (wake.ts),
 * so a task still not running PROVISIONING_TIMEOUT_SECONDS after it was started is stopped here, with
 * the reason that makes its STOPPED event end the job START_FAILED (workflowStopReason).
 */
import { workflowStopReason } from '#lib/domain/classify-stop.ts';
import type { Job } from '#lib/domain/job.ts';
import { hasRun, PROVISIONING_TIMEOUT_SECONDS } from '#lib/domain/polling.ts';
import { clockOf, type Dependencies, type TaskSnapshot } from '#lib/domain/ports.ts';
import { applyTaskStateChange } from '#lib/domain/task-events.ts';
import type { TaskStateChangePorts } from './task-state-change.ts';
import { wakeWaiting } from './wake.ts';

export type ReconcilePorts = TaskStateChangePorts & Pick<Dependencies, 'taskRunner'>;

export interface ReconcileReport {
  /** Unfinished jobs with a task. */
  jobs: number;
  /** Executions woken. */
  woken: number;
  /** Tasks the runner no longer knew. */
  gone: number;
  /** Tasks stopped at the provisioning limit. */
  stopped: number;
}

export async function reconcileUnfinishedJobs(ports: ReconcilePorts): Promise<ReconcileReport> {
  const active = (await ports.store.unfinishedJobs()).filter((job): job is typeof job & { taskArn: string } => job.taskArn !== undefined);
  const described = (await ports.taskRunner.describeTasks?.(active.map((job) => job.taskArn))) ?? [];
  const byArn = new Map(described.map((task) => [task.taskArn, task]));
  const report: ReconcileReport = { jobs: active.length, woken: 0, gone: 0, stopped: 0 };
  const now = clockOf(ports);
  for (const { id, taskArn } of active) {
    const task = byArn.get(taskArn);
    if (!task) report.gone += 1;
    try {
      if (task?.version !== undefined) await applyTaskStateChange(ports, { ...task, jobId: id, version: task.version });
      const job = await ports.store.get(id);
      if (!job) continue;
      if (task && provisioningLimitPassed(job, task, now())) {
        await ports.taskRunner.stopTask(taskArn, workflowStopReason('PROVISIONING_TIMEOUT', PROVISIONING_TIMEOUT_SECONDS));
        ports.logger.info('stopped a task still not running at the provisioning limit', { jobId: id, lastStatus: task.lastStatus });
        report.stopped += 1;
      }
      if (await wakeWaiting(ports.workflow, job, now(), { gone: task === undefined })) report.woken += 1;
    } catch (error) {
      ports.logger.warn('could not reconcile a job', { jobId: id, error: String(error) });
    }
  }
  if (report.woken > 0 || report.gone > 0 || report.stopped > 0) ports.logger.info('reconciled unfinished jobs', { ...report });
  return report;
}

/**
 * The job's task has not run and the provisioning deadline its execution waits with (AwaitTask's
 * stored state) has passed, and the execution has asked for no stop of its own.
 */
function provisioningLimitPassed(job: Job, task: TaskSnapshot, now: Date): boolean {
  if (hasRun(task) || task.lastStatus === 'STOPPED' || task.lastStatus === 'STOPPING' || task.lastStatus === 'DEPROVISIONING') return false;
  const deadline = job.waitState?.['provisioningDeadline'];
  const asked = job.waitState?.['stopRequest'];
  return typeof deadline === 'string' && (asked === null || asked === undefined) && now.getTime() >= Date.parse(deadline);
}

/** The scheduled Lambda. */
export function reconcileHandler(ports: ReconcilePorts) {
  return (): Promise<ReconcileReport> => reconcileUnfinishedJobs(ports);
}
