/**
 * What running a job costs besides its task: a usage model of the workflow (Step Functions Standard
 * transitions, Lambda invocations, DynamoDB writes). The figures are today's, as measured by
 * `bench/workflow.ts` (docs/benchmarks.md: a job of up to an hour takes 3 transitions and 8 Lambda
 * invocations, 3 steps and 5 task-state events). Whoever changes the workflow updates these constants.
 */
import type { Job } from './job.ts';

/** Transitions of a job that runs once (bench/workflow.ts): StartTask, AwaitTask (woken by the STOPPED event alone), FinalizeJob. */
export const HAPPY_PATH_TRANSITIONS = 3;
/** Each further attempt: NextAttempt, StartTask, AwaitTask and FinalizeJob again. */
export const TRANSITIONS_PER_EXTRA_ATTEMPT = 4;
/** Lambda invocations of a job that runs once: 3 steps (StartTask, AwaitTask, FinalizeJob) and 5 task-state-change events (bench/workflow.ts). */
export const HAPPY_PATH_LAMBDA_INVOCATIONS = 8;
/** Each further attempt: StartTask, AwaitTask, FinalizeJob and its task's 5 task-state-change events. */
export const LAMBDA_INVOCATIONS_PER_EXTRA_ATTEMPT = 8;
/**
 * Writes of the job's item (bench/workflow.ts): StartTask, AwaitTask, the 5 events, the move to
 * RUNNING, the verdict with the STOPPED event, FinalizeJob.
 */
export const HAPPY_PATH_DYNAMODB_WRITES = 10;
/** Each further attempt: StartTask, AwaitTask, its task's 5 events, the attempt's end. */
export const DYNAMODB_WRITES_PER_EXTRA_ATTEMPT = 8;
/** A job whose task never started (refused at RunTask): StartTask, NotifyFinished. */
export const NEVER_RAN_TRANSITIONS = 2;
/** StartTask and NotifyFinished. */
export const NEVER_RAN_LAMBDA_INVOCATIONS = 2;
/** Its creation, the refusal, the notification. */
export const NEVER_RAN_DYNAMODB_WRITES = 3;

export interface WorkflowUsage {
  transitions: number;
  lambdaInvocations: number;
  /** What the invocations take together (GB-seconds): FinalizeJob's runs at FINALIZE_JOB_GB_SECONDS, every other at LAMBDA_GB_SECONDS_PER_INVOCATION. */
  lambdaGbSeconds: number;
  dynamodbWrites: number;
}

/** The workflow's usage for `job`, from how many attempts it made and whether any of them ran. */
export function workflowUsage(job: Pick<Job, 'attempts' | 'startedAt'>): WorkflowUsage {
  const attempts = (job.attempts?.length ?? 0) + 1;
  const ran = job.startedAt !== undefined || (job.attempts ?? []).some((attempt) => attempt.startedAt !== undefined);
  if (!ran && attempts === 1) {
    return {
      transitions: NEVER_RAN_TRANSITIONS,
      lambdaInvocations: NEVER_RAN_LAMBDA_INVOCATIONS,
      lambdaGbSeconds: NEVER_RAN_LAMBDA_INVOCATIONS * LAMBDA_GB_SECONDS_PER_INVOCATION,
      dynamodbWrites: NEVER_RAN_DYNAMODB_WRITES,
    };
  }
  const extra = attempts - 1;
  const lambdaInvocations = HAPPY_PATH_LAMBDA_INVOCATIONS + extra * LAMBDA_INVOCATIONS_PER_EXTRA_ATTEMPT;
  // One FinalizeJob an attempt.
  const lambdaGbSeconds = (lambdaInvocations - attempts) * LAMBDA_GB_SECONDS_PER_INVOCATION + attempts * FINALIZE_JOB_GB_SECONDS;
  return {
    transitions: HAPPY_PATH_TRANSITIONS + extra * TRANSITIONS_PER_EXTRA_ATTEMPT,
    lambdaInvocations,
    lambdaGbSeconds: Math.round(lambdaGbSeconds * 10_000) / 10_000,
    dynamodbWrites: HAPPY_PATH_DYNAMODB_WRITES + extra * DYNAMODB_WRITES_PER_EXTRA_ATTEMPT,
  };
}

/** What each Lambda invocation is assumed to take: 256 MB for 150 ms (as bench/workflow.ts prices it). */
export const LAMBDA_GB_SECONDS_PER_INVOCATION = 0.25 * 0.15;
/**
 * FinalizeJob's run, assumed: 512 MB (serverless.yml) for 1.5 s — one look at a stream that has
 * drained (the task stops well after its last line), the notification, a small log's archive.
 */
export const FINALIZE_JOB_GB_SECONDS = 0.5 * 1.5;
