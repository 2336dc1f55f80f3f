/**
 * Settings from the environment, read and checked once when a function (or `npm start`) starts: a
 * missing or malformed variable fails fast with a message that names it.
 */
import type { AwsStageSettings } from '#lib/domain/aws-profile.ts';
import { CAPACITIES, isCapacity, type Capacity } from '#lib/domain/capacity.ts';
import { ConfigError } from '#lib/domain/errors.ts';
import { parseAllowHosts, type AllowedHost } from '#lib/notify/callback-url.ts';

export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

/** A comma-separated list with at least one element. */
export function requiredList(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const values = requiredEnv(name, env)
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  if (values.length === 0) throw new ConfigError(`environment variable ${name} lists nothing`);
  return values;
}

export function readAwsStageSettings(env: NodeJS.ProcessEnv = process.env): AwsStageSettings {
  return {
    cluster: requiredEnv('ECS_CLUSTER', env),
    subnets: requiredList('TASK_SUBNETS', env),
    securityGroups: requiredList('TASK_SECURITY_GROUPS', env),
    logGroup: requiredEnv('TASK_LOG_GROUP', env),
    taskDefinitionPrefix: requiredEnv('TASK_DEFINITION_PREFIX', env),
    capacity: taskCapacity(env),
  };
}

/** TASK_CAPACITY: the Fargate capacity of the stage's profiles (the stage parameter `capacity`); on-demand when unset or empty. */
export function taskCapacity(env: NodeJS.ProcessEnv = process.env): Capacity {
  const value = env.TASK_CAPACITY?.trim();
  if (!value) return 'on-demand';
  if (!isCapacity(value)) throw new ConfigError(`environment variable TASK_CAPACITY must be one of ${CAPACITIES.join(', ')}; got '${value}'`);
  return value;
}

/** A limit: a whole number of at least 1, or `none` for no limit (undefined). */
export function requiredLimit(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = requiredEnv(name, env);
  return value === 'none' ? undefined : wholeNumber(name, value, 1, ', or none');
}

/** A limit as requiredLimit reads it, or `fallback` when the variable is unset or empty. */
export function optionalLimit(name: string, fallback: number | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  return env[name]?.trim() ? requiredLimit(name, env) : fallback;
}

/** A whole number of at least `min`, or `fallback` when the variable is unset or empty. */
export function optionalWholeNumber(name: string, fallback: number, options: { min?: number; env?: NodeJS.ProcessEnv } = {}): number {
  const { min = 1, env = process.env } = options;
  const value = env[name]?.trim();
  return value ? wholeNumber(name, value, min) : fallback;
}

/** `value` of variable `name` as a whole number of at least `min`; `alternatives` names what else it may be. */
function wholeNumber(name: string, value: string, min: number, alternatives = ''): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
    throw new ConfigError(`environment variable ${name} must be a whole number of at least ${min}${alternatives}; got '${value}'`);
  }
  return Number(value);
}

/** FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS: the hosts a webhook may reach over http or at a private address. */
export function webhookAllowHosts(env: NodeJS.ProcessEnv = process.env): AllowedHost[] {
  try {
    return parseAllowHosts(env.FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}
