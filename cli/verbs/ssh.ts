/** `fargate-jobs ssh <id> [-- ssh options]`: waits for the job's connection hint, then becomes `ssh`. */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { isTerminal } from '#lib/domain/job.ts';
import type { VerbSpec } from '../args.ts';
import { EXIT } from '../exit-codes.ts';
import { getJob, pollSecondsUntilConnectable, watchJob } from '../follow.ts';
import { StatusLine } from '../terminal.ts';
import type { VerbContext } from './context.ts';

export const sshSpec: VerbSpec = {
  usage: 'ssh <id> [-- ssh options…]',
  help: `Waits until the job has its connection hint (connect.ssh, e.g. "ssh -p 2222 jobs@203.0.113.7"), then runs ssh to it
in place of this process. Options after -- go to ssh before the destination (e.g. -- -L 8080:localhost:80).`,
  options: {},
  positionals: ['id'],
};

/**
 * The argv of a hint, split on whitespace (hints are made by the server from a port, a user and an
 * address: no quoting), with `extra` options placed before its destination.
 */
export function sshArgv(hint: string, extra: readonly string[] = []): string[] {
  const words = hint.trim().split(/\s+/);
  if (words[0] !== 'ssh' || words.length < 2) throw new Error(`the job's connection hint is not an ssh command: '${hint}'`);
  return ['ssh', ...extra, ...words.slice(1)];
}

export async function ssh(context: VerbContext): Promise<number> {
  const client = context.client();
  const status = new StatusLine(context.out);
  const job = await watchJob(
    client,
    await getJob(client, context.command.args.id!),
    (next) => status.update(next),
    (next) => next.connect?.ssh !== undefined || isTerminal(next.status),
    pollSecondsUntilConnectable,
  );
  status.stop();
  if (job.connect?.ssh === undefined) {
    context.out.stderr.write(`fargate-jobs: ${job.id} is ${job.status} and has no ssh connection${job.failure ? `: ${job.failure.message}` : ''}\n`);
    return EXIT.API_UNREACHABLE_OR_REFUSED_CALLER;
  }
  const argv = sshArgv(job.connect.ssh, context.command.rest);
  context.out.stderr.write(`fargate-jobs: ${argv.join(' ')}\n`);
  return becomeProgram(argv);
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
