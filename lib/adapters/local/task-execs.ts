/**
 * The process task runner's execs (design §10): sessions opened into its running tasks
 * (exec-sessions.ts), the commands started when a client attaches to one (exec-process.ts), and their
 * end with their task. Each start and end is logged with the job id; the environment never is.
 */
import { ExecRefusedError } from '#lib/domain/errors.ts';
import type { Logger } from '#lib/domain/logger.ts';
import type { ExecRequest, ExecSession, TaskLastStatus } from '#lib/domain/ports.ts';
import { startExecProcess, type ExecStartFailure, type RunningExec } from './exec-process.ts';
import { ExecSessions } from './exec-sessions.ts';

/** A task as its execs need it: whether it runs, and what they run with while it does. */
export interface ExecTarget {
  jobId: string;
  taskArn: string;
  snapshot: { lastStatus: TaskLastStatus };
  /** The job's work directory and whole environment (secret values in clear): present only while the task runs. */
  workspace?: { cwd: string; env: NodeJS.ProcessEnv };
}

/** What attaching to an exec session came to: refused (`unknown`: 404, `unauthorized`: 401), its command started, or not. */
export type ExecAttachment =
  | { refused: 'unknown' | 'unauthorized' }
  | { jobId: string; started: RunningExec }
  | { jobId: string; failed: ExecStartFailure };

export interface TaskExecsOptions {
  logger: Logger;
  /** Time between the SIGTERM (or SIGHUP) that ends an exec and its SIGKILL. */
  stopGraceMs: number;
  /** The task an exec session is into, if the runner knows it. */
  taskOf(taskArn: string): ExecTarget | undefined;
}

interface PendingExec {
  jobId: string;
  taskArn: string;
  command: string[];
}

export class TaskExecs {
  readonly #options: TaskExecsOptions;
  readonly #sessions: ExecSessions<PendingExec>;
  /** Each running exec, with the task it is into. */
  readonly #running = new Map<RunningExec, string>();
  #serverUrl: string | undefined;

  constructor(options: TaskExecsOptions) {
    this.#options = options;
    this.#sessions = new ExecSessions();
  }

  /** The local server's base URL, once it listens: the sessions' streams are attached to there. */
  setServerUrl(url: string): void {
    this.#serverUrl = url;
  }

  open(request: ExecRequest): ExecSession {
    const task = this.#options.taskOf(request.taskArn);
    if (task?.snapshot.lastStatus !== 'RUNNING' || !task.workspace) {
      throw new ExecRefusedError('JOB_NOT_RUNNING', `job ${request.jobId} does not run on this server: there is nothing to exec into`);
    }
    if (this.#serverUrl === undefined) throw new Error('the local server has not told the task runner its URL: an exec session would have no stream URL');
    const { sessionId, tokenValue } = this.#sessions.open({ jobId: task.jobId, taskArn: task.taskArn, command: request.command });
    return { sessionId, streamUrl: `${this.#serverUrl}/exec-sessions/${sessionId}`, tokenValue, target: `local:${task.jobId}`, region: 'local' };
  }

  /** Claims the session with its token (once) and starts its command, in the job's work directory with the job's environment. */
  async attach(sessionId: string, tokenValue: string): Promise<ExecAttachment> {
    const claim = this.#sessions.claim(sessionId, tokenValue);
    if ('refused' in claim) return claim;
    const { jobId, taskArn, command } = claim.claimed;
    // A task that stops forgets its sessions: one claimed is into a task that runs.
    const workspace = this.#options.taskOf(taskArn)?.workspace;
    if (!workspace) return { refused: 'unknown' };
    const start = await startExecProcess({ argv: command, ...workspace }, { stopGraceMs: this.#options.stopGraceMs });
    if ('failed' in start) {
      this.#options.logger.info('exec could not start', { jobId, command, error: start.failed.message });
      return { jobId, failed: start.failed };
    }
    const exec = start.started;
    this.#running.set(exec, taskArn);
    this.#options.logger.info('exec started', { jobId, command, pid: exec.pid });
    void exec.exit.then((exitCode) => {
      this.#running.delete(exec);
      this.#options.logger.info('exec ended', { jobId, exitCode });
    });
    // The task may have begun to stop while the command started.
    if (this.#options.taskOf(taskArn)?.snapshot.lastStatus !== 'RUNNING') exec.end('SIGTERM');
    return { jobId, started: exec };
  }

  /** The task stops: its execs end (SIGTERM, SIGKILL after the grace period) and its sessions not attached to are forgotten. */
  endWith(taskArn: string): void {
    this.#sessions.discard((pending) => pending.taskArn === taskArn);
    for (const [exec, execTaskArn] of this.#running) if (execTaskArn === taskArn) exec.end('SIGTERM');
  }

  /** Resolves once every exec running now has exited. */
  async ended(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((exec) => exec.exit));
  }
}
