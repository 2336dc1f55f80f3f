/**
 * The `fargate-jobs` CLI as a child process, as a user or a CI step runs it: its exit code, what it
 * printed on each stream, and a handle to send it signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { LocalServerProcess } from './local-server.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_ENTRY = 'cli/fargate-jobs.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once the CLI has exited. */
  exited: Promise<CliResult>;
}

export interface CliOptions {
  /** Environment on top of this process's, with every FARGATE_JOBS_* variable of it removed. */
  env?: Record<string, string>;
  cwd?: string;
  /** The program and its first arguments; by default the pinned Node running the entry point. */
  command?: string[];
  /** Written to the CLI's stdin, which is then closed; without it, stdin is /dev/null. */
  input?: string;
}

/** An environment that talks to `server` through FARGATE_JOBS_URL and FARGATE_JOBS_TOKEN. */
export function serverEnv(server: LocalServerProcess, extra: Record<string, string> = {}): Record<string, string> {
  return { FARGATE_JOBS_URL: server.url, FARGATE_JOBS_TOKEN: server.token, ...extra };
}

export function startCli(args: readonly string[], options: CliOptions = {}): CliProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FARGATE_JOBS_')));
  const [program, ...first] = options.command ?? [process.execPath, CLI_ENTRY];
  const child = spawn(program!, [...first, ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...inherited, NO_COLOR: '1', ...options.env },
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stdout, stderr }));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs the CLI to its end. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).exited;
}

/** Resolves once `predicate` holds for what the CLI printed on stderr so far (or fails after `timeoutMs`). */
export function untilStderr(cli: CliProcess, predicate: (stderr: string) => boolean, timeoutMs = 15_000): Promise<void> {
  return until(cli, 'stderr', predicate, timeoutMs);
}

/** Resolves once `predicate` holds for what the CLI printed on stdout so far (or fails after `timeoutMs`). */
export function untilStdout(cli: CliProcess, predicate: (stdout: string) => boolean, timeoutMs = 15_000): Promise<void> {
  return until(cli, 'stdout', predicate, timeoutMs);
}

async function until(cli: CliProcess, stream: 'stdout' | 'stderr', predicate: (text: string) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(cli[stream]())) {
    if (Date.now() > deadline) throw new Error(`the CLI never printed what was awaited on ${stream}; its stderr:\n${cli.stderr()}`);
    if (cli.child.exitCode !== null) throw new Error(`the CLI exited (${cli.child.exitCode}) first; its stderr:\n${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
