/**
 * Handing an ECS Exec session to AWS's `session-manager-plugin`, exactly as the AWS CLI does
 * (`aws ecs execute-command`, `aws ssm start-session`): six arguments — the session, the region,
 * `StartSession`, an empty profile, `{"Target": …}` and the ECS endpoint — with the terminal
 * inherited. A plugin newer than 1.2.497.0 takes the session from the environment variable the first
 * argument names, so its token never shows in `ps`; an older one (or one whose version cannot be
 * read) gets the session itself, as the AWS CLI gives it.
 */
import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { ExitError } from './exit-codes.ts';

export const PLUGIN = 'session-manager-plugin';
export const PLUGIN_INSTALL_URL = 'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html';
export const PLUGIN_MISSING_MESSAGE = `${PLUGIN} is not installed (or not on PATH): install it from ${PLUGIN_INSTALL_URL}`;
/** The AWS CLI's LAST_PLUGIN_VERSION_WITHOUT_ENV_VAR: versions after it read the session from the environment. */
export const LAST_PLUGIN_VERSION_WITHOUT_ENV = '1.2.497.0';
export const SESSION_ENV_NAME = 'AWS_SSM_START_SESSION_RESPONSE';

/** As a shell says it: 127 for a program not found, 126 for one found that cannot run. */
const NOT_FOUND = 127;
const CANNOT_RUN = 126;

/** An ECS Exec session, as `POST /jobs/{id}/exec` answers it (target `ecs:<cluster>_<taskId>_<runtimeId>`). */
export interface EcsExecSession {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
  target: string;
  region: string;
}

export interface PluginInvocation {
  args: string[];
  env: NodeJS.ProcessEnv;
}

const PLUGIN_VERSION = /^\d+(\.\d+){0,3}$/;
/** us-east-1, eu-central-2, us-gov-west-1, cn-north-1: the region becomes part of a URL the plugin calls with your credentials. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** a < b: negative, a = b: 0, a > b: positive; dotted whole numbers, the shorter padded with zeros. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Whether the plugin that printed `versionOutput` (for `--version`) reads the session from SESSION_ENV_NAME. */
export function takesSessionFromEnv(versionOutput: string): boolean {
  const version = versionOutput.replace(/\s+/g, '');
  return PLUGIN_VERSION.test(version) && compareVersions(version, LAST_PLUGIN_VERSION_WITHOUT_ENV) > 0;
}

/** The ECS endpoint of a region, which the AWS CLI passes as the plugin's sixth argument. */
export function ecsEndpoint(region: string): string {
  return `https://ecs.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** The plugin's arguments and environment for `session`, given what `session-manager-plugin --version` printed. */
export function pluginInvocation(session: EcsExecSession, versionOutput: string, env: NodeJS.ProcessEnv): PluginInvocation {
  if (!REGION.test(session.region)) {
    throw new ExitError(`the server sent an exec session for region ${JSON.stringify(session.region)}, which is not an AWS region name: not running ${PLUGIN}`, 1);
  }
  // ExecuteCommand's `session` as ECS answers it, which is what `aws ecs execute-command` hands the plugin.
  const sessionJson = JSON.stringify({ sessionId: session.sessionId, streamUrl: session.streamUrl, tokenValue: session.tokenValue });
  const fromEnv = takesSessionFromEnv(versionOutput);
  return {
    args: [fromEnv ? SESSION_ENV_NAME : sessionJson, session.region, 'StartSession', '', JSON.stringify({ Target: session.target }), ecsEndpoint(session.region)],
    env: fromEnv ? { ...env, [SESSION_ENV_NAME]: sessionJson } : env,
  };
}

function failedToRun(error: { code?: unknown; message: string }): ExitError {
  if (error.code === 'ENOENT') return new ExitError(PLUGIN_MISSING_MESSAGE, NOT_FOUND);
  return new ExitError(`could not run ${PLUGIN}: ${typeof error.code === 'string' ? error.code : error.message}`, CANNOT_RUN);
}

/**
 * What `session-manager-plugin --version` prints; an ExitError (127) when it is not installed. A
 * plugin that fails to say is run all the same, as the AWS CLI would (with the session in argv).
 */
export function pluginVersion(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PLUGIN, ['--version'], { env, timeout: 10_000 }, (error, stdout) => {
      // It could not be started at all (ENOENT, EACCES), rather than started and failed.
      if (error !== null && (error as NodeJS.ErrnoException).syscall?.startsWith('spawn')) reject(failedToRun(error));
      else resolve(error ? '' : stdout);
    });
  });
}

/** Asks the plugin its version once, the first time it is needed. */
export class SessionManagerPlugin {
  readonly #env: NodeJS.ProcessEnv;
  #version: Promise<string> | undefined;

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = env;
  }

  version(): Promise<string> {
    return (this.#version ??= pluginVersion(this.#env));
  }

  /** Runs the plugin on `session` with our terminal; resolves to its exit code. */
  async start(session: EcsExecSession): Promise<number> {
    return runPlugin(pluginInvocation(session, await this.version(), this.#env));
  }
}

/** Keys of the terminal that the plugin, sharing it, handles itself: the AWS CLI ignores them while it runs. */
const LEFT_TO_THE_PLUGIN = ['SIGINT', 'SIGQUIT', 'SIGTSTP'] as const;
/** Sent to this process alone (a CI runner, `kill`): passed on, so that the plugin ends its session and we can clean up after it. */
const PASSED_ON = ['SIGTERM', 'SIGHUP'] as const;

/** Runs the plugin with our stdin, stdout and stderr; resolves to its exit code (128 + n after signal n). */
export function runPlugin(invocation: PluginInvocation): Promise<number> {
  const child = spawn(PLUGIN, invocation.args, { stdio: 'inherit', env: invocation.env });
  // A listener, not SIG_IGN: the plugin starts with the default handling of each and decides for itself.
  const ignore = () => undefined;
  const passOn = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of LEFT_TO_THE_PLUGIN) process.on(signal, ignore);
  for (const signal of PASSED_ON) process.on(signal, passOn);
  const stopListening = () => {
    for (const signal of LEFT_TO_THE_PLUGIN) process.off(signal, ignore);
    for (const signal of PASSED_ON) process.off(signal, passOn);
  };
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      stopListening();
      reject(failedToRun(error));
    });
    child.once('exit', (code, signal) => {
      stopListening();
      resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
    });
  });
}
