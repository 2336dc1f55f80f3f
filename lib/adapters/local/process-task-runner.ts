/**
 * The TaskRunner port in local mode: a "task" is a child process. The argv runs with no shell, in a
 * per-job work directory; every stdout/stderr line is timestamped into the job's log file, up to a
 * limit on the bytes the job wrote (past it the output is read and discarded, and the file ends
 * with one marker line that the reader reports as `truncated`, never as a line of output); a
 * stop sends SIGTERM to the process group and SIGKILL after a grace period. Work directories and
 * logs hold the user's commands and output: only the user may read them (0700 directories, 0600 logs).
 * Each attempt of a retried job is a task of its own (`…/<job>-<attempt>` after the first), run in
 * the same work directory, its lines appended to the same log, each marked with its attempt.
 *
 * Each child is its own process group (so a stop reaches its children), which also means it outlives
 * a server that is killed. The runner reports each one's pid, group and start time; a runner started
 * later stops such a process when asked to stop its task, if that pid still names the same process.
 *
 * The processes are started, and their output written to the logs, by a small spawner process
 * (spawner-process.ts) forked once: forking from the server would copy the whole server, on its main
 * thread, for every job. Stops still signal the job's process group from here.
 *
 * While a task runs one may exec into it (task-execs.ts): the command runs in the job's work
 * directory with the job's whole environment, which the task keeps in memory until it stops (never
 * stored or logged). A task that stops ends its execs.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { TaskNotFoundError } from '#lib/domain/errors.ts';
import { isJobId } from '#lib/domain/ids.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { JobProcess } from '#lib/domain/job.ts';
import type { ExecRequest, ExecSession, RunTaskRequest, RunTaskResult, StopTaskOptions, TaskRunner, TaskSnapshot } from '#lib/domain/ports.ts';
import type { TaskStateChange } from '#lib/domain/task-events.ts';
import { logFilePath } from './file-log-reader.ts';
import { isStillRunning, processOf, untilGone } from './process-identity.ts';
import { ensurePrivateDirectory } from './private-files.ts';
import { Spawner, type JobExit } from './spawner.ts';
import { TaskExecs, type ExecAttachment, type ExecTarget } from './task-execs.ts';

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
  /**
   * Told once lines of a job's output have reached its log file (so that a waiting reader finds them
   * there): at least once after each line, once for the lines the spawner wrote in one turn of its loop.
   */
  onLogWritten?: (jobId: string) => void;
  /**
   * Told of each change of a task's state (running, stopping, stopped), as ECS tells EventBridge:
   * local mode applies them with the same code as the event Lambda.
   */
  onTaskStateChange?: (change: TaskStateChange) => void;
}

interface LocalTask extends ExecTarget {
  taskArn: string;
  jobId: string;
  /** Counts the task's state changes, as ECS's `version` does. */
  version: number;
  /** The job's main process, the leader of its own process group. */
  pid: number;
  /** Set once the spawner has told its exit: its pid and group may then name other processes. */
  exited: boolean;
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
/** How long a process is given to go after SIGKILL. */
const KILL_WAIT_MS = 2000;
/** The stop code of a job whose command does not exist on this machine (local mode only). */
export const COMMAND_NOT_FOUND = 'CommandNotFound';
/** The stop code of a job whose spawner died while it ran: its output and exit code are lost (FAILED/INTERNAL). */
export const SPAWNER_LOST = 'SpawnerExited';
const SPAWNER_LOST_REASON = "the local job spawner exited while the job ran: its output from then on and its exit code are lost; the job was killed";

export class ProcessTaskRunner implements TaskRunner {
  readonly #options: ProcessTaskRunnerOptions;
  readonly #tasks = new Map<string, LocalTask>();
  readonly #starting = new Map<string, Promise<RunTaskResult>>();
  readonly #spawner: Spawner;
  readonly #execs: TaskExecs;

  constructor(options: ProcessTaskRunnerOptions) {
    this.#options = options;
    this.#execs = new TaskExecs({ logger: options.logger, stopGraceMs: this.#stopGraceMs, taskOf: (taskArn) => this.#tasks.get(taskArn) });
    ensurePrivateDirectory(join(options.dataDir, 'logs'));
    ensurePrivateDirectory(join(options.dataDir, 'work'));
    this.#spawner = new Spawner({ onLogWritten: (jobId) => options.onLogWritten?.(jobId) }, options.logger);
  }

  /** Like RunTask's clientToken: starting the same attempt at a job again, even while it starts, gives the same task. */
  runTask(request: RunTaskRequest): Promise<RunTaskResult> {
    const taskArn = localTaskArn(request.jobId, request.attempt);
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
    const env = { ...(this.#options.baseEnv ?? process.env), ...request.env };
    const spawned = await this.#spawner.spawn({
      jobId: request.jobId,
      file,
      args,
      cwd,
      env,
      logFile: logFilePath(this.#options.dataDir, request.jobId),
      maxLogBytes: this.#options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES,
      ...(request.attempt === undefined ? {} : { attempt: request.attempt }),
    });
    if ('error' in spawned) {
      return {
        started: false,
        failure: {
          category: 'START_FAILED',
          message: `could not start '${file}': ${describeSpawnError(spawned.error)}`,
          // What a shell answers with 127: the CLI exits 127 on it, as the command run here would.
          ...(spawned.error.code === 'ENOENT' ? { stopCode: COMMAND_NOT_FOUND } : {}),
        },
      };
    }

    const startedAt = new Date().toISOString();
    const task: LocalTask = {
      taskArn,
      jobId: request.jobId,
      version: 0,
      pid: spawned.pid,
      exited: false,
      // A process can be exec'ed into as soon as it runs.
      snapshot: { taskArn, lastStatus: 'RUNNING', execAgentStatus: 'RUNNING', startedAt, network: { privateIp: '127.0.0.1', publicIp: null } },
      stopped: Promise.resolve(),
      workspace: { cwd, env },
    };
    task.stopped = spawned.exit.then((exit) => this.#exited(task, exit));
    this.#tasks.set(taskArn, task);
    this.#changed(task);
    // Only once it is watched: a quick command may exit meanwhile.
    const identity = await processOf(spawned.pid);
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
    task.snapshot = { ...task.snapshot, lastStatus: 'STOPPING', execAgentStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: reason };
    this.#changed(task);
    signalGroup(task, 'SIGTERM');
    task.killTimer = setTimeout(() => signalGroup(task, 'SIGKILL'), this.#stopGraceMs);
    task.killTimer.unref();
    this.#execs.endWith(taskArn);
  }

  /** The local server's base URL, where exec sessions' streams are attached to. */
  setServerUrl(url: string): void {
    this.#execs.setServerUrl(url);
  }

  /** Opens an exec session into a running task of this runner; its command starts once a client attaches (attachExec). */
  async execCommand(request: ExecRequest): Promise<ExecSession> {
    return this.#execs.open(request);
  }

  /** Claims an opened exec session with its token, once, and starts its command. */
  attachExec(sessionId: string, tokenValue: string): Promise<ExecAttachment> {
    return this.#execs.attach(sessionId, tokenValue);
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
    await untilGone(recorded, this.#stopGraceMs);
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
    await this.#execs.ended();
  }

  /** Ends the job spawner once no task runs (the server is done); a later runTask forks another. */
  close(): void {
    this.#spawner.close();
  }

  /** Reports STOPPED once the spawner has told the job's exit (its log is flushed by then). */
  #exited(task: LocalTask, outcome: JobExit): void {
    task.exited = true;
    clearTimeout(task.killTimer);
    delete task.workspace;
    this.#execs.endWith(task.taskArn);
    if (outcome === 'lost') {
      // Nothing reads its output any more, and nothing would see it exit.
      killGroup(task.pid);
      task.snapshot = {
        ...task.snapshot,
        lastStatus: 'STOPPED',
        execAgentStatus: 'STOPPED',
        stoppedAt: new Date().toISOString(),
        exitCode: null,
        // A stop asked for stays the reason (a cancel stays a cancel).
        ...(task.snapshot.stopCode ? {} : { stopCode: SPAWNER_LOST, stoppedReason: SPAWNER_LOST_REASON }),
      };
    } else {
      const { code, signal } = outcome;
      task.snapshot = {
        ...task.snapshot,
        lastStatus: 'STOPPED',
        execAgentStatus: 'STOPPED',
        stoppedAt: new Date().toISOString(),
        // A signal death reports 128 + the signal's number, as a container runtime does (SIGKILL → 137).
        exitCode: code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : null),
        ...(task.snapshot.stopCode ? {} : { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }),
      };
    }
    this.#changed(task);
    this.#options.logger.debug('local task stopped', { taskArn: task.taskArn, exitCode: task.snapshot.exitCode, outcome });
  }

  get #stopGraceMs(): number {
    return this.#options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
  }

  /** Tells the task's new state, numbered as ECS numbers its events. */
  #changed(task: LocalTask): void {
    task.version += 1;
    this.#options.onTaskStateChange?.({ ...task.snapshot, jobId: task.jobId, version: task.version });
  }
}

/** The task of a job's attempt (1 when absent): a later attempt's ends in `-<attempt>`, as its ECS clientToken does. */
export function localTaskArn(jobId: string, attempt = 1): string {
  return `arn:local:ecs:local:000000000000:task/local/${jobId}${attempt > 1 ? `-${attempt}` : ''}`;
}

function describeSpawnError(error: { code?: string | undefined; message: string }): string {
  if (error.code === 'ENOENT') return 'no such file or command';
  if (error.code === 'EACCES') return 'permission denied';
  return error.code ?? error.message;
}

function signalProcessGroup(processGroup: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-processGroup, signal);
  } catch {
    // Nothing left in the group.
  }
}

function signalGroup(task: LocalTask, signal: NodeJS.Signals): void {
  if (task.exited) return;
  try {
    process.kill(-task.pid, signal);
  } catch {
    // The group is already gone: the process exited between the check and the signal.
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Nothing left in the group.
  }
}
