/**
 * What ECS Fargate accepts, as facts the domain checks before a job is stored: the task sizes
 * Fargate offers and the length of RunTask's overrides. Refusing these at submission gives the
 * client a 400 it can act on, instead of a job that fails later with START_FAILED.
 */
import { ProfileRejectedError, TaskLimitError } from './errors.ts';
import type { Profile } from './profile.ts';

/**
 * Fargate's task sizes on Linux: each CPU size (CPU units, 1024 = one vCPU) and the memory sizes
 * (MiB) it runs with. From the ECS Developer Guide's table of task CPU and memory values; 8192 and
 * 16384 CPU units need platform version 1.4.0 or later (LATEST).
 */
const FARGATE_TASK_SIZES: ReadonlyArray<{ cpu: number; memory: readonly number[] }> = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: steps(1024, 4096, 1024) },
  { cpu: 1024, memory: steps(2048, 8192, 1024) },
  { cpu: 2048, memory: steps(4096, 16_384, 1024) },
  { cpu: 4096, memory: steps(8192, 30_720, 1024) },
  { cpu: 8192, memory: steps(16_384, 61_440, 4096) },
  { cpu: 16_384, memory: steps(32_768, 122_880, 8192) },
];

export const FARGATE_CPU_SIZES: readonly number[] = FARGATE_TASK_SIZES.map((size) => size.cpu);
const LARGEST_FARGATE_CPU = Math.max(...FARGATE_CPU_SIZES);
const LARGEST_FARGATE_MEMORY = Math.max(...FARGATE_TASK_SIZES.flatMap((size) => size.memory));

/** The memory sizes Fargate runs with `cpu`; none when `cpu` is not a Fargate CPU size. */
export function fargateMemorySizes(cpu: number): readonly number[] {
  return FARGATE_TASK_SIZES.find((size) => size.cpu === cpu)?.memory ?? [];
}

/** The CPU sizes Fargate runs with `memory` MiB. */
export function fargateCpuSizesFor(memory: number): number[] {
  return FARGATE_TASK_SIZES.filter((size) => size.memory.includes(memory)).map((size) => size.cpu);
}

export function isFargateTaskSize(cpu: number, memory: number): boolean {
  return fargateMemorySizes(cpu).includes(memory);
}

/** RunTask refuses `overrides` whose JSON, formatting characters included, is longer than this. */
export const MAX_OVERRIDES_LENGTH = 8192;

/**
 * The container name the overrides are measured with. The domain does not know the AWS container
 * a profile runs (the shipped ones are `job` and `sshd`); measuring with a name this long errs on
 * the side of refusing, for any profile whose container name is no longer.
 */
export const OVERRIDES_CONTAINER_NAME_ALLOWANCE = 64;

export interface TaskOverridesInput {
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  cpu?: number | undefined;
  memory?: number | undefined;
}

/** RunTask's `overrides` for a job: the command and environment of the watched container, and the task size. */
export interface TaskOverrides {
  containerOverrides: Array<{ name: string; command: string[]; environment: Array<{ name: string; value: string }> }>;
  cpu?: string;
  memory?: string;
}

/** Builds the overrides the ECS task runner sends, so that what is measured is what is sent. */
export function taskOverrides(container: string, job: TaskOverridesInput): TaskOverrides {
  return {
    containerOverrides: [
      {
        name: container,
        command: [...job.command],
        environment: Object.entries(job.env).map(([name, value]) => ({ name, value })),
      },
    ],
    ...(job.cpu === undefined ? {} : { cpu: String(job.cpu) }),
    ...(job.memory === undefined ? {} : { memory: String(job.memory) }),
  };
}

/** The length ECS counts: the overrides as the SDK serializes them (JSON.stringify), with the allowance's container name. */
export function overridesLength(job: TaskOverridesInput): number {
  return JSON.stringify(taskOverrides('c'.repeat(OVERRIDES_CONTAINER_NAME_ALLOWANCE), job)).length;
}

export interface TaskSize {
  cpu?: number;
  memory?: number;
}

/**
 * The task size a job runs with: what it asks for, the profile's default for what it leaves out.
 * Refuses a size over the profile's maxima, and one Fargate does not offer.
 */
export function resolveTaskSize(profile: Pick<Profile, 'name' | 'taskSize'>, requested: { cpu?: number | undefined; memory?: number | undefined }): TaskSize {
  const defaults = profile.taskSize;
  const cpu = requested.cpu ?? defaults?.cpu;
  const memory = requested.memory ?? defaults?.memory;
  const fromProfile = `(the default of profile '${profile.name}')`;

  // A size past any Fargate has (2^53, 1e308…) is wrong for every profile: the Fargate checks below
  // say so and what would do, rather than the profile's maximum.
  if (cpu !== undefined && cpu <= LARGEST_FARGATE_CPU && defaults?.maxCpu !== undefined && cpu > defaults.maxCpu) {
    throw new ProfileRejectedError('TASK_SIZE_TOO_LARGE', `cpu ${cpu} is over profile '${profile.name}' maximum of ${defaults.maxCpu}`);
  }
  if (memory !== undefined && memory <= LARGEST_FARGATE_MEMORY && defaults?.maxMemory !== undefined && memory > defaults.maxMemory) {
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
export function refuseOversizedOverrides(job: { command: string[]; env: Record<string, string>; cpu?: number; memory?: number }): void {
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

function steps(first: number, last: number, step: number): number[] {
  return Array.from({ length: (last - first) / step + 1 }, (_unused, index) => first + index * step);
}
