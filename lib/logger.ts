/** Structured JSON logs (Powertools), one logger per process; the job id is the correlation key. */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '#lib/domain/logger.ts';

export function createLogger(options: { level?: string } = {}): Logger {
  const logLevel = (options.level ?? process.env.LOG_LEVEL ?? 'INFO').toUpperCase();
  return new PowertoolsLogger({ serviceName: 'fargate-jobs', logLevel: logLevel as 'INFO' });
}
