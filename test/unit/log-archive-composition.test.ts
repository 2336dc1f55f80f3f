/**
 * The log archive as the AWS composition root builds it: FinalizeJob gets an archiver on the bucket
 * LOG_ARCHIVE_BUCKET names, and none on a stage without it; the S3 client addresses buckets by path
 * when an endpoint is set (a stand-in S3 on 127.0.0.1).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { finalizeJob } from '#lib/composition/aws.ts';
import { logArchiver } from '#lib/composition/log-archive.ts';
import { s3Client } from '#lib/composition/s3-client.ts';
import { archiveIndexKey, archiveKey } from '#lib/domain/log-archive.ts';
import { fakeLogReader, plainLine } from '../helpers/fake-log-reader.ts';
import { aJob } from '../helpers/jobs.ts';
import { STAGE_ENVIRONMENT } from '../helpers/aws-stage-environment.ts';

const s3 = mockClient(S3Client);
const BUCKET = 'fargate-jobs-test-logarchivebucket-1a2b3c';


const savedEnvironment = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnvironment };
});

describe("the stage's log archive", () => {
  it('gives FinalizeJob an archiver when LOG_ARCHIVE_BUCKET is set', () => {
    // Prepare
    Object.assign(process.env, STAGE_ENVIRONMENT, { LOG_ARCHIVE_BUCKET: BUCKET });

    // Act
    const ports = finalizeJob();

    // Assess
    assert.equal(typeof ports.logArchiver?.archive, 'function');
  });

  it('archives to the bucket LOG_ARCHIVE_BUCKET names, the S3 archiver loaded on the first archive', async () => {
    // Prepare
    s3.reset();
    s3.on(PutObjectCommand).resolves({});
    Object.assign(process.env, STAGE_ENVIRONMENT);
    const job = aJob({ status: 'SUCCEEDED', stoppedAt: new Date().toISOString() });
    const { logArchiver: archiver } = logArchiver(fakeLogReader({ count: 5, lineAt: plainLine }), { ...STAGE_ENVIRONMENT, LOG_ARCHIVE_BUCKET: BUCKET });

    // Act
    const archive = await archiver?.archive(job);

    // Assess
    assert.deepEqual({ key: archive?.key, lines: archive?.lines }, { key: archiveKey(job.id), lines: 5 });
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    assert.deepEqual(puts.map((input) => [input.Bucket, input.Key]), [[BUCKET, archiveKey(job.id)], [BUCKET, archiveIndexKey(job.id)]]);
  });

  it('gives FinalizeJob none on a stage without the variable (its jobs keep no archive)', () => {
    // Prepare
    Object.assign(process.env, STAGE_ENVIRONMENT);
    delete process.env.LOG_ARCHIVE_BUCKET;

    // Act
    const ports = finalizeJob();

    // Assess
    assert.equal(ports.logArchiver, undefined);
  });

  it('addresses buckets by path when an S3 endpoint or any endpoint is set, by host name otherwise', () => {
    // Act
    const forS3 = s3Client({ ...STAGE_ENVIRONMENT, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566' });
    const forAll = s3Client({ ...STAGE_ENVIRONMENT, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
    const onAws = s3Client(STAGE_ENVIRONMENT);

    // Assess
    assert.equal(forS3.config.forcePathStyle, true);
    assert.equal(forAll.config.forcePathStyle, true);
    assert.notEqual(onAws.config.forcePathStyle, true);
  });
});
