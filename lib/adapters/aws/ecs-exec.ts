/**
 * ECS Exec's side of the ECS task runner: what a task's description says about its exec agent, the
 * ExecuteCommand request and what its answer (or refusal) means. ExecuteCommand opens a Session
 * Manager session into a container; the caller's session-manager-plugin attaches to it with the
 * session, its target (`ecs:<cluster>_<task id>_<container runtime id>`) and the region.
 */
import type { Container, ExecuteCommandCommandInput, ExecuteCommandCommandOutput } from '@aws-sdk/client-ecs';
import { ExecRefusedError } from '#lib/domain/errors.ts';
import type { ExecSession } from '#lib/domain/ports.ts';

/** The managed agent ECS runs beside a container of a task started with `enableExecuteCommand`. */
export const EXEC_AGENT = 'ExecuteCommandAgent';
/** How long a client waits before asking again when the agent has not connected yet. */
export const AGENT_NOT_CONNECTED_RETRY_SECONDS = 2;

/** Words a shell would read as themselves: left unquoted. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
/**
 * ECS's answer to an exec into a task started without `enableExecuteCommand` ("The execute command
 * failed because execute command was not enabled when the task was run or the execute command agent
 * isn't running…").
 */
const EXEC_NOT_ENABLED = /execute command was not enabled/i;

/** The exec agent of a container (DescribeTasks, or a task-state-change event: the same shape) and its runtime id. */
export function execStateOf(container: Container | undefined): { execAgentStatus?: string; runtimeId?: string } {
  const agent = container?.managedAgents?.find((candidate) => candidate.name === EXEC_AGENT);
  return {
    ...(agent?.lastStatus ? { execAgentStatus: agent.lastStatus } : {}),
    ...(container?.runtimeId ? { runtimeId: container.runtimeId } : {}),
  };
}

/**
 * ExecuteCommand takes one string, not argv. The agent in the task splits it into words the way a
 * shell does (quotes, backslashes) but runs no shell, so that `sh -c 'a && b'` reaches sh as three
 * arguments and `&&` outside quotes is just a word. Each element that is not a plain word is therefore
 * single-quoted, POSIX style (a `'` inside becomes `'\''`), so that it arrives as exactly one argument.
 */
export function commandLine(argv: readonly string[]): string {
  return argv.map((word) => (PLAIN_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)).join(' ');
}

export function executeCommandInput(cluster: string, taskArn: string, container: string, argv: readonly string[]): ExecuteCommandCommandInput {
  // Non-interactive exec does not exist on ECS: every session has a terminal.
  return { cluster, task: taskArn, container, interactive: true, command: commandLine(argv) };
}

/** The session ExecuteCommand opened, with the target session-manager-plugin attaches to. */
export function execSessionOf(response: ExecuteCommandCommandOutput, target: string, region: string): ExecSession {
  const { sessionId, streamUrl, tokenValue } = response.session ?? {};
  if (!sessionId || !streamUrl || !tokenValue) throw new Error(`ExecuteCommand answered no session for ${target}`);
  return { sessionId, streamUrl, tokenValue, target, region };
}

/** `ecs:<cluster name>_<task id>_<runtime id>`: the Session Manager target of a task's container. */
export function execTarget(cluster: string, taskId: string, runtimeId: string): string {
  return `ecs:${cluster}_${taskId}_${runtimeId}`;
}

/** What an ExecuteCommand refusal means for the caller, or undefined for one that is the runner's own trouble (a 500). */
export function execRefusalOf(error: unknown): ExecRefusedError | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'TargetNotConnectedException') {
    // The agent reports RUNNING a moment before Session Manager can reach it.
    return new ExecRefusedError('EXEC_NOT_READY', `the job's exec agent is not connected yet; ask again in ${AGENT_NOT_CONNECTED_RETRY_SECONDS} s`, {
      retryAfterSeconds: AGENT_NOT_CONNECTED_RETRY_SECONDS,
    });
  }
  if (error.name === 'InvalidParameterException' && EXEC_NOT_ENABLED.test(error.message)) {
    return new ExecRefusedError('EXEC_NOT_ALLOWED', "the job's task was started without ECS Exec (or its exec agent no longer runs): start a new job to exec into");
  }
  return undefined;
}
