/**
 * `fargate-jobs list` and the program's own flags end to end, against the real local server: what a
 * user is told when a flag asks for something the API will not give.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli, serverEnv } from '../helpers/cli.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

describe('fargate-jobs list and the program flags', () => {
  let server: LocalServerProcess;
  let env: Record<string, string>;

  before(async () => {
    server = await startServer();
    env = serverEnv(server);
  });

  after(async () => {
    await server?.stop();
  });

  test('list --limit over the API maximum exits 125 naming the limit and its range', async () => {
    const result = await runCli(['list', '--limit', '500'], { env });

    assert.equal(result.code, 125, result.stderr);
    assert.match(result.stderr, /limit: must be a whole number from 1 to 100/);
  });

  test('list --profile naming no profile of the deployment exits 125 naming it, instead of "No jobs."', async () => {
    const result = await runCli(['list', '--profile', 'nope'], { env });

    assert.equal(result.code, 125, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /profile 'nope' does not exist \(400 UNKNOWN_PROFILE\)/);
  });

  test('list --profile outside the token scope is refused as POST /jobs refuses it, whether or not the profile exists', async () => {
    const created = await runCli(['token', 'create', '--name', 'cli-list-echo-only', '--profiles', 'echo'], { env: { FARGATE_JOBS_DATA_DIR: server.dataDir } });
    assert.equal(created.code, 0, created.stderr);
    const scoped = { ...env, FARGATE_JOBS_TOKEN: created.stdout.trim() };

    const existing = await runCli(['list', '--profile', 'default'], { env: scoped });
    const unknown = await runCli(['list', '--profile', 'nope'], { env: scoped });

    assert.equal(existing.code, 1, existing.stderr);
    assert.match(existing.stderr, /refused the request \(403\): token 'cli-list-echo-only' may not use profile 'default'; it may use: echo/);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /refused the request \(403\): token 'cli-list-echo-only' may not use profile 'nope'; it may use: echo/);
  });

  test('-v prints the version as --version does, on the program and on a verb', async () => {
    const long = await runCli(['--version'], { env });
    for (const args of [['-v'], ['list', '-v'], ['token', '-v']]) {
      const short = await runCli(args, { env });

      assert.equal(short.code, 0, `${args.join(' ')}: ${short.stderr}`);
      assert.match(short.stdout, /^\d+\.\d+\.\d+\n$/);
      assert.equal(short.stdout, long.stdout);
    }
  });
});
