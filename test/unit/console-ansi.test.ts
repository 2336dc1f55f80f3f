/**
 * The console's log lines: SGR colours and styles become CSS classes, and every other escape
 * sequence and control character is dropped, as cli/sanitize.ts does for a terminal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAnsi, plainText } from '../../console/ansi.ts';

const segment = (text: string, ...classes: string[]) => ({ text, classes });

describe('parseAnsi', () => {
  it('leaves a line without sequences as one plain segment, markup and all', () => {
    assert.deepEqual(parseAnsi('<img src=x onerror=alert(1)>'), [segment('<img src=x onerror=alert(1)>')]);
  });

  it('turns the 8 colours, their bright forms and backgrounds into classes, and 0 resets them', () => {
    // Prepare
    const line = '\x1b[31mred\x1b[0m plain \x1b[92mbright green\x1b[44;97m on blue\x1b[m end';

    // Act
    const segments = parseAnsi(line);

    // Assess
    assert.deepEqual(segments, [
      segment('red', 'ansi-red'),
      segment(' plain '),
      segment('bright green', 'ansi-bright-green'),
      segment(' on blue', 'ansi-bright-white', 'ansi-bg-blue'),
      segment(' end'),
    ]);
  });

  it('keeps text styles and switches each off on its own', () => {
    const segments = parseAnsi('\x1b[1;3;4mall\x1b[22mno bold\x1b[23;24m none\x1b[2mdim\x1b[9mstruck');

    assert.deepEqual(segments, [
      segment('all', 'ansi-bold', 'ansi-italic', 'ansi-underline'),
      segment('no bold', 'ansi-italic', 'ansi-underline'),
      segment(' none'),
      segment('dim', 'ansi-dim'),
      segment('struck', 'ansi-dim', 'ansi-strike'),
    ]);
  });

  it('maps 256-colour and true-colour codes, in both separator forms, to the nearest named colour', () => {
    assert.deepEqual(parseAnsi('\x1b[38;5;196ma'), [segment('a', 'ansi-bright-red')]);
    assert.deepEqual(parseAnsi('\x1b[38;5;4ma'), [segment('a', 'ansi-blue')]);
    assert.deepEqual(parseAnsi('\x1b[48;5;232ma'), [segment('a', 'ansi-bg-black')]);
    assert.deepEqual(parseAnsi('\x1b[38;2;0;200;0;1ma'), [segment('a', 'ansi-green', 'ansi-bold')]);
    assert.deepEqual(parseAnsi('\x1b[38:2::250:250:250ma'), [segment('a', 'ansi-bright-white')]);
    assert.deepEqual(parseAnsi('\x1b[38:5:21ma'), [segment('a', 'ansi-blue')]);
  });

  it('swaps the colours for inverse video, using the log’s own colours for a default one', () => {
    assert.deepEqual(parseAnsi('\x1b[31;7minverse'), [segment('inverse', 'ansi-inverse-fg', 'ansi-bg-red')]);
  });

  it('does not honour hidden text or blinking', () => {
    assert.deepEqual(parseAnsi('\x1b[8mpassword\x1b[5m!'), [segment('password!')]);
  });

  const dropped: [string, string, string][] = [
    ['a title change (OSC 0) ended by BEL', '\x1b]0;title\x07\x1b[31mred\x1b[0m', 'red'],
    ['an OSC 52 clipboard write', 'before\x1b]52;c;cm0gLXJmIH4=\x07after', 'beforeafter'],
    ['an OSC 8 link ended by ST', '\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\', 'click'],
    ['a screen clear and cursor moves', '\x1b[2J\x1b[Hclean\x1b[10;1H', 'clean'],
    ['a DCS string', 'a\x1bP$q"p\x1b\\b', 'ab'],
    ['a reset and a charset switch', '\x1bcreset\x1b(0q', 'resetq'],
    ['an unterminated OSC, to the end of the line', 'text\x1b]52;c;aGVsbG8=', 'text'],
    ['an unterminated CSI', 'text\x1b[31', 'text'],
    ['a private-mode CSI ending in m', 'a\x1b[?1mb', 'ab'],
    ['a lone ESC, BEL, backspace, DEL and NUL', 'a\x1b\x07b\x08c\x7f\x00d', 'abcd'],
    ['8-bit CSI and OSC introducers, leaving their parameters as text', 'a\u009b2Jb\u009d0;t\u009c', 'a2Jb0;t'],
  ];
  for (const [name, line, shown] of dropped) {
    it(`drops ${name}`, () => {
      assert.equal(plainText(line), shown);
    });
  }

  it('keeps tabs, and shows what follows the last carriage return as a terminal would', () => {
    assert.deepEqual(parseAnsi('a\tb'), [segment('a\tb')]);
    assert.deepEqual(parseAnsi('\x1b[32m 10%\r 50%\r100%'), [segment('100%', 'ansi-green')]);
    assert.deepEqual(parseAnsi('done\r'), [segment('done')]);
  });

  it('merges neighbouring text of one style into one segment', () => {
    assert.deepEqual(parseAnsi('\x1b[31ma\x1b[31mb\x1b[Kc'), [segment('abc', 'ansi-red')]);
  });
});
