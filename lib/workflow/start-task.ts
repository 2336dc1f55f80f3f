/**
 * StartTask: runs the task of the job's current attempt (RunTask, idempotent per job and attempt), or
 * records why it could not start; a task that did not start is retried as the job's rules say
 * (retry-attempt.ts).
 */
import { firstCapacity, type CapacityProvider } from '#lib/domain/capacity.ts';
import { TaskNotStartedError } from '#lib/domain/errors.ts';
import { currentAttempt } from '#lib/domain/job-attempts.ts';
import { isTerminal, type Job, type JobFailure } from '#lib/domain/job.ts';
import { firstWaitSeconds, provisioningDeadlineFrom } from '#lib/domain/polling.ts';
import { notifyJobEvent } from '#lib/domain/notifications.ts';
import { clockOf, type Dependencies } from '#lib/domain/ports.ts';
import { ATTEMPT_ENV } from '#lib/domain/retry.ts';
import { restoreSecrets } from '#lib/domain/secrets.ts';
import { applyEarlyTaskState } from '#lib/domain/task-events.ts';
import { withLogKeys } from '#lib/logger.ts';
import { retryIfDue } from './retry-attempt.ts';
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
        throw new TaskNotStartedError(loaded.id);
      }
      const attempt = currentAttempt(loaded);
      // Before the first task starts, so that its Slack thread exists for what follows.
      const { job } = attempt === 1 ? await notifyJobEvent(ports, loaded, 'job.queued') : { job: loaded };

      const requested = capacityOf(ports, job);
      const result = await ports.taskRunner.runTask({ ...runTaskRequest(job, input), attempt, ...(requested ? { capacity: requested } : {}) });
      const capacity = result.capacity ?? requested;
      if (!result.started) return notStartedAttempt(ports, job, { attempt, failure: result.failure, stoppedAt: now().toISOString(), capacity });

      // The process too, where the runner reports one: how a runner that restarts finds the task again.
      const started = { taskArn: result.taskArn, ...(result.process ? { process: result.process } : {}), ...(capacity ? { capacity } : {}) };
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
        // Until its STOPPED event, or the earliest its timeout can pass.
        waitSeconds: firstWaitSeconds(job.timeoutSeconds),
      };
    });
}

/**
 * An attempt whose task did not start: the next one when the job's rules (or a Spot fallback) call
 * for it (RetryAttemptError), else the job FAILED as it stands.
 */
async function notStartedAttempt(
  ports: StartTaskPorts,
  job: Job,
  { attempt, failure, stoppedAt, capacity }: { attempt: number; failure: JobFailure; stoppedAt: string; capacity: CapacityProvider | undefined },
): Promise<never> {
  ports.logger.info('task did not start', { attempt, failure });
  const capacityField = capacity ? { capacity } : {};
  await retryIfDue(ports, job, {
    record: { number: attempt, ...capacityField, stoppedAt, exitCode: null, failure },
    end: { status: 'FAILED', exitCode: null, category: failure.category, statusReason: failure.stoppedReason ?? failure.message },
  });
  await ports.store.transition(job.id, 'FAILED', { failure, exitCode: null, stoppedAt, ...capacityField });
  throw new TaskNotStartedError(job.id);
}

/** The capacity the attempt starts on: the one its predecessor's end chose (a Spot fallback), else the profile's first. */
function capacityOf(ports: StartTaskPorts, job: Job): CapacityProvider | undefined {
  const profile = ports.profiles.get(job.profile);
  return job.capacity ?? (profile ? firstCapacity(profile) : undefined);
}

/** The job's own settings, its secrets' values restored, and the attempt's number in its environment (FARGATE_JOBS_ATTEMPT). */
function runTaskRequest(job: Job, input: StartTaskInput) {
  const { profile, command, publicIp, cpu, memory, labels } = job;
  const env = { ...restoreSecrets(job.env, input.secretEnv ?? {}), [ATTEMPT_ENV]: String(currentAttempt(job)) };
  // Labels become the task's tags, so that Cost Explorer can group real bills by them.
  return { jobId: job.id, profile, command, env, publicIp, cpu, memory, labels };
}
