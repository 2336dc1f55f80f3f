/**
 * The Slack Web API client against the fake Slack (test/helpers/fake-slack.ts), over real HTTP:
 * what it sends, how it waits out rate limits, and what it throws when Slack says no, answers
 * nothing or cannot be reached. Also the helpers' own wire details that the product's tests rely on.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createSlackWebApi, retryAfterMs, SlackApiError, type SlackWebApiOptions } from '#lib/notify/slack-web-api.ts';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.ts';
import { interactionBody, slackSignatureHeaders, slashCommandBody } from '../helpers/slack-requests.ts';

const BOT_TOKEN = 'xoxb-1111-2222-secretbottoken';
const CHANNEL = 'C0001OPS';

let slack: FakeSlack;
let sleeps: number[];

beforeEach(async () => {
  slack = await startFakeSlack({ botToken: BOT_TOKEN, channels: [CHANNEL] });
  sleeps = [];
});

afterEach(async () => {
  await slack.close();
});

/** A client on the fake whose sleeps return at once and are recorded in `sleeps`. */
function client(options: Partial<SlackWebApiOptions> = {}) {
  return createSlackWebApi({
    botToken: BOT_TOKEN,
    apiUrl: slack.url,
    sleep: async (ms) => void sleeps.push(ms),
    ...options,
  });
}

/** For `assert.rejects`: a SlackApiError with this Slack error, and no bot token in its message. */
function slackError(expected: string) {
  return (error: unknown): true => {
    assert.ok(error instanceof SlackApiError, `expected a SlackApiError, got ${String(error)}`);
    assert.equal(error.name, 'SlackApiError');
    assert.equal(error.slackError, expected);
    assert.ok(!error.message.includes(BOT_TOKEN), error.message);
    return true;
  };
}

describe('createSlackWebApi', () => {
  it('posts a message and then updates it in place', async () => {
    // Prepare
    const api = client();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'queued job *j-1*' } }];

    // Act
    const posted = await api.postMessage({ channel: CHANNEL, text: 'queued job j-1', blocks });
    await api.update({ channel: posted.channel, ts: posted.ts, text: 'job j-1 succeeded' });

    // Assess
    assert.equal(posted.channel, CHANNEL);
    assert.match(posted.ts, /^\d{10}\.\d{6}$/);
    assert.equal(slack.messages.length, 1);
    assert.equal(slack.messages[0]?.ts, posted.ts);
    assert.equal(slack.messages[0]?.text, 'job j-1 succeeded');
    // Slack keeps the blocks of an update that sends none.
    assert.deepEqual(slack.messages[0]?.blocks, blocks);
  });

  it('replies in the thread of a message', async () => {
    // Prepare
    const api = client();
    const parent = await api.postMessage({ channel: CHANNEL, text: 'queued job j-1' });

    // Act
    const reply = await api.postMessage({ channel: CHANNEL, text: 'exit code 0', thread_ts: parent.ts });

    // Assess
    assert.notEqual(reply.ts, parent.ts);
    assert.ok(reply.ts > parent.ts, `${reply.ts} should come after ${parent.ts}`);
    assert.deepEqual(
      slack.messages.map(({ ts, thread_ts, text }) => ({ ts, thread_ts, text })),
      [
        { ts: parent.ts, thread_ts: undefined, text: 'queued job j-1' },
        { ts: reply.ts, thread_ts: parent.ts, text: 'exit code 0' },
      ],
    );
  });

  it('sends the bot token as a Bearer header and the message as a JSON body', async () => {
    // Act
    await client({ apiUrl: `${slack.url}/` }).postMessage({ channel: CHANNEL, text: 'hello' });

    // Assess
    const [call] = slack.calls;
    assert.equal(slack.calls.length, 1);
    assert.equal(call?.method, 'chat.postMessage');
    assert.equal(call?.path, '/api/chat.postMessage');
    assert.equal(call?.headers.authorization, `Bearer ${BOT_TOKEN}`);
    assert.equal(call?.headers['content-type'], 'application/json; charset=utf-8');
    // Neither the token nor absent options travel in the body.
    assert.equal(call?.rawBody, JSON.stringify({ channel: CHANNEL, text: 'hello' }));
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    // Prepare
    slack.rateLimitNext(1, 2);

    // Act
    const posted = await client().postMessage({ channel: CHANNEL, text: 'hello' });

    // Assess
    assert.deepEqual(sleeps, [2000]);
    assert.deepEqual(slack.calls.map((call) => call.status), [429, 200]);
    assert.equal(slack.messages[0]?.ts, posted.ts);
  });

  it('waits at most 60 s at a time, however long Slack asks', async () => {
    // Prepare
    const seeded = await seedMessage();
    slack.rateLimitNext(1, 3600);

    // Act
    await client().update({ ...seeded, text: 'later' });

    // Assess
    assert.deepEqual(sleeps, [60_000]);
    assert.equal(slack.messages[0]?.text, 'later');
  });

  it('gives up once the rate limit outlasts its retries', async () => {
    // Prepare
    slack.rateLimitNext(3, 1);

    // Act & Assess
    await assert.rejects(client({ maxRateLimitRetries: 2 }).postMessage({ channel: CHANNEL, text: 'hello' }), slackError('ratelimited'));
    assert.equal(slack.calls.length, 3);
    assert.deepEqual(sleeps, [1000, 1000]);
    assert.equal(slack.messages.length, 0);
  });

  it("throws Slack's error when Slack answers ok: false", async () => {
    // Act & Assess
    await assert.rejects(client().postMessage({ channel: 'C0NOWHERE', text: 'hello' }), (error: unknown) => {
      slackError('channel_not_found')(error);
      assert.equal((error as SlackApiError).message, 'Slack chat.postMessage failed: channel_not_found');
      assert.equal((error as SlackApiError).status, 200);
      return true;
    });
  });

  it('throws message_not_found when updating a message that does not exist', async () => {
    // Act & Assess
    await assert.rejects(client().update({ channel: CHANNEL, ts: '1700000000.000001', text: 'later' }), slackError('message_not_found'));
  });

  it('throws invalid_auth for a wrong token, without the token in the message', async () => {
    // Prepare
    const wrongToken = 'xoxb-9999-wrong-token';

    // Act & Assess
    await assert.rejects(client({ botToken: wrongToken }).postMessage({ channel: CHANNEL, text: 'hello' }), (error: unknown) => {
      slackError('invalid_auth')(error);
      assert.ok(!(error as Error).message.includes(wrongToken), (error as Error).message);
      assert.ok(!JSON.stringify(error).includes(wrongToken));
      return true;
    });
  });

  it('throws for an answer that is not 2xx, with the status and any Slack error', async () => {
    // Act & Assess: a wrong apiUrl reaches no method.
    await assert.rejects(client({ apiUrl: `${slack.url}/v2` }).postMessage({ channel: CHANNEL, text: 'hello' }), (error: unknown) => {
      slackError('unknown_method')(error);
      assert.equal((error as SlackApiError).status, 404);
      return true;
    });
  });

  it('gives up on a Slack that never answers once the timeout passes', { timeout: 5_000 }, async () => {
    // Prepare
    slack.stallNext(1);
    const started = Date.now();

    // Act & Assess
    await assert.rejects(client({ timeoutMs: 100 }).postMessage({ channel: CHANNEL, text: 'hello' }), (error: unknown) => {
      slackError('timeout')(error);
      assert.ok((error as Error).cause instanceof Error);
      return true;
    });
    assert.ok(Date.now() - started < 2_000, 'the call should end at its timeout');
    assert.equal(slack.calls.length, 1);
  });

  it('gives up on a Slack that sends headers and then stalls', { timeout: 5_000 }, async () => {
    // Prepare: a server that starts its answer and never finishes it.
    const server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).write('{"ok":'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;

    try {
      // Act & Assess
      await assert.rejects(client({ apiUrl, timeoutMs: 100 }).update({ channel: CHANNEL, ts: '1.000001', text: 'x' }), slackError('timeout'));
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('wraps a network failure, keeping its cause', async () => {
    // Prepare: a port that was just free, so nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
    await new Promise((resolve) => server.close(resolve));

    // Act & Assess
    await assert.rejects(client({ apiUrl }).postMessage({ channel: CHANNEL, text: 'hello' }), (error: unknown) => {
      slackError('request_failed')(error);
      assert.ok((error as Error).cause instanceof Error);
      assert.equal((error as SlackApiError).status, undefined);
      return true;
    });
  });

  it('refuses settings it cannot work with where they enter', () => {
    assert.throws(() => createSlackWebApi({ botToken: '' }), /botToken/);
    assert.throws(() => createSlackWebApi({ botToken: BOT_TOKEN, maxRateLimitRetries: -1 }), /maxRateLimitRetries/);
    assert.throws(() => createSlackWebApi({ botToken: BOT_TOKEN, timeoutMs: 0 }), /timeoutMs/);
  });
});

describe('retryAfterMs', () => {
  it('reads whole seconds, waits 1 s for a missing or garbled header and caps at 60 s', () => {
    assert.equal(retryAfterMs('2'), 2000);
    assert.equal(retryAfterMs(' 30 '), 30_000);
    assert.equal(retryAfterMs(null), 1000);
    assert.equal(retryAfterMs('soon'), 1000);
    assert.equal(retryAfterMs('1.5'), 1000);
    assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT'), 1000);
    assert.equal(retryAfterMs('86400'), 60_000);
  });
});

describe('the fake Slack', () => {
  it('answers not_authed without a Bearer token and invalid_arguments for a form body', async () => {
    // Act
    const anonymous = await fetch(`${slack.url}/chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: CHANNEL, text: 'hi' }),
    });
    const form = await fetch(`${slack.url}/chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_TOKEN}` },
      body: new URLSearchParams({ channel: CHANNEL, text: 'hi' }),
    });

    // Assess
    assert.deepEqual([anonymous.status, await anonymous.json()], [200, { ok: false, error: 'not_authed' }]);
    assert.deepEqual([form.status, await form.json()], [200, { ok: false, error: 'invalid_arguments' }]);
    assert.equal(slack.messages.length, 0);
  });

  it('takes a response_url post five times, recording it, and resolves waitFor on it', async () => {
    // Prepare
    const url = slack.responseUrl('refusal-1');
    const waiting = slack.waitFor(({ calls }) => calls.find((call) => call.method === 'response_url'));
    const post = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', text: 'not allowed' }) });

    // Act
    const statuses = [];
    for (let use = 0; use < 6; use += 1) statuses.push((await post()).status);

    // Assess
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 404]);
    const first = await waiting;
    assert.deepEqual(first.body, { response_type: 'ephemeral', text: 'not allowed' });
    assert.equal(first.headers.authorization, undefined);
  });
});

describe('slackSignatureHeaders', () => {
  it("reproduces the example of Slack's 'Verifying requests from Slack'", () => {
    // Prepare: secret, timestamp, body and signature as Slack's documentation gives them.
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
      '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
      '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';

    // Act
    const headers = slackSignatureHeaders('8f742231b10e8888abcd99yyyzzz85a5', body, 1531420618);

    // Assess
    assert.deepEqual(headers, {
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    });
  });
});

describe('slashCommandBody and interactionBody', () => {
  it('form-encode what Slack sends, so that a form parser gets the fields back', () => {
    // Act
    const command = new URLSearchParams(slashCommandBody({ text: 'build --ref main & deploy', user_id: 'U0002BOB' }));
    const interaction = new URLSearchParams(interactionBody({ type: 'block_actions', actions: [{ value: 'a b&c' }] }));

    // Assess
    assert.equal(command.get('command'), '/run');
    assert.equal(command.get('text'), 'build --ref main & deploy');
    assert.equal(command.get('user_id'), 'U0002BOB');
    assert.ok(command.get('response_url')?.startsWith('https://hooks.slack.com/commands/'));
    assert.deepEqual(JSON.parse(interaction.get('payload') ?? ''), { type: 'block_actions', actions: [{ value: 'a b&c' }] });
  });
});

/** A message on the fake, posted without the client under test's retries in the way. */
async function seedMessage(): Promise<{ channel: string; ts: string }> {
  return await createSlackWebApi({ botToken: BOT_TOKEN, apiUrl: slack.url }).postMessage({ channel: CHANNEL, text: 'seed' });
}
