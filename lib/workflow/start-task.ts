/** StartTask: runs the job's task (RunTask, idempotent per job), or records why it could not start. */
import { isTerminal } from '#lib/domain/job.ts';
import { PROVISIONING_TIMEOUT_SECONDS, provisioningDeadlineFrom } from '#lib/domain/polling.ts';
import { notifyJobEvent } from '#lib/domain/notifications.ts';
import { clockOf, type Dependencies } from '#lib/domain/ports.ts';
import { restoreSecrets } from '#lib/domain/secrets.ts';
import { applyEarlyTaskState } from '#lib/domain/task-events.ts';
import { withLogKeys } from '#lib/logger.ts';
import { loadJob, notStarted, type WorkflowState } from './workflow-state.ts';

export type StartTaskPorts = Pick<Dependencies, 'store' | 'taskRunner' | 'profiles' | 'notifier' | 'logger' | 'now'>;

/** `secretEnv`: the values of variables the job record holds as `***` (the execution's input). */
export interface StartTaskInput {
  jobId: string;
  secretEnv?: Record<string, string>;
}

export function startTaskStep(ports: StartTaskPorts) {
  const now = clockOf(ports);
  return (input: StartTaskInput): Promise<WorkflowState> =>
    withLogKeys({ jobId: input.jobId }, async () => {
      const loaded = await loadJob(ports.store, input.jobId);
      // Cancelled before its task was started: nothing to run, and nothing to wait for.
      if (isTerminal(loaded.status)) {
        if (loaded.stoppedAt === undefined) await ports.store.update(loaded.id, { stoppedAt: now().toISOString() });
        return notStarted(loaded);
      }
      // Before the task starts, so that its Slack thread exists for what follows.
      const { job } = await notifyJobEvent(ports, loaded, 'job.queued');

      const { profile, command, publicIp, cpu, memory } = job;
      const env = restoreSecrets(job.env, input.secretEnv ?? {});
      const result = await ports.taskRunner.runTask({ jobId: job.id, profile, command, env, publicIp, cpu, memory });
      if (!result.started) {
        await ports.store.transition(job.id, 'FAILED', { failure: result.failure, exitCode: null, stoppedAt: now().toISOString() });
        ports.logger.info('task did not start', { failure: result.failure });
        return notStarted(job);
      }

      // The process too, where the runner reports one: how a runner that restarts finds the task again.
      const started = { taskArn: result.taskArn, ...(result.process ? { process: result.process } : {}) };
      const { applied, job: current } = await ports.store.transitionOrUpdate(job.id, 'PROVISIONING', started, () => started);
      // Its task's events that came before this write were kept aside (task-events.ts): applied now,
      // from the record this write returned. One that comes after it finds the ARN and is applied as
      // it comes; the store's conditional write of a kept event lets no event fall between the two.
      await applyEarlyTaskState(ports, current);
      // Cancelled while the task was being started: stop it, and let the polls drain its logs.
      if (!applied && isTerminal(current.status)) await ports.taskRunner.stopTask(result.taskArn, current.failure?.message ?? `job is already ${current.status}`);
      return {
        ...notStarted(job),
        started: true,
        taskArn: result.taskArn,
        provisioningDeadline: provisioningDeadlineFrom(now()),
        taskStatus: 'PROVISIONING' as const,
        // Until it runs (its first events) or the provisioning limit passes.
        waitSeconds: PROVISIONING_TIMEOUT_SECONDS,
      };
    });
}
