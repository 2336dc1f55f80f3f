/**
 * GET /jobs through its handler, on local mode's store: the `label` filters (repeatable, every one
 * must match, checked as POST /jobs checks labels), and the page's ETag with If-None-Match and
 * `wait` (a long poll for a page that differs, 304 when none came).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { JobChangeHub, publishingJobStore } from '#lib/adapters/local/job-changes.ts';
import { SqliteJobStore } from '#lib/adapters/local/sqlite-job-store.ts';
import type { Job } from '#lib/domain/job.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { listJobsHandler } from '#lib/http/list-jobs.ts';
import { FakeClock, settle, track } from '../helpers/fake-clock.ts';
import { aJob } from '../helpers/jobs.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/sqlite.ts';

const PROFILES = new Map<string, Profile>([['default', { name: 'default', description: '', commands: 'any', shell: false, envNames: 'any', timeoutSeconds: { default: 60, max: 60 }, publicIp: 'never' }]]);

/** The event API Gateway passes on once the token authorizer has vouched for a caller of every profile. */
function aListEvent(rawQueryString: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) query[name] = name in query ? `${query[name]},${value}` : value;
  return {
    version: '2.0',
    routeKey: 'GET /jobs',
    rawPath: '/jobs',
    rawQueryString,
    headers,
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    isBase64Encoded: false,
    requestContext: { requestId: 'request-1', http: { method: 'GET' }, authorizer: { lambda: { caller: 'alice', profiles: '*' } } },
  } as unknown as APIGatewayProxyEventV2;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: { jobs?: Array<{ id: string }>; nextCursor?: string | null; error?: { code: string; details?: Array<{ path: string }> } };
}

async function call(handler: ReturnType<typeof listJobsHandler>, event: APIGatewayProxyEventV2): Promise<Answer> {
  const response = await handler(event, {} as Context);
  const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  const text = response.body ?? '';
  return { status: response.statusCode, headers, text, json: text ? (JSON.parse(text) as Answer['json']) : {} };
}

describe('GET /jobs label filters', () => {
  let database: TestDatabase;
  let store: SqliteJobStore;
  let handler: ReturnType<typeof listJobsHandler>;
  const created: Job[] = [];

  before(async () => {
    database = await openTestDatabase();
    store = new SqliteJobStore({ database: database.database });
    handler = listJobsHandler({ store, profiles: PROFILES, logger: silentLogger });
    const labelSets: Array<Record<string, string>> = [{ team: 'platform', note: 'a,b' }, { team: 'platform', env: 'prod' }, { team: 'data', env: 'prod' }, {}];
    for (const labels of labelSets) {
      created.push((await store.create(aJob({ labels }))).job);
    }
  });
  after(() => database.close());

  it('lists the jobs with every label given, each parameter read whole even when its value holds a comma', async () => {
    // Act
    const both = await call(handler, aListEvent('label=team%3Dplatform&label=env=prod'));
    const withComma = await call(handler, aListEvent('label=note=a,b'));

    // Assess
    assert.equal(both.status, 200, both.text);
    assert.deepEqual(both.json.jobs?.map((job) => job.id), [created[1]!.id]);
    assert.deepEqual(withComma.json.jobs?.map((job) => job.id), [created[0]!.id]);
  });

  it('takes a label given empty as not given', async () => {
    // Act
    const answer = await call(handler, aListEvent('label=&limit=100'));

    // Assess
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.jobs?.length, created.length);
  });

  it('refuses with 400 VALIDATION_FAILED a label that is not key=value, a key a label cannot have, more than five labels, and one key with two values', async () => {
    // Prepare
    const queries = [
      'label=team',
      'label=%20team=platform',
      `label=${'k'.repeat(129)}=v`,
      `label=team=${'v'.repeat(257)}`,
      Array.from({ length: 6 }, (_unused, index) => `label=k${index}=v`).join('&'),
      'label=team=platform&label=team=data',
    ];

    for (const query of queries) {
      // Act
      const answer = await call(handler, aListEvent(query));

      // Assess
      assert.equal(answer.status, 400, query);
      assert.equal(answer.json.error?.code, 'VALIDATION_FAILED', query);
      assert.match(answer.json.error?.details?.[0]?.path ?? '', /^label/, query);
    }
  });
});

describe('GET /jobs ETag, If-None-Match and wait', () => {
  let database: TestDatabase;
  let clock: FakeClock;
  let store: ReturnType<typeof publishingJobStore>;
  let handler: ReturnType<typeof listJobsHandler>;
  let job: Job;

  before(async () => {
    database = await openTestDatabase();
    clock = new FakeClock();
    const hub = new JobChangeHub();
    const raw = new SqliteJobStore({ database: database.database, now: clock.now });
    store = publishingJobStore(raw, hub);
    handler = listJobsHandler({ store: raw, profiles: PROFILES, recordChanges: hub, now: clock.now, sleep: clock.sleep, logger: silentLogger });
    job = (await store.create(aJob())).job;
  });
  after(() => database.close());

  it('answers every page with a strong ETag, the same while the page is the same', async () => {
    // Act
    const first = await call(handler, aListEvent(''));
    const again = await call(handler, aListEvent('limit=20'));

    // Assess
    assert.equal(first.status, 200);
    assert.match(first.headers.etag ?? '', /^"[A-Za-z0-9_-]+"$/);
    assert.equal(again.headers.etag, first.headers.etag);
  });

  it('answers 304 with the ETag and no body when If-None-Match names the page (weakly, in a list, or as *), at once without wait', async () => {
    // Prepare
    const { headers } = await call(handler, aListEvent(''));
    const etag = headers.etag ?? '';

    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      // Act
      const answer = await call(handler, aListEvent('', { 'if-none-match': ifNoneMatch }));

      // Assess
      assert.equal(answer.status, 304, ifNoneMatch);
      assert.equal(answer.headers.etag, etag);
      assert.equal(answer.text, '');
    }
  });

  it('answers 200 at once to an If-None-Match that names another page, and ignores wait without one', async () => {
    // Act
    const stale = await call(handler, aListEvent('wait=20', { 'if-none-match': '"stale"' }));
    const unconditional = await call(handler, aListEvent('wait=20'));

    // Assess
    assert.equal(stale.status, 200);
    assert.equal(unconditional.status, 200);
    assert.equal(clock.sleeping, 0);
  });

  it('with wait, answers 200 with the new page and its ETag as soon as the page changes', async () => {
    // Prepare
    const { headers } = await call(handler, aListEvent(''));
    const answer = track(call(handler, aListEvent('wait=20', { 'if-none-match': headers.etag ?? '' })));
    await settle();
    const beforeChange = answer.settled;

    // Act
    await store.transition(job.id, 'RUNNING');
    await settle();

    // Assess
    assert.equal(beforeChange, false);
    assert.equal(answer.value?.status, 200);
    assert.notEqual(answer.value?.headers.etag, headers.etag);
    assert.equal(answer.value?.json.jobs?.[0]?.id, job.id);
  });

  it('with wait, answers 304 with the same ETag once the wait is over and the page has not changed', async () => {
    // Prepare
    const { headers } = await call(handler, aListEvent(''));
    const answer = track(call(handler, aListEvent('wait=3', { 'if-none-match': headers.etag ?? '' })));

    // Act
    await clock.advance(3000);

    // Assess
    assert.equal(answer.value?.status, 304);
    assert.equal(answer.value?.headers.etag, headers.etag);
  });

  it('refuses a wait over 20 s with 400 VALIDATION_FAILED', async () => {
    // Act
    const answer = await call(handler, aListEvent('wait=21', { 'if-none-match': '"x"' }));

    // Assess
    assert.equal(answer.status, 400);
    assert.equal(answer.json.error?.details?.[0]?.path, 'wait');
  });
});
