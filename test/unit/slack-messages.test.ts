import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job } from '#lib/domain/job.ts';
import {
  COMMAND_DISPLAY_LIMIT,
  escapeSlackText,
  finalHeaderMessage,
  formatCommand,
  formatDuration,
  listMessage,
  logsMessage,
  MESSAGE_BLOCK_LIMIT,
  MESSAGE_TEXT_LIMIT,
  queuedMessage,
  resultMessage,
  runningMessage,
  SECTION_TEXT_LIMIT,
  statusMessage,
  type SlackBlock,
  type SlackButton,
  type SlackMessage,
} from '#lib/slack/messages.ts';
import { aJob } from '../helpers/jobs.ts';

const USER = 'U0001ALICE';

function finished(overrides: Partial<Job> = {}): Job {
  return aJob({
    status: 'SUCCEEDED',
    exitCode: 0,
    startedAt: '2025-06-01T12:00:00.000Z',
    stoppedAt: '2025-06-01T12:01:05.000Z',
    logTail: ['building', 'done'],
    ...overrides,
  });
}

function buttons(message: SlackMessage): SlackButton[] {
  return message.blocks.flatMap((block) => (block.type === 'actions' ? block.elements : []));
}

function texts(message: SlackMessage): string[] {
  return message.blocks.flatMap((block: SlackBlock) =>
    block.type === 'section' ? [block.text.text] : block.type === 'context' ? block.elements.map((element) => element.text) : [],
  );
}

/** The text of the section holding the code block. */
function codeSection(message: SlackMessage): string {
  const text = texts(message).find((candidate) => candidate.includes('```'));
  assert.ok(text !== undefined, 'the message has a code block');
  return text;
}

/** Every message keeps within Slack's limits, and no code block is left open. */
function assertWithinSlackLimits(message: SlackMessage): void {
  assert.ok(message.text.length < 4000, `text has ${message.text.length} characters`);
  assert.ok(message.blocks.length <= MESSAGE_BLOCK_LIMIT, `${message.blocks.length} blocks`);
  for (const text of texts(message)) {
    assert.ok(text.length <= SECTION_TEXT_LIMIT, `a block has ${text.length} characters`);
    assert.equal((text.match(/```/g) ?? []).length % 2, 0, 'code blocks are closed');
    assert.doesNotMatch(text, /&(?!amp;|lt;|gt;)/, 'no entity is cut in half');
  }
}

describe('escapeSlackText', () => {
  it('escapes & < > and nothing else', () => {
    // Act
    const escaped = escapeSlackText(`a&b <!channel> "q" 'x' *bold*`);

    // Assess
    assert.equal(escaped, `a&amp;b &lt;!channel&gt; "q" 'x' *bold*`);
  });
});

describe('formatDuration', () => {
  it('writes seconds, minutes and hours as a person reads them', () => {
    // Act and assess
    assert.equal(formatDuration(42_000), '42s');
    assert.equal(formatDuration(65_000), '1m 05s');
    assert.equal(formatDuration(7_384_000), '2h 03m 04s');
  });
});

describe('formatCommand', () => {
  it('quotes only the words a shell would need quoted', () => {
    // Act
    const command = formatCommand(['sh', '-c', "echo 'hi' $HOME", '', 'a=b', 'line\nbreak']);

    // Assess
    assert.equal(command, `sh -c 'echo '\\''hi'\\'' $HOME' '' a=b $'line\\nbreak'`);
  });

  it('cuts a long command at the display limit', () => {
    // Act
    const command = formatCommand(['echo', 'x'.repeat(1000)]);

    // Assess
    assert.equal(command.length, COMMAND_DISPLAY_LIMIT);
    assert.ok(command.endsWith('…'));
  });
});

describe('queuedMessage', () => {
  it('says who queued which command, with Cancel and Logs buttons carrying the job id', () => {
    // Prepare
    const job = aJob({ command: ['echo', 'a & b'] });

    // Act
    const message = queuedMessage(job, USER);

    // Assess
    assert.equal(message.text, `⏳ job \`${job.id}\` queued by <@${USER}>: \`echo 'a &amp; b'\``);
    const [cancel, logs] = buttons(message);
    assert.deepEqual([cancel?.action_id, cancel?.style, cancel?.value], ['cancel_job', 'danger', job.id]);
    assert.deepEqual([logs?.action_id, logs?.value], ['job_logs', job.id]);
    assertWithinSlackLimits(message);
  });

  it('keeps a backtick in the command from ending the inline code', () => {
    // Act
    const message = queuedMessage(aJob({ command: ['sh', '-c', 'echo `id`'] }), USER);

    // Assess
    assert.ok(message.text.endsWith(": `sh -c 'echo \u02CBid\u02CB'`"), message.text);
  });
});

describe('runningMessage', () => {
  it('gives the ssh hint and public IP when the job has them', () => {
    // Prepare
    const job = aJob({ status: 'RUNNING', network: { publicIp: '203.0.113.7' }, connect: { ssh: 'ssh -p 2222 runner@203.0.113.7' } });

    // Act
    const message = runningMessage(job);

    // Assess
    assert.match(message.text, /^▶️ job `job-\w+` running at 203\.0\.113\.7$/);
    assert.match(texts(message).join('\n'), /`ssh -p 2222 runner@203\.0\.113\.7`/);
  });

  it('says only that it runs when there is nothing to connect to', () => {
    // Act
    const message = runningMessage(aJob({ status: 'RUNNING' }));

    // Assess
    assert.doesNotMatch(texts(message).join('\n'), /ssh|public IP/);
  });
});

describe('resultMessage', () => {
  it('gives status, exit code, duration and the log tail, with Rerun and Logs', () => {
    // Prepare
    const job = finished();

    // Act
    const message = resultMessage(job);

    // Assess
    assert.equal(message.text, `✅ job \`${job.id}\` SUCCEEDED · exit code 0 · 1m 05s`);
    assert.equal(codeSection(message), '```\nbuilding\ndone\n```');
    assert.deepEqual(
      buttons(message).map((button) => [button.action_id, button.value]),
      [
        ['rerun_job', job.id],
        ['job_logs', job.id],
      ],
    );
  });

  it('shows the failure category and message of a failed job', () => {
    // Prepare
    const job = finished({ status: 'FAILED', exitCode: 137, failure: { category: 'OOM', message: 'the container ran out of memory (<512 MiB>)' } });

    // Act
    const message = resultMessage(job);

    // Assess
    assert.match(texts(message)[0] ?? '', /^❌ job `job-\w+` FAILED · exit code 137 · 1m 05s\n\*OOM\*: the container ran out of memory \(&lt;512 MiB&gt;\)$/);
  });

  it('escapes & < > in log lines, so a log cannot mention @channel or fake a link', () => {
    // Act
    const message = resultMessage(finished({ logTail: ['<!channel> deploy <https://evil.example|docs> & done'] }));

    // Assess
    assert.equal(codeSection(message), '```\n&lt;!channel&gt; deploy &lt;https://evil.example|docs&gt; &amp; done\n```');
  });

  it('keeps a ``` in a log line from closing the code block early', () => {
    // Act
    const section = codeSection(resultMessage(finished({ logTail: ['before ``` after'] })));

    // Assess
    assert.equal((section.match(/```/g) ?? []).length, 2);
    assert.match(section, /before `\u200B`\u200B` after/);
  });

  it('keeps the last lines that fit, after "…N more lines" and the link to the full log (the job\'s console page)', () => {
    // Prepare
    const logTail = Array.from({ length: 200 }, (_, index) => `line ${String(index).padStart(3, '0')} ${'&'.repeat(20)}`);

    // Act
    const message = resultMessage(finished({ logTail }), { consoleUrl: 'https://jobs.example.com/stage?a=1&b=2#/jobs/x' });

    // Assess
    assertWithinSlackLimits(message);
    const section = codeSection(message);
    const shown = section.split('\n').filter((line) => line.startsWith('line '));
    const note = section.match(/^…(\d+) more lines · <https:\/\/jobs\.example\.com\/stage\?a=1&amp;b=2#\/jobs\/x\|full log>\n```/);
    assert.ok(note, section.slice(0, 200));
    assert.equal(Number(note[1]) + shown.length, 200);
    assert.ok(shown.at(-1)?.startsWith('line 199'), 'the last line is kept');
    assert.ok(section.endsWith('\n```'));
    assert.ok(section.length > SECTION_TEXT_LIMIT - 200, 'the block is filled, not cut short');
  });

  it('cuts a single line longer than the block without splitting an entity or leaving the block open', () => {
    // Prepare: "a<b&c>" escapes to 16 characters, 13 of them in entities; shifting it by 0 to 15 makes
    // the cut land at every position of that pattern, inside an entity for most.
    const lines = Array.from({ length: 16 }, (_, shift) => 'x'.repeat(shift) + 'a<b&c>'.repeat(1000));

    // Act
    const messages = lines.map((long) => resultMessage(finished({ logTail: ['first', long] })));

    // Assess
    for (const message of messages) {
      assertWithinSlackLimits(message);
      const section = codeSection(message);
      assert.match(section, /^…1 more line\n```\nx*a&lt;b&amp;c&gt;/);
      assert.match(section, /…\n```$/);
    }
  });

  it('keeps the top-level text under 4000 characters whatever the failure message', () => {
    // Act
    const message = resultMessage(finished({ status: 'FAILED', exitCode: 1, failure: { category: 'USER_EXIT', message: '<'.repeat(10_000) } }));

    // Assess
    assertWithinSlackLimits(message);
    assert.ok(message.text.length <= MESSAGE_TEXT_LIMIT);
  });
});

describe('finalHeaderMessage', () => {
  it('turns the queued message into the final status, without the Cancel button', () => {
    // Prepare
    const job = finished({ status: 'CANCELLED', exitCode: null });

    // Act
    const message = finalHeaderMessage(job, USER);

    // Assess
    assert.match(message.text, /^🚫 job `job-\w+` CANCELLED, queued by <@U0001ALICE>: `echo hello`$/);
    assert.deepEqual(
      buttons(message).map((button) => button.action_id),
      ['rerun_job', 'job_logs'],
    );
  });
});

describe('logsMessage', () => {
  it('shows the given lines in a closed code block, the last ones when they do not all fit', () => {
    // Prepare
    const lines = Array.from({ length: 5000 }, (_, index) => `log line ${index}`);

    // Act
    const message = logsMessage(finished(), lines);

    // Assess
    assertWithinSlackLimits(message);
    assert.match(codeSection(message), /^…\d+ more lines\n```\n/);
    assert.match(codeSection(message), /log line 4999\n```$/);
  });

  it('says there is no output when there are no lines', () => {
    // Act
    const message = logsMessage(aJob(), []);

    // Assess
    assert.match(texts(message).join('\n'), /no log output/);
    assert.doesNotMatch(texts(message).join('\n'), /```/);
  });
});

describe('statusMessage', () => {
  it('offers Cancel while the job is active and Rerun once it is over', () => {
    // Act
    const active = statusMessage(aJob({ status: 'RUNNING' }));
    const over = statusMessage(finished());

    // Assess
    assert.deepEqual(
      buttons(active).map((button) => button.action_id),
      ['cancel_job', 'job_logs'],
    );
    assert.deepEqual(
      buttons(over).map((button) => button.action_id),
      ['rerun_job', 'job_logs'],
    );
  });
});

describe('listMessage', () => {
  it('lists each job with its status, and says so when there are none', () => {
    // Prepare
    const jobs = [finished(), aJob({ status: 'RUNNING', profile: 'build' })];

    // Act
    const message = listMessage(jobs);
    const empty = listMessage([]);

    // Assess
    const listed = texts(message).join('\n');
    for (const job of jobs) assert.ok(listed.includes(job.id));
    assert.match(listed, /✅ job `job-\w+` SUCCEEDED/);
    assert.match(listed, /▶️ job `job-\w+` RUNNING · `build`/);
    assert.match(texts(empty).join('\n'), /No jobs yet/);
  });

  it('keeps a long list within 50 blocks of 3000 characters and counts the jobs left out', () => {
    // Prepare
    const jobs = Array.from({ length: 2000 }, () => aJob({ command: ['echo', '&'.repeat(80)] }));

    // Act
    const message = listMessage(jobs);

    // Assess
    assertWithinSlackLimits(message);
    const listed = texts(message).join('\n');
    const shown = listed.split('\n').filter((line) => line.startsWith('⏳')).length;
    const left = Number(listed.match(/…and (\d+) more jobs$/)?.[1]);
    assert.equal(shown + left, 2000);
  });
});
