/**
 * What reaches a terminal of what a server or a job sent: metadata with every control character
 * shown as an escape; job output with its colours and text only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterForTerminal, jobOutputFor, sanitizeMetadata, terminalSafeJson } from '#cli/sanitize.ts';

/** Anything a terminal could act on besides text and layout: ESC, BEL, other C0, DEL, C1. */
const ACTIONABLE = /[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f]/;

describe('sanitizeMetadata', () => {
  it('shows each control character as an escape and leaves other text alone', () => {
    assert.equal(sanitizeMetadata('\x1b]8;;https://evil.example\x07docs\x1b]8;;\x07'), '\\x1b]8;;https://evil.example\\x07docs\\x1b]8;;\\x07');
    assert.equal(sanitizeMetadata('\x1b]0;owned\x07'), '\\x1b]0;owned\\x07');
    assert.equal(sanitizeMetadata('a\tb\nc\rd\x7f\u009b2J'), 'a\\tb\\nc\\rd\\x7f\\x9b2J');
    assert.equal(sanitizeMetadata('invoice\u202Efdp.exe'), 'invoice\\u202efdp.exe');
    assert.equal(sanitizeMetadata('npm run build — ünïcödé ✓'), 'npm run build — ünïcödé ✓');
  });
});

describe('filterForTerminal', () => {
  it('keeps colours, text, tabs and carriage returns', () => {
    const coloured = '\x1b[1;31merror\x1b[0m:\tbuild \x1b[38;5;208mfailed\x1b[m 50%\r100%';

    assert.equal(filterForTerminal(coloured), coloured);
  });

  const dropped: [string, string, string][] = [
    ['an OSC 52 clipboard write ended by BEL', 'before\x1b]52;c;cm0gLXJmIH4=\x07after', 'beforeafter'],
    ['an OSC 8 link ended by ST', '\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\', 'click'],
    ['a title change', '\x1b]0;sudo password:\x07ok', 'ok'],
    ['a screen clear and a cursor move', '\x1b[2J\x1b[Hclean\x1b[10;1H', 'clean'],
    ['a DCS string', 'a\x1bP$q"p\x1b\\b', 'ab'],
    ['an APC string', 'a\x1b_payload\x1b\\b', 'ab'],
    ['a reset and a charset switch', '\x1bcreset\x1b(0q', 'resetq'],
    ['an unterminated OSC, to the end of the line', 'text\x1b]52;c;aGVsbG8=', 'text'],
    ['an unterminated CSI at the end', 'text\x1b[2', 'text'],
    ['a lone ESC, BEL, backspace and DEL', 'a\x1b\x07b\x08c\x7f', 'abc'],
    ['an 8-bit CSI and OSC, leaving their parameters as text', 'a\u009b2Jb\u009d0;t\u009c', 'a2Jb0;t'],
  ];
  for (const [name, text, shown] of dropped) {
    it(`drops ${name}`, () => {
      assert.equal(filterForTerminal(text), shown);
    });
  }

  it('leaves nothing a terminal acts on of a sequence split across two lines', () => {
    const [first, second] = ['copy this\x1b]52;c;', 'cm0gLXJmIH4=\x07 done'].map(filterForTerminal);

    assert.equal(first, 'copy this');
    assert.equal(second, 'cm0gLXJmIH4= done');
    assert.doesNotMatch(`${first}\n${second}`, ACTIONABLE);
  });

  it('never lets out an ESC that does not begin a complete colour sequence', () => {
    const nasty = ['\x1b[\x1b]0;x\x07m', '\x1b[31\x1b[2Jm', '\x1b\x1b[m', '\x1b[?1049h\x1b[6n', '\x1b]\x1b[31m'];
    for (const text of nasty) {
      const shown = filterForTerminal(text);
      assert.doesNotMatch(shown.replace(/\x1b\[[0-9;:]*m/g, ''), ACTIONABLE, JSON.stringify(text));
      assert.doesNotMatch(shown.replace(/\x1b\[[0-9;:]*m/g, ''), /\x1b/, JSON.stringify(text));
    }
  });
});

describe('jobOutputFor', () => {
  it('filters on a terminal, and passes the bytes on to a pipe or with --raw', () => {
    const text = '\x1b]52;c;eA==\x07x';

    assert.equal(jobOutputFor({ isTTY: true }, false)(text), 'x');
    assert.equal(jobOutputFor({ isTTY: true }, true)(text), text);
    assert.equal(jobOutputFor({}, false)(text), text);
  });
});

describe('terminalSafeJson', () => {
  it('escapes DEL and C1 controls, which JSON.stringify writes raw, keeping the same document', () => {
    const value = { message: 'a\u009b2Jb\x7f\u202e' };
    const json = terminalSafeJson(JSON.stringify(value));

    assert.doesNotMatch(json, ACTIONABLE);
    assert.deepEqual(JSON.parse(json), value);
  });
});
