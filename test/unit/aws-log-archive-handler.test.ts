/**
 * The getJobLogs function as Lambda runs it on a stage with a log archive bucket (LOG_ARCHIVE_BUCKET):
 * a finished job's record that names its archive is read from S3 (the index, then a ranged GET),
 * its download is a link to that bucket, and a running job's log still comes from CloudWatch. The
 * SDK clients are real, their `send` mocked.
 */
import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { jobKey } from '#lib/adapters/aws/dynamodb-table.ts';
import type { Job } from '#lib/domain/job.ts';
import type { LogLine } from '#lib/domain/ports.ts';
import { aJob } from '../helpers/jobs.ts';
import { buildArchive, logLines, mockS3, serveArchives, logsEvent } from '../helpers/log-archive.ts';
import { REGION, STAGE_ENVIRONMENT } from '../helpers/aws-stage-environment.ts';

const BUCKET = 'fargate-jobs-test-logs';
const TASK_ARN = `arn:aws:ecs:${REGION}:123456789012:task/fargate-jobs-test/0f1e2d3c4b5a69788796a5b4c3d2e1f0`;
/** A stage with a log archive bucket, whose waits are not counted (no wait slots to mock). */
const ARCHIVING_STAGE = { ...STAGE_ENVIRONMENT, MAX_WAITS_PER_TOKEN: 'none', LOG_ARCHIVE_BUCKET: BUCKET };

const dynamodb = mockClient(DynamoDBDocumentClient);
const logs = mockClient(CloudWatchLogsClient);
const s3 = mockS3();

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let handler: HttpHandler;


function stored(job: Job): void {
  dynamodb.on(GetCommand).resolves({ Item: { ...job, ...jobKey(job.id), gsi1pk: 'JOBS', gsi1sk: `${job.createdAt}#${job.id}` } });
}

before(async () => {
  Object.assign(process.env, ARCHIVING_STAGE);
  handler = (await import('#handlers/http/get-job-logs.ts')).handler as unknown as HttpHandler;
});

beforeEach(() => {
  dynamodb.reset();
  logs.reset();
  s3.reset();
});

describe('the getJobLogs function on a stage with a log archive', () => {
  it("reads a finished job's log from its archive in LOG_ARCHIVE_BUCKET, and none from CloudWatch", async () => {
    // Prepare
    const lines = logLines(40);
    const base = aJob({ status: 'SUCCEEDED', taskArn: TASK_ARN, stoppedAt: new Date().toISOString(), exitCode: 0 });
    const built = buildArchive(base.id, lines, { memberLines: 25 });
    stored({ ...base, logArchive: built.logArchive });
    serveArchives(s3, BUCKET, { [base.id]: built });

    // Act
    const response = await handler(logsEvent(base.id, { limit: '30' }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 200, response.body);
    const body = JSON.parse(response.body ?? '{}') as { lines: LogLine[]; complete: boolean };
    assert.deepEqual(body.lines, lines.slice(0, 30));
    assert.deepEqual(
      s3.commandCalls(GetObjectCommand).map((call) => [call.args[0].input.Bucket, call.args[0].input.Key, call.args[0].input.Range]),
      [
        [BUCKET, `logs/${base.id}.index.json`, undefined],
        [BUCKET, `logs/${base.id}.ndjson.gz`, `bytes=0-${built.index.bytes - 1}`],
      ],
    );
    assert.equal(logs.commandCalls(GetLogEventsCommand).length, 0);
  });

  it('answers download=1 with a redirect to a presigned GET of the archive in LOG_ARCHIVE_BUCKET', async () => {
    // Prepare
    const base = aJob({ status: 'SUCCEEDED', taskArn: TASK_ARN, stoppedAt: new Date().toISOString(), exitCode: 0 });
    stored({ ...base, logArchive: { key: `logs/${base.id}.ndjson.gz`, lines: 3, bytes: 99 } });

    // Act
    const response = await handler(logsEvent(base.id, { download: '1' }), {} as Context);

    // Assess
    assert.equal(response.statusCode, 302);
    const location = new URL(String(response.headers?.location));
    assert.equal(location.hostname, `${BUCKET}.s3.${REGION}.amazonaws.com`);
    assert.equal(location.pathname, `/logs/${base.id}.ndjson.gz`);
    assert.equal(location.searchParams.get('X-Amz-Expires'), '300');
  });

  it("reads a running job's log from its CloudWatch stream", async () => {
    // Prepare
    const job = aJob({ status: 'RUNNING', taskArn: TASK_ARN });
    stored(job);
    // One event, then the same token back: the stream's end.
    logs.on(GetLogEventsCommand).callsFake((input: { nextToken?: string }) =>
      input.nextToken === 'f/1' ? { events: [], nextForwardToken: 'f/1', nextBackwardToken: 'b/1' } : { events: [{ timestamp: 0, message: 'hello' }], nextForwardToken: 'f/1', nextBackwardToken: 'b/0' },
    );

    // Act
    const response = await handler(logsEvent(job.id), {} as Context);

    // Assess
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual((JSON.parse(response.body ?? '{}') as { lines: LogLine[] }).lines.map((line) => line.message), ['hello']);
    assert.equal(s3.commandCalls(GetObjectCommand).length, 0);
  });
});
