/**
 * The Lambda authorizer module as Lambda runs it: its ports built by the AWS composition root, the
 * table named by JOBS_TABLE, the token store built by the AWS factory with its own DynamoDBClient.
 * That client reaches dynalite through AWS_ENDPOINT_URL_DYNAMODB (the SDK's own endpoint setting),
 * so the real GetItem is answered by real data rather than by a scripted mock; a proxy adds the
 * embedded store's secret, which a client built for AWS does not send. Events have the
 * shape API Gateway HTTP APIs send a REQUEST authorizer (payload 2.0, simple responses).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#lib/adapters/local/embedded-dynamodb.ts';
import { ensureJobTable } from '#lib/adapters/local/job-table.ts';
import { TokenService } from '#lib/domain/tokens.ts';
import { captureLogs } from '../helpers/logs.ts';
import { secretAddingProxy } from '../helpers/store.ts';

const REGION = 'eu-west-1';
const API_ID = 'a1b2c3d4e5';
const SOURCE_IP = '203.0.113.7';

/** Loaded in `before`, once the environment is the stage's (a type-only import loads nothing). */
type AuthorizerHandler = (typeof import('#handlers/http/authorizer.ts'))['handler'];

/**
 * What API Gateway hands the authorizer for `GET /jobs`. Header names arrive lower-cased; the
 * identity source carries the Authorization value. (A real event has no `cookies` when the request
 * sent none, hence the cast.)
 */
function authorizerEvent(headers: Record<string, string>): APIGatewayRequestAuthorizerEventV2 {
  const authorization = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${REGION}:123456789012:${API_ID}/$default/GET/jobs`,
    identitySource: authorization === undefined ? [] : [authorization],
    routeKey: 'GET /jobs',
    rawPath: '/jobs',
    rawQueryString: 'limit=10',
    headers: {
      accept: 'application/json',
      host: `${API_ID}.execute-api.${REGION}.amazonaws.com`,
      'user-agent': 'curl/8.5.0',
      'x-amzn-trace-id': 'Root=1-65f1a2b3-0123456789abcdef01234567',
      'x-forwarded-for': SOURCE_IP,
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...headers,
    },
    queryStringParameters: { limit: '10' },
    requestContext: {
      accountId: '123456789012',
      apiId: API_ID,
      domainName: `${API_ID}.execute-api.${REGION}.amazonaws.com`,
      domainPrefix: API_ID,
      http: { method: 'GET', path: '/jobs', protocol: 'HTTP/1.1', sourceIp: SOURCE_IP, userAgent: 'curl/8.5.0' },
      requestId: 'UJ8kLhB2oAMEJvQ=',
      routeKey: 'GET /jobs',
      stage: '$default',
      time: '01/Jan/2030:00:00:00 +0000',
      timeEpoch: Date.UTC(2030, 0, 1),
    },
  } as Omit<APIGatewayRequestAuthorizerEventV2, 'cookies'> as APIGatewayRequestAuthorizerEventV2;
}

/** Runs the handler, keeping the JSON log lines it writes meanwhile. */
async function invoke(handler: AuthorizerHandler, event: APIGatewayRequestAuthorizerEventV2): Promise<{ response: Awaited<ReturnType<AuthorizerHandler>>; logs: Record<string, unknown>[] }> {
  const { result: response, logs } = await captureLogs(() => handler(event));
  return { response, logs };
}

describe('the token authorizer (handlers/http/authorizer.ts) wired as on AWS', () => {
  let database: EmbeddedDynamoDb;
  let proxy: { endpoint: string; close(): Promise<void> };
  let tableName: string;
  let tokens: TokenService;
  let handler: AuthorizerHandler;
  let nameCount = 0;
  const savedEnvironment = { ...process.env };

  /** Issues a token in the table the authorizer reads. */
  async function issue(profiles: string[], maxActiveJobs?: number): Promise<{ name: string; token: string }> {
    nameCount += 1;
    const name = `caller-${nameCount}`;
    const { token } = await tokens.create({ name, profiles, ...(maxActiveJobs === undefined ? {} : { maxActiveJobs }) });
    return { name, token };
  }

  before(async () => {
    database = await startEmbeddedDynamoDb();
    proxy = await secretAddingProxy(database);
    tableName = `fargate-jobs-test-${randomUUID()}`;
    await ensureJobTable(database.client, tableName);
    tokens = new TokenService({ store: new DynamoDbTokenStore({ client: database.client, tableName }), profileNames: ['default', 'ssh'] });
    delete process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example',
      AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
      JOBS_TABLE: tableName,
      LOG_LEVEL: 'WARN',
    });
    handler = (await import('#handlers/http/authorizer.ts')).handler;
  });
  after(async () => {
    await proxy.close();
    await database.close();
    process.env = savedEnvironment;
  });

  it('authorizes a valid token with the caller name and its profiles comma-separated', async () => {
    // Prepare
    const { name, token } = await issue(['default', 'ssh']);

    // Act
    const { response } = await invoke(handler, authorizerEvent({ authorization: `Bearer ${token}` }));

    // Assess
    assert.deepEqual(response, { isAuthorized: true, context: { caller: name, profiles: 'default,ssh' } });
  });

  it("passes the token's own active-job limit on to the handlers", async () => {
    // Prepare
    const { name, token } = await issue(['default'], 3);

    // Act
    const { response } = await invoke(handler, authorizerEvent({ authorization: `Bearer ${token}` }));

    // Assess
    assert.deepEqual(response, { isAuthorized: true, context: { caller: name, profiles: 'default', maxActiveJobs: 3 } });
  });

  it('passes a token scoped to every profile on as *', async () => {
    // Prepare
    const { name, token } = await issue(['*']);

    // Act
    const { response } = await invoke(handler, authorizerEvent({ authorization: `Bearer ${token}` }));

    // Assess
    assert.deepEqual(response, { isAuthorized: true, context: { caller: name, profiles: '*' } });
  });

  it('finds the Authorization header whatever the case of its name and of the Bearer scheme', async () => {
    // Prepare
    const { name, token } = await issue(['default']);
    const spellings: Record<string, string>[] = [{ Authorization: `Bearer ${token}` }, { AUTHORIZATION: `bearer ${token}` }];
    for (const headers of spellings) {
      // Act
      const { response } = await invoke(handler, authorizerEvent(headers));

      // Assess
      assert.deepEqual(response, { isAuthorized: true, context: { caller: name, profiles: 'default' } }, JSON.stringify(Object.keys(headers)));
    }
  });

  it('answers an unknown token with isAuthorized true and failure UNKNOWN, which every handler turns into a 401', async () => {
    // Act
    const { response } = await invoke(handler, authorizerEvent({ authorization: `Bearer fjt_${randomBytes(32).toString('base64url')}` }));

    // Assess
    assert.deepEqual(response, { isAuthorized: true, context: { failure: 'UNKNOWN' } });
  });

  it('logs why a presented token was refused, with the route and source IP, and never the token', async () => {
    // Prepare
    const { name, token } = await issue(['default']);
    await tokens.revoke(name);

    // Act
    const { logs } = await invoke(handler, authorizerEvent({ authorization: `Bearer ${token}` }));

    // Assess
    assert.equal(logs.length, 1);
    assert.equal(logs[0]?.level, 'WARN');
    assert.equal(logs[0]?.message, 'request not authenticated');
    assert.equal(logs[0]?.failure, 'REVOKED');
    assert.equal(logs[0]?.route, 'GET /jobs');
    assert.equal(logs[0]?.sourceIp, SOURCE_IP);
    assert.ok(!JSON.stringify(logs).includes(token.slice('fjt_'.length)));
  });

  it('answers a revoked token with isAuthorized true and failure REVOKED, which every handler turns into a 401', async () => {
    // Prepare
    const { name, token } = await issue(['default']);
    await tokens.revoke(name);

    // Act
    const { response } = await invoke(handler, authorizerEvent({ authorization: `Bearer ${token}` }));

    // Assess
    assert.deepEqual(response, { isAuthorized: true, context: { failure: 'REVOKED' } });
  });

  it('answers a malformed header with isAuthorized true and failure MALFORMED, which every handler turns into a 401', async () => {
    // Prepare
    const { token } = await issue(['default']);

    for (const authorization of ['Basic Y2k6c2VjcmV0', 'Bearer', `Bearer ${token.slice(0, -1)}`, token]) {
      // Act
      const { response } = await invoke(handler, authorizerEvent({ authorization }));

      // Assess
      assert.deepEqual(response, { isAuthorized: true, context: { failure: 'MALFORMED' } }, authorization);
    }
  });

  it('answers a blank Authorization header with failure MISSING, which every handler turns into a 401', async () => {
    // Act
    const { response } = await invoke(handler, authorizerEvent({ authorization: ' ' }));

    // Assess
    assert.deepEqual(response, { isAuthorized: true, context: { failure: 'MISSING' } });
  });

  it('throws when the token table cannot be read, so API Gateway answers 500 and never lets the request through', async () => {
    // Prepare
    const { token } = await issue(['default']);
    await database.client.send(new DeleteTableCommand({ TableName: tableName }));

    try {
      // Act & Assess
      await assert.rejects(handler(authorizerEvent({ authorization: `Bearer ${token}` })), { name: 'ResourceNotFoundException' });
    } finally {
      await ensureJobTable(database.client, tableName);
    }
  });
});
