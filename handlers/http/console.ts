import { consoleAssets } from '#lib/composition/aws-console.ts';
import { consoleHandler } from '#lib/http/console.ts';

export const handler = consoleHandler(consoleAssets());
