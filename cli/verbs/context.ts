/** What every verb is handed: its parsed command line, where to write, and the API client. */
import type { ParsedCommandLine } from '../args.ts';
import type { ApiClient } from '../api-client.ts';
import { terminalSafeJson } from '../sanitize.ts';
import type { Output } from '../terminal.ts';

export interface VerbContext {
  command: ParsedCommandLine;
  out: Output;
  env: NodeJS.ProcessEnv;
  /** The client for the configured API (resolved on first use: `--help` needs none). */
  client(): ApiClient;
}

/** A verb: resolves to the process exit code. */
export type Verb = (context: VerbContext) => Promise<number>;

/** The same document a parser reads, with nothing in it a terminal would act on (sanitize.ts). */
export function printJson(context: VerbContext, value: unknown): void {
  context.out.stdout.write(`${terminalSafeJson(JSON.stringify(value, null, 2))}\n`);
}

export function stringValue(context: VerbContext, name: string): string | undefined {
  const value = context.command.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listValue(context: VerbContext, name: string): string[] {
  const value = context.command.values[name];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
