/** Secret environment values over HTTP: the command gets them, nothing the API returns shows them. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { JobDocument } from '#lib/http/job-document.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

describe('secret environment values', () => {
  let server: LocalServerProcess;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
  });

  it('reach the command, and are not in the job or the job list', async () => {
    // Prepare: the command proves it got the value by printing its digest, not the value.
    const digest = createHash('sha256').update('s3cr3t-value').digest('hex');

    // Act
    const created = await server.request<JobDocument>('POST', '/jobs', {
      body: { command: ['sh', '-c', 'printf %s "$DEPLOY_TOKEN" | sha256sum | cut -d" " -f1'], env: { DEPLOY_TOKEN: 's3cr3t-value' } },
    });
    const job = await server.waitForJob(created.json.id, (candidate) => candidate.stoppedAt !== undefined);
    const list = await server.request('GET', '/jobs');

    // Assess
    assert.equal(job.status, 'SUCCEEDED');
    assert.deepEqual(job.logTail, [digest]);
    assert.doesNotMatch(JSON.stringify(created.json), /s3cr3t-value/);
    assert.doesNotMatch(JSON.stringify(job), /s3cr3t-value/);
    assert.doesNotMatch(JSON.stringify(list.json), /s3cr3t-value/);
  });
});
