/**
 * GET /jobs through its handler, on local mode's store: the `label` filters (repeatable, every one
 * must match, checked as POST /jobs checks labels).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { SqliteJobStore } from '#lib/adapters/local/sqlite-job-store.ts';
import type { Job } from '#lib/domain/job.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { listJobsHandler } from '#lib/http/list-jobs.ts';
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
