/**
 * Chat-ops end to end in local mode: the server started as `npm start` starts it (in this process,
 * so that the webhook resolver and retry interval can be given), a stand-in Slack Web API, and a
 * webhook receiver on loopback (allow-listed, as local mode needs). Everything goes over HTTP.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { silentLogger, type Logger } from '#lib/domain/logger.ts';
import { startLocalServer, type LocalServer } from '#local/local-server.ts';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.ts';
import { blockActionPayload, interactionBody, SLACK_DEFAULTS, slackSignatureHeaders, slashCommandBody } from '../helpers/slack-requests.ts';

const SIGNING_SECRET = 'e2e-slack-signing-secret-0123456789';
const BOT_TOKEN = 'xoxb-e2e-bot-token';
const WEBHOOK_SECRET = 'whsec-e2e-0123456789abcdef0123456789abcdef';
const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver that answers the first `failures` deliveries with 500, then 204. */
async function startReceiver(failures: number): Promise<{ server: Server; port: number; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.statusCode = deliveries.length <= failures ? 500 : 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, deliveries };
}

/** Verifies `Fargate-Jobs-Signature` as a receiver would, written from docs/slack-and-webhooks.md's recipe. */
function verifyWebhook(secret: string, header: string | undefined, body: string, nowSeconds: number): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((part) => part.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300 || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

let slack: FakeSlack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let server: LocalServer;
let dataDir: string;
/** What the server logged at warn level: where a failed delivery's reason goes. */
const warnings: Record<string, unknown>[] = [];
const recordingLogger: Logger = { ...silentLogger, warn: (message, ...extra) => warnings.push({ message, ...Object.assign({}, ...extra) }) };

before(async () => {
  slack = await startFakeSlack({ botToken: BOT_TOKEN });
  receiver = await startReceiver(2);
  dataDir = mkdtempSync(join(tmpdir(), 'fargate-jobs-chatops-'));
  server = await startLocalServer({
    dataDir,
    port: 0,
    logger: recordingLogger,
    notificationRetryIntervalMs: 50,
    // Every name resolves to loopback (as a rebinding attacker's DNS would): refused at send time.
    webhookResolver: async () => [{ address: '127.0.0.1', family: 4 }],
    env: {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.url,
      SLACK_ACCESS: JSON.stringify([{ team: SLACK_DEFAULTS.teamId, profiles: ['default'] }, { user: 'U0009ADMIN', profiles: ['*'], admin: true }]),
      FARGATE_JOBS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`,
    },
  });
});

after(async () => {
  await server?.close();
  await slack?.close();
  await new Promise((resolve) => receiver?.server.close(resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function postSlack(path: string, body: string, headers: Record<string, string> = slackSignatureHeaders(SIGNING_SECRET, body)) {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  return { status: response.status, body: (await response.json()) as { text?: string; error?: { code: string } } };
}

async function api(path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', ...init.headers } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function jobsOfUser(user: string): Promise<Array<{ id: string; status: string; submittedBy: string }>> {
  const { body } = await api('/jobs?limit=100');
  return (body.jobs as Array<{ id: string; status: string; submittedBy: string }>).filter((job) => job.submittedBy === `slack:${user}`);
}

/**
 * Polls until the job is terminal with its stop recorded. The wait holds only while it is RUNNING:
 * between polls of any other state a pause, or the loop (a few hundred polls a second on jobs.db)
 * spends the token's rate limit and the next test's request gets 429.
 */
async function finished(jobId: string): Promise<Record<string, unknown>> {
  for (;;) {
    const { body } = await api(`/jobs/${jobId}?wait=20&ifStatus=RUNNING`);
    if (TERMINAL.includes(String(body.status)) && body.stoppedAt) return body;
    await delay(20);
  }
}

describe('Slack /run in local mode', () => {
  it('a signed /run creates a job as the Slack user, and its thread gets queued, running and the result', async () => {
    // Prepare: Slack rate-limits the first message once.
    slack.rateLimitNext(1, 1);
    // As Slack sends what the user typed: & < > escaped.
    const body = slashCommandBody({ text: "default sh -c \"echo hello from slack; echo 'a&amp;b &lt;tag&gt;'\"", trigger_id: 'trigger-run-1' });

    // Act
    const answer = await postSlack('/slack/commands', body);

    // Assess
    assert.equal(answer.status, 200);
    assert.match(answer.body.text ?? '', /Job job-\w+ submitted/);
    const [job] = await jobsOfUser(SLACK_DEFAULTS.userId);
    assert.ok(job, 'the job is recorded as submitted by the Slack user');
    const done = await finished(job.id);
    assert.equal(done.status, 'SUCCEEDED');
    const final = await slack.waitFor(({ messages }) => {
      const top = messages.find((message) => message.thread_ts === undefined && message.text.includes(job.id));
      const replies = top ? messages.filter((message) => message.thread_ts === top.ts) : [];
      return top?.edited && replies.length >= 2 ? { top, replies } : undefined;
    }, 10_000);
    assert.match(final.top.text, /SUCCEEDED/, 'the original message shows the final status');
    assert.match(final.replies[0]?.text ?? '', /running/);
    const result = JSON.stringify(final.replies.at(-1)?.blocks);
    assert.match(result, /hello from slack/);
    assert.match(result, /a&amp;b &lt;tag&gt;/, 'log lines are escaped for Slack');
    assert.ok(slack.calls.some((call) => call.status === 429), 'Slack answered 429 once');
    assert.ok(slack.calls.every((call) => call.method === 'response_url' || call.headers.authorization === `Bearer ${BOT_TOKEN}`));
  });

  it("a Slack retry of the same command (X-Slack-Retry-Num) creates no second job", async () => {
    // Prepare
    const body = slashCommandBody({ text: 'default true', trigger_id: 'trigger-retried', user_id: 'U0002BOB' });
    await postSlack('/slack/commands', body);

    // Act
    const retry = await postSlack('/slack/commands', body, { ...slackSignatureHeaders(SIGNING_SECRET, body), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });

    // Assess
    assert.equal(retry.status, 200);
    assert.equal((await jobsOfUser('U0002BOB')).length, 1);
  });

  it('refuses a request with a wrong signature (401) and creates nothing', async () => {
    // Prepare
    const body = slashCommandBody({ text: 'default true', user_id: 'U0003EVE', trigger_id: 'trigger-forged' });

    // Act
    const forged = await postSlack('/slack/commands', body, slackSignatureHeaders('not-the-signing-secret', body));
    const stale = await postSlack('/slack/commands', body, slackSignatureHeaders(SIGNING_SECRET, body, Math.floor(Date.now() / 1000) - 301));

    // Assess
    assert.equal(forged.status, 401);
    assert.equal(stale.status, 401);
    assert.equal(forged.body.error?.code, 'UNAUTHORIZED');
    assert.equal((await jobsOfUser('U0003EVE')).length, 0);
  });

  it('refuses a profile SLACK_ACCESS does not give, naming it, and answers /run help', async () => {
    // Act
    const refused = await postSlack('/slack/commands', slashCommandBody({ text: 'echo hello', trigger_id: 'trigger-refused' }));
    const help = await postSlack('/slack/commands', slashCommandBody({ text: 'help', team_id: 'T0OTHER' }));

    // Assess
    assert.match(refused.body.text ?? '', /may not run profile 'echo'/);
    assert.match(help.body.text ?? '', /\/run/);
  });

  it('only the submitter or an admin may press Cancel', async () => {
    // Prepare: a long job of alice's.
    await postSlack('/slack/commands', slashCommandBody({ text: 'default sleep 30', trigger_id: 'trigger-long', user_id: 'U0004CAROL' }));
    const [job] = await jobsOfUser('U0004CAROL');
    assert.ok(job);
    const press = (user: string) =>
      postSlack('/slack/interactions', interactionBody(blockActionPayload({ actionId: 'cancel_job', value: job.id, user: { id: user }, responseUrl: slack.responseUrl(`cancel-${user}`) })));

    // Act
    await press('U0005MALLORY');
    const afterMallory = await api(`/jobs/${job.id}`);
    await press('U0009ADMIN');

    // Assess
    assert.notEqual(afterMallory.body.status, 'CANCELLED', 'someone else cannot cancel');
    const refusal = await slack.waitFor(({ calls }) => calls.find((call) => call.path.endsWith('cancel-U0005MALLORY')));
    assert.match(String(refusal.body.text), /Only/);
    assert.equal((await finished(job.id)).status, 'CANCELLED');
  });

  it('a job submitted with an API token is, to a Slack user who is no admin, a job that does not exist', async () => {
    // Prepare
    const created = await api('/jobs', { method: 'POST', body: JSON.stringify({ command: ['sleep', '30'] }) });
    const jobId = String(created.body.id);
    const missing = 'job-01jz3k4m5n6p7q8r9s0t1v2w3x';

    // Act
    const hidden = await postSlack('/slack/commands', slashCommandBody({ text: `cancel ${jobId}`, user_id: 'U0006DAVE' }));
    const absent = await postSlack('/slack/commands', slashCommandBody({ text: `status ${missing}`, user_id: 'U0006DAVE' }));
    const admin = await postSlack('/slack/commands', slashCommandBody({ text: `cancel ${jobId}`, user_id: 'U0009ADMIN' }));

    // Assess
    assert.equal(hidden.body.text, absent.body.text?.replace(missing, jobId));
    assert.match(admin.body.text ?? '', /Cancelling job/);
    assert.equal((await finished(jobId)).status, 'CANCELLED');
  });
});

describe('webhooks in local mode', () => {
  it('POSTs the signed job document when the job finishes, retrying until the receiver answers 2xx, every attempt recorded', async () => {
    // Act
    const created = await api('/jobs', { method: 'POST', body: JSON.stringify({ command: ['true'], callbackUrl: `http://127.0.0.1:${receiver.port}/hook?key=k1` }) });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const jobId = String(created.body.id);
    await finished(jobId);
    let job: Record<string, unknown> = {};
    for (let tries = 0; tries < 100; tries += 1) {
      job = (await api(`/jobs/${jobId}`)).body;
      if ((job.notifications as unknown[] | undefined)?.some((attempt) => (attempt as { delivered: boolean }).delivered)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Assess
    const mine = receiver.deliveries.filter((delivery) => delivery.body.includes(jobId));
    assert.equal(mine.length, 3, 'two 500s, then a 204');
    const ids = new Set(mine.map((delivery) => delivery.headers['fargate-jobs-delivery']));
    assert.equal(ids.size, 1, 'one delivery id across its retries');
    for (const delivery of mine) {
      assert.equal(delivery.headers['fargate-jobs-event'], 'job.finished');
      assert.ok(verifyWebhook(WEBHOOK_SECRET, delivery.headers['fargate-jobs-signature'] as string, delivery.body, Math.floor(Date.now() / 1000)));
      const sent = JSON.parse(delivery.body) as { status: string; links: { console: string }; cost?: { usd: number; local?: boolean } };
      assert.equal(sent.status, 'SUCCEEDED');
      assert.deepEqual([sent.cost?.usd, sent.cost?.local], [0, true], 'the finished job carries its cost: nothing, locally');
      assert.equal(sent.links.console, `${server.url}/#/jobs/${jobId}`, "the receiver gets a link to the job's console page");
    }
    const attempts = job.notifications as Array<{ attempt: number; statusCode: number; delivered: boolean }>;
    assert.deepEqual(attempts.map(({ attempt, statusCode, delivered }) => ({ attempt, statusCode, delivered })), [
      { attempt: 1, statusCode: 500, delivered: false },
      { attempt: 2, statusCode: 500, delivered: false },
      { attempt: 3, statusCode: 204, delivered: true },
    ]);
    assert.equal(job.callbackUrl, `http://127.0.0.1:${receiver.port}/hook?***`, 'the query string is not shown');
  });

  it('refuses private, metadata and plain-http callback URLs at submit time (400)', async () => {
    for (const callbackUrl of ['http://example.com/hook', 'https://169.254.169.254/latest', 'https://10.0.0.5/hook', 'https://[::ffff:127.0.0.1]/', `https://127.0.0.1:${receiver.port + 1}/`]) {
      const answer = await api('/jobs', { method: 'POST', body: JSON.stringify({ command: ['true'], callbackUrl }) });
      assert.equal(answer.status, 400, callbackUrl);
      assert.equal((answer.body.error as { code: string }).code, 'VALIDATION_FAILED');
    }
  });

  it('refuses at send time a host whose DNS answer is a loopback address, recording only "delivery failed" and logging why', async () => {
    // Act
    const created = await api('/jobs', { method: 'POST', body: JSON.stringify({ command: ['true'], callbackUrl: 'https://rebound.example/hook' }) });
    const jobId = String(created.body.id);
    await finished(jobId);
    let attempts: Array<{ delivered: boolean; error?: string }> = [];
    for (let tries = 0; tries < 200 && attempts.length < 8; tries += 1) {
      attempts = ((await api(`/jobs/${jobId}`)).body.notifications as typeof attempts | undefined) ?? [];
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Assess
    assert.equal(attempts.length, 8, 'tried as often as the workflow retries, then given up');
    assert.ok(attempts.every((attempt) => !attempt.delivered && attempt.error === 'delivery failed'), JSON.stringify(attempts[0]));
    const logged = warnings.filter((warning) => warning.jobId === jobId && warning.message === 'a webhook delivery got no answer');
    assert.equal(logged.length, 8);
    assert.match(String(logged[0]?.error), /rebound\.example resolves to a forbidden address: 127\.0\.0\.1 is a loopback address/);
    assert.ok(!receiver.deliveries.some((delivery) => delivery.body.includes(jobId)), 'nothing reached the loopback receiver');
  });
});
