/**
 * The real `npm start` as a child process — npm, the script line of package.json and the node it
 * runs — for tests of what happens to the whole process tree: signals sent to npm, a second start on
 * the same data directory. Plus the process table and port probes those tests check it with.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 20_000;

export interface NpmStartOptions {
  /** FARGATE_JOBS_DATA_DIR, as the user would type it (relative to the project root, or absolute). */
  dataDir: string;
  /** PORT; 0 (any free port) by default. */
  port?: number;
  /** In a process group of its own (npm its leader), as a shell's job control would start it. */
  detached?: boolean;
}

export interface NpmStart {
  /** npm's pid. */
  pid: number;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with npm's exit code or signal once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ListeningServer {
  url: string;
  port: number;
  token: string;
  /** The pid of the node process that serves (npm's child). */
  serverPid: number;
}

export function spawnNpmStart(options: NpmStartOptions): NpmStart {
  const child = spawn('npm', ['start'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LOG_LEVEL: 'WARN', PORT: String(options.port ?? 0), FARGATE_JOBS_DATA_DIR: options.dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  assert.ok(child.pid, 'npm started');
  return { pid: child.pid, child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Waits for the URL and token the server prints once it listens, and finds its node process. */
export async function waitUntilListening(npm: NpmStart): Promise<ListeningServer> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const url = /^\s*API:\s+(http:\/\/\S+)\s*$/m.exec(npm.stdout())?.[1];
    const token = /^\s*Token:\s+(\S+)\s*$/m.exec(npm.stdout())?.[1];
    if (url && token) {
      // npm's child (the script `exec`s node); a shell in between would be found too.
      const server = processesOf([npm.pid]).find((row) => row.pid !== npm.pid && /^\S*node\s+local\/server\.ts/.test(row.args));
      assert.ok(server, `npm (pid ${npm.pid}) serves, but no node local/server.ts runs under it:\n${formatTable(processTable())}`);
      return { url, token, port: Number(new URL(url).port), serverPid: server.pid };
    }
    if (npm.child.exitCode !== null || npm.child.signalCode !== null) break;
    await delay(25);
  }
  assert.fail(`npm start did not print its URL and token; it printed:\n${npm.stdout()}\n${npm.stderr()}`);
}

/** Resolves with npm's exit, or fails when it has not exited within `timeoutMs`. */
export async function exitWithin(npm: NpmStart, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const timeout = delay(timeoutMs, 'timeout' as const, { ref: false });
  const outcome = await Promise.race([npm.exited, timeout]);
  assert.notEqual(outcome, 'timeout', `npm start (pid ${npm.pid}) did not exit within ${timeoutMs} ms; it printed:\n${npm.stdout()}\n${npm.stderr()}`);
  return outcome as { code: number | null; signal: NodeJS.Signals | null };
}

export interface ProcessRow {
  pid: number;
  ppid: number;
  pgid: number;
  stat: string;
  args: string;
}

/** Every process on the machine that still runs (zombies, already exited, left out). */
export function processTable(): ProcessRow[] {
  const listing = execFileSync('ps', ['-eo', 'pid=,ppid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return listing
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map(([, pid, ppid, pgid, stat, args]) => ({ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), stat: stat ?? '', args: args ?? '' }))
    .filter((row) => !row.stat.startsWith('Z'));
}

export function formatTable(rows: readonly ProcessRow[]): string {
  return rows.map((row) => `${row.pid} ${row.ppid} ${row.pgid} ${row.stat} ${row.args}`).join('\n');
}

/** The processes that are one of `pids`, in a process group one of them leads, or descend from those. */
export function processesOf(pids: readonly number[]): ProcessRow[] {
  const table = processTable();
  const found = new Set(table.filter((row) => pids.includes(row.pid) || pids.includes(row.pgid)).map((row) => row.pid));
  for (let size = 0; size !== found.size; ) {
    size = found.size;
    for (const row of table) if (found.has(row.ppid)) found.add(row.pid);
  }
  return table.filter((row) => found.has(row.pid));
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export async function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls `condition` every 50 ms; fails with `describe()` when it does not hold within `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`after ${timeoutMs} ms: ${describe()}`);
    await delay(50);
  }
}

/** SIGKILLs whatever of `pids` (and the groups they lead) a failed test left running. */
export function killLeftovers(pids: readonly number[]): void {
  for (const row of processesOf(pids)) {
    try {
      process.kill(row.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}
