/**
 * One exec's command as a process: its argv with no shell, in the job's work directory and with the
 * job's environment, the leader of its own process group (a signal reaches what it starts), its
 * stdin, stdout and stderr pipes, never a terminal. The server starts it itself, not through the job
 * spawner: its streams go to the server's connection with the client, and an exec is rare.
 *
 * When the command exits, what it left running in its group is killed, as a job's group goes with
 * its main process: nothing in the background keeps the session's streams open.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';

export interface ExecCommand {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface RunningExec {
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The command's exit code once it has exited: 128 + the signal's number for a signal death, as a shell says it. */
  readonly exit: Promise<number>;
  /** Sends `signal` to the exec's process group (nothing once it has exited). */
  signal(signal: NodeJS.Signals): void;
  /** Ends the exec: `signal` to its group now, SIGKILL once the grace period is over. */
  end(signal: NodeJS.Signals): void;
}

/** A command that could not start: the message for the person, and the exit code a shell gives (127 not found, 126 not executable). */
export interface ExecStartFailure {
  exitCode: number;
  message: string;
}

export type ExecStart = { started: RunningExec } | { failed: ExecStartFailure };

export async function startExecProcess(command: ExecCommand, options: { stopGraceMs: number }): Promise<ExecStart> {
  const [file, ...args] = command.argv;
  if (!file) return { failed: { exitCode: 127, message: 'the command is empty' } };
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(file, args, { cwd: command.cwd, env: command.env, detached: true, stdio: 'pipe', shell: false });
  } catch (error) {
    // Arguments no process can be given (a NUL byte) are refused before any is started.
    return { failed: { exitCode: 126, message: `could not start ${file}: ${(error as Error).message}` } };
  }
  // Listened to before the spawn is awaited: a quick command's exit comes right after it.
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
  const spawnError = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (spawnError || child.pid === undefined) {
    for (const stream of [child.stdin, child.stdout, child.stderr]) stream.destroy();
    return { failed: startFailure(file, spawnError) };
  }
  // A kill that fails is told as an 'error': the group has gone, nothing to do.
  child.on('error', () => undefined);
  // A command that closed its stdin makes a later write fail (EPIPE): the input has nowhere to go.
  child.stdin.on('error', () => undefined);
  const pid = child.pid;
  let running = true;
  let killTimer: NodeJS.Timeout | undefined;
  return {
    started: {
      pid,
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      exit: exited.then(([code, signal]) => {
        running = false;
        clearTimeout(killTimer);
        signalGroup(pid, 'SIGKILL');
        return code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
      }),
      signal(signal) {
        if (running) signalGroup(pid, signal);
      },
      end(signal) {
        if (!running) return;
        signalGroup(pid, signal);
        killTimer ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), options.stopGraceMs).unref();
      },
    },
  };
}

function startFailure(file: string, error: NodeJS.ErrnoException | undefined): ExecStartFailure {
  if (error?.code === 'ENOENT') return { exitCode: 127, message: `no such file or command: ${file}` };
  if (error?.code === 'EACCES') return { exitCode: 126, message: `permission denied: ${file}` };
  return { exitCode: 126, message: `could not start ${file}: ${error?.code ?? error?.message ?? 'no process'}` };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Nothing left in the group.
  }
}
