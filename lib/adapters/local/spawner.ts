/**
 * The server's side of the job spawner (spawner-process.ts): forks it once, asks it to start jobs and
 * hands on what it tells. While no job is starting or running, it keeps nothing alive: a server (or a
 * test) may end without closing it, and the spawner then ends with its channel.
 *
 * A spawner that dies is forked again for the next job; the jobs it was starting fail to start and
 * the ones it was watching are reported lost (their output and exit code went with it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '#lib/domain/logger.ts';
import type { SpawnerReply, SpawnRequest } from './spawner-messages.ts';

const SPAWNER_SCRIPT = new URL('./spawner-process.ts', import.meta.url);

/** How a job ended, once its log is flushed; `lost` when the spawner died first. */
export type JobExit = { code: number | null; signal: NodeJS.Signals | null } | 'lost';

/** A started job's pid and its exit to come (a promise: a quick job's exit may come with its start). */
export type SpawnOutcome = { pid: number; exit: Promise<JobExit> } | { error: { code?: string | undefined; message: string } };

export interface SpawnerEvents {
  onLogWritten(jobId: string): void;
}

export class Spawner {
  readonly #events: SpawnerEvents;
  readonly #logger: Logger;
  #child: ChildProcess | undefined;
  /** Requests sent before the spawner said it listens (a message it got earlier would be lost). */
  #unsent: SpawnRequest[] | undefined;
  readonly #starting = new Map<string, (outcome: SpawnOutcome) => void>();
  readonly #running = new Map<string, (exit: JobExit) => void>();

  constructor(events: SpawnerEvents, logger: Logger) {
    this.#events = events;
    this.#logger = logger;
    this.#child = this.#fork();
  }

  spawn(request: SpawnRequest): Promise<SpawnOutcome> {
    const child = (this.#child ??= this.#fork());
    return new Promise((resolve) => {
      this.#starting.set(request.jobId, resolve);
      this.#holdOpen();
      if (this.#unsent) this.#unsent.push(request);
      else this.#send(child, request);
    });
  }

  #send(child: ChildProcess, request: SpawnRequest): void {
    child.send({ spawn: request }, (error) => {
      if (error) this.#started(request.jobId, { error: { message: `the job spawner did not take the job: ${error.message}` } });
    });
  }

  /** Ends the spawner (the jobs it watches are reported lost); the next spawn forks another. */
  close(): void {
    if (this.#child?.connected) this.#child.disconnect();
  }

  #fork(): ChildProcess {
    const child = fork(SPAWNER_SCRIPT, [], {
      // Not the server's flags (--test, --cpu-prof…): the spawner is a plain script.
      execArgv: [],
      // Its own session: a Ctrl-C to the server's terminal is the server's to handle, and the
      // spawner must still report the exits of the jobs the server then stops.
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.#unsent = [];
    child.on('message', (message: SpawnerReply) => this.#onMessage(child, message));
    child.on('error', (error) => {
      this.#logger.warn('the job spawner failed', { error: String(error) });
      // A fork that failed tells no exit: without this its jobs would wait for ever.
      if (child.pid === undefined) this.#onSpawnerExit(child, null, null);
    });
    child.once('exit', (code, signal) => this.#onSpawnerExit(child, code, signal));
    this.#letGo(child);
    return child;
  }

  #onMessage(child: ChildProcess, message: SpawnerReply): void {
    if ('ready' in message) {
      for (const request of this.#unsent ?? []) this.#send(child, request);
      this.#unsent = undefined;
    } else if ('spawned' in message) {
      const exit = new Promise<JobExit>((resolve) => this.#running.set(message.spawned, resolve));
      this.#started(message.spawned, { pid: message.pid, exit });
    } else if ('failed' in message) {
      if (this.#starting.has(message.failed)) this.#started(message.failed, { error: { code: message.code, message: message.message } });
      else this.#exited(message.failed, 'lost');
    } else if ('logged' in message) {
      for (const jobId of message.logged) this.#events.onLogWritten(jobId);
    } else {
      this.#exited(message.exited, { code: message.code, signal: message.signal });
    }
  }

  #started(jobId: string, outcome: SpawnOutcome): void {
    const resolve = this.#starting.get(jobId);
    this.#starting.delete(jobId);
    resolve?.(outcome);
    this.#letGoIfIdle();
  }

  #exited(jobId: string, exit: JobExit): void {
    const resolve = this.#running.get(jobId);
    this.#running.delete(jobId);
    resolve?.(exit);
    this.#letGoIfIdle();
  }

  #onSpawnerExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child === child) {
      this.#child = undefined;
      this.#unsent = undefined;
    }
    const busy = this.#starting.size + this.#running.size > 0;
    if (busy) this.#logger.error('the job spawner exited while jobs were starting or running', { code, signal });
    for (const jobId of [...this.#starting.keys()]) this.#started(jobId, { error: { message: 'the job spawner exited' } });
    for (const jobId of [...this.#running.keys()]) this.#exited(jobId, 'lost');
  }

  /** Keeps the server alive while it waits for the spawner's word on a job. */
  #holdOpen(): void {
    this.#child?.ref();
    this.#child?.channel?.ref();
  }

  #letGoIfIdle(): void {
    if (this.#child && this.#starting.size + this.#running.size === 0) this.#letGo(this.#child);
  }

  #letGo(child: ChildProcess): void {
    child.unref();
    child.channel?.unref();
  }
}
