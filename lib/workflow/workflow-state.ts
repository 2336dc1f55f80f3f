/**
 * The JSON that flows between the run-job states, and what the steps share to read and write it.
 * Every field the Choice states read is always present.
 */
import { JobRecordMissingError } from '#lib/domain/errors.ts';
import { currentAttempt } from '#lib/domain/job-attempts.ts';
import type { Job } from '#lib/domain/job.ts';
import type { PollProgress } from '#lib/domain/polling.ts';
import type { JobStore, TaskLastStatus } from '#lib/domain/ports.ts';

export interface WorkflowState extends PollProgress {
  jobId: string;
  /** The attempt this state is about (1-based); absent in executions begun before attempts were counted. */
  attempt?: number;
  started: boolean;
  taskArn: string | null;
  taskStatus: TaskLastStatus | null;
  /** A deadline passed and the task must be stopped (the StopTask state runs next). */
  stopNeeded: boolean;
  /** How long AwaitTask waits for the task's STOPPED event before PollTask looks (its TimeoutSecondsPath). */
  waitSeconds: number;
  /**
   * Always false now (the event handler looks the public IP up itself): kept for the executions begun
   * under the previous definition, whose TaskState choice still reads it, until they have ended.
   */
  lookNeeded: false;
}

/** What a Catch hands MarkFailed: the state the failing step got, plus the error. */
export interface FailedWorkflowState extends Partial<WorkflowState> {
  jobId: string;
  error?: { Error?: string; Cause?: string };
}

/** The execution's output. */
export interface FinalizeResult {
  jobId: string;
  status: Job['status'];
  exitCode: number | null;
}

/** The state of a job whose task was never started (or is not started yet). */
export function notStarted(job: Job): WorkflowState {
  return {
    jobId: job.id,
    attempt: currentAttempt(job),
    started: false,
    taskArn: null,
    timeoutSeconds: job.timeoutSeconds,
    provisioningDeadline: null,
    deadline: null,
    taskStatus: null,
    networkReady: false,
    stopNeeded: false,
    stopRequest: null,
    waitSeconds: 1,
    lookNeeded: false,
  };
}

export async function loadJob(store: JobStore, jobId: string): Promise<Job> {
  const job = await store.get(jobId);
  if (!job) throw new JobRecordMissingError(jobId);
  return job;
}

export function requireTaskArn(state: WorkflowState): string {
  if (!state.taskArn) throw new Error(`workflow state for job ${state.jobId} has no taskArn`);
  return state.taskArn;
}

export { networkPatch } from '#lib/domain/network.ts';
