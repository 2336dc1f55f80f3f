/**
 * Profiles are the security boundary: clients name a profile, never a cluster, image, role or
 * network. A profile decides which commands may run and within which limits.
 */
import type { Capacity } from './capacity.ts';
import { ExecRefusedError, ProfileRejectedError, ValidationError } from './errors.ts';
import { refuseOversizedOverrides, resolveTaskSize } from './task-limits.ts';

/** An allowed command: argv starting with exactly these elements, or argv matching one anchored pattern per element. */
export type CommandRule = { prefix: string[] } | { patterns: string[] };

export interface Profile {
  name: string;
  description: string;
  /** `any` runs any argv (local mode's own-machine profile); otherwise the first matching rule allows it. */
  commands: 'any' | CommandRule[];
  /** Whether a command given as a string runs through `/bin/sh -c`. */
  shell: boolean;
  /** Environment variable names a job may set; `any` for no restriction. */
  envNames: 'any' | string[];
  timeoutSeconds: { default: number; max: number };
  publicIp: 'never' | 'optional' | 'always';
  /**
   * Environment variable names whose values are secrets: stored and shown as `***`, handed to the
   * task only. Case-insensitive patterns where `*` matches anything; DEFAULT_SECRET_PATTERNS when absent.
   */
  secretEnvPatterns?: string[];
  /** Jobs one connects to (an sshd container): the caller's key goes in `publicKeyEnv`, the hint names port and user. */
  interactive?: { port: number; user: string; publicKeyEnv: string };
  /**
   * Task size in CPU units and MiB: the default (a Fargate size) and the largest a job may ask for.
   * Without it a job gets its task definition's size unless it asks for one, and may ask for any Fargate size.
   */
  taskSize?: { cpu: number; memory: number; maxCpu?: number; maxMemory?: number };
  /** The webhook of the profile's jobs that name none (`callbackUrl`). */
  callbackUrl?: string;
  /**
   * Whether one may get into the profile's running jobs (ECS Exec: `POST /jobs/{id}/exec`). Its tasks
   * then start with `enableExecuteCommand`; false (or absent) for profiles with another way in (ssh)
   * or none.
   */
  exec?: boolean;
  /** What an exec runs when it names no command (e.g. `["/bin/sh"]`). Exec profiles only. */
  execShell?: string[];
  /**
   * The command of a job started only to be exec'ed into (`hold: true`, `fargate-jobs run -i`): it keeps
   * the task alive and does nothing (e.g. `["sleep", "86400"]`; the job's timeout ends it). Exec profiles only.
   */
  interactiveHold?: string[];
  /**
   * The Fargate capacity its tasks run on (capacity.ts): `on-demand`, `spot`, or `spot-first` (Spot,
   * and on-demand for the next attempt when Spot had no room or took the task back). Absent for
   * profiles whose jobs do not run on ECS.
   */
  capacity?: Capacity;
  /**
   * Seconds the watched container has between SIGTERM and SIGKILL when its task is stopped (a cancel,
   * a timeout, Spot's interruption warning): its task definition's `stopTimeout`, which it states
   * here (2–120; ECS's 30 when the task definition sets none).
   */
  stopTimeout?: number;
}

export interface JobRequest {
  /** Absent only with `hold`. */
  command?: string[] | string;
  env: Record<string, string>;
  /** CPU units (1024 = one vCPU). */
  cpu?: number;
  /** MiB. */
  memory?: number;
  timeoutSeconds?: number;
  publicIp?: boolean;
  /** For interactive profiles: the OpenSSH public key that may log in. */
  sshPublicKey?: string;
  /** Run the profile's interactiveHold instead of a command (`command` is then absent): a job to exec into. */
  hold?: boolean;
}

export interface ResolvedJobRequest {
  command: string[];
  env: Record<string, string>;
  /** Absent only where neither the request nor the profile gives one: the task definition's own size then stands. */
  cpu?: number;
  memory?: number;
  timeoutSeconds: number;
  publicIp: boolean;
}

/** Applies a profile to a request: fills defaults and refuses what the profile does not allow. */
export function resolveJobRequest(profile: Profile, request: JobRequest): ResolvedJobRequest {
  const command = request.hold ? holdCommand(profile, request.command) : resolveCommand(profile, requiredCommand(request.command));
  if (!request.hold && !isCommandAllowed(profile, command)) {
    throw new ProfileRejectedError(
      'COMMAND_NOT_ALLOWED',
      `profile '${profile.name}' does not allow command '${command[0]}' with these arguments`,
    );
  }
  for (const name of Object.keys(request.env)) {
    if (profile.envNames !== 'any' && !profile.envNames.includes(name)) {
      throw new ProfileRejectedError('ENV_NOT_ALLOWED', `profile '${profile.name}' does not allow environment variable '${name}'`);
    }
  }
  const env = withPublicKey(profile, request.env, request.sshPublicKey);
  const timeoutSeconds = request.timeoutSeconds ?? profile.timeoutSeconds.default;
  if (timeoutSeconds > profile.timeoutSeconds.max) {
    throw new ProfileRejectedError(
      'TIMEOUT_TOO_LONG',
      `timeoutSeconds ${timeoutSeconds} is over profile '${profile.name}' maximum of ${profile.timeoutSeconds.max}`,
    );
  }
  const publicIp = resolvePublicIp(profile, request.publicIp);
  const taskSize = resolveTaskSize(profile, { cpu: request.cpu, memory: request.memory });
  refuseOversizedOverrides({ command, env, ...taskSize });
  return { command, env, ...taskSize, timeoutSeconds, publicIp };
}

/** The profile's own command that keeps a job alive to exec into: not checked against its rules, it is not the caller's. */
function holdCommand(profile: Profile, command: JobRequest['command']): string[] {
  if (command !== undefined) {
    throw new ValidationError('a held job (hold: true) runs its profile\'s own command: give either command or hold, not both', [
      { path: 'command', message: 'must be absent with hold: true' },
    ]);
  }
  if (!profile.exec || !profile.interactiveHold) {
    throw new ExecRefusedError('EXEC_NOT_ALLOWED', `profile '${profile.name}' does not allow exec, so a job held open for it (hold, run -i) would serve nothing`);
  }
  return [...profile.interactiveHold];
}

function requiredCommand(command: JobRequest['command']): string[] | string {
  if (command === undefined) throw new ValidationError('the request has no command', [{ path: 'command', message: 'is required (an array of strings, or a string where the profile allows a shell), unless hold is true' }]);
  return command;
}

/**
 * The argv an exec runs: the profile's execShell when none is given, a string through `/bin/sh -c`
 * where the profile allows a shell, and anything else only as the profile's command rules allow.
 */
export function resolveExecCommand(profile: Profile, command: string[] | string | undefined): string[] {
  if (!profile.exec) throw new ExecRefusedError('EXEC_NOT_ALLOWED', `profile '${profile.name}' does not allow exec into its jobs`);
  const shell = profile.execShell ?? ['/bin/sh'];
  if (command === undefined) return [...shell];
  const argv = resolveCommand(profile, command);
  if (argv.length === 0 || argv[0] === '') throw new ValidationError('the command is empty', [{ path: 'command', message: 'expected at least one argument' }]);
  const isShell = argv.length === shell.length && argv.every((element, index) => element === shell[index]);
  if (!isShell && !isCommandAllowed(profile, argv)) {
    throw new ProfileRejectedError('COMMAND_NOT_ALLOWED', `profile '${profile.name}' does not allow exec of command '${argv[0]}' with these arguments`);
  }
  return argv;
}

function resolveCommand(profile: Profile, command: string[] | string): string[] {
  if (Array.isArray(command)) return command;
  if (!profile.shell) {
    throw new ValidationError(`profile '${profile.name}' takes the command as an array of arguments, not a shell string`, [
      { path: 'command', message: 'expected an array of strings' },
    ]);
  }
  return ['/bin/sh', '-c', command];
}

export function isCommandAllowed(profile: Profile, argv: readonly string[]): boolean {
  if (profile.commands === 'any') return true;
  return profile.commands.some((rule) =>
    'prefix' in rule
      ? rule.prefix.length <= argv.length && rule.prefix.every((element, index) => argv[index] === element)
      : rule.patterns.length === argv.length &&
        rule.patterns.every((pattern, index) => new RegExp(`^(?:${pattern})$`).test(argv[index] ?? '')),
  );
}

function resolvePublicIp(profile: Profile, requested: boolean | undefined): boolean {
  if (profile.publicIp === 'always') return true;
  if (requested && profile.publicIp === 'never') {
    throw new ProfileRejectedError('PUBLIC_IP_NOT_ALLOWED', `profile '${profile.name}' does not allow a public IP`);
  }
  return requested ?? false;
}

/** The key goes into the variable the profile's image reads; only interactive profiles take one. */
function withPublicKey(profile: Profile, env: Record<string, string>, sshPublicKey: string | undefined): Record<string, string> {
  if (sshPublicKey === undefined) return env;
  if (!profile.interactive) {
    throw new ProfileRejectedError('NOT_INTERACTIVE', `profile '${profile.name}' does not take an sshPublicKey`);
  }
  return { ...env, [profile.interactive.publicKeyEnv]: sshPublicKey };
}

/**
 * How to reach a job of an interactive profile: its port and user from the start (so a client can
 * tell at once that a job has ssh access, and that one without a hint has none), then its host and
 * the command to type (`ssh -p 2222 jobs@203.0.113.7`) once it has a public IP. Clients run ssh from
 * the structured fields; the command is for people to read.
 */
export interface ConnectHint {
  port: number;
  user: string;
  host?: string;
  ssh?: string;
}

export function connectHint(profile: Profile, publicIp?: string): ConnectHint | undefined {
  if (!profile.interactive) return undefined;
  const { port, user } = profile.interactive;
  return publicIp === undefined ? { port, user } : { port, user, host: publicIp, ssh: `ssh -p ${port} ${user}@${publicIp}` };
}
