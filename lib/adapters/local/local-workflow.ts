/**
 * The Workflow port in local mode: runs `run-job.asl.json` itself with aws-local-stepfunctions,
 * every Task state overridden by the same step function its Lambda runs on AWS.
 */
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { Logger } from '#lib/domain/logger.ts';
import type { Workflow } from '#lib/domain/ports.ts';
import { loadLocalDefinition, TASK_STATES, type TaskStateName } from '#lib/workflow/definition.ts';
import type { Steps } from '#lib/workflow/steps.ts';
import type { WorkflowState } from '#lib/workflow/workflow-state.ts';

type JsonValue = Parameters<StateMachine['run']>[0];

export interface LocalWorkflowOptions {
  steps: Steps;
  logger: Logger;
  /**
   * The longest AwaitTask waits for an event before it times out and PollTask looks, in ms, whatever
   * its `waitSeconds` says: where no events come (local mode on ECS) or a test plays the task.
   */
  maxAwaitMs?: number;
  /** Milliseconds between retries of a failed step (the ASL says 2 s with backoff). */
  retryIntervalMs?: number;
  /** Milliseconds between retries of an undelivered notification (the ASL says 10 s, doubling: over 10 minutes in all). */
  notificationRetryIntervalMs?: number;
}

export interface ExecutionOutcome {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: { name: string; message: string };
  /** The states entered, in order. */
  states: string[];
}

export interface LocalWorkflowStats {
  executions: number;
  stateTransitions: number;
}

/** What a timed-out wait throws: the name the ASL's Catch matches, as Step Functions names it. */
class StatesTimeout extends Error {
  constructor() {
    super('AwaitTask timed out');
    this.name = 'States.Timeout';
  }
}

export class LocalWorkflow implements Workflow {
  readonly #machine = new StateMachine(loadLocalDefinition() as ConstructorParameters<typeof StateMachine>[0]);
  readonly #options: LocalWorkflowOptions;
  readonly #running = new Map<string, Promise<ExecutionOutcome>>();
  readonly #stats: LocalWorkflowStats = { executions: 0, stateTransitions: 0 };
  /** The executions waiting in AwaitTask, by the token that wakes each. */
  readonly #waiting = new Map<string, (output: unknown) => void>();
  #tokens = 0;

  constructor(options: LocalWorkflowOptions) {
    this.#options = options;
  }

  /** Starts an execution named after the job; a second start while it runs is a no-op, as on AWS. */
  async start(jobId: string, secretEnv: Record<string, string> = {}): Promise<void> {
    this.execute(jobId, secretEnv);
  }

  /** Runs (or joins) the execution for `jobId` and resolves when it ends. */
  execute(jobId: string, secretEnv: Record<string, string> = {}): Promise<ExecutionOutcome> {
    const existing = this.#running.get(jobId);
    if (existing) return existing;
    const input = { jobId, ...(Object.keys(secretEnv).length > 0 ? { secretEnv } : {}) };
    const execution = this.#run(input).finally(() => this.#running.delete(jobId));
    this.#running.set(jobId, execution);
    return execution;
  }

  /** Wakes the execution waiting with `taskToken`; a token nothing waits with is ignored, as SendTaskSuccess's errors for it are on AWS. */
  async wake(taskToken: string, output: unknown): Promise<void> {
    this.#waiting.get(taskToken)?.(output);
  }

  /** Resolves once every execution under way has ended. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  stats(): LocalWorkflowStats {
    return { ...this.#stats };
  }

  async #run(input: { jobId: string; secretEnv?: Record<string, string> }): Promise<ExecutionOutcome> {
    this.#stats.executions += 1;
    const execution = this.#machine.run(input as JsonValue, {
      overrides: {
        taskResourceLocalHandlers: this.#taskHandlers(),
        retryIntervalOverrides: this.#retryIntervals(),
      },
      // A token for `$$.Task.Token` to resolve; AwaitTask makes each wait's own (#awaitTask).
      context: { Execution: { Name: input.jobId }, Task: { Token: 'local' } },
    });
    const states: string[] = [];
    const collecting = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') {
          states.push(event.state.name);
          this.#stats.stateTransitions += 1;
        }
      }
    })();
    try {
      const output = await execution.result;
      await collecting;
      return { status: 'SUCCEEDED', output, states };
    } catch (error) {
      await collecting.catch(() => undefined);
      const failure = describeError(error);
      // A FAILED execution after MarkFailed is expected; anything else means the job may be stuck.
      const log = states.includes('MarkFailed') ? this.#options.logger.warn : this.#options.logger.error;
      log.call(this.#options.logger, 'workflow execution failed', { jobId: input.jobId, error: failure, states });
      return { status: 'FAILED', error: failure, states };
    }
  }

  /** The ASL's own retry intervals unless the options shorten them. */
  #retryIntervals(): Record<string, number> {
    const { retryIntervalMs, notificationRetryIntervalMs } = this.#options;
    return {
      ...(retryIntervalMs === undefined ? {} : Object.fromEntries(Object.keys(TASK_STATES).map((name) => [name, retryIntervalMs]))),
      ...(notificationRetryIntervalMs === undefined ? {} : { NotifyFinished: notificationRetryIntervalMs }),
    };
  }

  #taskHandlers(): Record<TaskStateName, (input: JsonValue) => Promise<JsonValue>> {
    const { steps } = this.#options;
    const call = (name: TaskStateName) => (input: JsonValue) => (steps[name] as (state: unknown) => Promise<unknown>)(input) as Promise<JsonValue>;
    return {
      StartTask: call('StartTask'),
      AwaitTask: (input) => this.#awaitTask(input),
      PollTask: call('PollTask'),
      StopTask: call('StopTask'),
      FinalizeJob: call('FinalizeJob'),
      MarkFailed: call('MarkFailed'),
      NotifyFinished: async (input) => ((await call('NotifyFinished')(input)) ?? null) as JsonValue,
    };
  }

  /**
   * `.waitForTaskToken` as Step Functions runs it: a token of its own for this wait, the step that
   * stores it, then the wake (`wake`) or, after `waitSeconds` (at most maxAwaitMs), States.Timeout.
   */
  async #awaitTask(input: JsonValue): Promise<JsonValue> {
    const { Payload } = input as unknown as { Payload: { state: WorkflowState } };
    const { state } = Payload;
    this.#tokens += 1;
    const taskToken = `local:${state.jobId}:${this.#tokens}`;
    const woken = new Promise<unknown>((resolve) => this.#waiting.set(taskToken, resolve));
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.#options.steps.AwaitTask({ state, taskToken });
      const waitMs = Math.min(state.waitSeconds * 1000, this.#options.maxAwaitMs ?? Number.POSITIVE_INFINITY);
      const timedOut = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new StatesTimeout()), waitMs);
      });
      return (await Promise.race([woken, timedOut])) as JsonValue;
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(taskToken);
    }
  }
}

function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof ExecutionError || error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
