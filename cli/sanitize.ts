/**
 * What the CLI lets through to a terminal of what a server or a job sent. A terminal obeys control
 * sequences wherever they come from: OSC 52 writes the clipboard, OSC 8 makes links that say one
 * thing and open another, OSC 0 retitles the window, `ESC[2J` clears the screen, `ESC[8m` hides
 * text, and some terminals answer queries (DCS, some CSI) by typing into the shell. So:
 *
 * - metadata (ids, statuses, commands, labels, failure messages, hints, error messages) is text to
 *   read: every control character in it is shown as an escape (`\x1b`), wherever it is printed;
 * - a job's output keeps its colours (SGR, `ESC[…m`), text, tabs, newlines and carriage returns on a
 *   terminal, and loses every other sequence and control character, unless the user asks for `--raw`;
 *   to a pipe or a file it goes byte for byte (scripts get exactly what the job wrote).
 *
 * Job output arrives as whole log lines, each filtered on its own: a sequence a job splits across two
 * lines is then two broken pieces, each dropped or left as plain text. Nothing that leaves here holds
 * an ESC that does not begin a complete colour sequence, or any other control character, so no state
 * carried from one line to the next could make a terminal read a sequence the filter did not allow.
 */

/**
 * C0 controls (ESC, BEL, backspace, newline…), DEL, C1 controls (U+0080–U+009F: U+009B is a CSI on
 * its own, U+009D an OSC), the line and paragraph separators, and the bidirectional overrides and
 * isolates that make text read in another order than it runs.
 */
const METADATA_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Text a server sent, fit to print: each control character shown as a visible escape (`\x1b`, `\n`, `\u202e`). */
export function sanitizeMetadata(text: string): string {
  return text.replace(METADATA_CONTROL, (character) => {
    const code = character.charCodeAt(0);
    return NAMED_ESCAPES[character] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/**
 * In order: a whole CSI (kept only if it sets colours); an OSC, DCS, SOS, PM or APC string with its
 * body, up to BEL or ST or the end of the line; any other escape sequence (`ESC 7`, `ESC ( B`, `ESC c`);
 * a lone ESC; any other control character but tab, newline and carriage return (C1 ones included:
 * dropping an 8-bit introducer leaves its parameters as harmless text).
 */
const TERMINAL_SEQUENCE = /\x1b\[[0-?]*[ -/]*(?:[@-~]|$)|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]|\x1b|[\u0000-\u0008\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f-\u009f]/g;
/** Select Graphic Rendition: colours and text styles, nothing a terminal does besides drawing. */
const COLOUR_SEQUENCE = /^\x1b\[[0-9;:]*m$/;

/** One line of a job's output, fit for a terminal: colours kept, every other sequence and control character dropped. */
export function filterForTerminal(text: string): string {
  return text.replace(TERMINAL_SEQUENCE, (sequence) => (COLOUR_SEQUENCE.test(sequence) ? sequence : ''));
}

/** `--raw` in the help of the verbs that print a job's output, its text starting at `column` as their other flags' do. */
export function rawHelp(column: number): string {
  const [first, ...rest] = [
    "on a terminal too, print the job's output as it is (by default a terminal gets its text and",
    'colours only: other escape sequences, such as clipboard writes, links, title changes and screen',
    'clears, are dropped). Output to a pipe or a file is always passed on byte for byte.',
  ];
  return [`  --raw`.padEnd(column) + first, ...rest.map((line) => ' '.repeat(column) + line)].join('\n');
}

/** How a job's line goes to `stream`: filtered on a terminal, as is elsewhere or with `--raw`. */
export function jobOutputFor(stream: { isTTY?: boolean }, raw: boolean): (text: string) => string {
  return stream.isTTY === true && !raw ? filterForTerminal : (text) => text;
}

/**
 * JSON for a terminal or a script: JSON.stringify escapes C0 controls but writes DEL, C1 controls
 * (U+009B is a CSI) and the separators and bidi controls as they are; escaped, the document means
 * the same to a parser and nothing to a terminal.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
