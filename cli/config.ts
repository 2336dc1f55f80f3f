/**
 * Where the CLI finds its API and token: the flags, then the environment, then a named context
 * (`fargate-jobs login`), and with none of those the local server of the data directory.
 * A token never travels to a URL it was not given for: an explicit URL does not pick up the local
 * token, and an explicit token does not go to the URL a data directory names. The local token goes
 * only to a server that proves it is the data directory's (cli/local-server-trust.ts).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { SERVER_KEY_FILE } from '#lib/domain/local-server-proof.ts';
import type { ApiTarget } from './api-client.ts';
import { trustProblem, verifyLocalServer } from './local-server-trust.ts';

/** Something the user has to fix in their set-up (exit 1). */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export interface Context {
  url: string;
  token: string;
}

export interface ConfigFile {
  contexts: Record<string, Context>;
}

export interface TargetChoice {
  url?: string | undefined;
  token?: string | undefined;
  context?: string | undefined;
}

export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'fargate-jobs', 'config.json');
}

/** The config file, or an empty one when there is none; refuses one that others may read. */
export function readConfig(path: string, options: { checkMode?: boolean } = {}): ConfigFile {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} };
    throw new ConfigurationError(`could not read ${path}: ${(error as Error).message}`);
  }
  if ((options.checkMode ?? true) && (mode & 0o077) !== 0) {
    throw new ConfigurationError(
      `${path} holds tokens but is readable by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); make it private with: chmod 600 ${path}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigurationError(`${path} is not valid JSON (${(error as Error).message}); fix or remove it, then log in again`);
  }
  const contexts = (parsed as Partial<ConfigFile> | null)?.contexts;
  return { contexts: typeof contexts === 'object' && contexts !== null ? contexts : {} };
}

/** Writes the file 0600 (its directory 0700) through a temporary file, so a reader never sees half of it. */
export function writeConfig(path: string, config: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** Adds or replaces a context, keeping the others. */
export function saveContext(path: string, name: string, context: Context): void {
  const config = readConfig(path, { checkMode: false });
  writeConfig(path, { contexts: { ...config.contexts, [name]: context } });
}

/** The API and token to use. */
export type ResolvedTarget = ApiTarget & { description: string; /** The local server found through the data directory. */ local?: boolean };

export function resolveTarget(choice: TargetChoice, env: NodeJS.ProcessEnv): ResolvedTarget {
  const explicitUrl = choice.url ?? nonEmpty(env.FARGATE_JOBS_URL);
  const explicitToken = choice.token ?? nonEmpty(env.FARGATE_JOBS_TOKEN);
  const contextName = choice.context ?? nonEmpty(env.FARGATE_JOBS_CONTEXT);
  if (contextName !== undefined) {
    const path = configPath(env);
    const context = readConfig(path).contexts[contextName];
    if (!context) {
      const known = Object.keys(readConfig(path).contexts);
      throw new ConfigurationError(
        `no context '${contextName}' in ${path}${known.length > 0 ? ` (there are: ${known.join(', ')})` : ''}; add it with: fargate-jobs login --context ${contextName} --url <url> --token <token>`,
      );
    }
    return { url: explicitUrl ?? context.url, token: explicitToken ?? context.token, description: `context '${contextName}'` };
  }
  if (explicitUrl !== undefined) return { url: explicitUrl, token: explicitToken, description: explicitUrl };
  if (explicitToken !== undefined) {
    // `<data dir>/url` may name anyone's listener (a folder someone else set up, a port freed by a kill -9).
    throw new ConfigurationError(
      `a token given with --token or FARGATE_JOBS_TOKEN is sent only to a URL given with it: pass --url or set FARGATE_JOBS_URL (without a token, the local server of ${dataDirOf(env)} is used with its own)`,
    );
  }
  return localServer(env);
}

function dataDirOf(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env.FARGATE_JOBS_DATA_DIR) ?? '.data';
}

/**
 * The server `npm start` runs on this data directory: the URL, token and server-key files it writes,
 * read only from a directory that is the user's own and closed to others; its token goes only to a
 * server that proves it holds the key.
 */
function localServer(env: NodeJS.ProcessEnv, uid: number | undefined = process.getuid?.()): ResolvedTarget {
  const shown = dataDirOf(env);
  const notFound = new ConfigurationError(`no fargate-jobs server found in ${shown}: start one with npm start, or pass --url and --token`);
  if (!isTrusted(shown, 'directory', uid)) throw notFound;
  const url = readTrimmed(join(shown, 'url'));
  if (url === undefined) throw notFound;
  const keyFile = join(shown, SERVER_KEY_FILE);
  const serverKey = isTrusted(keyFile, 'file', uid) ? readTrimmed(keyFile) : undefined;
  if (serverKey === undefined) {
    throw new ConfigurationError(`${shown} names a server (${url}) but holds no ${SERVER_KEY_FILE} to check it with: restart it with npm start, or pass --url and --token`);
  }
  return {
    url,
    token: readTrimmed(join(shown, 'token')),
    description: `the local server of ${shown} (${url})`,
    local: true,
    verifyServer: (fetchImpl) => verifyLocalServer(url, serverKey, shown, fetchImpl),
  };
}

/** False when `path` does not exist; a ConfigurationError when it is not the user's alone. */
function isTrusted(path: string, expect: 'directory' | 'file', uid: number | undefined): boolean {
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ConfigurationError(`could not read ${path}: ${(error as Error).message}`);
  }
  // Without user ids (Windows) there is no owner or mode to check.
  const problem = uid === undefined ? undefined : trustProblem(path, stat, uid, expect);
  if (problem !== undefined) throw new ConfigurationError(`${problem}; or pass --url and --token`);
  return true;
}

function readTrimmed(path: string): string | undefined {
  try {
    return nonEmpty(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
