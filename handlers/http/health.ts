import { healthHandler } from '#lib/http/health.ts';

export const handler = healthHandler;
