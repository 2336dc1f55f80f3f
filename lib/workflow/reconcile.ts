/**
 * The reconciler, on a schedule: what lost events left behind is repaired within one period. It
 * reads the unfinished jobs from their sparse index (the active ones, and the terminal ones whose
 * stop is not recorded: a job cancelled while running stays there until its workflow records the
 * stop, so a lost STOPPED event cannot leave its execution waiting out the safety net), describes their tasks in batches (100 a call on
 * ECS), records what changed as an event would, and wakes each execution that waits for a change
 * that has happened. A task the runner no longer knows has stopped: its execution is woken to
 * finalize the job from what is recorded (FinalizeJob), and nothing is sent to stop it.
 */
import { clockOf, type Dependencies } from '#lib/domain/ports.ts';
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
}

export async function reconcileUnfinishedJobs(ports: ReconcilePorts): Promise<ReconcileReport> {
  const active = (await ports.store.unfinishedJobs()).filter((job): job is typeof job & { taskArn: string } => job.taskArn !== undefined);
  const described = (await ports.taskRunner.describeTasks?.(active.map((job) => job.taskArn))) ?? [];
  const byArn = new Map(described.map((task) => [task.taskArn, task]));
  const report: ReconcileReport = { jobs: active.length, woken: 0, gone: 0 };
  for (const { id, taskArn } of active) {
    const task = byArn.get(taskArn);
    if (!task) report.gone += 1;
    try {
      if (task?.version !== undefined) await applyTaskStateChange(ports, { ...task, jobId: id, version: task.version });
      if (await wakeIfWaiting(ports, id, task === undefined)) report.woken += 1;
    } catch (error) {
      ports.logger.warn('could not reconcile a job', { jobId: id, error: String(error) });
    }
  }
  if (report.woken > 0 || report.gone > 0) ports.logger.info('reconciled unfinished jobs', { ...report });
  return report;
}

/** Wakes the job's execution when what is recorded (or the task's being gone) is news to the state it waits in. */
async function wakeIfWaiting(ports: ReconcilePorts, jobId: string, gone: boolean): Promise<boolean> {
  const job = await ports.store.get(jobId);
  return job ? wakeWaiting(ports.workflow, job, clockOf(ports)(), { gone }) : false;
}

/** The scheduled Lambda. */
export function reconcileHandler(ports: ReconcilePorts) {
  return (): Promise<ReconcileReport> => reconcileUnfinishedJobs(ports);
}
