/**
 * Loads `statemachine/run-job.asl.json`, the one definition both AWS Step Functions and the local
 * engine run. On AWS, `${XFunctionArn}` placeholders are filled by DefinitionSubstitutions; locally
 * every Task is overridden by its step function, so placeholders only need to be valid ARNs.
 */
import { readFileSync } from 'node:fs';

export const DEFINITION_PATH = new URL('../../statemachine/run-job.asl.json', import.meta.url);

/**
 * The Task states and the factory of the step each one runs (lib/workflow/<state>.ts); the Lambda
 * of each is `handlers/steps/<state>.ts` (StartTask ↔ start-task.ts).
 */
export const TASK_STATES = {
  StartTask: 'startTaskStep',
  AwaitTask: 'awaitTaskStep',
  PollTask: 'pollTaskStep',
  StopTask: 'stopTaskStep',
  FinalizeJob: 'finalizeJobStep',
  MarkFailed: 'markFailedStep',
  NotifyFinished: 'notifyFinishedStep',
} as const;
export type TaskStateName = keyof typeof TASK_STATES;

export function readDefinitionText(): string {
  return readFileSync(DEFINITION_PATH, 'utf8');
}

/**
 * The definition with each `${Name}` placeholder replaced by a syntactically valid Lambda ARN, and
 * AwaitTask's timeout left to the local workflow: the local engine reads TimeoutSecondsPath from the
 * state's Parameters rather than its input, and the local workflow times the wait itself from the
 * same `waitSeconds`.
 */
export function loadLocalDefinition(): unknown {
  const text = readDefinitionText().replace(
    /\$\{([A-Za-z0-9]+)\}/g,
    (_match, name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
  );
  const definition = JSON.parse(text) as { States: Record<string, Record<string, unknown>> };
  const awaitTask = definition.States['AwaitTask'];
  if (awaitTask) {
    delete awaitTask['TimeoutSecondsPath'];
    awaitTask['TimeoutSeconds'] = LOCAL_AWAIT_TIMEOUT_SECONDS;
  }
  return definition;
}

/** Longer than any wait the local workflow times itself (a day-long job's deadline). */
const LOCAL_AWAIT_TIMEOUT_SECONDS = 10 * 24 * 3600;
