/**
 * The job spawner: a small process the process task runner forks once and asks, over its IPC channel,
 * to start each job. Forking copies the forking process's memory map, and libuv forks on the main
 * thread: done by the server, each spawn stalled every request for milliseconds. From here it copies
 * this small process instead, off the server's thread.
 *
 * It starts each job as the runner used to (argv, no shell, its own process group, its work dir)
 * and records its output in the job's log file itself, so no output crosses the channel. It tells
 * `spawned`/`failed` for each request, `logged` once lines are in a job's log, and `exited` once a
 * job has exited and its log is flushed. Signals go from the server straight to the job's group.
 *
 * It lives as long as its channel: when the server goes (even SIGKILLed) it exits, leaving the jobs
 * running, as the server's own children were left before.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { captureOutput, closeStream, openLogFile } from './job-output.ts';
import type { SpawnerReply, SpawnRequest } from './spawner-messages.ts';

function reply(message: SpawnerReply): void {
  process.send?.(message);
}

/** Jobs whose log got lines since the last `logged`: one message a turn of the loop, not one a line. */
const logged = new Set<string>();
function noteLogged(jobId: string): void {
  if (logged.size === 0) setImmediate(flushLogged);
  logged.add(jobId);
}
function flushLogged(): void {
  if (logged.size === 0) return;
  reply({ logged: [...logged] });
  logged.clear();
}

async function start(request: SpawnRequest): Promise<void> {
  const { jobId } = request;
  const logFile = openLogFile(request.logFile);
  const child = spawn(request.file, request.args, {
    cwd: request.cwd,
    env: request.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a stop reaches the command's children too.
    detached: true,
    shell: false,
  });
  const spawnError = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error: NodeJS.ErrnoException) => resolve(error));
  });
  if (spawnError || child.pid === undefined) {
    await closeStream(logFile);
    reply({ failed: jobId, code: spawnError?.code, message: spawnError?.message ?? 'no pid' });
    return;
  }
  const pid = child.pid;
  reply({ spawned: jobId, pid });
  const exited = once(child, 'exit').then((outcome) => {
    // As when a container's main process exits: whatever it left running in its group goes too,
    // so a background child holding stdout open cannot keep the task alive.
    killGroup(pid);
    return outcome as [number | null, NodeJS.Signals | null];
  });
  await captureOutput(child, logFile, { maxLogBytes: request.maxLogBytes, exited, onWritten: () => noteLogged(jobId), ...(request.attempt === undefined ? {} : { attempt: request.attempt }) });
  const [code, signal] = await exited;
  flushLogged();
  reply({ exited: jobId, code, signal });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Nothing left in the group.
  }
}

process.on('message', (message: { spawn?: SpawnRequest }) => {
  const request = message.spawn;
  if (!request) return;
  start(request).catch((error: unknown) => {
    reply({ failed: request.jobId, message: String(error) });
  });
});
// The server has gone (or closed the runner): so does the spawner.
process.on('disconnect', () => process.exit(0));
reply({ ready: true });
