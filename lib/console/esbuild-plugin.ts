/**
 * The esbuild plugin that puts the web console into the console function's bundle: the module
 * `console-assets:built` (imported by lib/composition/aws-console.ts) resolves to the assets
 * buildConsoleAssets makes, so `serverless package` builds them as it bundles that function and
 * there is no separate step to forget. serverless.yml names this file in custom.esbuild.plugins;
 * serverless-esbuild loads it and uses its default export.
 */
import type { Plugin } from 'esbuild';
import { buildConsoleAssets, consoleAssetsModule } from './build-assets.ts';

/** The specifier of the built assets (types/console-assets.d.ts declares its export). */
export const CONSOLE_ASSETS_MODULE = 'console-assets:built';
const NAMESPACE = 'console-assets';

export function consoleAssetsPlugin(): Plugin {
  return {
    name: 'console-assets',
    setup(build) {
      build.onResolve({ filter: /^console-assets:built$/ }, (args) => ({ path: args.path, namespace: NAMESPACE }));
      // Built afresh for each bundle that imports it (one, the console function's): a package holds what console/ holds now.
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, () => ({ contents: consoleAssetsModule(buildConsoleAssets()), loader: 'js' }));
    },
  };
}

export default [consoleAssetsPlugin()];
