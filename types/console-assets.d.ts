/**
 * The console's built files, as the console function's bundle carries them: a module made at
 * `serverless package` by lib/console/esbuild-plugin.ts (there is no file of that name).
 */
declare module 'console-assets:built' {
  export const consoleAssets: import('#lib/http/console.ts').ConsoleAssets;
}
