/** `fargate-jobs login --context <name> --url <url> --token-stdin`: saves a named context. */
import { text } from 'node:stream/consumers';
import { UsageError, type VerbSpec } from '../args.ts';
import { configPath, saveContext } from '../config.ts';
import { EXIT } from '../exit-codes.ts';
import { printJson, type VerbContext } from './context.ts';

export const loginSpec: VerbSpec = {
  usage: 'login --context <name> --url <url> (--token-stdin | --token <token>) [--insecure]',
  help: `Saves a context (an API and its token) in $XDG_CONFIG_HOME/fargate-jobs/config.json (default ~/.config), mode 0600.
Pick it with --context <name> or FARGATE_JOBS_CONTEXT=<name>.
  --token-stdin   read the token from stdin (e.g. npm run -s token -- create … | fargate-jobs login … --token-stdin):
                  a --token on the command line is visible to every user of this machine in ps
  --insecure      accept a plain http:// URL on a host other than this machine (the token would cross the network in clear)`,
  options: { 'token-stdin': { type: 'boolean' }, insecure: { type: 'boolean' } },
  positionals: [],
};

export async function login(context: VerbContext, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const { context: name, url } = context.command.globals;
  const fromStdin = context.command.values['token-stdin'] === true;
  if (fromStdin && context.command.globals.token !== undefined) throw new UsageError('give the token with --token-stdin or --token, not both', 'login');
  if (name === undefined || url === undefined || (!fromStdin && context.command.globals.token === undefined)) {
    const missing = [name === undefined ? '--context' : '', url === undefined ? '--url' : '', fromStdin || context.command.globals.token !== undefined ? '' : '--token-stdin (or --token)'];
    throw new UsageError(`login needs ${missing.filter(Boolean).join(', ')}`, 'login');
  }
  checkUrl(url, context.command.values.insecure === true);
  const token = fromStdin ? await readToken(stdin) : context.command.globals.token!;
  const path = configPath(context.env);
  saveContext(path, name, { url, token });
  if (context.command.globals.json) printJson(context, { context: name, url, path });
  else context.out.stderr.write(`fargate-jobs: saved context '${name}' (${url}) in ${path}; use it with --context ${name}\n`);
  return EXIT.OK;
}

/** An http(s) URL; plain http only to this machine, unless the user says --insecure. */
function checkUrl(url: string, insecure: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url must be a URL such as https://abc123.execute-api.eu-west-1.amazonaws.com, got '${url}'`, 'login');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UsageError(`--url must be an https:// (or http://) URL, got '${url}'`, 'login');
  if (parsed.protocol === 'http:' && !isLoopback(parsed.hostname) && !insecure) {
    throw new UsageError(
      `${url} is plain http to another machine: every request would carry the token in clear over the network; use https://, or pass --insecure if you accept that`,
      'login',
    );
  }
}

/** localhost, 127.0.0.0/8 and ::1: names of this machine whatever the network. */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || /^127(?:\.\d{1,3}){3}$/.test(hostname) || hostname === '[::1]';
}

/** The first line of stdin, without its line ending. */
async function readToken(stdin: NodeJS.ReadableStream): Promise<string> {
  const token = (await text(stdin)).split(/\r?\n/)[0]?.trim() ?? '';
  if (token === '') throw new UsageError('--token-stdin: stdin held no token', 'login');
  return token;
}
