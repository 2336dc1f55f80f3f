import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobDocument } from '#lib/http/job-document.ts';
import { aJob } from '../helpers/jobs.ts';

describe('jobDocument', () => {
  it("shows the task size and links, and never the job's environment values or request hash", () => {
    // Prepare
    const job = aJob({ cpu: 512, memory: 1024, env: { DATABASE_PASSWORD: 'hunter2' }, requestHash: 'abc123' });

    // Act
    const document = jobDocument(job);

    // Assess
    assert.equal(document.cpu, 512);
    assert.equal(document.memory, 1024);
    assert.deepEqual(document.links, { self: `/jobs/${job.id}`, logs: `/jobs/${job.id}/logs` });
    const text = JSON.stringify(document);
    assert.doesNotMatch(text, /hunter2/);
    assert.doesNotMatch(text, /abc123/);
  });

  it('leaves the size out when neither the job nor its profile set one', () => {
    const document = jobDocument(aJob());
    assert.equal('cpu' in document, false);
    assert.equal('memory' in document, false);
  });
});
