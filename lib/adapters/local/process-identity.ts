/**
 * Which process a pid names right now. A pid is reused once its process has gone, so the process
 * task runner records each job process's start time next to its pid, and signals a process it did
 * not start itself (one a crashed server left behind) only if that pid still names a process that
 * started at that very time. On Linux the start time is field 22 of /proc/<pid>/stat (clock ticks
 * since boot); elsewhere `ps -o lstart=` (to the second).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { JobProcess } from '#lib/domain/job.ts';

const run = promisify(execFile);

export interface ProcessIdentity {
  /** Equal for one process, different for a later process given the same pid. */
  startTime: string;
  /** false for a zombie: it has exited and only waits for its parent to reap it. */
  running: boolean;
}

/** The process `pid` names now, or undefined when there is none. */
export async function identifyProcess(pid: number): Promise<ProcessIdentity | undefined> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return process.platform === 'linux' ? fromProcStat(pid) : fromPs(pid);
}

async function fromProcStat(pid: number): Promise<ProcessIdentity | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(stat);
}

/**
 * `pid (comm) state ppid … starttime …`: the command name may hold spaces and parentheses, so the
 * fields are counted from the last `)`. The first field after it is field 3 (state), so field 22
 * (starttime) is the 20th.
 */
export function parseProcStat(stat: string): ProcessIdentity | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/);
  const state = fields[0];
  const startTime = fields[19];
  if (!state || !startTime || !/^\d+$/.test(startTime)) return undefined;
  return { startTime, running: state !== 'Z' && state !== 'X' };
}

async function fromPs(pid: number): Promise<ProcessIdentity | undefined> {
  let stdout: string;
  try {
    ({ stdout } = await run('ps', ['-o', 'stat=', '-o', 'lstart=', '-p', String(pid)]));
  } catch {
    // ps exits non-zero when no process has that pid.
    return undefined;
  }
  const [state, ...started] = stdout.trim().split(/\s+/);
  if (!state || started.length === 0) return undefined;
  return { startTime: started.join(' '), running: !state.startsWith('Z') };
}

/** How often a process being stopped is looked at. */
const ORPHAN_POLL_MS = 50;

/** The child's pid, group (its own: it is spawned detached) and start time; undefined if it has gone already. */
export async function processOf(pid: number): Promise<JobProcess | undefined> {
  const identity = await identifyProcess(pid);
  return identity ? { pid, processGroup: pid, startTime: identity.startTime } : undefined;
}

/** Whether the recorded process is still there: its pid names a live process that started when it did. */
export async function isStillRunning(recorded: JobProcess): Promise<boolean> {
  const now = await identifyProcess(recorded.pid);
  return now !== undefined && now.running && now.startTime === recorded.startTime;
}

/** Waits up to `timeoutMs` for the recorded process to go; true once it has. */
export async function untilGone(recorded: JobProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isStillRunning(recorded)) {
    if (Date.now() >= deadline) return false;
    await delay(ORPHAN_POLL_MS);
  }
  return true;
}
