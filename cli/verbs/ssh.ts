/** `fargate-jobs ssh <id> [-- ssh options]`: waits for the job's address, then becomes `ssh` to it. */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import { isTerminal } from '#lib/domain/job.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import type { VerbSpec } from '../args.ts';
import { EXIT } from '../exit-codes.ts';
import { getJob, pollSecondsUntilConnectable, watchJob } from '../follow.ts';
import { sanitizeMetadata } from '../sanitize.ts';
import { StatusLine } from '../terminal.ts';
import type { VerbContext } from './context.ts';

export const sshSpec: VerbSpec = {
  usage: 'ssh <id> [-- ssh options…]',
  help: `Waits until the job has its address, then runs ssh to it in place of this process: ssh -p <port> [options] -- <user>@<address>,
from the job's connect.port, connect.user and connect.host, each checked (a hint that is not a plain port, user and
address is refused, and nothing runs). Only jobs of an interactive profile (e.g. ssh) have ssh access; for any other
job it says so at once. Options after -- go to ssh before the destination (e.g. -- -L 8080:localhost:80).`,
  options: {},
  positionals: ['id'],
};

/** Where ssh goes: each part checked, so none of them can be read by ssh as an option or a second command. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
}

/** The job's hint cannot be run as given: nothing is. */
export class UnusableHintError extends Error {
  override readonly name = 'UnusableHintError';
}

/** A user name as useradd takes it: nothing ssh or a shell could read as anything else. */
const USER = /^[a-z_][a-z0-9_-]{0,31}$/i;
/** An RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens (never a leading `-`). */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** The only shape of the command a server makes (lib/domain/profile.ts connectHint); read from it only for a server that sends nothing else. */
const HINT_COMMAND = /^ssh -p ([0-9]{1,5}) ([^\s@]+)@(\S+)$/;

/**
 * The target of a job's connect hint. The structured fields (host, port, user) when the server
 * sends them, else the parts of a `ssh -p PORT USER@HOST` command of an older server, matched whole:
 * the command itself is never run, since a server (or whoever answers in its place) could put
 * `-oProxyCommand=…` or `-oLocalCommand=…` in it and run anything on this machine.
 */
export function sshTargetOf(connect: JobDocument['connect']): SshTarget {
  if (connect?.host !== undefined || connect?.port !== undefined || connect?.user !== undefined) {
    return checkedTarget(connect.host, connect.port, connect.user);
  }
  const parts = connect?.ssh === undefined ? null : HINT_COMMAND.exec(connect.ssh);
  if (!parts) throw new UnusableHintError(`its connection hint is not "ssh -p PORT USER@ADDRESS": ${describeValue(connect?.ssh)}`);
  return checkedTarget(parts[3], Number(parts[1]), parts[2]);
}

function checkedTarget(host: unknown, port: unknown, user: unknown): SshTarget {
  if (typeof host !== 'string' || (isIP(host) === 0 && !HOST_NAME.test(host))) {
    throw new UnusableHintError(`its address is not an IP address or host name: ${describeValue(host)}`);
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UnusableHintError(`its port is not a whole number from 1 to 65535: ${describeValue(port)}`);
  }
  if (typeof user !== 'string' || !USER.test(user)) throw new UnusableHintError(`its user is not a plain user name: ${describeValue(user)}`);
  return { host, port, user };
}

/** A value the server sent, quoted for a message: JSON shows what is in it and no control character reaches the terminal. */
function describeValue(value: unknown): string {
  return value === undefined ? '(none)' : sanitizeMetadata(JSON.stringify(value));
}

/**
 * ssh's argv: the user's own options first (ssh takes the first value given for most settings, so
 * theirs win), then the port, then `--` so that the destination can never be read as an option.
 */
export function sshArgv(target: SshTarget, extra: readonly string[] = []): string[] {
  return ['ssh', ...extra, '-p', String(target.port), '--', `${target.user}@${target.host}`];
}

export async function ssh(context: VerbContext): Promise<number> {
  const client = context.client();
  const first = await getJob(client, context.command.args.id!);
  // Only interactive profiles' jobs carry a hint from submission on: without one, none will come.
  if (first.connect === undefined) return refuse(context, noSshAccess(first));
  const status = new StatusLine(context.out);
  const job = await watchJob(client, first, (next) => status.update(next), (next) => hasAddress(next) || isTerminal(next.status), pollSecondsUntilConnectable);
  status.stop();
  if (!hasAddress(job)) {
    return refuse(context, `${job.id} is ${job.status} and has no ssh connection${job.failure ? `: ${job.failure.message}` : ''}`);
  }
  let argv: string[];
  try {
    argv = sshArgv(sshTargetOf(job.connect), context.command.rest);
  } catch (error) {
    if (!(error instanceof UnusableHintError)) throw error;
    return refuse(context, `not running ssh to ${job.id}: ${error.message}`);
  }
  context.out.stderr.write(`fargate-jobs: ${argv.join(' ')}\n`);
  return becomeProgram(argv);
}

function hasAddress(job: JobDocument): boolean {
  return job.connect?.host !== undefined || job.connect?.ssh !== undefined;
}

function noSshAccess(job: JobDocument): string {
  return `${job.id} (profile '${job.profile}') has no ssh access: only jobs of an interactive profile (such as ssh) can be reached, e.g. fargate-jobs run --profile ssh --ssh-key ~/.ssh/id_ed25519.pub -- sleep 3600`;
}

function refuse(context: VerbContext, message: string): number {
  context.out.stderr.write(`fargate-jobs: ${sanitizeMetadata(message)}\n`);
  return EXIT.API_UNREACHABLE_OR_REFUSED_CALLER;
}

/** Replaces this process with `argv` (execve where Node has it), or runs it with our terminal and passes its exit on. */
async function becomeProgram(argv: string[]): Promise<number> {
  const [file, ...args] = argv as [string, ...string[]];
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  const path = execve ? findOnPath(file) : undefined;
  if (execve && path) execve(path, argv, process.env);
  const child = spawn(file, args, { stdio: 'inherit' });
  // The terminal's Ctrl-C reaches ssh directly; ours must not end the wait for it.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`fargate-jobs: could not run ${file}: ${error.message}\n`);
      resolve(EXIT.COMMAND_NOT_FOUND);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  });
}

/** execve takes a path, not a name to look up. */
function findOnPath(file: string): string | undefined {
  if (file.includes('/')) return file;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    const candidate = `${dir}/${file}`;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; the next one
    }
  }
  return undefined;
}
