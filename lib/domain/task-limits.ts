/**
 * What ECS Fargate accepts, as facts the domain checks before a job is stored: the task sizes
 * Fargate offers and the length of RunTask's overrides. Refusing these at submission gives the
 * client a 400 it can act on, instead of a job that fails later with START_FAILED.
 */

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

function steps(first: number, last: number, step: number): number[] {
  return Array.from({ length: (last - first) / step + 1 }, (_unused, index) => first + index * step);
}
