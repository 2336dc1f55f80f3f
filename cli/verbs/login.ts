/** `fargate-jobs login --context <name> --url <url> --token <token>`: saves a named context. */
import { UsageError, type VerbSpec } from '../args.ts';
import { configPath, saveContext } from '../config.ts';
import { EXIT } from '../exit-codes.ts';
import { printJson, type VerbContext } from './context.ts';

export const loginSpec: VerbSpec = {
  usage: 'login --context <name> --url <url> --token <token>',
  help: `Saves a context (an API and its token) in $XDG_CONFIG_HOME/fargate-jobs/config.json (default ~/.config), mode 0600.
Pick it with --context <name> or FARGATE_JOBS_CONTEXT=<name>.`,
  options: {},
  positionals: [],
};

export async function login(context: VerbContext): Promise<number> {
  const { context: name, url, token } = context.command.globals;
  if (name === undefined || url === undefined || token === undefined) {
    const missing = [name === undefined ? '--context' : '', url === undefined ? '--url' : '', token === undefined ? '--token' : ''].filter(Boolean);
    throw new UsageError(`login needs ${missing.join(', ')}`, 'login');
  }
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url must be a URL such as https://abc123.execute-api.eu-west-1.amazonaws.com, got '${url}'`, 'login');
  }
  const path = configPath(context.env);
  saveContext(path, name, { url, token });
  if (context.command.globals.json) printJson(context, { context: name, url, path });
  else context.out.stderr.write(`fargate-jobs: saved context '${name}' (${url}) in ${path}; use it with --context ${name}\n`);
  return EXIT.OK;
}
