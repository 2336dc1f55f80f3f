/**
 * The text of a slash command, turned back into what the user typed and split into argv.
 *
 * Slack rewrites what it sends: `& < >` become entities, URLs and mentions become `<…>` links, and
 * the user's own keyboard often turns quotes into smart quotes. `unformatSlackText` undoes that;
 * `splitShellWords` then splits words the way a POSIX shell would, without ever running one and
 * without expanding anything (`$HOME`, `*`, `~` reach the command as typed): the profile decides
 * whether a shell runs at all.
 */
import { ValidationError } from '#lib/domain/errors.ts';

/** A command text that cannot be split into words (an unclosed quote, a lone trailing backslash). */
export class SlackCommandSyntaxError extends ValidationError {
  constructor(message: string) {
    super(message);
    this.name = 'SlackCommandSyntaxError';
  }
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

/**
 * Quotes a phone or macOS keyboard substitutes as one types. Nobody means them as part of an
 * argument to a command, and a shell would not take them as quotes, so they become straight quotes.
 */
const SMART_QUOTES: Array<[RegExp, string]> = [
  [/[\u201C\u201D\u201E\u201F]/g, '"'],
  [/[\u2018\u2019\u201A\u201B]/g, "'"],
  // Non-breaking and narrow non-breaking spaces: typed as spaces, meant as spaces.
  [/[\u00A0\u202F]/g, ' '],
];

/**
 * What the user typed, from the text Slack sent. Links and mentions (`<…>`) are resolved in the same
 * pass as entities, so that an escaped `&lt;x&gt;` the user typed is never taken for a link.
 */
export function unformatSlackText(text: string): string {
  const plain = text.replace(/<([^<>]*)>|&(?:amp|lt|gt);/g, (match, link: string | undefined) =>
    link === undefined ? (ENTITIES[match] ?? match) : decodeEntities(unformatLink(link)),
  );
  return SMART_QUOTES.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), plain);
}

/**
 * One `<…>` of Slack's formatting, as the user typed it:
 * - `<@U123>` / `<@U123|name>` (user mention) → `@U123`: the id, since the display name is optional
 *   and may change, and a command wanting a user needs the stable id;
 * - `<#C123|general>` (channel mention) → `#general`, or `#C123` without a name;
 * - `<!here>`, `<!channel>`, `<!everyone>` → `@here`…; `<!subteam^S1|@team>` → `@team`; other
 *   `<!…|fallback>` (dates) → the fallback;
 * - `<url|label>` → the label: Slack adds the URL when it auto-links what the user typed (`example.com`
 *   becomes `<http://example.com|example.com>`, `a@b.c` becomes `<mailto:a@b.c|a@b.c>`);
 * - `<url>` → the URL, which is what the user typed.
 */
function unformatLink(link: string): string {
  const bar = link.indexOf('|');
  const target = bar === -1 ? link : link.slice(0, bar);
  const label = bar === -1 ? undefined : link.slice(bar + 1);
  if (target.startsWith('@')) return target;
  if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
  if (target.startsWith('!')) {
    if (label !== undefined) return label;
    const special = target.slice(1);
    return `@${special.startsWith('subteam^') ? special.slice('subteam^'.length) : special}`;
  }
  return label ?? target;
}

function decodeEntities(text: string): string {
  return text.replace(/&(?:amp|lt|gt);/g, (entity) => ENTITIES[entity] ?? entity);
}

/** Characters a backslash escapes inside double quotes (POSIX); before any other, it stays itself. */
const DOUBLE_QUOTE_ESCAPABLE = new Set(['\\', '"', '$', '`']);
const WORD_SEPARATORS = new Set([' ', '\t', '\n', '\r']);

/**
 * Splits a command into words as `sh` would before running it, and does nothing else: no variable,
 * glob, tilde or command substitution, no comments (`#` stays, a channel name may start with one),
 * no operators (`;`, `|`, `&&` are plain characters of a word). `''` and `""` are empty words;
 * quoted and unquoted parts next to each other join into one word.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  // Separate from `word`, so that `''` still makes a word.
  let inWord = false;
  let index = 0;
  while (index < text.length) {
    if (WORD_SEPARATORS.has(text.charAt(index))) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      index += 1;
      continue;
    }
    const part = readPart(text, index);
    word += part.value;
    inWord = true;
    index = part.end;
  }
  if (inWord) words.push(word);
  return words;
}

interface Part {
  value: string;
  /** The index just after the part. */
  end: number;
}

function readPart(text: string, start: number): Part {
  const char = text.charAt(start);
  if (char === "'") return readSingleQuoted(text, start);
  if (char === '"') return readDoubleQuoted(text, start);
  if (char === '\\') return readEscaped(text, start);
  return { value: char, end: start + 1 };
}

/** `'…'`: everything up to the next `'` as it is; no escape exists inside. */
function readSingleQuoted(text: string, start: number): Part {
  const close = text.indexOf("'", start + 1);
  if (close === -1) throw unmatched("'", start);
  return { value: text.slice(start + 1, close), end: close + 1 };
}

/** `"…"`: a backslash escapes only `\ " $ \``, and a backslash before a newline joins the lines. */
function readDoubleQuoted(text: string, start: number): Part {
  let value = '';
  let index = start + 1;
  while (index < text.length) {
    const char = text.charAt(index);
    if (char === '"') return { value, end: index + 1 };
    const next = text.charAt(index + 1);
    if (char === '\\' && (DOUBLE_QUOTE_ESCAPABLE.has(next) || next === '\n')) {
      if (next !== '\n') value += next;
      index += 2;
    } else {
      value += char;
      index += 1;
    }
  }
  throw unmatched('"', start);
}

/** `\x` outside quotes: `x` as it is; a backslash before a newline joins the lines. */
function readEscaped(text: string, start: number): Part {
  if (start + 1 >= text.length) {
    throw new SlackCommandSyntaxError('the command ends with a lone \\ (escape a backslash as \\\\ or quote it)');
  }
  const next = text.charAt(start + 1);
  return { value: next === '\n' ? '' : next, end: start + 2 };
}

function unmatched(quote: string, position: number): SlackCommandSyntaxError {
  return new SlackCommandSyntaxError(`unmatched ${quote} in the command (opened at character ${position + 1}); close it, or escape it as \\${quote}`);
}
