/**
 * Where the CLI finds its API and token: the flags, then the environment, then a named context
 * (`fargate-jobs login`), and with none of those the local server of the data directory.
 * A token never travels to a URL it was not given for: an explicit URL does not pick up the local token.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ApiTarget } from './api-client.ts';

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
  return { ...localServer(env), ...(explicitToken === undefined ? {} : { token: explicitToken }) };
}

/** The server `npm start` runs on this data directory: the URL and token files it writes. */
function localServer(env: NodeJS.ProcessEnv): ResolvedTarget {
  const shown = nonEmpty(env.FARGATE_JOBS_DATA_DIR) ?? '.data';
  const url = readTrimmed(join(shown, 'url'));
  const token = readTrimmed(join(shown, 'token'));
  if (url === undefined) {
    throw new ConfigurationError(`no fargate-jobs server found in ${shown}: start one with npm start, or pass --url and --token`);
  }
  return { url, token, description: `the local server of ${shown} (${url})`, local: true };
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
