/**
 * The `fargate-jobs` bin as `npm link` installs it: on PATH where `node` is the machine's own (which
 * may be too old to run TypeScript), it still runs, on the project's pinned Node if need be.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { PROJECT_ROOT, runCli } from '../helpers/cli.ts';

const exec = promisify(execFile);

/** The PATH without npm's additions (node_modules/.bin, npm's own node-gyp-bin): what a user's shell has. */
function systemPath(): string {
  return (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '' && !dir.includes('node_modules')).join(delimiter);
}

function systemNode(path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    try {
      accessSync(join(dir, 'node'), constants.X_OK);
      return join(dir, 'node');
    } catch {
      // not in this one
    }
  }
  return undefined;
}

describe('the fargate-jobs bin, installed as npm link does', () => {
  let prefix: string;

  before(async () => {
    prefix = mkdtempSync(join(tmpdir(), 'fargate-jobs-bin-'));
    await exec('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', PROJECT_ROOT], { cwd: PROJECT_ROOT });
  });

  after(() => {
    if (prefix) rmSync(prefix, { recursive: true, force: true });
  });

  test('answers --version and --help with the machine\'s node first on PATH', async () => {
    const path = `${systemPath()}${delimiter}${join(prefix, 'bin')}`;
    const node = systemNode(path);
    assert.ok(node, 'a node on the PATH outside node_modules');
    const { stdout: nodeVersion } = await exec(node, ['--version']);
    const bin = [join(prefix, 'bin', 'fargate-jobs')];

    const version = await runCli(['--version'], { command: bin, env: { PATH: path } });
    const help = await runCli(['run', '--help'], { command: bin, env: { PATH: path } });

    assert.equal(version.code, 0, `with ${node} ${nodeVersion.trim()}: ${version.stderr}`);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^usage: fargate-jobs run /);
  });

  test('passes on the exit code of a usage error', async () => {
    const path = `${systemPath()}${delimiter}${join(prefix, 'bin')}`;

    const result = await runCli(['run', '--no-such-flag'], { command: [join(prefix, 'bin', 'fargate-jobs')], env: { PATH: path } });

    assert.equal(result.code, 2, result.stderr);
  });
});
