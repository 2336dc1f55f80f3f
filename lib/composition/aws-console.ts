/**
 * The console function's composition root on AWS: its only "port" is the console's built files,
 * which `serverless package` puts into its bundle (lib/console/esbuild-plugin.ts resolves
 * `console-assets:built`). Kept apart from aws.ts, whose factories load under plain Node in tests:
 * this module loads only bundled.
 *
 *   export const handler = consoleHandler(consoleAssets());
 */
import { consoleAssets as built } from 'console-assets:built';
import type { ConsoleAssets } from '#lib/http/console.ts';

export function consoleAssets(): ConsoleAssets {
  return built;
}
