/**
 * Profiles are the security boundary: clients name a profile, never a cluster, image, role or
 * network. A profile decides which commands may run and within which limits.
 */
import { ProfileRejectedError, TaskLimitError, ValidationError } from './errors.ts';
import {
  FARGATE_CPU_SIZES,
  fargateCpuSizesFor,
  fargateMemorySizes,
  isFargateTaskSize,
  MAX_OVERRIDES_LENGTH,
  overridesLength,
} from './task-limits.ts';

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
}

export interface JobRequest {
  command: string[] | string;
  env: Record<string, string>;
  /** CPU units (1024 = one vCPU). */
  cpu?: number;
  /** MiB. */
  memory?: number;
  timeoutSeconds?: number;
  publicIp?: boolean;
  /** For interactive profiles: the OpenSSH public key that may log in. */
  sshPublicKey?: string;
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

export interface TaskSize {
  cpu?: number;
  memory?: number;
}

/** Applies a profile to a request: fills defaults and refuses what the profile does not allow. */
export function resolveJobRequest(profile: Profile, request: JobRequest): ResolvedJobRequest {
  const command = resolveCommand(profile, request.command);
  if (!isCommandAllowed(profile, command)) {
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

/**
 * The task size a job runs with: what it asks for, the profile's default for what it leaves out.
 * Refuses a size over the profile's maxima, and one Fargate does not offer.
 */
export function resolveTaskSize(profile: Profile, requested: { cpu?: number | undefined; memory?: number | undefined }): TaskSize {
  const defaults = profile.taskSize;
  const cpu = requested.cpu ?? defaults?.cpu;
  const memory = requested.memory ?? defaults?.memory;
  const fromProfile = `(the default of profile '${profile.name}')`;

  if (cpu !== undefined && defaults?.maxCpu !== undefined && cpu > defaults.maxCpu) {
    throw new ProfileRejectedError('TASK_SIZE_TOO_LARGE', `cpu ${cpu} is over profile '${profile.name}' maximum of ${defaults.maxCpu}`);
  }
  if (memory !== undefined && defaults?.maxMemory !== undefined && memory > defaults.maxMemory) {
    throw new ProfileRejectedError(
      'TASK_SIZE_TOO_LARGE',
      `memory ${memory} MiB is over profile '${profile.name}' maximum of ${defaults.maxMemory} MiB`,
    );
  }
  if (cpu !== undefined && !FARGATE_CPU_SIZES.includes(cpu)) {
    const takes = `profile '${profile.name}' takes cpu ${describeSizes(withinMaximum(FARGATE_CPU_SIZES, defaults?.maxCpu))}`;
    throw invalidTaskSize('cpu', `cpu ${cpu} is not a Fargate CPU size; ${takes}`, takes);
  }
  if (cpu !== undefined && memory !== undefined && !isFargateTaskSize(cpu, memory)) {
    const takes = `cpu ${cpu} takes memory ${describeSizes(withinMaximum(fargateMemorySizes(cpu), defaults?.maxMemory))} MiB`;
    if (requested.memory === undefined) {
      throw invalidTaskSize('cpu', `cpu ${cpu} with memory ${memory} MiB ${fromProfile} is not a Fargate task size: ${takes}`, takes);
    }
    if (requested.cpu === undefined) {
      const cpuSizes = withinMaximum(fargateCpuSizesFor(memory), defaults?.maxCpu);
      const needs = cpuSizes.length > 0 ? `memory ${memory} MiB needs cpu ${describeSizes(cpuSizes)}` : undefined;
      const message = `memory ${memory} MiB with cpu ${cpu} ${fromProfile} is not a Fargate task size: ${takes}${needs ? `; ${needs}` : ''}`;
      throw invalidTaskSize('memory', message, needs ?? takes);
    }
    throw invalidTaskSize('memory', `cpu ${cpu} with memory ${memory} MiB is not a Fargate task size: ${takes}`, takes);
  }
  if (cpu === undefined && memory !== undefined && fargateCpuSizesFor(memory).length === 0) {
    const takes = FARGATE_CPU_SIZES.map((size) => `cpu ${size} takes ${describeSizes(fargateMemorySizes(size))}`).join('; ');
    throw invalidTaskSize('memory', `memory ${memory} MiB is not a Fargate memory size with any cpu: ${takes}`, takes);
  }
  return { ...(cpu === undefined ? {} : { cpu }), ...(memory === undefined ? {} : { memory }) };
}

/** ECS would refuse the RunTask call: better a 400 now than a job that fails to start. */
function refuseOversizedOverrides(job: { command: string[]; env: Record<string, string>; cpu?: number; memory?: number }): void {
  const length = overridesLength(job);
  if (length > MAX_OVERRIDES_LENGTH) {
    throw new TaskLimitError(
      'OVERRIDES_TOO_LARGE',
      `the command and environment take ${length} characters as ECS container overrides, over ECS's limit of ${MAX_OVERRIDES_LENGTH}; ` +
        'pass large inputs another way, e.g. a file the command downloads',
    );
  }
}

/** `detail` says what would do, for the field the request gave (or the one it must add). */
function invalidTaskSize(field: 'cpu' | 'memory', message: string, detail: string): TaskLimitError {
  return new TaskLimitError('INVALID_TASK_SIZE', message, [{ path: field, message: detail }]);
}

function withinMaximum(sizes: readonly number[], maximum: number | undefined): readonly number[] {
  const within = sizes.filter((size) => size <= (maximum ?? Infinity));
  // A profile whose maximum leaves none is misconfigured; Fargate's own list is still the useful answer.
  return within.length > 0 ? within : sizes;
}

/** `512, 1024 or 2048`, or `2048 to 8192 in steps of 1024` for a longer even run. */
function describeSizes(sizes: readonly number[]): string {
  const [first, second] = sizes;
  const last = sizes.at(-1);
  if (sizes.length > 4 && first !== undefined && second !== undefined && last !== undefined) {
    const step = second - first;
    if (sizes.every((size, index) => size === first + index * step)) return `${first} to ${last} in steps of ${step}`;
  }
  return sizes.length > 1 ? `${sizes.slice(0, -1).join(', ')} or ${last}` : String(first);
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

/** How to reach an interactive job, e.g. `ssh -p 2222 jobs@203.0.113.7`. */
export function connectHint(profile: Profile, publicIp: string): { ssh: string } | undefined {
  if (!profile.interactive) return undefined;
  return { ssh: `ssh -p ${profile.interactive.port} ${profile.interactive.user}@${publicIp}` };
}

export const DEFAULT_SECRET_PATTERNS: readonly string[] = ['*TOKEN*', '*SECRET*', '*PASSWORD*', '*KEY*'];
export const REDACTED = '***';

/** Splits a job's environment into what may be stored (secrets as `***`) and the secret values. */
export function separateSecrets(
  profile: Profile,
  env: Record<string, string>,
): { stored: Record<string, string>; secrets: Record<string, string> } {
  const patterns = (profile.secretEnvPatterns ?? DEFAULT_SECRET_PATTERNS).map(globToRegExp);
  const stored: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (patterns.some((pattern) => pattern.test(name))) {
      stored[name] = REDACTED;
      secrets[name] = value;
    } else {
      stored[name] = value;
    }
  }
  return { stored, secrets };
}

function globToRegExp(glob: string): RegExp {
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i');
}
