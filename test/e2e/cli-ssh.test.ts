/**
 * `fargate-jobs ssh <id>` end to end: against the local server running its jobs on the fake ECS
 * (test/helpers/fake-aws.ts hands out a public IP), with a stand-in `ssh` first on PATH that records
 * the arguments it was started with.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { LOG_STREAM_PREFIX } from '#config/profiles.ts';
import { runCli, serverEnv } from '../helpers/cli.ts';
import { startFakeAws, type FakeAws } from '../helpers/fake-aws.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';
import { aJobDocument, startStandInApi, type StandInApi } from '../helpers/stand-in-api.ts';

const STAGE = {
  ECS_CLUSTER: 'fargate-jobs-e2e',
  TASK_SUBNETS: 'subnet-0a1b2c3d4e5f60718',
  TASK_SECURITY_GROUPS: 'sg-0123456789abcdef0',
  TASK_LOG_GROUP: '/fargate-jobs/e2e/tasks',
  TASK_DEFINITION_PREFIX: 'fargate-jobs-e2e',
};
const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@laptop';

describe('fargate-jobs ssh', () => {
  let fake: FakeAws;
  let server: LocalServerProcess;
  let scratch: string;
  let env: Record<string, string>;

  before(async () => {
    fake = await startFakeAws({
      logGroup: STAGE.TASK_LOG_GROUP,
      logStreamPrefix: LOG_STREAM_PREFIX,
      // `sleep N` runs until cancelled with a public IP, but `sleep 1` ends at once without one.
      plan: (input) => {
        const [program, seconds] = input.overrides?.containerOverrides?.[0]?.command ?? [];
        return program === 'sleep' && seconds !== '1' ? { provisioningDescribes: 2, runningDescribes: 1_000_000, publicIp: '203.0.113.7' } : { publicIp: null };
      },
    });
    server = await startServer({ env: { FARGATE_JOBS_RUNNER: 'ecs', ...STAGE, ...fake.environment() } });
    scratch = mkdtempSync(join(tmpdir(), 'fargate-jobs-cli-ssh-'));
    // The stand-in: one argument a line, into a file, and an exit code of its own to pass on.
    writeFileSync(join(scratch, 'ssh'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(scratch, 'argv')}"\nexit 7\n`);
    chmodSync(join(scratch, 'ssh'), 0o755);
    writeFileSync(join(scratch, 'id_ed25519.pub'), `${PUBLIC_KEY}\n`);
    env = serverEnv(server, { PATH: `${scratch}:${process.env.PATH}` });
  });

  after(async () => {
    await server?.stop();
    await fake?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('waits for the connection hint, then becomes ssh to it with the options given after --', async () => {
    const submitted = await runCli(['run', '--profile', 'ssh', '--ssh-key', join(scratch, 'id_ed25519.pub'), '--detach', '--', 'sleep', '600'], { env });
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();

    const result = await runCli(['ssh', id, '--', '-L', '8080:localhost:80'], { env });

    assert.equal(result.code, 7, result.stderr);
    assert.deepEqual(readFileSync(join(scratch, 'argv'), 'utf8').split('\n').slice(0, -1), ['-L', '8080:localhost:80', '-p', '2222', '--', 'jobs@203.0.113.7']);
    const runTask = fake.calls.find((call) => call.operation === 'RunTask');
    const environment = (runTask?.input as { overrides?: { containerOverrides?: { environment?: { name: string; value: string }[] }[] } }).overrides?.containerOverrides?.[0]?.environment;
    assert.deepEqual(environment?.find((variable) => variable.name === 'PUBLIC_KEY')?.value, PUBLIC_KEY);
  });

  test('refuses at once, naming why, a running job of a profile without ssh access', { timeout: 30_000 }, async () => {
    rmSync(join(scratch, 'argv'), { force: true });
    const submitted = await runCli(['run', '--detach', '--public-ip', '--', 'sleep', '600'], { env });
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();

    const started = Date.now();
    const result = await runCli(['ssh', id], { env });

    assert.equal(result.code, 1, result.stderr);
    assert.ok(Date.now() - started < 10_000, `it waited ${Date.now() - started} ms`);
    assert.match(result.stderr, new RegExp(`${id} \\(profile 'default'\\) has no ssh access: only jobs of an interactive profile \\(such as ssh\\)`));
    assert.equal(existsSync(join(scratch, 'argv')), false, 'ssh ran');
    await runCli(['cancel', id], { env });
  });

  test('says so and exits 1 for a job of an interactive profile that ended without an address', async () => {
    const submitted = await runCli(['run', '--profile', 'ssh', '--ssh-key', join(scratch, 'id_ed25519.pub'), '--detach', '--', 'sleep', '1'], { env });
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();

    const result = await runCli(['ssh', id], { env });

    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /SUCCEEDED and has no ssh connection/);
  });
});

/**
 * Against a stand-in API answering a hostile connection hint: ssh runs only to a checked host, port
 * and user, with `--` before the destination; anything else is refused and nothing runs.
 */
describe('fargate-jobs ssh against a hostile server', () => {
  const JOB_ID = 'job-01jdq8m4zv3k9x2c7f5h6w8r0t';
  let api: StandInApi;
  let connect: Record<string, unknown>;
  let scratch: string;
  let argvFile: string;
  let env: Record<string, string>;

  before(async () => {
    api = await startStandInApi(({ url }) => {
      if (url.pathname !== `/jobs/${JOB_ID}`) return undefined;
      // A long poll on a job that does not change answers after a while, as the API does.
      return { body: aJobDocument({ id: JOB_ID, profile: 'ssh', status: 'RUNNING', connect }), delayMs: url.searchParams.has('wait') ? 1000 : 0 };
    });
    scratch = mkdtempSync(join(tmpdir(), 'fargate-jobs-cli-ssh-hostile-'));
    argvFile = join(scratch, 'argv');
    writeFileSync(join(scratch, 'ssh'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${argvFile}"\nexit 0\n`);
    chmodSync(join(scratch, 'ssh'), 0o755);
    env = { FARGATE_JOBS_URL: api.url, FARGATE_JOBS_TOKEN: 'fjt_stand_in', PATH: `${scratch}:${process.env.PATH}` };
  });

  beforeEach(() => rmSync(argvFile, { force: true }));

  after(async () => {
    await api?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const refused: { name: string; connect: Record<string, unknown>; says: RegExp }[] = [
    {
      name: 'a ProxyCommand in the connect.ssh command',
      connect: { ssh: 'ssh -oProxyCommand=sh${IFS}-c${IFS}id -p 22 jobs@203.0.113.9' },
      says: /not running ssh to job-\S+: its connection hint is not "ssh -p PORT USER@ADDRESS"/,
    },
    {
      name: 'an option as the structured host, behind a harmless command',
      connect: { ssh: 'ssh -p 22 jobs@203.0.113.9', host: '-oProxyCommand=id', port: 22, user: 'jobs' },
      says: /its address is not an IP address or host name: "-oProxyCommand=id"/,
    },
    {
      name: 'an option as the structured user',
      connect: { host: '203.0.113.9', port: 22, user: '-oLocalCommand=id' },
      says: /its user is not a plain user name/,
    },
    {
      name: 'a port that is not a port',
      connect: { host: '203.0.113.9', port: '22 -oProxyCommand=id', user: 'jobs' },
      says: /its port is not a whole number from 1 to 65535/,
    },
    {
      name: 'a hint with terminal escapes in it',
      connect: { host: '\u001b]52;c;cm0gLXJmIH4=\u0007203.0.113.9', port: 22, user: 'jobs' },
      says: /its address is not an IP address or host name: "\\u001b\]52;c;cm0gLXJmIH4=\\u0007203\.0\.113\.9"/,
    },
  ];
  for (const testCase of refused) {
    test(`refuses ${testCase.name}, exits 1 and runs nothing`, { timeout: 20_000 }, async () => {
      connect = testCase.connect;

      const result = await runCli(['ssh', JOB_ID, '--', '-v'], { env });

      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, testCase.says);
      assert.doesNotMatch(result.stderr, /[\u0000-\u0009\u000b-\u001f]/, 'no control character printed');
      assert.equal(existsSync(argvFile), false, `ssh ran with: ${existsSync(argvFile) ? readFileSync(argvFile, 'utf8') : ''}`);
    });
  }

  test('runs ssh to the checked host, port and user, not to the words of the connect.ssh command', async () => {
    connect = { ssh: 'ssh -oProxyCommand=id -p 22 jobs@203.0.113.9', host: '203.0.113.9', port: 2222, user: 'jobs' };

    const result = await runCli(['ssh', JOB_ID], { env });

    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readFileSync(argvFile, 'utf8').split('\n').slice(0, -1), ['-p', '2222', '--', 'jobs@203.0.113.9']);
  });
});
