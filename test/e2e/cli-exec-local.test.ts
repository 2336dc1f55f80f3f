/**
 * `fargate-jobs exec` and `run -i` in local mode, end to end as processes: the real local server
 * runs the command in the job's work directory, attached over its own connection; our stdin, stdout
 * and stderr are carried as pipes, and the exit code is the command's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JobDocument } from '#lib/http/job-document.ts';
import { runCli, serverEnv } from '../helpers/cli.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

describe('fargate-jobs exec and run -i against the local server', () => {
  let server: LocalServerProcess;
  let env: Record<string, string>;
  let heldJobId: string;

  before(async () => {
    server = await startServer();
    env = serverEnv(server);
    const submitted = await runCli(['run', '--detach', '--', 'sleep', '600'], { env });
    assert.equal(submitted.code, 0, submitted.stderr);
    heldJobId = submitted.stdout.trim();
  });

  after(async () => {
    if (heldJobId) await server?.request('POST', `/jobs/${heldJobId}/cancel`);
    await server?.stop();
  });

  const newestJob = async (): Promise<JobDocument> => (await server.request<{ jobs: JobDocument[] }>('GET', '/jobs?limit=1')).json.jobs[0]!;

  test("exec <id> -- sh -c 'exit 3' exits 3", async () => {
    // Act
    const result = await runCli(['exec', heldJobId, '--', 'sh', '-c', 'exit 3'], { env });

    // Assess
    assert.equal(result.code, 3, result.stderr);
  });

  test("exec carries stdin to the command and its stdout and stderr each to ours, in the job's work directory", async () => {
    // Act
    const result = await runCli(['exec', heldJobId, '--', 'sh', '-c', 'cat; echo to-stderr >&2; basename "$PWD"'], { env, input: 'from stdin\n' });

    // Assess
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `from stdin\n${heldJobId}\n`);
    assert.match(result.stderr, /^to-stderr$/m);
  });

  test('echo hi | run -i -- cat prints hi, exits 0 and leaves its job cancelled', async () => {
    // Act
    const result = await runCli(['run', '-i', '--', 'cat'], { env, input: 'hi\n' });

    // Assess
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'hi\n');
    const job = await newestJob();
    assert.deepEqual(job.command, ['sleep', '86400'], 'the held job is the newest');
    assert.equal((await server.waitForJob(job.id, (each) => each.status !== 'RUNNING')).status, 'CANCELLED');
  });

  test("run -i without a command runs the profile's shell on our stdin, with its exit code", async () => {
    // Act
    const result = await runCli(['run', '-i'], { env, input: 'echo $((6 * 7))\nexit 5\n' });

    // Assess
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stdout, /^42$/m);
  });

  test('exec into a finished job is refused with the server\'s message and exit 125', async () => {
    // Prepare
    const finished = await runCli(['run', '--', 'true'], { env });
    assert.equal(finished.code, 0, finished.stderr);
    const job = await newestJob();

    // Act
    const result = await runCli(['exec', job.id, '--', 'true'], { env });

    // Assess
    assert.equal(result.code, 125, result.stderr);
    assert.match(result.stderr, /JOB_NOT_RUNNING/);
  });
});
