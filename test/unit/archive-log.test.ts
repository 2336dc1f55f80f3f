/**
 * archiveJobLog: a finished job's log archived once and recorded on the job (the DynamoDB store on
 * dynalite), never twice however often the step runs, and not at all without an archiver or before
 * the job is finished.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3LogArchive } from '#lib/adapters/aws/s3-log-archive.ts';
import type { Job } from '#lib/domain/job.ts';
import { archiveIndexKey, archiveKey, type LogArchive } from '#lib/domain/log-archive.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { LogArchiver } from '#lib/domain/ports.ts';
import { archiveJobLog } from '#lib/workflow/archive-log.ts';
import { fakeLogReader, plainLine } from '../helpers/fake-log-reader.ts';
import { aJob } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

const s3 = mockClient(S3Client);

/** An archiver that archives nothing but counts the jobs it was asked to archive. */
function countingArchiver(result: (job: Job) => LogArchive = (job) => ({ key: archiveKey(job.id), lines: 3, bytes: 64 })): LogArchiver & { archived: string[] } {
  const archived: string[] = [];
  return {
    archived,
    async archive(job) {
      archived.push(job.id);
      return result(job);
    },
  };
}

describe('archiveJobLog', () => {
  let table: TestStore;

  before(async () => {
    table = await createTestStore();
  });

  after(async () => {
    await table.close();
  });

  beforeEach(() => {
    s3.reset();
  });

  /** A job stored and finished: terminal, its stop recorded. */
  async function finishedJob(): Promise<Job> {
    const { job } = await table.store.create(aJob());
    return (await table.store.transition(job.id, 'SUCCEEDED', { exitCode: 0, stoppedAt: new Date().toISOString() })).job;
  }

  it('archives a finished job\'s log and records the archive on the job', async () => {
    // Prepare
    const job = await finishedJob();
    const logArchiver = countingArchiver((archived) => ({ key: archiveKey(archived.id), lines: 10_000_000, bytes: 9_876, truncated: true }));

    // Act
    const archived = await archiveJobLog({ store: table.store, logArchiver, logger: silentLogger }, job);

    // Assess
    const expected = { key: archiveKey(job.id), lines: 10_000_000, bytes: 9_876, truncated: true };
    assert.deepEqual(logArchiver.archived, [job.id]);
    assert.deepEqual(archived.logArchive, expected);
    assert.deepEqual((await table.store.get(job.id))?.logArchive, expected);
    assert.equal(archived.status, 'SUCCEEDED');
  });

  it('archives once however often the step runs: a job whose archive is recorded is left as it is', async () => {
    // Prepare
    const job = await finishedJob();
    const logArchiver = countingArchiver();
    const ports = { store: table.store, logArchiver, logger: silentLogger };
    const first = await archiveJobLog(ports, job);

    // Act
    const again = await archiveJobLog(ports, (await table.store.get(job.id)) as Job);

    // Assess
    assert.deepEqual(logArchiver.archived, [job.id]);
    assert.deepEqual(again, first);
    assert.deepEqual(await table.store.get(job.id), first);
  });

  it('archives nothing, and writes nothing, without an archiver (a stage that keeps no archive)', async () => {
    // Prepare
    const job = await finishedJob();

    // Act
    const result = await archiveJobLog({ store: table.store, logger: silentLogger }, job);

    // Assess
    assert.equal(result, job);
    assert.deepEqual(await table.store.get(job.id), job);
  });

  it('does not archive the log of a job that has not finished: its log may still grow', async () => {
    // Prepare
    const { job: running } = await table.store.transition((await table.store.create(aJob())).job.id, 'RUNNING');
    const cancelled = (await table.store.transition(running.id, 'CANCELLED')).job;
    const logArchiver = countingArchiver();
    const ports = { store: table.store, logArchiver, logger: silentLogger };

    // Act
    const results = [await archiveJobLog(ports, running), await archiveJobLog(ports, cancelled)];

    // Assess
    assert.deepEqual(logArchiver.archived, [], 'running, and cancelled with its stop not yet recorded');
    assert.deepEqual(results.map((job) => job.logArchive), [undefined, undefined]);
  });

  it('fails with the archiver\'s error and records nothing, so that the step can try again', async () => {
    // Prepare
    const job = await finishedJob();
    const failure = new Error('AccessDenied');
    const logArchiver: LogArchiver = {
      async archive() {
        throw failure;
      },
    };

    // Act and assess
    await assert.rejects(archiveJobLog({ store: table.store, logArchiver, logger: silentLogger }, job), failure);
    assert.equal((await table.store.get(job.id))?.logArchive, undefined);
  });

  it('records what the S3 archiver wrote: the object key, its lines and its size', async () => {
    // Prepare
    const job = await finishedJob();
    s3.on(PutObjectCommand).resolves({});
    s3.on(CreateMultipartUploadCommand).rejects(new Error('a small log is one PutObject'));
    s3.on(UploadPartCommand).rejects(new Error('a small log is one PutObject'));
    s3.on(CompleteMultipartUploadCommand).rejects(new Error('a small log is one PutObject'));
    const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
    const logArchiver = new S3LogArchive({ client, bucket: 'archive', logReader: fakeLogReader({ count: 42, lineAt: plainLine }) });

    // Act
    const archived = await archiveJobLog({ store: table.store, logArchiver, logger: silentLogger }, job);

    // Assess
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    assert.deepEqual(puts.map((input) => input.Key), [archiveKey(job.id), archiveIndexKey(job.id)]);
    const size = Buffer.from(puts[0]?.Body as Uint8Array).length;
    assert.deepEqual((await table.store.get(job.id))?.logArchive, { key: archiveKey(job.id), lines: 42, bytes: size });
    assert.deepEqual(archived.logArchive, { key: archiveKey(job.id), lines: 42, bytes: size });
  });
});
