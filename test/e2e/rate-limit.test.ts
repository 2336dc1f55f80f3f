/** Local mode's per-token limit over HTTP: a burst goes through, then 429 with Retry-After. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, startServer, type LocalServerProcess } from '../helpers/local-server.ts';

describe('per-token rate limit', () => {
  let server: LocalServerProcess;
  before(async () => {
    // One request every 10 s after a burst of 3: the fourth quick request is refused on any machine.
    server = await startServer({ env: { FARGATE_JOBS_RATE_LIMIT: '0.1/3' } });
  });
  after(async () => {
    await server.stop();
  });

  it('answers 429 RATE_LIMITED with Retry-After once the burst is used, and never limits /health', async () => {
    // Act
    const burst = [];
    for (let index = 0; index < 3; index += 1) burst.push(await server.request('GET', '/jobs'));
    const refused = await server.request('GET', '/jobs');
    const health = await server.request('GET', '/health', { token: null });

    // Assess
    assert.deepEqual(burst.map((response) => response.status), [200, 200, 200]);
    assertError(refused, 429, 'RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 10, `Retry-After is ${retryAfter}`);
    assert.equal(health.status, 200);
  });

  it('does not count requests without a valid token against the limit: they get 401', async () => {
    const response = await server.request('GET', '/jobs', { token: 'not-the-token' });
    assertError(response, 401, 'UNAUTHORIZED');
  });
});

describe('a malformed FARGATE_JOBS_RATE_LIMIT', () => {
  it('stops the server at start-up with a message that shows the form', async () => {
    await assert.rejects(startServer({ env: { FARGATE_JOBS_RATE_LIMIT: 'fast' } }), /FARGATE_JOBS_RATE_LIMIT: a rate limit is '<requests per second>\/<burst>'/);
  });
});
