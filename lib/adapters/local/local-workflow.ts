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

/** Wakes a waiting poll as soon as a task stops, as an ECS task-state-change event would on AWS. */
export interface TaskStopWatcher {
  waitUntilStopped(taskArn: string, timeoutMs: number): Promise<void>;
}

export interface LocalWorkflowOptions {
  steps: Steps;
  logger: Logger;
  /** Milliseconds each Wait state pauses instead of its ASL duration. */
  waitOverrides?: Partial<Record<'WaitForNetwork' | 'WaitForStop', number>>;
  /** Milliseconds between retries of a failed step (the ASL says 2 s with backoff). */
  retryIntervalMs?: number;
  /** Milliseconds between retries of an undelivered notification (the ASL says 5 s, doubling: over 10 minutes in all). */
  notificationRetryIntervalMs?: number;
  /**
   * With a watcher, WaitForStop becomes "wait for the task to stop, at most the poll delay": stop
   * detection is immediate and the number of polls stays what it is on AWS.
   */
  stopWatcher?: TaskStopWatcher;
  /** Longest single wait for a stop, so a poll stays well inside its Task state's 60 s timeout. */
  maxStopWaitMs?: number;
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

const DEFAULT_MAX_STOP_WAIT_MS = 30_000;

export class LocalWorkflow implements Workflow {
  readonly #machine = new StateMachine(loadLocalDefinition() as ConstructorParameters<typeof StateMachine>[0]);
  readonly #options: LocalWorkflowOptions;
  readonly #running = new Map<string, Promise<ExecutionOutcome>>();
  readonly #stats: LocalWorkflowStats = { executions: 0, stateTransitions: 0 };

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
        waitTimeOverrides: {
          WaitForNetwork: this.#options.waitOverrides?.WaitForNetwork ?? 100,
          WaitForStop: this.#options.waitOverrides?.WaitForStop ?? (this.#options.stopWatcher ? 0 : 1000),
        },
        retryIntervalOverrides: this.#retryIntervals(),
      },
      context: { Execution: { Name: input.jobId } },
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
    const { steps, stopWatcher } = this.#options;
    const maxStopWaitMs = this.#options.maxStopWaitMs ?? DEFAULT_MAX_STOP_WAIT_MS;
    const call = (name: TaskStateName) => (input: JsonValue) => (steps[name] as (state: unknown) => Promise<unknown>)(input) as Promise<JsonValue>;
    return {
      StartTask: call('StartTask'),
      PollTask: async (input) => {
        const state = input as unknown as WorkflowState;
        // Only a poll that follows WaitForStop waits: network polls and the first poll go at once.
        if (stopWatcher && state.taskArn && state.networkReady && state.pollAttempt > 0) {
          await stopWatcher.waitUntilStopped(state.taskArn, Math.min(state.nextPollSeconds * 1000, maxStopWaitMs));
        }
        return call('PollTask')(input);
      },
      StopTask: call('StopTask'),
      FinalizeJob: call('FinalizeJob'),
      MarkFailed: call('MarkFailed'),
      NotifyFinished: async (input) => ((await call('NotifyFinished')(input)) ?? null) as JsonValue,
    };
  }
}

function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof ExecutionError || error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
