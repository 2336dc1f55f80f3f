import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlackCommandSyntaxError, splitShellWords, unformatSlackText } from '#lib/slack/command-text.ts';
import { parseSlashCommand, SLASH_COMMAND_HELP } from '#lib/slack/command.ts';

const JOB_ID = 'job-01jz3k4m5n6p7q8r9s0t1v2w3x';

describe('splitShellWords', () => {
  it('splits on runs of blanks, tabs and newlines', () => {
    // Act
    const words = splitShellWords('  echo \t hello\nworld  ');

    // Assess
    assert.deepEqual(words, ['echo', 'hello', 'world']);
  });

  it('keeps what is inside single quotes as it is, backslashes and double quotes included', () => {
    // Act
    const words = splitShellWords(`printf 'a  b\\n"c"'`);

    // Assess
    assert.deepEqual(words, ['printf', 'a  b\\n"c"']);
  });

  it('escapes only \\ " $ ` with a backslash inside double quotes', () => {
    // Act
    const words = splitShellWords('echo "say \\"hi\\" \\$5 \\` \\\\ \\n"');

    // Assess
    assert.deepEqual(words, ['echo', 'say "hi" $5 ` \\ \\n']);
  });

  it('takes the character after a backslash outside quotes as it is', () => {
    // Act
    const words = splitShellWords('touch my\\ file \\"x\\" \\\\');

    // Assess
    assert.deepEqual(words, ['touch', 'my file', '"x"', '\\']);
  });

  it('joins quoted and unquoted parts that touch into one word', () => {
    // Act
    const words = splitShellWords(`--name="a b"'c d'e`);

    // Assess
    assert.deepEqual(words, ['--name=a bc de']);
  });

  it("makes an empty argument of '' and \"\"", () => {
    // Act
    const words = splitShellWords(`grep '' file "" end`);

    // Assess
    assert.deepEqual(words, ['grep', '', 'file', '', 'end']);
  });

  it('expands nothing: $HOME, globs, ~, $(…) and operators stay literal', () => {
    // Act
    const words = splitShellWords('echo $HOME * ~/x "$(id)" a;b && |');

    // Assess
    assert.deepEqual(words, ['echo', '$HOME', '*', '~/x', '$(id)', 'a;b', '&&', '|']);
  });

  it('keeps # as part of words, unlike a shell comment', () => {
    // Act
    const words = splitShellWords('notify #general');

    // Assess
    assert.deepEqual(words, ['notify', '#general']);
  });

  it('refuses an unmatched double or single quote, saying which and where', () => {
    // Act and assess
    assert.throws(() => splitShellWords('echo "hello'), (error: unknown) => {
      assert.ok(error instanceof SlackCommandSyntaxError);
      assert.equal(error.name, 'SlackCommandSyntaxError');
      assert.match(error.message, /^unmatched " in the command \(opened at character 6\)/);
      return true;
    });
    assert.throws(() => splitShellWords("echo it's"), /unmatched ' in the command/);
  });

  it('refuses a trailing lone backslash', () => {
    // Act and assess
    assert.throws(() => splitShellWords('echo a\\'), (error: unknown) => error instanceof SlackCommandSyntaxError && /lone \\/.test(error.message));
  });
});

describe('unformatSlackText', () => {
  it('turns the entities Slack sends back into & < >, each once', () => {
    // Act
    const text = unformatSlackText('a &amp;&amp; b &lt;in&gt; &amp;lt;');

    // Assess
    assert.equal(text, 'a && b <in> &lt;');
  });

  it('gives back the URL a user typed, and the label of what Slack auto-linked', () => {
    // Act
    const typedUrl = unformatSlackText('curl <https://example.com/a?b=1&amp;c=2>');
    const autoLinked = unformatSlackText('ping <http://example.com|example.com>');
    const mail = unformatSlackText('mail <mailto:a@b.c|a@b.c>');

    // Assess
    assert.equal(typedUrl, 'curl https://example.com/a?b=1&c=2');
    assert.equal(autoLinked, 'ping example.com');
    assert.equal(mail, 'mail a@b.c');
  });

  it('writes mentions as plain text: users by id, channels by name, @here', () => {
    // Act
    const text = unformatSlackText('notify <@U123ABC> <@U456|bob> <#C789|deploys> <#C000> <!here> <!subteam^S1|@oncall>');

    // Assess
    assert.equal(text, 'notify @U123ABC @U456 #deploys #C000 @here @oncall');
  });

  it('does not take an escaped < typed by the user for a link', () => {
    // Act
    const text = unformatSlackText('echo &lt;@U1&gt;');

    // Assess
    assert.equal(text, 'echo <@U1>');
  });

  it('straightens smart quotes and turns non-breaking spaces into spaces', () => {
    // Act
    const text = unformatSlackText('echo \u201Chello world\u201D \u2018it\u2019s\u2019 \u201Elow\u201C\u00A0x');

    // Assess
    assert.equal(text, `echo "hello world" 'it's' "low" x`);
  });
});

describe('parseSlashCommand', () => {
  it('reads empty text and help as help', () => {
    // Act and assess
    assert.deepEqual(parseSlashCommand(''), { kind: 'help' });
    assert.deepEqual(parseSlashCommand('   '), { kind: 'help' });
    assert.deepEqual(parseSlashCommand('help'), { kind: 'help' });
  });

  it('reads the job verbs with their id, whatever the case of the verb', () => {
    // Act and assess
    assert.deepEqual(parseSlashCommand(`status ${JOB_ID}`), { kind: 'status', jobId: JOB_ID });
    assert.deepEqual(parseSlashCommand(`logs ${JOB_ID}`), { kind: 'logs', jobId: JOB_ID });
    assert.deepEqual(parseSlashCommand(`Cancel ${JOB_ID}`), { kind: 'cancel', jobId: JOB_ID });
    assert.deepEqual(parseSlashCommand('list'), { kind: 'list' });
    assert.deepEqual(parseSlashCommand('Schedules'), { kind: 'schedules' });
  });

  it('reads anything else as a profile and the command to run with it', () => {
    // Act
    const command = parseSlashCommand('default echo hello');

    // Assess
    assert.deepEqual(command, { kind: 'run', profile: 'default', command: ['echo', 'hello'] });
  });

  it('undoes Slack formatting before splitting, so smart quotes group words and entities are characters', () => {
    // Act
    const command = parseSlashCommand('build sh -c \u201Cmake &amp;&amp; curl <https://example.com/x>\u201D');

    // Assess
    assert.deepEqual(command, { kind: 'run', profile: 'build', command: ['sh', '-c', 'make && curl https://example.com/x'] });
  });

  it('lets verbs win over a profile of the same name: `/run logs echo hi` is never a run', () => {
    // Act and assess
    assert.throws(() => parseSlashCommand('logs echo hi'), /takes one job id/);
    assert.throws(() => parseSlashCommand('list echo hi'), /takes no arguments/);
    assert.throws(() => parseSlashCommand('schedules echo hi'), /`\/run schedules` takes no arguments/);
    assert.deepEqual(parseSlashCommand('help echo hi'), { kind: 'help' });
  });

  it('refuses a profile without a command, pointing at /run help', () => {
    // Act and assess
    assert.throws(() => parseSlashCommand('default'), (error: unknown) => {
      assert.ok(error instanceof SlackCommandSyntaxError);
      assert.match(error.message, /needs a command to run with profile 'default'/);
      assert.match(error.message, /\/run help/);
      return true;
    });
  });

  it('refuses a job verb without an id, with more than one, or with something that is not a job id', () => {
    // Act and assess
    assert.throws(() => parseSlashCommand('status'), /`\/run status` needs a job id/);
    assert.throws(() => parseSlashCommand(`logs ${JOB_ID} ${JOB_ID}`), /takes one job id/);
    assert.throws(() => parseSlashCommand('cancel 42'), /'42' is not a job id/);
    assert.throws(() => parseSlashCommand('list everything'), /takes no arguments/);
  });

  it('escapes what the user typed when an error message quotes it', () => {
    // Act and assess
    assert.throws(() => parseSlashCommand('status &lt;!channel&gt;'), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.ok(error.message.includes("'&lt;!channel&gt;' is not a job id"));
      assert.ok(!error.message.includes('<!channel>'));
      return true;
    });
  });

  it('passes unbalanced quotes on as a syntax error', () => {
    // Act and assess
    assert.throws(() => parseSlashCommand('default echo "hi'), SlackCommandSyntaxError);
  });
});

describe('SLASH_COMMAND_HELP', () => {
  it('lists every form with an example, with < and > escaped for Slack', () => {
    // Assess
    for (const form of ['/run &lt;profile&gt;', '/run status', '/run logs', '/run cancel', '/run list', '/run schedules', '/run help', '/run default echo hello']) {
      assert.ok(SLASH_COMMAND_HELP.includes(form), form);
    }
    assert.doesNotMatch(SLASH_COMMAND_HELP, /[<>]/);
  });
});
