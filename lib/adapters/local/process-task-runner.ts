/**
 * The TaskRunner port in local mode: a "task" is a child process. The argv runs with no shell, in a
 * per-job work directory; every stdout/stderr line is timestamped into the job's log file, up to a
 * limit on the bytes the job wrote (past it the output is read and discarded, and the file ends
 * with one marker line that the reader reports as `truncated`, never as a line of output); a
 * stop sends SIGTERM to the process group and SIGKILL after a grace period. Work directories and
 * logs hold the user's commands and output: only the user may read them (0700 directories, 0600 logs).
 *
 * Each child is its own process group (so a stop reaches its children), which also means it outlives
 * a server that is killed. The runner reports each one's pid, group and start time; a runner started
 * later stops such a process when asked to stop its task, if that pid still names the same process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { constants as osConstants } from 'node:os';
import { TaskNotFoundError } from '#lib/domain/errors.ts';
import { isJobId } from '#lib/domain/ids.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { JobProcess } from '#lib/domain/job.ts';
import type { RunTaskRequest, RunTaskResult, StopTaskOptions, TaskRunner, TaskSnapshot } from '#lib/domain/ports.ts';
import type { TaskStateChange } from '#lib/domain/task-events.ts';
import { logFilePath, truncationLine } from './file-log-reader.ts';
import { identifyProcess } from './process-identity.ts';
import { ensurePrivateDirectory, PRIVATE_FILE_MODE } from './private-files.ts';

export interface ProcessTaskRunnerOptions {
  /** Where work directories (`work/<job>`) and log files (`logs/<job>.log`) go. */
  dataDir: string;
  logger: Logger;
  /** Time between SIGTERM and SIGKILL when a task is stopped. */
  stopGraceMs?: number;
  /** Environment every job starts from (the job's own variables are added on top). */
  baseEnv?: NodeJS.ProcessEnv;
  /**
   * The most of a job's own output (stdout and stderr bytes, newlines included) its log keeps
   * (DEFAULT_MAX_LOG_BYTES by default); the rest is discarded. The file is larger by each line's
   * timestamp and stream.
   */
  maxLogBytes?: number;
  /** Told after each line of a job's output has reached its log file (so that a waiting reader finds it there). */
  onLogWritten?: (jobId: string) => void;
  /**
   * Told of each change of a task's state (running, stopping, stopped), as ECS tells EventBridge:
   * local mode applies them with the same code as the event Lambda.
   */
  onTaskStateChange?: (change: TaskStateChange) => void;
}

interface LocalTask {
  taskArn: string;
  jobId: string;
  /** Counts the task's state changes, as ECS's `version` does. */
  version: number;
  child: ChildProcess;
  /** Reported with the task; undefined when the process had gone before it could be looked at. */
  process?: JobProcess;
  snapshot: TaskSnapshot;
  stopped: Promise<void>;
  killTimer?: NodeJS.Timeout;
}

const DEFAULT_STOP_GRACE_MS = 5000;
/**
 * 100 MiB of a job's output: a log a person can still page through, and a bound on what one job can
 * put on the disk (its file takes more by each line's timestamp and stream).
 */
export const DEFAULT_MAX_LOG_BYTES = 100 * 1024 * 1024;
/** How often a process this runner did not start is looked at while it is being stopped. */
const ORPHAN_POLL_MS = 50;
/** How long a process is given to go after SIGKILL. */
const KILL_WAIT_MS = 2000;
/** The stop code of a job whose command does not exist on this machine (local mode only). */
export const COMMAND_NOT_FOUND = 'CommandNotFound';

/** Lines longer than this are split, so one runaway line cannot exhaust memory. */
const MAX_LINE_LENGTH = 64 * 1024;
/** How long output already in the pipes may take to be read after the process exits. */
const STREAM_DRAIN_MS = 2000;

export class ProcessTaskRunner implements TaskRunner {
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
    // Still starting first: the task is known a moment before its process has been looked at.
    const starting = this.#starting.get(taskArn);
    if (starting) return starting;
    const known = this.#tasks.get(taskArn);
    if (known) return Promise.resolve({ started: true, taskArn, ...(known.process ? { process: known.process } : {}) });
    const start = this.#start(request, taskArn).finally(() => this.#starting.delete(taskArn));
    this.#starting.set(taskArn, start);
    return start;
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
        failure: {
          category: 'START_FAILED',
          message: `could not start '${file}': ${describeSpawnError(spawnError)}`,
          // What a shell answers with 127: the CLI exits 127 on it, as the command run here would.
          ...(spawnError.code === 'ENOENT' ? { stopCode: COMMAND_NOT_FOUND } : {}),
        },
      };
    }

    const startedAt = new Date().toISOString();
    const task: LocalTask = {
      taskArn,
      jobId: request.jobId,
      version: 0,
      child,
      snapshot: { taskArn, lastStatus: 'RUNNING', startedAt, network: { privateIp: '127.0.0.1', publicIp: null } },
      stopped: Promise.resolve(),
    };
    task.stopped = this.#watch(task, request.jobId, logFile);
    this.#tasks.set(taskArn, task);
    this.#changed(task);
    // Only once it is watched: a quick command may exit meanwhile.
    const identity = await processOf(child);
    if (identity) task.process = identity;
    return { started: true, taskArn, ...(identity ? { process: identity } : {}) };
  }

  async describeTask(taskArn: string): Promise<TaskSnapshot> {
    const task = this.#tasks.get(taskArn);
    if (!task) throw new TaskNotFoundError(taskArn);
    return { ...task.snapshot };
  }

  async stopTask(taskArn: string, reason: string, options: StopTaskOptions = {}): Promise<void> {
    const task = this.#tasks.get(taskArn);
    if (!task) return this.#stopOrphan(taskArn, options.process);
    if (task.snapshot.lastStatus === 'STOPPED' || task.snapshot.stopCode === 'UserInitiated') return;
    task.snapshot = { ...task.snapshot, lastStatus: 'STOPPING', stopCode: 'UserInitiated', stoppedReason: reason };
    this.#changed(task);
    signalGroup(task.child, 'SIGTERM');
    task.killTimer = setTimeout(() => signalGroup(task.child, 'SIGKILL'), this.#options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    task.killTimer.unref();
  }

  /**
   * Stops a task's process that this runner did not start (a server before it did, and died): SIGTERM
   * to its group, SIGKILL once the grace period is over or the process has gone (as when a task's
   * main process exits), and returns once it has gone. Nothing is signalled unless the pid still
   * names a process that started when the job's did: a pid given to another process since is left
   * alone, and the task reported not found, as one whose process is gone.
   */
  async #stopOrphan(taskArn: string, recorded: JobProcess | undefined): Promise<void> {
    if (!recorded || !(await isStillRunning(recorded))) throw new TaskNotFoundError(taskArn);
    signalProcessGroup(recorded.processGroup, 'SIGTERM');
    await untilGone(recorded, this.#options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    signalProcessGroup(recorded.processGroup, 'SIGKILL');
    const gone = await untilGone(recorded, KILL_WAIT_MS);
    this.#options.logger.info('stopped a process a previous server left running', { taskArn, pid: recorded.pid, gone });
  }

  /** Removes the job's work directory and log file. */
  async removeTaskFiles(jobId: string): Promise<void> {
    // The id becomes a path: anything but a job id could name something else.
    if (!isJobId(jobId)) throw new Error(`not a job id: '${jobId}'`);
    await rm(join(this.#options.dataDir, 'work', jobId), { recursive: true, force: true });
    await rm(logFilePath(this.#options.dataDir, jobId), { force: true });
  }

  /** Stops every task still running (the server is shutting down) and waits for them to exit. */
  async stopAll(reason: string): Promise<void> {
    const running = [...this.#tasks.values()].filter((task) => task.snapshot.lastStatus !== 'STOPPED');
    await Promise.all(running.map((task) => this.stopTask(task.taskArn, reason)));
    await Promise.all(running.map((task) => task.stopped));
  }

  /**
   * Records each output line; reports STOPPED only once the process has exited and its log is
   * flushed. The limit counts the bytes the job wrote, not the stored JSON (about 60 bytes more a
   * line, ten times the output of `seq`). Past it the output is still read (a full pipe would block
   * the job) but discarded, and the file's last line marks the cut.
   */
  async #watch(task: LocalTask, jobId: string, logFile: WriteStream): Promise<void> {
    const { child } = task;
    const maxLogBytes = this.#options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    const { onLogWritten } = this.#options;
    // The write callback runs once the line is in the file, not merely buffered.
    const written = (error?: Error | null) => {
      if (!error) onLogWritten?.(jobId);
    };
    let outputBytes = 0;
    let truncated = false;
    /** `bytes`: what the job wrote for this piece of a line, its newline included. */
    const record = (stream: 'stdout' | 'stderr', message: string, bytes: number) => {
      if (truncated) return;
      if (outputBytes + bytes > maxLogBytes) {
        truncated = true;
        logFile.write(truncationLine(new Date(), maxLogBytes), written);
        return;
      }
      outputBytes += bytes;
      logFile.write(`${JSON.stringify({ timestamp: new Date().toISOString(), stream, message })}\n`, written);
    };
    const streams = (['stdout', 'stderr'] as const).map(async (stream) => {
      const source = child[stream];
      if (!source) return;
      const lines = createInterface({ input: source, crlfDelay: Infinity });
      for await (const line of lines) {
        for (let offset = 0; offset === 0 || offset < line.length; offset += MAX_LINE_LENGTH) {
          const message = line.slice(offset, offset + MAX_LINE_LENGTH);
          const last = offset + MAX_LINE_LENGTH >= line.length;
          record(stream, message, Buffer.byteLength(message) + (last ? 1 : 0));
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
    this.#changed(task);
    this.#options.logger.debug('local task stopped', { taskArn: task.taskArn, exitCode: task.snapshot.exitCode, signal });
  }

  /** Tells the task's new state, numbered as ECS numbers its events. */
  #changed(task: LocalTask): void {
    task.version += 1;
    this.#options.onTaskStateChange?.({ ...task.snapshot, jobId: task.jobId, version: task.version });
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

/** The child's pid, group (its own: it is spawned detached) and start time; undefined if it has gone already. */
async function processOf(child: ChildProcess): Promise<JobProcess | undefined> {
  if (child.pid === undefined) return undefined;
  const identity = await identifyProcess(child.pid);
  return identity ? { pid: child.pid, processGroup: child.pid, startTime: identity.startTime } : undefined;
}

/** Whether the recorded process is still there: its pid names a live process that started when it did. */
async function isStillRunning(recorded: JobProcess): Promise<boolean> {
  const now = await identifyProcess(recorded.pid);
  return now !== undefined && now.running && now.startTime === recorded.startTime;
}

/** Waits up to `timeoutMs` for the recorded process to go; true once it has. */
async function untilGone(recorded: JobProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isStillRunning(recorded)) {
    if (Date.now() >= deadline) return false;
    await delay(ORPHAN_POLL_MS);
  }
  return true;
}

function signalProcessGroup(processGroup: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-processGroup, signal);
  } catch {
    // Nothing left in the group.
  }
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
