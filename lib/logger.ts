/**
 * Structured JSON logs (Powertools). The job id is the correlation key: a step or a job route runs
 * inside `withLogKeys({ jobId }, …)`, and every line logged meanwhile carries it, adapters' lines
 * included. The keys live in the async context rather than on the logger (Powertools appendKeys),
 * because local mode runs many jobs' steps and requests at once through one logger.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '#lib/domain/logger.ts';

type LogKeys = Readonly<Record<string, unknown>>;

const logKeys = new AsyncLocalStorage<LogKeys>();

/** Runs `work` with `keys` added to every line logged until it settles. */
export function withLogKeys<T>(keys: LogKeys, work: () => T): T {
  return logKeys.run({ ...logKeys.getStore(), ...keys }, work);
}

export function createLogger(options: { level?: string } = {}): Logger {
  const logLevel = (options.level ?? process.env.LOG_LEVEL ?? 'INFO').toUpperCase();
  const powertools = new PowertoolsLogger({ serviceName: 'fargate-jobs', logLevel: logLevel as 'INFO' });
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      const keys = logKeys.getStore();
      powertools[level](message, ...(keys ? [{ ...keys }, ...extra] : extra));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
