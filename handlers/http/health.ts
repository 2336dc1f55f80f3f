export { healthHandler as handler } from '#lib/http/health.ts';
