/**
 * Following a job without hammering the API: retries with backoff on network errors and 5xx, the
 * Retry-After of a 429, each log line once across retries; Ctrl-C counted once per press (ssh's argv: cli-ssh-target.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiClient, ApiError, NetworkError, retryDelay } from '#cli/api-client.ts';
import { followLogs } from '#cli/follow.ts';
import { Interrupts } from '#cli/interrupt.ts';

const FAST = { attempts: 4, firstDelayMs: 1, maxDelayMs: 2 };
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A fetch that answers from a script, one entry per request, and records the URLs asked for. */
function scriptedFetch(answers: Array<Response | Error>) {
  const urls: string[] = [];
  const fetch = async (input: string | URL | Request) => {
    urls.push(String(input));
    const next = answers.shift();
    if (next === undefined) throw new Error('no more answers scripted');
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch: fetch as typeof globalThis.fetch, urls };
}

describe('ApiClient', () => {
  it('retries reads on network errors and 5xx, then answers', async () => {
    const { fetch, urls } = scriptedFetch([new TypeError('fetch failed'), json(503, { error: { code: 'X', message: 'busy' } }), json(200, { lines: [], nextCursor: 'c1', complete: true })]);
    const client = new ApiClient({ url: 'http://api.test/', token: 'fjt_t' }, { retry: FAST, fetch });

    const answer = await client.request('GET', '/jobs/job-1/logs', { retry: true });

    assert.deepEqual(answer.body, { lines: [], nextCursor: 'c1', complete: true });
    assert.deepEqual(urls, ['http://api.test/jobs/job-1/logs', 'http://api.test/jobs/job-1/logs', 'http://api.test/jobs/job-1/logs']);
  });

  it('does not retry a request that is not safe to repeat, nor a 4xx', async () => {
    const down = scriptedFetch([new TypeError('fetch failed')]);
    const refused = scriptedFetch([json(400, { error: { code: 'VALIDATION_FAILED', message: 'command: required' } })]);

    await assert.rejects(new ApiClient({ url: 'http://api.test', token: 't' }, { retry: FAST, fetch: down.fetch }).request('POST', '/jobs', { body: {} }), NetworkError);
    await assert.rejects(new ApiClient({ url: 'http://api.test', token: 't' }, { retry: FAST, fetch: refused.fetch }).request('GET', '/jobs', { retry: true }), (error: unknown) => {
      return error instanceof ApiError && error.status === 400 && error.code === 'VALIDATION_FAILED' && error.message === 'command: required';
    });
    assert.equal(refused.urls.length, 1);
  });

  it('gives up after its attempts with the URL it could not reach', async () => {
    const { fetch, urls } = scriptedFetch(Array.from({ length: 4 }, () => new TypeError('fetch failed')));

    await assert.rejects(new ApiClient({ url: 'http://api.test', token: 't' }, { retry: FAST, fetch }).request('GET', '/jobs', { retry: true }), /could not reach http:\/\/api\.test/);
    assert.equal(urls.length, 4);
  });

  it('does not retry a 429 that waiting does not cure (too many active jobs)', async () => {
    const { fetch, urls } = scriptedFetch([json(429, { error: { code: 'TOO_MANY_ACTIVE_JOBS', message: 'wait for one' } }, { 'retry-after': '1' })]);

    await assert.rejects(new ApiClient({ url: 'http://api.test', token: 't' }, { retry: FAST, fetch }).request('POST', '/jobs', { retry: true }), ApiError);
    assert.equal(urls.length, 1);
  });

  it('sends the query and the bearer token', async () => {
    let seen: RequestInit | undefined;
    const fetch = (async (_url: string, init: RequestInit) => ((seen = init), json(200, { lines: [], nextCursor: 'c1', complete: false }))) as unknown as typeof globalThis.fetch;
    const client = new ApiClient({ url: 'http://api.test', token: 'fjt_t' }, { fetch });

    await client.request('GET', '/jobs/j/logs', { query: { cursor: 'c1', wait: 20, limit: undefined } });

    assert.equal((seen?.headers as Record<string, string>).authorization, 'Bearer fjt_t');
  });
});

describe('retryDelay', () => {
  const policy = { attempts: 9, firstDelayMs: 500, maxDelayMs: 10_000 };

  it('waits what Retry-After says, in seconds or as a date', () => {
    assert.equal(retryDelay(1, policy, '3'), 3000);
    assert.equal(retryDelay(1, policy, new Date(10_000).toUTCString(), 5_000), 5000);
  });

  it('backs off exponentially with jitter up to a cap', () => {
    for (let attempt = 1; attempt <= 8; attempt += 1) {
      const base = Math.min(500 * 2 ** (attempt - 1), 10_000);
      const delay = retryDelay(attempt, policy, null);
      assert.ok(delay >= base / 2 && delay <= base, `attempt ${attempt}: ${delay}`);
    }
  });
});

describe('followLogs', () => {
  it('prints each line once and in order across pages, a failed request and an empty long poll, until complete', async () => {
    const line = (message: string, stream: 'stdout' | 'stderr' = 'stdout') => ({ timestamp: '2026-01-01T00:00:00Z', message, stream });
    const { fetch, urls } = scriptedFetch([
      json(200, { lines: [line('1'), line('2', 'stderr')], nextCursor: 'c2', complete: false }),
      new TypeError('fetch failed'),
      json(200, { lines: [], nextCursor: 'c2', complete: false }),
      json(200, { lines: [line('3')], nextCursor: 'c3', complete: true }),
    ]);
    const client = new ApiClient({ url: 'http://api.test', token: 't' }, { retry: FAST, fetch });
    const printed: string[] = [];

    const end = await followLogs(client, 'job-1', { follow: true, onLines: (lines) => printed.push(...lines.map((l) => `${l.stream}:${l.message}`)) });

    assert.deepEqual(printed, ['stdout:1', 'stderr:2', 'stdout:3']);
    assert.deepEqual(end, { cursor: 'c3', complete: true });
    assert.deepEqual(
      urls.map((url) => new URL(url).search),
      ['?limit=1000&wait=20', '?cursor=c2&limit=1000&wait=20', '?cursor=c2&limit=1000&wait=20', '?cursor=c2&limit=1000&wait=20'],
    );
  });
});

describe('Interrupts', () => {
  it('cancels on the first press, ignores its echo within a second, detaches on a later one', () => {
    const interrupts = new Interrupts(1000);

    assert.equal(interrupts.press(10_000), 'cancel');
    assert.equal(interrupts.press(10_300), 'ignore');
    assert.equal(interrupts.press(11_200), 'detach');
  });

  it('takes the parent going away for a first press (cancel), and for nothing after a press: it never detaches', () => {
    const parentDied = new Interrupts(1000);
    const pressedFirst = new Interrupts(1000);

    assert.equal(parentDied.parentGone(10_000), 'cancel');
    assert.equal(parentDied.press(12_000), 'detach', 'a Ctrl-C later still detaches');
    assert.equal(pressedFirst.press(10_000), 'cancel');
    assert.equal(pressedFirst.parentGone(12_000), 'ignore', 'npm exiting on its own after a Ctrl-C');
  });
});
