/**
 * `fargate-jobs ssh <id>` end to end: against the local server running its jobs on the fake ECS
 * (test/helpers/fake-aws.ts hands out a public IP), with a stand-in `ssh` first on PATH that records
 * the arguments it was started with.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LOG_STREAM_PREFIX } from '#config/profiles.ts';
import { runCli, serverEnv } from '../helpers/cli.ts';
import { startFakeAws, type FakeAws } from '../helpers/fake-aws.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

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
      plan: (input) =>
        input.overrides?.containerOverrides?.[0]?.command?.[0] === 'sleep'
          ? { provisioningDescribes: 2, runningDescribes: 1_000_000, publicIp: '203.0.113.7' }
          : { publicIp: null },
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
    assert.deepEqual(readFileSync(join(scratch, 'argv'), 'utf8').split('\n').slice(0, -1), ['-L', '8080:localhost:80', '-p', '2222', 'jobs@203.0.113.7']);
    const runTask = fake.calls.find((call) => call.operation === 'RunTask');
    const environment = (runTask?.input as { overrides?: { containerOverrides?: { environment?: { name: string; value: string }[] }[] } }).overrides?.containerOverrides?.[0]?.environment;
    assert.deepEqual(environment?.find((variable) => variable.name === 'PUBLIC_KEY')?.value, PUBLIC_KEY);
  });

  test('says so and exits 1 for a job that finished without a connection', async () => {
    const submitted = await runCli(['run', '--detach', '--', 'sh', '-c', 'exit 0'], { env });
    const id = submitted.stdout.trim();

    const result = await runCli(['ssh', id], { env });

    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /SUCCEEDED and has no ssh connection/);
  });
});
