/**
 * A retried job followed with the CLI: every attempt's output, in order, each later attempt's lines
 * under a progress line on stderr saying it began, and the exit code of the last attempt.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobDocument } from '#lib/http/job-document.ts';
import { runCli, serverEnv } from '../helpers/cli.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

describe('fargate-jobs following a retried job', () => {
  let server: LocalServerProcess;

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await server?.stop();
  });

  it('prints each attempt\'s lines in order, says on stderr when attempt 2 began, and exits with the last attempt\'s code', async () => {
    // Prepare: attempt 1 fails with 7, attempt 2 succeeds.
    const created = await server.request<JobDocument>('POST', '/jobs', {
      body: { command: ['sh', '-c', 'echo "try $FARGATE_JOBS_ATTEMPT"; test "$FARGATE_JOBS_ATTEMPT" = 2 || exit 7'], retry: { attempts: 2 } },
    });

    // Act
    const result = await runCli(['wait', created.json.id], { env: serverEnv(server) });

    // Assess
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'try 1\ntry 2\n');
    assert.match(result.stderr, new RegExp(`fargate-jobs: attempt 2 of ${created.json.id}:`));
  });
});
