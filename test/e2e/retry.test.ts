/**
 * Retries in local mode over HTTP: the same state machine, real child processes, one job whose
 * attempts each run the command again, told their number, their lines appended to one log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { assertError, startServer, type LocalServerProcess } from '../helpers/local-server.ts';

const isFinished = (job: JobDocument) => ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'].includes(job.status) && job.stoppedAt !== undefined;

/** Fails (exit 7) until its third attempt, saying which attempt it is. */
const THIRD_TIME_LUCKY = ['sh', '-c', 'echo "attempt $FARGATE_JOBS_ATTEMPT"; test "$FARGATE_JOBS_ATTEMPT" = 3 || exit 7; echo done'];

describe('retries in local mode over HTTP', () => {
  let server: LocalServerProcess;

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    await server?.stop();
  });

  async function logs(id: string, query: string): Promise<JobLogs & { previousCursor?: string | null }> {
    const response = await server.request<JobLogs & { previousCursor?: string | null }>('GET', `/jobs/${id}/logs?${query}`);
    assert.equal(response.status, 200, response.text);
    return response.json;
  }

  test('a job retried until its third attempt succeeds: three attempts listed, every line of each in order with its attempt', async () => {
    // Prepare
    const response = await server.request<JobDocument>('POST', '/jobs', { body: { command: THIRD_TIME_LUCKY, retry: { attempts: 3 } } });
    assert.equal(response.status, 202, response.text);
    assert.deepEqual(response.json.retry, { attempts: 3 });

    // Act
    const job = await server.waitForJob(response.json.id, isFinished, { attempts: 400 });

    // Assess
    assert.equal(job.status, 'SUCCEEDED');
    assert.equal(job.exitCode, 0);
    assert.deepEqual(job.attempts.map((attempt) => [attempt.number, attempt.exitCode, attempt.failure?.category ?? null]), [
      [1, 7, 'USER_EXIT'],
      [2, 7, 'USER_EXIT'],
      [3, 0, null],
    ]);
    assert.equal(new Set(job.attempts.map((attempt) => attempt.taskArn)).size, 3, 'each attempt its own task');
    assert.equal(job.attempts.at(-1)?.taskArn, job.taskArn, "the job's own fields are its last attempt's");
    assert.equal(job.retrying, undefined);

    const all = await logs(job.id, 'limit=100');
    assert.equal(all.complete, true);
    assert.deepEqual(
      all.lines.map((line) => [line.attempt, line.message]),
      [
        [1, 'attempt 1'],
        [2, 'attempt 2'],
        [3, 'attempt 3'],
        [3, 'done'],
      ],
    );

    const tail = await logs(job.id, 'tail=2');
    assert.deepEqual(tail.lines.map((line) => [line.attempt, line.message]), [[3, 'attempt 3'], [3, 'done']]);
    assert.ok(tail.previousCursor);
    const before = await logs(job.id, `before=${tail.previousCursor}&limit=10`);
    assert.deepEqual(before.lines.map((line) => [line.attempt, line.message]), [[1, 'attempt 1'], [2, 'attempt 2']]);
  });

  test('attempts used up: FAILED with the last exit code; a job never retried has lines without an attempt', async () => {
    // Act
    const retried = await server.request<JobDocument>('POST', '/jobs', { body: { command: THIRD_TIME_LUCKY, retry: { attempts: 2 } } });
    const once = await server.request<JobDocument>('POST', '/jobs', { body: { command: THIRD_TIME_LUCKY } });
    const [failed, single] = await Promise.all([retried, once].map((submitted) => server.waitForJob(submitted.json.id, isFinished, { attempts: 400 })));

    // Assess
    assert.equal(failed?.status, 'FAILED');
    assert.equal(failed?.exitCode, 7);
    assert.deepEqual(failed?.attempts.map((attempt) => attempt.number), [1, 2]);
    assert.equal(single?.status, 'FAILED');
    assert.deepEqual(single?.attempts.map((attempt) => attempt.number), [1]);
    const lines = (await logs(single?.id ?? '', 'limit=10')).lines;
    assert.deepEqual(lines.map((line) => line.message), ['attempt 1']);
    assert.equal(lines[0]?.attempt, undefined);
  });

  test("more attempts than the profile allows: 400 RETRY_NOT_ALLOWED naming the profile and its maximum", async () => {
    // Act
    const overMaximum = await server.request('POST', '/jobs', { body: { profile: 'default', command: ['true'], retry: { attempts: 11 } } });
    const notRetried = await server.request('POST', '/jobs', { body: { profile: 'echo', command: ['echo', 'hi'], retry: { attempts: 2 } } });

    // Assess
    assertError(overMaximum, 400, 'VALIDATION_FAILED');
    const body = assertError(notRetried, 400, 'RETRY_NOT_ALLOWED');
    assert.match(body.error.message, /profile 'echo' does not retry jobs/);
  });
});
