/**
 * A job's log line as coloured segments. A terminal would obey every escape sequence a job prints;
 * the console honours only what cli/sanitize.ts lets through to a terminal: SGR colours and text
 * styles (`ESC[…m`). Every other sequence (OSC titles and links, cursor moves, screen clears, DCS…)
 * and every other control character is dropped. Styles come out as CSS class names, never as inline
 * styles (the console's CSP refuses them), so 256-colour and true-colour codes are mapped to the
 * nearest of the 16 named colours. Kept free of the DOM so that it is tested in Node.
 *
 * Each line starts in the default style: a colour a job leaves on at a line's end does not carry
 * over (lines are fetched in pages and loaded older-first on demand, so there is no "previous line"
 * to inherit from reliably).
 */

export interface AnsiSegment {
  text: string;
  /** CSS classes, e.g. `ansi-red`, `ansi-bg-blue`, `ansi-bold`; empty for the default style. */
  classes: string[];
}

const COLOUR_NAMES = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'] as const;

/** xterm's default 16 colours, for mapping 256-colour and true-colour codes to the nearest. */
const PALETTE: readonly (readonly [number, number, number])[] = [
  [0, 0, 0], [205, 0, 0], [0, 205, 0], [205, 205, 0], [0, 0, 238], [205, 0, 205], [0, 205, 205], [229, 229, 229],
  [127, 127, 127], [255, 0, 0], [0, 255, 0], [255, 255, 0], [92, 92, 255], [255, 0, 255], [0, 255, 255], [255, 255, 255],
];

interface Style {
  /** 0–15 (8–15 bright), or undefined for the default. */
  foreground?: number;
  background?: number;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  inverse: boolean;
  strike: boolean;
}

const DEFAULT_STYLE: Style = { bold: false, dim: false, italic: false, underline: false, inverse: false, strike: false };

/**
 * The same tokens as cli/sanitize.ts's TERMINAL_SEQUENCE: a whole CSI; an OSC, DCS, SOS, PM or APC
 * string with its body up to BEL, ST or the end; any other escape sequence; a lone ESC; any other
 * control character but tab and carriage return. Plus the carriage return itself, which is handled.
 */
const TOKEN = /\x1b\[([0-?]*)([ -/]*)([@-~]|$)|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]|\x1b|\r|[\u0000-\u0008\u000a-\u000c\u000e-\u001f\u007f-\u009f]/g;

/** Splits one log line into styled text segments; adjacent text of one style is one segment. */
export function parseAnsi(line: string): AnsiSegment[] {
  let segments: AnsiSegment[] = [];
  let style: Style = { ...DEFAULT_STYLE };
  let last = 0;
  const push = (text: string) => {
    if (text === '') return;
    const classes = classesOf(style);
    const previous = segments.at(-1);
    if (previous && sameClasses(previous.classes, classes)) previous.text += text;
    else segments.push({ text, classes });
  };
  for (const match of line.matchAll(TOKEN)) {
    push(line.slice(last, match.index));
    last = match.index + match[0].length;
    const [token, parameters, intermediates, final] = match;
    if (token === '\r') {
      // A carriage return rewrites the line (progress bars): what follows it is what a terminal shows.
      if (line.slice(last).replace(TOKEN, '') !== '') segments = [];
    } else if (final === 'm' && intermediates === '' && parameters !== undefined && /^[0-9;:]*$/.test(parameters)) {
      style = applySgr(style, parameters);
    }
  }
  push(line.slice(last));
  return segments;
}

/** The line's text with every sequence removed (for a download or a search). */
export function plainText(line: string): string {
  return parseAnsi(line).map((segment) => segment.text).join('');
}

function applySgr(current: Style, parameters: string): Style {
  const style = { ...current };
  const parts = parameters.split(';');
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index] ?? '';
    if (part.includes(':')) {
      // The colon form holds a whole extended colour in one part: `38:5:n`, `38:2::r:g:b`, `38:2:r:g:b`.
      const [code, ...rest] = part.split(':').map(Number);
      if (code === 38 || code === 48) setExtended(style, code, extendedColour(rest[0], rest[0] === 2 ? rest.slice(-3) : rest.slice(1)));
      else applySimpleCode(style, code ?? 0);
      continue;
    }
    const code = part === '' ? 0 : Number(part);
    if (code === 38 || code === 48) {
      // The semicolon form spreads it over the next parts: `38;5;n`, `38;2;r;g;b`.
      const kind = Number(parts[index + 1]);
      const length = kind === 5 ? 1 : kind === 2 ? 3 : 0;
      setExtended(style, code, extendedColour(kind, parts.slice(index + 2, index + 2 + length).map(Number)));
      index += 1 + length;
    } else {
      applySimpleCode(style, code);
    }
  }
  return style;
}

function setExtended(style: Style, code: number, colour: number | undefined): void {
  if (colour === undefined) return;
  if (code === 38) style.foreground = colour;
  else style.background = colour;
}

function applySimpleCode(style: Style, code: number): void {
  if (code === 0) Object.assign(style, DEFAULT_STYLE, { foreground: undefined, background: undefined });
  else if (code === 1) style.bold = true;
  else if (code === 2) style.dim = true;
  else if (code === 3) style.italic = true;
  else if (code === 4) style.underline = true;
  else if (code === 7) style.inverse = true;
  else if (code === 9) style.strike = true;
  else if (code === 22) style.bold = style.dim = false;
  else if (code === 23) style.italic = false;
  else if (code === 24) style.underline = false;
  else if (code === 27) style.inverse = false;
  else if (code === 29) style.strike = false;
  else if (code >= 30 && code <= 37) style.foreground = code - 30;
  else if (code === 39) style.foreground = undefined;
  else if (code >= 40 && code <= 47) style.background = code - 40;
  else if (code === 49) style.background = undefined;
  else if (code >= 90 && code <= 97) style.foreground = code - 90 + 8;
  else if (code >= 100 && code <= 107) style.background = code - 100 + 8;
  // Anything else (blink, hidden text, fonts…) is not honoured: hidden text in particular.
}

/** A 256-colour index (`kind` 5) or an RGB triple (`kind` 2) as the nearest named colour. */
function extendedColour(kind: number | undefined, values: readonly number[]): number | undefined {
  if (kind === 5) return colour256(values[0]);
  if (kind === 2 && values.length === 3 && values.every((value) => Number.isInteger(value) && value >= 0 && value <= 255)) {
    const [red = 0, green = 0, blue = 0] = values;
    return nearest(red, green, blue);
  }
  return undefined;
}

function colour256(index: number | undefined): number | undefined {
  if (index === undefined || !Number.isInteger(index) || index < 0 || index > 255) return undefined;
  if (index < 16) return index;
  if (index >= 232) {
    const grey = 8 + (index - 232) * 10;
    return nearest(grey, grey, grey);
  }
  const cube = index - 16;
  const level = (step: number) => (step === 0 ? 0 : 55 + step * 40);
  return nearest(level(Math.floor(cube / 36)), level(Math.floor(cube / 6) % 6), level(cube % 6));
}

export function nearest(red: number, green: number, blue: number): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  PALETTE.forEach(([r, g, b], index) => {
    const distance = (r - red) ** 2 + (g - green) ** 2 + (b - blue) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [index, distance];
  });
  return best;
}

function colourName(index: number): string {
  const name = COLOUR_NAMES[index % 8] ?? 'white';
  return index >= 8 ? `bright-${name}` : name;
}

function classesOf(style: Style): string[] {
  const classes: string[] = [];
  // Inverse swaps the two colours; a default one becomes the log's own (`ansi-inverse-…`).
  const foreground = style.inverse ? style.background : style.foreground;
  const background = style.inverse ? style.foreground : style.background;
  if (foreground !== undefined) classes.push(`ansi-${colourName(foreground)}`);
  else if (style.inverse) classes.push('ansi-inverse-fg');
  if (background !== undefined) classes.push(`ansi-bg-${colourName(background)}`);
  else if (style.inverse) classes.push('ansi-inverse-bg');
  if (style.bold) classes.push('ansi-bold');
  if (style.dim) classes.push('ansi-dim');
  if (style.italic) classes.push('ansi-italic');
  if (style.underline) classes.push('ansi-underline');
  if (style.strike) classes.push('ansi-strike');
  return classes;
}

function sameClasses(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}
