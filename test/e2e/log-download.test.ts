/**
 * Downloading a finished job's whole log from the real local server (GET /jobs/{id}/logs?download=1):
 * its lines streamed as NDJSON, the same lines as paging through the log gives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobLogs } from '#lib/domain/job-service.ts';
import type { JobStatus } from '#lib/domain/job.ts';
import type { LogLine } from '#lib/domain/ports.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';

const TERMINAL: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
const LINES = 5000;

describe('downloading a whole log over HTTP (local mode)', () => {
  let server: LocalServerProcess;
  let job: JobDocument;

  before(async () => {
    server = await startServer();
    const command = ['sh', '-c', `i=0; while [ $i -lt ${LINES} ]; do echo line-$i; if [ $((i % 1000)) -eq 0 ]; then echo oops-$i >&2; fi; i=$((i+1)); done`];
    const submitted = await server.request<JobDocument>('POST', '/jobs', { body: { command } });
    assert.equal(submitted.status, 202, submitted.text);
    job = await server.waitForJob(submitted.json.id, (found) => TERMINAL.includes(found.status) && found.stoppedAt !== undefined);
  });

  after(async () => {
    await server?.stop();
  });

  /** Every line, page after page, as a client following the log reads it. */
  async function paged(): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    let path = `/jobs/${job.id}/logs`;
    for (let page = 0; page < 100; page += 1) {
      const response = await server.request<JobLogs>('GET', path);
      assert.equal(response.status, 200, response.text);
      lines.push(...response.json.lines);
      if (response.json.complete) return lines;
      path = `/jobs/${job.id}/logs?cursor=${response.json.nextCursor}`;
    }
    throw new Error('the log never completed');
  }

  it("streams the finished job's whole log as NDJSON, an attachment named for the job, the lines paging gives", async () => {
    // Act
    const response = await server.request('GET', `/jobs/${job.id}/logs?download=1`);

    // Assess
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers.get('content-type'), 'application/x-ndjson; charset=utf-8');
    assert.equal(response.headers.get('content-disposition'), `attachment; filename="${job.id}.ndjson"`);
    assert.equal(response.headers.get('transfer-encoding'), 'chunked', 'written as it is read, not held whole');
    const downloaded = response.text.trimEnd().split('\n').map((line) => JSON.parse(line) as LogLine);
    assert.equal(downloaded.filter((line) => line.stream !== 'stderr').length, LINES);
    assert.deepEqual(downloaded, await paged());
  });

  it('answers a HEAD with the download\'s headers and no body', async () => {
    // Act
    const response = await server.request('HEAD', `/jobs/${job.id}/logs?download=1`);

    // Assess
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/x-ndjson; charset=utf-8');
    assert.equal(response.text, '');
  });

  it('asks for a token as every job route does', async () => {
    // Act
    const response = await server.request('GET', `/jobs/${job.id}/logs?download=1`, { token: null });

    // Assess
    assert.equal(response.status, 401);
  });
});
