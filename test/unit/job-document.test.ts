import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRICE_TABLE } from '#config/prices.ts';
import { pricesForRegion, type CostSettings } from '#lib/domain/cost.ts';
import { jobConsoleUrl, jobDocument } from '#lib/http/job-document.ts';
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
    assert.deepEqual(document.links, { self: `/jobs/${job.id}`, logs: `/jobs/${job.id}/logs`, console: `/#/jobs/${job.id}` });
    const text = JSON.stringify(document);
    assert.doesNotMatch(text, /hunter2/);
    assert.doesNotMatch(text, /abc123/);
  });

  it("shows where a finished job's log was archived (the object's key, not the bucket) and how much of it", () => {
    // Prepare
    const archived = aJob({ status: 'SUCCEEDED', logArchive: { key: 'logs/job-x.ndjson.gz', lines: 1200, bytes: 5321 } });
    const cut = aJob({ status: 'FAILED', logArchive: { key: 'logs/job-y.ndjson.gz', lines: 10_000_000, bytes: 98_765_432, truncated: true } });

    // Act
    const documents = [jobDocument(archived), jobDocument(cut), jobDocument(aJob())];

    // Assess
    assert.deepEqual(
      documents.map((document) => document.logArchive),
      [
        { key: 'logs/job-x.ndjson.gz', lines: 1200, bytes: 5321, truncated: false },
        { key: 'logs/job-y.ndjson.gz', lines: 10_000_000, bytes: 98_765_432, truncated: true },
        undefined,
      ],
    );
  });

  it('leaves the size out when neither the job nor its profile set one', () => {
    const document = jobDocument(aJob());
    assert.equal('cpu' in document, false);
    assert.equal('memory' in document, false);
  });

  it('shows the timeline of the statuses the job reached, in status order, with the times the store recorded', () => {
    // Prepare
    const job = aJob({
      status: 'SUCCEEDED',
      createdAt: '2030-01-01T00:00:00.000Z',
      startedAt: '2030-01-01T00:00:40.000Z',
      stoppedAt: '2030-01-01T00:02:00.000Z',
      statusTimes: { SUCCEEDED: '2030-01-01T00:01:59.000Z', QUEUED: '2030-01-01T00:00:00.000Z', RUNNING: '2030-01-01T00:00:41.000Z', PROVISIONING: '2030-01-01T00:00:05.000Z' },
    });

    // Act
    const { timeline } = jobDocument(job);

    // Assess
    assert.deepEqual(timeline, [
      { status: 'QUEUED', at: '2030-01-01T00:00:00.000Z' },
      { status: 'PROVISIONING', at: '2030-01-01T00:00:05.000Z' },
      { status: 'RUNNING', at: '2030-01-01T00:00:41.000Z' },
      { status: 'SUCCEEDED', at: '2030-01-01T00:01:59.000Z' },
    ]);
  });

  it('derives the timeline of a job recorded before status times were: queued at creation, running at its start, its end at its stop', () => {
    // Prepare
    const finished = aJob({ status: 'FAILED', createdAt: '2030-01-01T00:00:00.000Z', startedAt: '2030-01-01T00:00:40.000Z', stoppedAt: '2030-01-01T00:02:00.000Z' });
    const cancelledUnstopped = aJob({ status: 'CANCELLED', createdAt: '2030-01-01T00:00:00.000Z' });
    const provisioning = aJob({ status: 'PROVISIONING', createdAt: '2030-01-01T00:00:00.000Z' });

    // Act
    const timelines = [finished, cancelledUnstopped, provisioning].map((job) => jobDocument(job).timeline);

    // Assess
    assert.deepEqual(timelines, [
      [
        { status: 'QUEUED', at: '2030-01-01T00:00:00.000Z' },
        { status: 'RUNNING', at: '2030-01-01T00:00:40.000Z' },
        { status: 'FAILED', at: '2030-01-01T00:02:00.000Z' },
      ],
      [{ status: 'QUEUED', at: '2030-01-01T00:00:00.000Z' }],
      [{ status: 'QUEUED', at: '2030-01-01T00:00:00.000Z' }],
    ]);
  });

  it("links to the job's page in the console, under the API's base URL with or without its final slash, and nowhere while the base is unknown", () => {
    // Prepare
    const job = aJob();

    // Act
    const links = ['https://abc123.execute-api.eu-west-1.amazonaws.com', 'http://127.0.0.1:3000/', undefined].map((base) => jobConsoleUrl(base, job));

    // Assess
    assert.deepEqual(links, [`https://abc123.execute-api.eu-west-1.amazonaws.com/#/jobs/${job.id}`, `http://127.0.0.1:3000/#/jobs/${job.id}`, undefined]);
  });
});

describe('jobDocument: attempts', () => {
  const failure = { category: 'USER_EXIT' as const, message: 'the command exited with code 7' };

  it('lists the one attempt of a job never retried: its own fields', () => {
    // Prepare
    const job = aJob({ status: 'FAILED', taskArn: 'arn:task/1', startedAt: '2030-01-01T00:00:01.000Z', stoppedAt: '2030-01-01T00:00:09.000Z', exitCode: 7, failure });

    // Act
    const document = jobDocument(job);

    // Assess
    assert.deepEqual(document.attempts, [{ number: 1, taskArn: 'arn:task/1', startedAt: '2030-01-01T00:00:01.000Z', stoppedAt: '2030-01-01T00:00:09.000Z', exitCode: 7, failure }]);
    assert.equal(document.retrying, undefined);
    assert.equal(document.nextAttempt, undefined);
  });

  it('between two attempts: the ended ones, retrying and the next number, the status RUNNING', () => {
    // Prepare
    const ended = { number: 1, taskArn: 'arn:task/1', exitCode: 7, failure };
    const job = aJob({ status: 'RUNNING', retry: { attempts: 3 }, attempts: [ended] });

    // Act
    const document = jobDocument(job);

    // Assess
    assert.deepEqual(document.attempts, [ended]);
    assert.equal(document.retrying, true);
    assert.equal(document.nextAttempt, 2);
    assert.equal(document.status, 'RUNNING');
    assert.deepEqual(document.retry, { attempts: 3 });
  });

  it('after a retry: the earlier attempts, then the current one with its capacity', () => {
    // Prepare
    const ended = { number: 1, taskArn: 'arn:task/1', capacity: 'FARGATE_SPOT' as const, exitCode: 143, failure: { category: 'SPOT_INTERRUPTED' as const, message: 'reclaimed' } };
    const job = aJob({ status: 'SUCCEEDED', attempts: [ended], taskArn: 'arn:task/2', capacity: 'FARGATE', exitCode: 0, stoppedAt: '2030-01-01T00:01:00.000Z' });

    // Act
    const document = jobDocument(job);

    // Assess
    assert.deepEqual(document.attempts, [ended, { number: 2, taskArn: 'arn:task/2', capacity: 'FARGATE', stoppedAt: '2030-01-01T00:01:00.000Z', exitCode: 0 }]);
    assert.equal(document.capacity, 'FARGATE');
    assert.equal(document.retrying, undefined);
  });
});

describe('jobDocument: cost', () => {
  const costs: CostSettings = { ...pricesForRegion(PRICE_TABLE, 'us-east-1'), taskArchitecture: 'x86', lambdaArchitecture: 'arm' };
  const finished = { status: 'SUCCEEDED' as const, cpu: 256, memory: 512, startedAt: '2030-01-01T00:00:00.000Z', stoppedAt: '2030-01-01T00:00:10.000Z' };

  it("carries a finished job's cost, priced as the stage prices its jobs", () => {
    // Act
    const { cost } = jobDocument(aJob(finished), costs);

    // Assess: one billed minute of 0.25 vCPU / 0.5 GB and the happy path's overhead
    assert.equal(cost?.computeUsd, 0.00020571);
    assert.equal(cost?.usd, 0.00030206);
    assert.equal(cost?.estimate, true);
  });

  it('carries none for a running job, nor where the stage prices nothing', () => {
    assert.equal('cost' in jobDocument(aJob({ ...finished, status: 'RUNNING', stoppedAt: undefined }), costs), false);
    assert.equal('cost' in jobDocument(aJob(finished)), false);
  });
});
