/**
 * The command line: the verb, the global flags (accepted before or after it) and each verb's own
 * flags, with `util.parseArgs`. Everything wrong with a command line is a UsageError (exit 2).
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The verb whose usage to show; undefined for the program's. */
  readonly verb: string | undefined;

  constructor(message: string, verb?: string) {
    super(message);
    this.verb = verb;
  }
}

export const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  url: { type: 'string' },
  token: { type: 'string' },
  context: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies ParseArgsOptionsConfig;

export interface GlobalFlags {
  json: boolean;
  url?: string;
  token?: string;
  context?: string;
  help: boolean;
  version: boolean;
}

export interface VerbSpec {
  /** One line: `run [options] -- cmd args…`. */
  usage: string;
  /** What the verb does and its flags, for `--help`. */
  help: string;
  options: ParseArgsOptionsConfig;
  /** Positional arguments besides those after `--` (`['id']`). */
  positionals: readonly string[];
  /**
   * Whether it takes a command after `--`: true when it needs one, `optional` when it may go without
   * (exec: the profile's shell), or `{ unlessFlag }` when it needs one unless that flag is given (run -i).
   */
  command?: true | 'optional' | { unlessFlag: string };
}

export interface ParsedCommandLine {
  verb: string | undefined;
  globals: GlobalFlags;
  /** The verb's own flags, as parseArgs returns them. */
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  /** Named positionals of the verb. */
  args: Record<string, string>;
  /** After `--` (run's command, ssh's extra arguments). */
  rest: string[];
}

/** Verbs that take their arguments unparsed (token has its own command line). */
const PASS_THROUGH = new Set(['token']);

/**
 * The verbs of a group (`schedule create`, `schedule list`…) are specs named `<group> <verb>`: the
 * word after the group names the verb. The names of a group's verbs, when `name` is one.
 */
export function groupVerbs(verbs: Readonly<Record<string, VerbSpec>>, name: string): string[] {
  return Object.keys(verbs).filter((verb) => verb.startsWith(`${name} `)).map((verb) => verb.slice(name.length + 1));
}

/** Parses `argv` (without node and the script) against the verbs' specs. */
export function parseCommandLine(argv: readonly string[], verbs: Readonly<Record<string, VerbSpec>>): ParsedCommandLine & { passThrough?: string[] } {
  const terminator = argv.indexOf('--');
  const before = terminator === -1 ? [...argv] : argv.slice(0, terminator);
  const rest = terminator === -1 ? [] : argv.slice(terminator + 1);
  const verbIndex = findVerb(before);
  const verb = verbIndex === -1 ? undefined : before[verbIndex];

  if (verb !== undefined && PASS_THROUGH.has(verb)) {
    const globals = parseGlobals(before.slice(0, verbIndex));
    const passThrough = [...before.slice(verbIndex + 1), ...(terminator === -1 ? [] : ['--', ...rest])];
    return { verb, globals, values: {}, args: {}, rest: [], passThrough: globals.json ? [...passThrough, '--json'] : passThrough };
  }
  const group = verb === undefined ? [] : groupVerbs(verbs, verb);
  if (group.length > 0) return parseGroupVerb(argv, verbs, verbIndex, group);
  if (verb !== undefined && !Object.hasOwn(verbs, verb)) throw new UsageError(`unknown command '${verb}'`);
  const spec = verb === undefined ? undefined : verbs[verb];
  const withoutVerb = verbIndex === -1 ? before : [...before.slice(0, verbIndex), ...before.slice(verbIndex + 1)];

  let parsed;
  try {
    parsed = parseArgs({ args: withoutVerb, options: { ...GLOBAL_OPTIONS, ...spec?.options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(cleanParseError(error as Error), verb);
  }
  const { json, url, token, context, help, version, ...values } = parsed.values as Record<string, unknown>;
  const globals: GlobalFlags = {
    json: json === true,
    help: help === true,
    version: version === true,
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof token === 'string' ? { token } : {}),
    ...(typeof context === 'string' ? { context } : {}),
  };
  const result = { verb, globals, values: values as ParsedCommandLine['values'], args: {} as Record<string, string>, rest };
  if (globals.help || globals.version || spec === undefined) return result;

  const positionals = [...parsed.positionals];
  for (const name of spec.positionals) {
    const value = positionals.shift();
    if (value === undefined) throw new UsageError(`${verb} needs <${name}>`, verb);
    result.args[name] = value;
  }
  if (spec.command) {
    result.rest = [...positionals, ...rest];
    if (result.rest.length === 0 && needsCommand(spec.command, result.values)) throw new UsageError(`${verb} needs a command: ${verb} [options] -- cmd args…`, verb);
  } else if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}'`, verb);
  } else if (rest.length > 0 && verb !== 'ssh') {
    throw new UsageError(`unexpected argument '${rest[0]}' after --`, verb);
  }
  return result;
}

/**
 * `<group> <verb> …` as the verb `<group> <verb>` with the rest of the line; the group alone with
 * --help (or --version) as the verb `<group>`, whose help lists its verbs; alone otherwise, a usage error.
 */
function parseGroupVerb(argv: readonly string[], verbs: Readonly<Record<string, VerbSpec>>, groupIndex: number, group: readonly string[]): ParsedCommandLine {
  const name = argv[groupIndex]!;
  const sub = argv[groupIndex + 1];
  if (sub !== undefined && group.includes(sub)) {
    return parseCommandLine([...argv.slice(0, groupIndex), `${name} ${sub}`, ...argv.slice(groupIndex + 2)], verbs);
  }
  const globals = parseGlobals(argv.slice(0, groupIndex).concat(argv.slice(groupIndex + 1).filter((arg) => /^(-h|--help|-v|--version|--json)$/.test(arg))));
  if (sub !== undefined && !sub.startsWith('-')) throw new UsageError(`unknown command '${name} ${sub}': ${name} takes ${group.join(', ')}`, name);
  if (!globals.help && !globals.version) throw new UsageError(`${name} needs one of: ${group.join(', ')}`, name);
  return { verb: name, globals, values: {}, args: {}, rest: [] };
}

function needsCommand(command: NonNullable<VerbSpec['command']>, values: ParsedCommandLine['values']): boolean {
  if (command === 'optional') return false;
  return command === true || values[command.unlessFlag] !== true;
}

/** The index of the first argument that is neither a global flag nor a global flag's value. */
function findVerb(args: readonly string[]): number {
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (!arg.startsWith('-')) return index;
    const name = arg.replace(/^--?/, '').split('=')[0]!;
    const option = Object.entries(GLOBAL_OPTIONS).find(([long, spec]) => long === name || ('short' in spec && spec.short === name))?.[1];
    if (option?.type === 'string' && !arg.includes('=')) index += 1;
  }
  return -1;
}

function parseGlobals(args: string[]): GlobalFlags {
  try {
    const { values } = parseArgs({ args, options: GLOBAL_OPTIONS, strict: true });
    return { json: values.json === true, help: values.help === true, version: values.version === true, ...pick(values, ['url', 'token', 'context']) };
  } catch (error) {
    throw new UsageError(cleanParseError(error as Error));
  }
}

function pick(values: Record<string, unknown>, names: readonly ('url' | 'token' | 'context')[]): Partial<GlobalFlags> {
  return Object.fromEntries(names.filter((name) => typeof values[name] === 'string').map((name) => [name, values[name]]));
}

/** parseArgs's messages, on one line and without its advice about `--` (which only suits positionals). */
function cleanParseError(error: Error): string {
  const message = error.message.split('\n')[0] ?? error.message;
  return message.replace(/\. To specify a positional argument.*$/, '').replace(/^Unknown option '(.+)'$/, "unknown option '$1'");
}

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `90s`, `10m`, `1h30m`, `3600` → seconds; a UsageError naming the flag otherwise. */
export function parseDuration(value: string, flag: string, verb?: string): number {
  const units = /^\d+$/.test(value) ? [undefined, undefined, value] : DURATION.exec(value)?.slice(1);
  const seconds = units === undefined ? NaN : Number(units[0] ?? 0) * 3600 + Number(units[1] ?? 0) * 60 + Number(units[2] ?? 0);
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new UsageError(`${flag} must be a duration like 90s, 10m, 1h30m or 3600 (seconds), got '${value}'`, verb);
  }
  return seconds;
}

/** `K=V` pairs of repeated flags (`--env`, `--label`) → a map; later ones win. */
export function parseKeyValues(values: readonly string[] | undefined, flag: string, verb?: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of values ?? []) {
    const equals = pair.indexOf('=');
    if (equals < 1) throw new UsageError(`${flag} takes NAME=VALUE, got '${pair}'`, verb);
    map[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return map;
}

/** A whole number of at least 1, for `--cpu`, `--memory`, `--limit`. */
export function parsePositiveInteger(value: string, flag: string, verb?: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag} must be a whole number of at least 1, got '${value}'`, verb);
  }
  return Number(value);
}
