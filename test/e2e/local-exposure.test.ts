/**
 * What reaches the local API from outside its user's own tools: a page whose DNS name is rebound
 * to 127.0.0.1 (it sends its own name as Host), and a flood of requests with bad tokens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, startServer, type ApiResponse, type LocalServerProcess } from '../helpers/local-server.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { tokenCommand } from '../helpers/token-command.ts';

/** A request with the `Host` header a browser would send for `host` (fetch cannot set it). */
async function requestWithHost(server: LocalServerProcess, host: string, path: string, token?: string): Promise<ApiResponse> {
  const answer = await rawRequest(new URL(path, server.url), { method: 'GET', headers: { host, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const isJson = answer.headers['content-type']?.startsWith('application/json') === true;
  return { status: answer.status, headers: new Headers(answer.headers), text: answer.text, json: isJson ? JSON.parse(answer.text) : undefined };
}

describe('the local API and the Host it is called by', () => {
  let server: LocalServerProcess;
  let port: string;
  before(async () => {
    server = await startServer();
    port = new URL(server.url).port;
  });
  after(async () => {
    await server.stop();
  });

  it('answers 421 MISDIRECTED_REQUEST to a rebound name, even with a valid token and on /health', async () => {
    // Act
    const jobs = await requestWithHost(server, `attacker.example:${port}`, '/jobs', server.token);
    const health = await requestWithHost(server, `attacker.example:${port}`, '/health');

    // Assess
    for (const response of [jobs, health]) {
      const body = assertError(response, 421, 'MISDIRECTED_REQUEST');
      assert.match(body.error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    }
  });

  it('answers 421 to a loopback name with another port', async () => {
    const response = await requestWithHost(server, '127.0.0.1:1', '/health');
    assertError(response, 421, 'MISDIRECTED_REQUEST');
  });

  it('answers requests for 127.0.0.1 and localhost on its own port', async () => {
    // Act
    const byAddress = await requestWithHost(server, `127.0.0.1:${port}`, '/jobs', server.token);
    const byName = await requestWithHost(server, `LOCALHOST:${port}`, '/jobs', server.token);

    // Assess
    assert.equal(byAddress.status, 200, byAddress.text);
    assert.equal(byName.status, 200, byName.text);
  });

  it('serves the web console without a token to 127.0.0.1 and localhost, and answers a rebound name 421 there too', async () => {
    // Act
    const byAddress = await requestWithHost(server, `127.0.0.1:${port}`, '/');
    const byName = await requestWithHost(server, `localhost:${port}`, '/');
    const rebound = await requestWithHost(server, `attacker.example:${port}`, '/');

    // Assess
    for (const response of [byAddress, byName]) {
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    }
    assertError(rebound, 421, 'MISDIRECTED_REQUEST');
  });
});

describe('requests with bad tokens and the rate limit', () => {
  let server: LocalServerProcess;
  before(async () => {
    // A burst of 3 and one request every 10 s after it.
    server = await startServer({ env: { FARGATE_JOBS_RATE_LIMIT: '0.1/3' } });
  });
  after(async () => {
    await server.stop();
  });

  it('does not throttle a token named "unauthenticated" when bad requests flood in', async () => {
    // Prepare
    const created = await tokenCommand(server.dataDir, ['create', '--name', 'unauthenticated', '--profiles', '*']);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();

    // Act
    const flood = [];
    for (let index = 0; index < 6; index += 1) flood.push((await server.request('GET', '/jobs', { token: `fjt_${'x'.repeat(43)}` })).status);
    const named = await server.request('GET', '/jobs', { token });

    // Assess
    assert.ok(flood.slice(3).every((status) => status === 429), `the flood was answered ${flood.join(', ')}`);
    assert.equal(named.status, 200, named.text);
  });

  it("serves the web console's files whatever the rate of bad tokens: they ask for none", async () => {
    // Prepare: the bucket of bad tokens used up.
    for (let index = 0; index < 4; index += 1) await server.request('GET', '/jobs', { token: `fjt_${'y'.repeat(43)}` });

    // Act
    const pages = [];
    for (let index = 0; index < 6; index += 1) pages.push((await server.request('GET', '/', { token: null })).status);

    // Assess
    assert.deepEqual(pages, [200, 200, 200, 200, 200, 200]);
  });
});
