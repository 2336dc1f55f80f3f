/**
 * A scripted TaskRunner, a fixed LogReader and a fake clock for the workflow tests.
 *
 * A scenario describes its task as data — a `TaskScript`: how RunTask answers and what each
 * DescribeTasks reports — and never reaches into this fake. The fake plays the script back;
 * aws-scripted-clients.ts plays the same script through mocked SDK clients for the AWS adapters
 * (RunTask and DescribeTasks responses built from the same entries), so the scenarios run unchanged.
 */
import { TaskNotFoundError } from '#lib/domain/errors.ts';
import type { Job, JobFailure } from '#lib/domain/job.ts';
import type { BackwardLogPage, LogLine, LogPage, LogReader, RunTaskRequest, RunTaskResult, TaskRunner, TaskSnapshot } from '#lib/domain/ports.ts';

/** A call scripted to fail; `name` is what the state machine's `ErrorEquals` matches. */
export interface ScriptedError {
  throws: { name: string; message: string };
}

/** What the task reports at one describe. The runner adds taskArn, and startedAt/stoppedAt unless given. */
export type ScriptedSnapshot = Omit<TaskSnapshot, 'taskArn'>;

export interface TaskScript {
  /** How RunTask answers: the task starts (when absent), does not start, or the call throws. */
  run?: { started: false; failure: JobFailure } | ScriptedError;
  /** One entry per DescribeTasks call, in order; the last entry repeats. */
  describe: Array<ScriptedSnapshot | ScriptedError>;
}

/** What a container that had started reports after StopTask: killed by SIGTERM. */
export const STOPPED_BY_SIGNAL_EXIT_CODE = 143;

/** What a scenario does as its task is started and watched; the same for every way of playing it. */
export interface ScriptHooks {
  now?: () => Date;
  /** Runs as each RunTask begins, e.g. to cancel the job while its task is being started. */
  beforeRunTask?: (call: { jobId: string }) => Promise<void> | void;
  /** Runs as each DescribeTasks begins (count is 1-based per task), e.g. to move a clock or to cancel. */
  beforeDescribe?: (call: { jobId: string; taskArn: string; count: number }) => Promise<void> | void;
}

export type ScriptedTaskRunnerOptions = ScriptHooks;

/**
 * One started task playing its script: what each describe reports, and what a stop changes. The
 * fake below and the mocked ECS of aws-scripted-clients.ts both play a task through this, so both
 * report the same snapshots at the same calls.
 */
export class ScriptedTask {
  readonly jobId: string;
  readonly taskArn: string;
  readonly #script: TaskScript;
  readonly #now: () => Date;
  #describeCount = 0;
  #startedAt: string | undefined;
  /** Once set, every describe reports this: a stopped task stays stopped. */
  #stopped: TaskSnapshot | undefined;
  #lastReported: TaskSnapshot | undefined;

  constructor(options: { jobId: string; taskArn: string; script: TaskScript; now: () => Date }) {
    this.jobId = options.jobId;
    this.taskArn = options.taskArn;
    this.#script = options.script;
    this.#now = options.now;
  }

  get describeCount(): number {
    return this.#describeCount;
  }

  /** What the last describe that did not fail reported. */
  get lastReported(): TaskSnapshot | undefined {
    return this.#lastReported;
  }

  /** One DescribeTasks: `beforeDescribe` runs first, then the next entry (or the stopped task) is reported. */
  async describe(beforeDescribe?: ScriptHooks['beforeDescribe']): Promise<TaskSnapshot | ScriptedError> {
    this.#describeCount += 1;
    await beforeDescribe?.({ jobId: this.jobId, taskArn: this.taskArn, count: this.#describeCount });
    if (this.#stopped) return (this.#lastReported = this.#stopped);

    const { describe } = this.#script;
    const entry = describe[Math.min(this.#describeCount, describe.length) - 1];
    if (!entry) throw new Error(`the task script for job ${this.jobId} has no describe entries`);
    if ('throws' in entry) return entry;

    const at = this.#now().toISOString();
    if (entry.lastStatus === 'RUNNING' && this.#startedAt === undefined) this.#startedAt = entry.startedAt ?? at;
    const startedAt = entry.startedAt ?? this.#startedAt;
    const snapshot: TaskSnapshot = {
      ...entry,
      taskArn: this.taskArn,
      ...(startedAt === undefined ? {} : { startedAt }),
      ...(entry.lastStatus === 'STOPPED' ? { stoppedAt: entry.stoppedAt ?? at } : {}),
    };
    if (snapshot.lastStatus === 'STOPPED') this.#stopped = snapshot;
    return (this.#lastReported = snapshot);
  }

  /** As ECS does: the task stops, stop code UserInitiated, the reason given here as stoppedReason. */
  stop(reason: string): TaskSnapshot {
    this.#stopped ??= {
      taskArn: this.taskArn,
      lastStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: reason,
      // A container that never started has no exit code.
      exitCode: this.#startedAt === undefined ? null : STOPPED_BY_SIGNAL_EXIT_CODE,
      ...(this.#startedAt === undefined ? {} : { startedAt: this.#startedAt }),
      stoppedAt: this.#now().toISOString(),
    };
    return this.#stopped;
  }
}

export class ScriptedTaskRunner implements TaskRunner {
  readonly runTaskCalls: RunTaskRequest[] = [];
  readonly stopTaskCalls: Array<{ taskArn: string; reason: string }> = [];
  readonly #options: ScriptedTaskRunnerOptions;
  readonly #now: () => Date;
  readonly #scripts = new Map<string, TaskScript>();
  readonly #tasks = new Map<string, ScriptedTask>();

  constructor(options: ScriptedTaskRunnerOptions = {}) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** Gives the task of job `jobId` its script. */
  script(jobId: string, script: TaskScript): this {
    this.#scripts.set(jobId, script);
    return this;
  }

  /** How many times the task of job `jobId` was described. */
  describeCount(jobId: string): number {
    return [...this.#tasks.values()].find((task) => task.jobId === jobId)?.describeCount ?? 0;
  }

  async runTask(request: RunTaskRequest): Promise<RunTaskResult> {
    this.runTaskCalls.push(request);
    await this.#options.beforeRunTask?.(request);
    const script = this.#scripts.get(request.jobId);
    if (!script) throw new Error(`no task script for job ${request.jobId}`);
    if (script.run && 'throws' in script.run) throw scriptedError(script.run);
    if (script.run) return { started: false, failure: script.run.failure };

    const taskArn = `arn:aws:ecs:us-east-1:000000000000:task/fargate-jobs/${request.jobId}`;
    this.#tasks.set(taskArn, new ScriptedTask({ jobId: request.jobId, taskArn, script, now: this.#now }));
    return { started: true, taskArn };
  }

  async describeTask(taskArn: string): Promise<TaskSnapshot> {
    const reported = await this.#task(taskArn).describe(this.#options.beforeDescribe);
    if ('throws' in reported) throw scriptedError(reported);
    return reported;
  }

  async stopTask(taskArn: string, reason: string): Promise<void> {
    this.stopTaskCalls.push({ taskArn, reason });
    this.#task(taskArn).stop(reason);
  }

  #task(taskArn: string): ScriptedTask {
    const task = this.#tasks.get(taskArn);
    if (!task) throw new TaskNotFoundError(taskArn);
    return task;
  }
}

/** The error a scripted call throws: an Error whose name is the scripted one. */
export function scriptedError({ throws }: ScriptedError): Error {
  const error = new Error(throws.message);
  error.name = throws.name;
  return error;
}

/** A LogReader whose every job logged the same lines. */
export class FixedLogReader implements LogReader {
  readonly #lines: LogLine[];

  constructor(messages: string[]) {
    this.#lines = messages.map((message, index) => ({ timestamp: new Date(Date.UTC(2030, 0, 1, 0, 0, index)).toISOString(), message }));
  }

  async read(_job: Job, options: { cursor?: string; limit: number }): Promise<LogPage> {
    const start = options.cursor ? Number(options.cursor) : 0;
    const end = Math.min(start + options.limit, this.#lines.length);
    return { lines: this.#lines.slice(start, end), nextCursor: String(end), atEnd: end >= this.#lines.length, truncated: false };
  }

  /** The cursors are indexes, as `read`'s: the lines before `before`, or the last `limit`. */
  async readBackward(_job: Job, options: { before?: string; limit: number }): Promise<BackwardLogPage> {
    const end = options.before === undefined ? this.#lines.length : Number(options.before);
    const start = Math.max(0, end - options.limit);
    return {
      lines: this.#lines.slice(start, end),
      previousCursor: start > 0 ? String(start) : null,
      ...(options.before === undefined ? { forward: { nextCursor: String(end), atEnd: true } } : {}),
      truncated: false,
    };
  }

  async tail(_job: Job, count: number): Promise<string[]> {
    return count > 0 ? this.#lines.slice(-count).map((line) => line.message) : [];
  }
}

/** Time that moves only when a test says so. */
export class FakeClock {
  #time: number;

  constructor(start = '2030-01-01T00:00:00.000Z') {
    this.#time = Date.parse(start);
  }

  readonly now = (): Date => new Date(this.#time);

  advance(seconds: number): void {
    this.#time += seconds * 1000;
  }
}
