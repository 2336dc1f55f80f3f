/**
 * `fargate-jobs` as one process among others, as shells and CI run it: a reader that closes its
 * stdout early (`| head`), a parent that dies without passing on a signal (npx runs the bin through
 * `sh -c`), and a stdin the job will never get. Against the real local server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { JobDocument } from '#lib/http/job-document.ts';
import { serverEnv, startCli, untilStderr, type CliProcess, type CliResult } from '../helpers/cli.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';
import { killLeftovers, processTable } from '../helpers/npm-start.ts';

/** A job that prints a line every 100 ms until stopped: any write after its reader left fails soon. */
const TICKER = ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.1; done'];
const EXIT_TIMEOUT_MS = 10_000;
const STDIN_NOTICE = /^fargate-jobs: stdin is not forwarded to the job: it was ignored \(run -i forwards it to the command\); <\/dev\/null runs without this notice$/m;

/** Closes our end of the CLI's stdout once a first line came through it, as `head -1` does. */
function closeStdoutAfterFirstLine(cli: CliProcess): Promise<void> {
  return new Promise((resolve) => {
    const onData = () => {
      if (!cli.stdout().includes('\n')) return;
      cli.child.stdout!.off('data', onData);
      cli.child.stdout!.destroy();
      resolve();
    };
    cli.child.stdout!.on('data', onData);
  });
}

/** The CLI's end, or a failure naming what it printed when it is still running after `timeoutMs`. */
async function exitWithin(cli: CliProcess, timeoutMs: number = EXIT_TIMEOUT_MS): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const outcome = await Promise.race([cli.exited, timedOut]);
  clearTimeout(timer);
  assert.notEqual(outcome, 'timeout', `the CLI was still running ${timeoutMs} ms later; its stderr:\n${cli.stderr()}`);
  return outcome as CliResult;
}

/** The lines of stderr that are not the CLI's progress (`fargate-jobs: job-… STATUS …`). */
function otherThanProgress(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '' && !/^fargate-jobs: job-[0-9a-z]+ [A-Z_]+ \d/.test(line));
}

describe('fargate-jobs among other processes', () => {
  let server: LocalServerProcess;
  let env: Record<string, string>;

  before(async () => {
    server = await startServer();
    env = serverEnv(server);
  });

  after(async () => {
    await server?.stop();
  });

  const jobOf = async (id: string) => (await server.request<JobDocument>('GET', `/jobs/${id}`)).json;

  test('run | head -1: a closed stdout cancels the job and exits 141 without a word, as SIGPIPE ends a local program', async () => {
    const cli = startCli(['run', '--', ...TICKER], { env });

    await closeStdoutAfterFirstLine(cli);
    const result = await exitWithin(cli);

    assert.equal(result.code, 141, result.stderr);
    assert.deepEqual(otherThanProgress(result.stderr), [], 'nothing but progress on stderr (no EPIPE stack trace)');
    const id = /(job-[0-9a-z]+)/.exec(result.stderr)?.[1];
    assert.ok(id, result.stderr);
    assert.equal((await jobOf(id)).status, 'CANCELLED');
  });

  test('logs --follow | head -1: a closed stdout exits 141 without a word and leaves the job alone', async () => {
    const { json: submitted } = await server.request<JobDocument>('POST', '/jobs', { body: { command: TICKER } });
    await server.waitForJob(submitted.id, (job) => job.status === 'RUNNING');
    const cli = startCli(['logs', submitted.id, '--follow'], { env });

    await closeStdoutAfterFirstLine(cli);
    const result = await exitWithin(cli);

    assert.equal(result.code, 141, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal((await jobOf(submitted.id)).status, 'RUNNING');
    await server.request('DELETE', `/jobs/${submitted.id}`);
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    test(`${signal} to a parent that does not pass it on (npx's sh -c) cancels the job and ends the CLI`, async (context: TestContext) => {
      // As npx runs it: a shell that waits for the CLI and passes no signal on.
      const script = '"$0" cli/fargate-jobs.ts "$@"; echo "the CLI exited $?"';
      const cli = startCli(['run', '--', 'sh', '-c', 'echo started; exec sleep 60'], { env, command: ['sh', '-c', script, process.execPath] });
      await untilStderr(cli, (stderr) => /RUNNING/.test(stderr));
      const id = /(job-[0-9a-z]+) RUNNING/.exec(cli.stderr())![1]!;
      const cliPid = processTable().find((row) => row.ppid === cli.child.pid)?.pid;
      assert.ok(cliPid, 'the CLI runs under the shell');
      context.after(() => killLeftovers([cliPid]));

      cli.child.kill(signal);
      // The shell is gone at once; our pipes close once the CLI, which holds them too, has exited.
      const result = await exitWithin(cli);

      assert.equal(result.signal, signal);
      assert.match(result.stderr, /cancelling job-/);
      assert.equal((await jobOf(id)).status, 'CANCELLED');
    });
  }

  const stdinCases = [
    { stdin: 'a pipe with data (echo hi |)', before: 'echo hi |', after: '', notice: true },
    { stdin: 'a file with data (< package.json)', before: '', after: '< package.json', notice: true },
    { stdin: 'an empty pipe (true |)', before: 'true |', after: '', notice: false },
    { stdin: '/dev/null', before: '', after: '< /dev/null', notice: false },
  ];
  for (const { stdin, before: input, after: redirect, notice } of stdinCases) {
    test(`run with ${stdin} on stdin ${notice ? 'says once that the job does not get it' : 'says nothing of stdin'}`, async () => {
      const script = `${input} "$0" cli/fargate-jobs.ts "$@" ${redirect}`;
      const cli = startCli(['run', '--', 'cat'], { env, command: ['sh', '-c', script, process.execPath] });

      const result = await exitWithin(cli);

      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr.match(new RegExp(STDIN_NOTICE, 'gm'))?.length ?? 0, notice ? 1 : 0, result.stderr);
    });
  }
});
