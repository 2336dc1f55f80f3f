/**
 * The README's headline example, run as written: the `$ npx fargate-jobs run -- …` line of its tour
 * against a local server, with no URL or token (the CLI finds the server of the data directory),
 * printing what the README shows and exiting as it says. Commands run in the job's own work
 * directory, so a script beside the user's shell is not found there, as the README warns.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { splitShellWords } from '#lib/slack/command-text.ts';
import { runCli } from '../helpers/cli.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

interface ConsoleExample {
  /** The command line after `$ `, as a user types it. */
  command: string;
  /** The lines the README shows it printing. */
  output: string[];
  /** The exit code the README's `$ echo $?` shows. */
  exitCode: number;
}

/** The README's `console` block whose first command is `npx fargate-jobs run …`. */
function headlineExample(): ConsoleExample {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = [...readme.matchAll(/^```console\n([\s\S]*?)^```$/gm)].map((match) => match[1]!).find((body) => body.startsWith('$ npx fargate-jobs run '));
  assert.ok(block, 'the README shows a ```console block starting with `$ npx fargate-jobs run`');
  const lines = block.trimEnd().split('\n');
  const status = lines.indexOf('$ echo $?');
  assert.ok(status > 0, 'the example shows its exit code with `$ echo $?`');
  return { command: lines[0]!.slice(2), output: lines.slice(1, status), exitCode: Number(lines[status + 1]) };
}

/** The first line of the README's exec example: `$ echo <input> | npx fargate-jobs run -i -- …`, and what it prints. */
function execExample(): { input: string; command: string; output: string } {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = [...readme.matchAll(/^```console\n([\s\S]*?)^```$/gm)].map((match) => match[1]!).find((body) => body.startsWith('$ echo '));
  assert.ok(block, 'the README shows a ```console block starting with `$ echo … | npx fargate-jobs run -i`');
  const [first = '', printed = ''] = block.split('\n');
  const match = /^\$ echo (\S+) \| (npx fargate-jobs run -i -- [^#]*?)\s*(#.*)?$/.exec(first);
  assert.ok(match, `the exec example pipes into run -i: ${first}`);
  return { input: `${match[1]}\n`, command: match[2]!, output: printed };
}

describe("the README's five-minute tour", () => {
  let server: LocalServerProcess;

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await server?.stop();
  });

  it('runs the headline CLI example as written: its output on stdout, its exit code', async () => {
    // Prepare
    const example = headlineExample();
    const [program, bin, ...args] = splitShellWords(example.command);
    assert.deepEqual([program, bin], ['npx', 'fargate-jobs']);

    // Act
    const result = await runCli(args, { command: [program!, bin!], env: { FARGATE_JOBS_DATA_DIR: server.dataDir } });

    // Assess
    assert.equal(result.code, example.exitCode, result.stderr);
    assert.equal(result.stdout, example.output.map((line) => `${line}\n`).join(''));
  });

  it('does not find a script the user has beside them, as the README says (exit code 127)', async () => {
    // Act
    const result = await runCli(['run', '--', './migrate.sh'], { env: { FARGATE_JOBS_DATA_DIR: server.dataDir } });

    // Assess
    assert.equal(result.code, 127, result.stderr);
  });

  it('runs the exec example as written: run -i hands the command its stdin', async () => {
    // Prepare
    const example = execExample();
    const [program, bin, ...args] = splitShellWords(example.command);

    // Act
    const result = await runCli(args, { command: [program!, bin!], input: example.input, env: { FARGATE_JOBS_DATA_DIR: server.dataDir } });

    // Assess
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${example.output}\n`);
  });
});
