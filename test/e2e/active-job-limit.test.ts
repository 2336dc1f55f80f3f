/**
 * A token's cap on active jobs, on the real local server: `npm run token -- create --max-active N`
 * makes a token that may have at most N jobs QUEUED, PROVISIONING or RUNNING at once; the server's
 * own token has none.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobDocument } from '#lib/http/job-document.ts';
import { assertError, startServer, type LocalServerProcess } from '../helpers/local-server.ts';
import { tokenCommand } from '../helpers/token-command.ts';

const LONG_JOB = { command: ['sleep', '60'] };

describe('the active-job limit of a token', () => {
  let server: LocalServerProcess;
  let limited: string;
  before(async () => {
    server = await startServer();
    const created = await tokenCommand(server.dataDir, ['create', '--name', 'nightly', '--profiles', 'default', '--max-active', '2']);
    assert.equal(created.code, 0, created.stderr);
    limited = created.stdout.trim();
  });
  after(async () => {
    await server.stop();
  });

  it('refuses a job beyond the limit with 429 TOO_MANY_ACTIVE_JOBS, and takes one again once a job has ended', async () => {
    // Prepare
    const first = await server.request<JobDocument>('POST', '/jobs', { token: limited, body: LONG_JOB });
    const second = await server.request<JobDocument>('POST', '/jobs', { token: limited, body: LONG_JOB });

    // Act
    const refused = await server.request('POST', '/jobs', { token: limited, body: LONG_JOB });
    await server.request('DELETE', `/jobs/${first.json.id}`, { token: limited });
    await server.waitForJob(first.json.id, (job) => job.status === 'CANCELLED');
    const accepted = await server.request<JobDocument>('POST', '/jobs', { token: limited, body: LONG_JOB });

    // Assess
    assert.deepEqual([first.status, second.status], [202, 202]);
    const body = assertError(refused, 429, 'TOO_MANY_ACTIVE_JOBS');
    assert.match(body.error.message, /'nightly' already has 2 active job\(s\)/);
    assert.equal(accepted.status, 202, accepted.text);
    const listed = await server.request<{ jobs: JobDocument[] }>('GET', '/jobs?limit=100');
    assert.equal(listed.json.jobs.filter((job) => job.submittedBy === 'nightly').length, 3, 'the refused job was not stored');
    for (const id of [second.json.id, accepted.json.id]) await server.request('DELETE', `/jobs/${id}`, { token: limited });
  });

  it("sets no limit on the server's own token", async () => {
    // Act
    const submitted = [];
    for (let index = 0; index < 4; index += 1) submitted.push(await server.request<JobDocument>('POST', '/jobs', { body: LONG_JOB }));

    // Assess
    assert.deepEqual(submitted.map((response) => response.status), [202, 202, 202, 202]);
    for (const response of submitted) await server.request('DELETE', `/jobs/${response.json.id}`);
  });

  it('lists the limit with the token', async () => {
    // Act
    const listed = await tokenCommand(server.dataDir, ['list', '--json']);

    // Assess
    const tokens = JSON.parse(listed.stdout) as Array<{ name: string; maxActiveJobs?: number }>;
    assert.equal(tokens.find((token) => token.name === 'nightly')?.maxActiveJobs, 2);
    assert.equal(tokens.find((token) => token.name === 'local')?.maxActiveJobs, undefined);
  });
});
