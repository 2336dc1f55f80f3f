/**
 * The TaskRunner port in local mode: a "task" is a child process. The argv runs with no shell, in a
 * per-job work directory; every stdout/stderr line is timestamped into the job's log file; a stop
 * sends SIGTERM to the process group and SIGKILL after a grace period. Work directories and logs
 * hold the user's commands and output: only the user may read them (0700 directories, 0600 logs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { constants as osConstants } from 'node:os';
import { TaskNotFoundError } from '#lib/domain/errors.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { RunTaskRequest, RunTaskResult, TaskRunner, TaskSnapshot } from '#lib/domain/ports.ts';
import type { TaskStopWatcher } from './local-workflow.ts';
import { logFilePath } from './file-log-reader.ts';
import { ensurePrivateDirectory, PRIVATE_FILE_MODE } from './private-files.ts';

export interface ProcessTaskRunnerOptions {
  /** Where work directories (`work/<job>`) and log files (`logs/<job>.log`) go. */
  dataDir: string;
  logger: Logger;
  /** Time between SIGTERM and SIGKILL when a task is stopped. */
  stopGraceMs?: number;
  /** Environment every job starts from (the job's own variables are added on top). */
  baseEnv?: NodeJS.ProcessEnv;
}

interface LocalTask {
  taskArn: string;
  child: ChildProcess;
  snapshot: TaskSnapshot;
  stopped: Promise<void>;
  killTimer?: NodeJS.Timeout;
}

const DEFAULT_STOP_GRACE_MS = 5000;
/** Lines longer than this are split, so one runaway line cannot exhaust memory. */
const MAX_LINE_LENGTH = 64 * 1024;
/** How long output already in the pipes may take to be read after the process exits. */
const STREAM_DRAIN_MS = 2000;

export class ProcessTaskRunner implements TaskRunner, TaskStopWatcher {
  readonly #options: ProcessTaskRunnerOptions;
  readonly #tasks = new Map<string, LocalTask>();
  readonly #starting = new Map<string, Promise<RunTaskResult>>();

  constructor(options: ProcessTaskRunnerOptions) {
    this.#options = options;
    ensurePrivateDirectory(join(options.dataDir, 'logs'));
    ensurePrivateDirectory(join(options.dataDir, 'work'));
  }

  /** Like RunTask's clientToken: starting the same job again, even while it starts, gives the same task. */
  runTask(request: RunTaskRequest): Promise<RunTaskResult> {
    const taskArn = localTaskArn(request.jobId);
    if (this.#tasks.has(taskArn)) return Promise.resolve({ started: true, taskArn });
    let starting = this.#starting.get(taskArn);
    if (!starting) {
      starting = this.#start(request, taskArn).finally(() => this.#starting.delete(taskArn));
      this.#starting.set(taskArn, starting);
    }
    return starting;
  }

  async #start(request: RunTaskRequest, taskArn: string): Promise<RunTaskResult> {
    const [file, ...args] = request.command;
    if (!file) return { started: false, failure: { category: 'START_FAILED', message: 'the command is empty' } };
    const cwd = join(this.#options.dataDir, 'work', request.jobId);
    ensurePrivateDirectory(cwd);
    const logFile = createWriteStream(logFilePath(this.#options.dataDir, request.jobId), { flags: 'a', mode: PRIVATE_FILE_MODE });

    const child = spawn(file, args, {
      cwd,
      env: { ...(this.#options.baseEnv ?? process.env), ...request.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a stop reaches the command's children too.
      detached: true,
      shell: false,
    });
    const spawnError = await spawnOutcome(child);
    if (spawnError) {
      await closeStream(logFile);
      return {
        started: false,
        failure: { category: 'START_FAILED', message: `could not start '${file}': ${describeSpawnError(spawnError)}` },
      };
    }

    const startedAt = new Date().toISOString();
    const task: LocalTask = {
      taskArn,
      child,
      snapshot: { taskArn, lastStatus: 'RUNNING', startedAt, network: { privateIp: '127.0.0.1', publicIp: null } },
      stopped: Promise.resolve(),
    };
    task.stopped = this.#watch(task, logFile);
    this.#tasks.set(taskArn, task);
    return { started: true, taskArn };
  }

  async describeTask(taskArn: string): Promise<TaskSnapshot> {
    const task = this.#tasks.get(taskArn);
    if (!task) throw new TaskNotFoundError(taskArn);
    return { ...task.snapshot };
  }

  async stopTask(taskArn: string, reason: string): Promise<void> {
    const task = this.#tasks.get(taskArn);
    if (!task) throw new TaskNotFoundError(taskArn);
    if (task.snapshot.lastStatus === 'STOPPED' || task.snapshot.stopCode === 'UserInitiated') return;
    task.snapshot = { ...task.snapshot, lastStatus: 'STOPPING', stopCode: 'UserInitiated', stoppedReason: reason };
    signalGroup(task.child, 'SIGTERM');
    task.killTimer = setTimeout(() => signalGroup(task.child, 'SIGKILL'), this.#options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    task.killTimer.unref();
  }

  async waitUntilStopped(taskArn: string, timeoutMs: number): Promise<void> {
    const task = this.#tasks.get(taskArn);
    if (!task || timeoutMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([task.stopped, timeout]);
    clearTimeout(timer);
  }

  /** Stops every task still running (the server is shutting down) and waits for them to exit. */
  async stopAll(reason: string): Promise<void> {
    const running = [...this.#tasks.values()].filter((task) => task.snapshot.lastStatus !== 'STOPPED');
    await Promise.all(running.map((task) => this.stopTask(task.taskArn, reason)));
    await Promise.all(running.map((task) => task.stopped));
  }

  /** Records each output line; reports STOPPED only once the process has exited and its log is flushed. */
  async #watch(task: LocalTask, logFile: WriteStream): Promise<void> {
    const { child } = task;
    const streams = (['stdout', 'stderr'] as const).map(async (stream) => {
      const source = child[stream];
      if (!source) return;
      const lines = createInterface({ input: source, crlfDelay: Infinity });
      for await (const line of lines) {
        for (let offset = 0; offset === 0 || offset < line.length; offset += MAX_LINE_LENGTH) {
          const message = line.slice(offset, offset + MAX_LINE_LENGTH);
          logFile.write(`${JSON.stringify({ timestamp: new Date().toISOString(), stream, message })}\n`);
        }
      }
    });
    const [exitCode, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    // As when a container's main process exits: whatever it left running in its group goes too,
    // so a background child holding stdout open cannot keep the task alive.
    killGroup(child.pid);
    await Promise.race([Promise.all(streams), delay(STREAM_DRAIN_MS, undefined, { ref: false })]);
    child.stdout?.destroy();
    child.stderr?.destroy();
    await closeStream(logFile);
    clearTimeout(task.killTimer);
    task.snapshot = {
      ...task.snapshot,
      lastStatus: 'STOPPED',
      stoppedAt: new Date().toISOString(),
      // A signal death reports 128 + the signal's number, as a container runtime does (SIGKILL → 137).
      exitCode: exitCode ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : null),
      ...(task.snapshot.stopCode ? {} : { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }),
    };
    this.#options.logger.debug('local task stopped', { taskArn: task.taskArn, exitCode: task.snapshot.exitCode, signal });
  }
}

export function localTaskArn(jobId: string): string {
  return `arn:local:ecs:local:000000000000:task/local/${jobId}`;
}

/** Resolves with the spawn error, or undefined once the process is running. */
async function spawnOutcome(child: ChildProcess): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error: NodeJS.ErrnoException) => resolve(error));
  });
}

function describeSpawnError(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'no such file or command';
  if (error.code === 'EACCES') return 'permission denied';
  return error.code ?? error.message;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone: the process exited between the check and the signal.
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Nothing left in the group.
  }
}

async function closeStream(stream: WriteStream): Promise<void> {
  if (stream.closed) return;
  stream.end();
  await once(stream, 'close');
}
