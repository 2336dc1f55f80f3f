/**
 * The fake S3 the log archive's wire test runs against, proven with the real SDK client: it must
 * refuse what S3 refuses (a body that is not what its checksum says, a multipart part under 5 MiB),
 * and decode the aws-chunked bodies the SDK streams, or the wire test would pass uploads S3 rejects.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { startFakeS3, type FakeS3 } from '../helpers/fake-s3.ts';

const BUCKET = 'fake-s3-test';

describe('the fake S3', () => {
  let fake: FakeS3;
  let client: S3Client;

  before(async () => {
    fake = await startFakeS3({ buckets: [BUCKET] });
    const credentials = { accessKeyId: 'fake-access-key-id', secretAccessKey: 'fake-secret-access-key' };
    client = new S3Client({ endpoint: fake.url, region: 'eu-west-1', forcePathStyle: true, credentials });
  });

  after(async () => {
    client?.destroy();
    await fake?.close();
  });

  it('stores a streamed body decoded from aws-chunked, its trailing CRC32 checked', async () => {
    const body = Buffer.from(`${'x'.repeat(70_000)}end`);

    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'streamed', Body: Readable.from([body.subarray(0, 40_000), body.subarray(40_000)]), ContentLength: body.length }));

    const sent = fake.requests.at(-1);
    assert.equal(sent?.headers['content-encoding'], 'aws-chunked');
    assert.equal(sent?.headers['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    assert.deepEqual(fake.object(BUCKET, 'streamed'), body);
  });

  it('refuses a body whose CRC32 is not the one sent, as S3 does (BadDigest)', async () => {
    const put = new PutObjectCommand({ Bucket: BUCKET, Key: 'corrupt', Body: 'hello', ChecksumCRC32: 'AAAAAA==' });

    await assert.rejects(client.send(put), (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => error.name === 'BadDigest' && error.$metadata?.httpStatusCode === 400);
    assert.equal(fake.object(BUCKET, 'corrupt'), undefined);
  });

  it('refuses to complete a multipart upload whose part but the last is under 5 MiB (EntityTooSmall)', async () => {
    const target = { Bucket: BUCKET, Key: 'small-parts' };
    const { UploadId } = await client.send(new CreateMultipartUploadCommand(target));
    const parts = [];
    for (const PartNumber of [1, 2]) {
      const { ETag } = await client.send(new UploadPartCommand({ ...target, UploadId, PartNumber, Body: 'a part' }));
      parts.push({ PartNumber, ETag });
    }

    const complete = new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts } });

    await assert.rejects(client.send(complete), { name: 'EntityTooSmall' });
    assert.equal(fake.object(BUCKET, 'small-parts'), undefined);
  });
});
