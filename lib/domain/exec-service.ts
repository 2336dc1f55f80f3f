/**
 * Getting into a running job (ECS Exec; design §10): `POST /jobs/{id}/exec` opens a session into the
 * job's watched container, for the caller's terminal to attach to. Exec is the strongest thing a
 * token can do to a job (a shell beside its secrets), so it takes more than reading it: the job's
 * profile must allow exec, and the caller must be the one who submitted the job or hold a token for
 * every profile (the operator's). Every exec is recorded on the job (`execs`) before its session is
 * opened, and logged with the job id.
 *
 * Whether the job can take an exec now is read from its task with one describe (ECS: DescribeTasks,
 * which also gives the container's runtime id the session's target needs); a client that is told
 * "not yet" asks again after Retry-After. Nothing here polls.
 */
import { EVERY_PROFILE, type Caller } from './caller.ts';
import { ExecRefusedError } from './errors.ts';
import { isTerminal, type Job } from './job.ts';
import { getJob } from './job-service.ts';
import { clockOf, type Dependencies, type ExecSession, type TaskSnapshot } from './ports.ts';
import { resolveExecCommand } from './profile.ts';

export type ExecPorts = Pick<Dependencies, 'store' | 'taskRunner' | 'profiles' | 'logger' | 'now'>;

export interface ExecInput {
  /** argv, or a string where the profile allows a shell; the profile's execShell when absent. */
  command?: string[] | string;
}

export interface ExecStarted {
  job: Job;
  session: ExecSession;
}

/** How long a client waits before asking again for a job that has yet to start. */
export const NOT_STARTED_RETRY_SECONDS = 5;
/** How long a client waits before asking again for a running job whose exec agent is starting (a few seconds after RUNNING). */
export const AGENT_STARTING_RETRY_SECONDS = 2;

/** Whether one may exec into the job now, as far as its record tells (`exec.ready` in the job document). */
export function isExecReady(job: Pick<Job, 'status' | 'taskState' | 'execEnabled'>): boolean {
  return job.execEnabled === true && job.status === 'RUNNING' && job.taskState?.execAgentStatus === 'RUNNING';
}

/** The submitter, or a token for every profile: exec hands over a shell beside the job's secrets. */
export function mayExec(caller: Caller, job: Pick<Job, 'submittedBy'>): boolean {
  return caller.name === job.submittedBy || caller.profiles.includes(EVERY_PROFILE);
}

export async function startExec(ports: ExecPorts, jobId: string, input: ExecInput, caller: Caller): Promise<ExecStarted> {
  const job = await getJob(ports, jobId, caller);
  const profile = ports.profiles.get(job.profile);
  if (!profile?.exec || !job.execEnabled || !ports.taskRunner.execCommand) {
    throw new ExecRefusedError('EXEC_NOT_ALLOWED', `profile '${job.profile}' does not allow exec into its jobs${profile?.interactive ? ' (its jobs take ssh: fargate-jobs ssh)' : ''}`);
  }
  if (!mayExec(caller, job)) {
    throw new ExecRefusedError('EXEC_FORBIDDEN', `token '${caller.name}' may not exec into job ${job.id}: only its submitter ('${job.submittedBy}') or a token for every profile may`);
  }
  const command = resolveExecCommand(profile, input.command);
  const task = await runningTask(ports, job);

  const exec = { at: clockOf(ports)().toISOString(), by: caller.name, command };
  const { applied, job: recorded } = await ports.store.recordExec(job.id, exec);
  if (!applied) {
    if (recorded.status !== 'RUNNING') throw notRunning(recorded);
    throw new ExecRefusedError('TOO_MANY_EXECS', `job ${job.id} has had ${recorded.execs?.length ?? 0} execs, the most a job may have; start another job`);
  }
  ports.logger.info('exec into job', { jobId: job.id, by: caller.name, command });
  const session = await ports.taskRunner.execCommand({
    jobId: job.id,
    profile: job.profile,
    taskArn: task.taskArn,
    command,
    ...(task.runtimeId ? { runtimeId: task.runtimeId } : {}),
  });
  return { job: recorded, session };
}

/** The job's task, described once: RUNNING with its exec agent ready, else the refusal that says when to ask again. */
async function runningTask(ports: ExecPorts, job: Job): Promise<TaskSnapshot> {
  if (job.status !== 'RUNNING' || job.taskArn === undefined) throw notRunning(job);
  const task = await ports.taskRunner.describeTask(job.taskArn, { resolveNetwork: false });
  if (task.lastStatus !== 'RUNNING') {
    // Between the record's RUNNING and the task's stop the record may lag: the task is the truth.
    throw new ExecRefusedError('JOB_NOT_RUNNING', `job ${job.id}'s task is ${task.lastStatus}: there is nothing to exec into any more`, { details: [{ path: 'status', message: task.lastStatus }] });
  }
  if (task.execAgentStatus !== 'RUNNING') {
    throw new ExecRefusedError(
      'EXEC_NOT_READY',
      `job ${job.id} runs, but its exec agent is ${task.execAgentStatus === undefined ? 'not there yet' : task.execAgentStatus}; ask again in ${AGENT_STARTING_RETRY_SECONDS} s`,
      { retryAfterSeconds: AGENT_STARTING_RETRY_SECONDS },
    );
  }
  await recordReadiness(ports, job, task);
  return task;
}

/**
 * Records that the agent is ready when the record does not say so yet (its event may come later, or
 * not at all): only with the task's own newer version, so that an older view never overwrites a newer one.
 */
async function recordReadiness(ports: ExecPorts, job: Job, task: TaskSnapshot): Promise<void> {
  const recorded = job.taskState;
  if (recorded?.execAgentStatus === 'RUNNING' || task.version === undefined || (recorded && recorded.version >= task.version)) return;
  await ports.store.recordTaskState(job.id, { taskState: { ...recorded, lastStatus: task.lastStatus, version: task.version, execAgentStatus: task.execAgentStatus ?? 'RUNNING' } });
}

function notRunning(job: Job): ExecRefusedError {
  const details = [{ path: 'status', message: job.status }];
  if (isTerminal(job.status)) {
    return new ExecRefusedError('JOB_NOT_RUNNING', `job ${job.id} is ${job.status}: there is nothing to exec into any more`, { details });
  }
  return new ExecRefusedError('JOB_NOT_RUNNING', `job ${job.id} is ${job.status}, not running yet; ask again in ${NOT_STARTED_RETRY_SECONDS} s`, {
    details,
    retryAfterSeconds: NOT_STARTED_RETRY_SECONDS,
  });
}
