export { optionsHandler as handler } from '#lib/http/options.ts';
