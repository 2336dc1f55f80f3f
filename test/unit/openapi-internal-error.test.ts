/**
 * The one documented answer no request to a sound server gets: a 500. It is made here the way it
 * happens (a handler's core throws something that is not the caller's fault) and held against every
 * 500 docs/openapi.yaml documents, with the same validator the end-to-end test uses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Logger } from '#lib/domain/logger.ts';
import { httpHandler } from '#lib/http/http-handler.ts';
import { assertValid, documentedCodes, documentedResponse, operations } from '../helpers/openapi.ts';

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const AUTHENTICATED_EVENT = {
  version: '2.0',
  routeKey: 'GET /jobs/{id}',
  rawPath: '/jobs/job-0123456789abcdefghjkmnpqrs',
  rawQueryString: '',
  headers: {},
  isBase64Encoded: false,
  pathParameters: { id: 'job-0123456789abcdefghjkmnpqrs' },
  requestContext: { requestId: 'request-1', http: { method: 'GET' }, authorizer: { lambda: { caller: 'ci', profiles: 'default' } } },
} as unknown as APIGatewayProxyEventV2;

describe('the 500 answers docs/openapi.yaml documents', () => {
  it('describe what a handler answers when it fails', async () => {
    // Prepare
    const handler = httpHandler(
      async () => {
        throw new Error('the store is unreachable');
      },
      { logger: SILENT },
    );
    const documented = operations().filter(({ operation }) => '500' in operation.responses);
    assert.ok(documented.length > 0, 'the spec documents a 500 somewhere');

    // Act
    const answer = await handler(AUTHENTICATED_EVENT, {} as Context);

    // Assess
    assert.equal(answer.statusCode, 500);
    const body = JSON.parse(answer.body ?? '') as { error: { code: string } };
    for (const { key, operation } of documented) {
      const response = documentedResponse(operation.responses['500'] ?? { description: '' });
      const [[mediaType, { schema }] = ['', { schema: {} }]] = Object.entries(response.content ?? {});
      assert.equal(answer.headers['content-type'], `${mediaType}; charset=utf-8`, key);
      assertValid(schema, body, `the 500 body of ${key}`);
      assert.ok(documentedCodes(response).includes(body.error.code), `${key}: ${body.error.code} is not documented for its 500`);
    }
  });
});
