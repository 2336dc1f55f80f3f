/**
 * The console's routes as lib/http/console.ts answers them, locally and on a stage alike: index.html
 * never cached without asking, hashed files cached for a year, an unknown file 404 in the API's error
 * shape, HEAD without a body, and the security headers on every answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { consoleHandler, CONTENT_SECURITY_POLICY, type ConsoleAssets } from '#lib/http/console.ts';

const ASSETS: ConsoleAssets = {
  index: { body: '<!doctype html><script type="module" src="/assets/main-0123456789abcdef.js"></script>', contentType: 'text/html; charset=utf-8' },
  files: new Map([['main-0123456789abcdef.js', { body: 'document.title="é"', contentType: 'text/javascript; charset=utf-8' }]]),
};

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** The event API Gateway hands the function for `GET /` or `GET /assets/{file}` (or HEAD). */
function anEvent(method: 'GET' | 'HEAD', file?: string): APIGatewayProxyEventV2 {
  const path = file === undefined ? '/' : `/assets/${file}`;
  return {
    version: '2.0',
    routeKey: `${method} ${file === undefined ? '/' : '/assets/{file}'}`,
    rawPath: path,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    ...(file === undefined ? {} : { pathParameters: { file } }),
    requestContext: { http: { method, path } },
  } as APIGatewayProxyEventV2;
}

describe('the console handler', () => {
  const handler = consoleHandler(ASSETS);

  it('answers / with index.html, asked again each time', async () => {
    // Act
    const response = await handler(anEvent('GET'));

    // Assess
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, ASSETS.index.body);
    assert.deepEqual(response.headers, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY_HEADERS });
  });

  it('answers /assets/<hashed name> with the file, cached for a year and never revalidated', async () => {
    // Act
    const response = await handler(anEvent('GET', 'main-0123456789abcdef.js'));

    // Assess
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, 'document.title="é"');
    assert.deepEqual(response.headers, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable', ...SECURITY_HEADERS });
  });

  it('answers a file it does not have with 404 in the error shape, not cached, with the security headers', async () => {
    // Act
    const response = await handler(anEvent('GET', 'main-fedcba9876543210.js'));

    // Assess
    assert.equal(response.statusCode, 404);
    assert.deepEqual(JSON.parse(response.body ?? ''), { error: { code: 'ASSET_NOT_FOUND', message: 'no such console file; load the console again from /' } });
    assert.deepEqual(response.headers, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY_HEADERS });
  });

  it("answers HEAD as GET without the body, with the body's length in bytes", async () => {
    for (const file of [undefined, 'main-0123456789abcdef.js', 'unknown.js']) {
      // Act
      const get = await handler(anEvent('GET', file));
      const head = await handler(anEvent('HEAD', file));

      // Assess
      assert.equal(head.statusCode, get.statusCode);
      assert.equal(head.body, '');
      assert.deepEqual(head.headers, { ...get.headers, 'content-length': String(Buffer.byteLength(get.body ?? '')) });
    }
  });
});
