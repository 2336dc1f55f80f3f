/**
 * The limit on a token's waiting requests: the slots in the job table (DynamoDbWaitSlots on dynalite,
 * as on AWS), and the waits that take them (a slot only once the first look has
 * not answered, given back when the wait is over, 429 TOO_MANY_WAITS with Retry-After when none is
 * free). The clock moves only when a test moves it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { DynamoDbWaitSlots } from '#lib/adapters/aws/dynamodb-wait-slots.ts';
import type { Caller } from '#lib/domain/caller.ts';
import { JobNotFoundError, TooManyWaitsError } from '#lib/domain/errors.ts';
import type { Job, JobStatus } from '#lib/domain/job.ts';
import { waitForJob } from '#lib/domain/job-service.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { JobStore, WaitSlot, WaitSlots } from '#lib/domain/ports.ts';
import { WAIT_RETRY_AFTER_SECONDS, WAIT_SLOT_MARGIN_MS } from '#lib/domain/wait-slots.ts';
import { getJobHandler } from '#lib/http/get-job.ts';
import { FakeClock, track } from '../helpers/fake-clock.ts';
import { aJob } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

const alice: Caller = { name: 'alice', profiles: ['*'] };
const bob: Caller = { name: 'bob', profiles: ['*'] };

// What every WaitSlots adapter promises is in test/contract/wait-slots.contract.ts; here, what only the table's adds.
describe('DynamoDbWaitSlots on the job table', () => {
  let table: TestStore;
  let time: number;

  before(async () => {
    table = await createTestStore();
  });
  after(async () => {
    await table?.close();
  });

  function slots(): DynamoDbWaitSlots {
    return new DynamoDbWaitSlots({ client: table.database.client, tableName: table.tableName, now: () => new Date(time) });
  }

  /** A holder name of its own per test: the tests share one table. */
  let holders = 0;
  const aHolder = () => `holder-${(holders += 1)}`;

  it("writes the slots where the waiting functions' role lets them (WAITS#<holder>), with the table's TTL attribute", async () => {
    // Prepare
    time = Date.UTC(2030, 0, 1);
    const holder = aHolder();

    // Act
    await slots().take(holder, 1, new Date(time + 25_500));
    const item = await DynamoDBDocumentClient.from(table.database.client).send(new GetCommand({ TableName: table.tableName, Key: { pk: `WAITS#${holder}`, sk: 'SLOT#0' } }));

    // Assess
    assert.equal(item.Item?.expiresAt, Math.ceil((time + 25_500) / 1000), 'epoch seconds, as TTL reads them, never early');
  });
});

/** Slots in memory, as many per holder as the limit says; each take remembers its expiry. */
class MemorySlots implements WaitSlots {
  readonly held = new Map<string, number>();
  readonly expiries: Date[] = [];

  async take(holder: string, limit: number, expiresAt: Date): Promise<WaitSlot | undefined> {
    const count = this.held.get(holder) ?? 0;
    if (count >= limit) return undefined;
    this.held.set(holder, count + 1);
    this.expiries.push(expiresAt);
    return { release: async () => void this.held.set(holder, (this.held.get(holder) ?? 1) - 1) };
  }
}

function memoryStore(jobs: Job[]): JobStore & { jobs: Map<string, Job> } {
  const stored = new Map(jobs.map((job) => [job.id, job]));
  return { jobs: stored, get: async (jobId: string) => stored.get(jobId) } as unknown as JobStore & { jobs: Map<string, Job> };
}

describe('waits and their slots', () => {
  function setUp(status: JobStatus = 'RUNNING') {
    const clock = new FakeClock();
    const job = aJob({ status });
    const waitSlots = new MemorySlots();
    const ports = { store: memoryStore([job]), waitSlots, maxWaitsPerToken: 2, now: clock.now, sleep: clock.sleep };
    return { clock, job, waitSlots, ports };
  }

  it('takes no slot for a wait its first look answers', async () => {
    // Prepare
    const { job, waitSlots, ports } = setUp('SUCCEEDED');

    // Act
    const answer = await waitForJob(ports, job.id, { waitSeconds: 20, ifStatus: 'RUNNING' }, alice);

    // Assess
    assert.equal(answer.status, 'SUCCEEDED');
    assert.equal(waitSlots.expiries.length, 0);
  });

  it('holds a slot while it waits, leased to past its deadline, and gives it back when it is over', async () => {
    // Prepare
    const { clock, job, waitSlots, ports } = setUp();

    // Act
    const waiting = track(waitForJob(ports, job.id, { waitSeconds: 20, ifStatus: 'RUNNING' }, alice));
    await clock.advance(1_000);
    const heldWhileWaiting = waitSlots.held.get('alice');
    await clock.advance(19_000);

    // Assess
    assert.equal(heldWhileWaiting, 1);
    assert.equal(waiting.value?.status, 'RUNNING');
    assert.equal(waitSlots.held.get('alice'), 0, 'given back');
    assert.deepEqual(waitSlots.expiries, [new Date(Date.UTC(2030, 0, 1) + 20_000 + WAIT_SLOT_MARGIN_MS)]);
  });

  it("refuses a wait beyond the caller's limit with TOO_MANY_WAITS and a retry delay, while another caller still waits", async () => {
    // Prepare
    const { clock, job, ports } = setUp();
    const held = [track(waitForJob(ports, job.id, { waitSeconds: 20, ifStatus: 'RUNNING' }, alice)), track(waitForJob(ports, job.id, { waitSeconds: 20, ifStatus: 'RUNNING' }, alice))];
    await clock.advance(0);

    // Act
    const refused = waitForJob(ports, job.id, { waitSeconds: 20, ifStatus: 'RUNNING' }, alice);
    const bobs = track(waitForJob(ports, job.id, { waitSeconds: 20, ifStatus: 'RUNNING' }, bob));
    const unwaited = await waitForJob(ports, job.id, { ifStatus: 'RUNNING' }, alice);

    // Assess
    await assert.rejects(refused, (error: unknown) => error instanceof TooManyWaitsError && error.code === 'TOO_MANY_WAITS' && error.retryAfterSeconds === WAIT_RETRY_AFTER_SECONDS);
    assert.equal(unwaited.status, 'RUNNING', 'a request without wait is never limited');
    await clock.advance(20_000);
    assert.ok([...held, bobs].every((wait) => wait.value?.status === 'RUNNING'));
  });

  it('answers a wait on an unknown job 404 before counting it', async () => {
    // Prepare
    const { ports } = setUp();
    ports.maxWaitsPerToken = 0;

    // Act, Assess
    await assert.rejects(waitForJob(ports, 'job-0123456789abcdefghjkmnpqrs', { waitSeconds: 20, ifStatus: 'RUNNING' }, alice), JobNotFoundError);
  });

  it('is answered 429 TOO_MANY_WAITS with Retry-After by GET /jobs/{id}', async () => {
    // Prepare
    const { job, ports } = setUp();
    ports.maxWaitsPerToken = 0;
    const handler = getJobHandler({ ...ports, logger: silentLogger });
    const event = {
      version: '2.0',
      routeKey: 'GET /jobs/{id}',
      rawPath: `/jobs/${job.id}`,
      rawQueryString: 'wait=20&ifStatus=RUNNING',
      headers: {},
      queryStringParameters: { wait: '20', ifStatus: 'RUNNING' },
      pathParameters: { id: job.id },
      requestContext: { requestId: 'request-1', http: { method: 'GET' }, authorizer: { lambda: { caller: 'alice', profiles: '*' } } },
    } as unknown as APIGatewayProxyEventV2;

    // Act
    const response = await handler(event, {} as Context);

    // Assess
    assert.equal(response.statusCode, 429);
    assert.equal(response.headers?.['Retry-After'], String(WAIT_RETRY_AFTER_SECONDS));
    assert.equal((JSON.parse(response.body ?? '{}') as { error: { code: string } }).error.code, 'TOO_MANY_WAITS');
  });
});
