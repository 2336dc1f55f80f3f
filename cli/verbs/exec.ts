/** `fargate-jobs exec <id> [--wait 2m] [-- cmd args…]`: a command (or the profile's shell) inside a running job. */
import { parseDuration, type VerbSpec } from '../args.ts';
import { attachExecSession, DEFAULT_EXEC_WAIT_SECONDS, openExecSession } from '../exec-session.ts';
import { getJob } from '../follow.ts';
import { PLUGIN, PLUGIN_INSTALL_URL, SessionManagerPlugin } from '../session-manager-plugin.ts';
import { StatusLine } from '../terminal.ts';
import { stringValue, type VerbContext } from './context.ts';

export const EXEC_HELP = `On AWS the session is ECS Exec's, opened by ${PLUGIN}, as aws ecs execute-command opens it
(install it from ${PLUGIN_INSTALL_URL});
its exit code is the plugin's. Locally the command runs in the job's work directory, with our stdin, stdout and
stderr as pipes (no terminal), and its exit code is ours. Its output reaches the terminal as it writes it (as ssh's).`;

export const execSpec: VerbSpec = {
  usage: 'exec <id> [--wait 2m] [-- cmd args…]',
  help: `Runs cmd (by default the profile's shell) inside the job, with this terminal, and exits with its exit code.
Waits, with progress on stderr, while the job starts and until its exec agent is ready.
  --wait d   how long to wait for that: 90s, 10m, 1h30m or seconds (default ${DEFAULT_EXEC_WAIT_SECONDS}s; then exit 124)
${EXEC_HELP}
Only jobs of a profile with exec take one, and only from their submitter (or a token for every profile).`,
  options: { wait: { type: 'string' } },
  positionals: ['id'],
  command: 'optional',
};

/** --wait in seconds, for `verb`. */
export function execWaitSeconds(context: VerbContext, verb: string): number {
  const flag = stringValue(context, 'wait');
  return flag === undefined ? DEFAULT_EXEC_WAIT_SECONDS : parseDuration(flag, '--wait', verb);
}

export async function exec(context: VerbContext): Promise<number> {
  const waitSeconds = execWaitSeconds(context, 'exec');
  const rest = context.command.rest;
  const job = await getJob(context.client(), context.command.args.id!);
  const plugin = new SessionManagerPlugin(context.env);
  const status = new StatusLine(context.out);
  let session;
  try {
    session = await openExecSession(context, job, { command: rest.length > 0 ? rest : undefined, waitSeconds, status, plugin });
  } finally {
    status.stop();
  }
  return attachExecSession(context, session, plugin);
}
