/**
 * Who sees which job from Slack: the slash command's verbs and the buttons, driven through the two
 * Slack routes with signed requests, against a job store and a stand-in Slack. What is asserted is
 * what Slack receives: the slash command's answer, the posts to a button's response_url, and the
 * messages posted into channels.
 *
 * The rules: `alpha` may be used in C0ALPHA and C0ALPHA2, `beta` in C0BETA; U0ALPHAADMIN is an
 * admin of `alpha` only, everywhere; C0RANDOM has no rule at all.
 */
import assert from 'node:assert/strict';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { after, before, beforeEach, describe, it } from 'node:test';
import { newJobId } from '#lib/domain/ids.ts';
import type { Job } from '#lib/domain/job.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import type { Profile } from '#lib/domain/profile.ts';
import type { SlackPorts } from '#lib/http/slack-actions.ts';
import { slackCommandsHandler } from '#lib/http/slack-commands.ts';
import { slackInteractionsHandler } from '#lib/http/slack-interactions.ts';
import { callbackUrlPolicy } from '#lib/notify/callback-policy.ts';
import { createSlackWebApi } from '#lib/notify/slack-web-api.ts';
import { parseSlackAccess } from '#lib/slack/access.ts';
import { postToResponseUrl } from '#lib/slack/app.ts';
import { SLACK_ACTIONS } from '#lib/slack/messages.ts';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.ts';
import { aJob } from '../helpers/jobs.ts';
import { blockActionPayload, interactionBody, SLACK_DEFAULTS, slackSignatureHeaders, slashCommandBody } from '../helpers/slack-requests.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';
import { SqliteScheduleStore } from '#lib/adapters/local/sqlite-schedule-store.ts';
import type { Schedule } from '#lib/domain/schedule.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/sqlite.ts';

const SIGNING_SECRET = 'visibility-signing-secret-0123456789';
const BOT_TOKEN = 'xoxb-visibility-bot-token';
const TEAM = SLACK_DEFAULTS.teamId;
const ALPHA_CHANNEL = 'C0ALPHA';
const OTHER_ALPHA_CHANNEL = 'C0ALPHA2';
const BETA_CHANNEL = 'C0BETA';
const RANDOM_CHANNEL = 'C0RANDOM';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const ALPHA_ADMIN = 'U0ALPHAADMIN';
/** What a job's log holds that only those who may see the job may read. */
const SECRET_LINE = 'DATABASE_PASSWORD=hunter2';

const RULES = parseSlackAccess(
  JSON.stringify([
    { team: TEAM, channel: ALPHA_CHANNEL, profiles: ['alpha'] },
    { team: TEAM, channel: OTHER_ALPHA_CHANNEL, profiles: ['alpha'] },
    { team: TEAM, channel: BETA_CHANNEL, profiles: ['beta'] },
    { team: TEAM, user: ALPHA_ADMIN, profiles: ['alpha'], admin: true },
  ]),
);

function aProfile(name: string): Profile {
  return { name, description: name, commands: 'any', shell: false, envNames: 'any', timeoutSeconds: { default: 600, max: 3600 }, publicIp: 'never' };
}

let slack: FakeSlack;
let testStore: TestStore;
let ports: SlackPorts;
let stopped: string[];
let starts: string[];
let responses = 0;

before(async () => {
  slack = await startFakeSlack({ botToken: BOT_TOKEN });
  testStore = await createTestStore();
});

after(async () => {
  await slack?.close();
  await testStore?.close();
});

beforeEach(() => {
  stopped = [];
  starts = [];
  ports = {
    store: testStore.store,
    workflow: { start: async (jobId) => void starts.push(jobId), wake: async () => {} },
    taskRunner: {
      runTask: async () => assert.fail('no task is run here'),
      describeTask: async () => assert.fail('no task is described here'),
      stopTask: async (taskArn) => void stopped.push(taskArn),
    },
    logReader: {
      read: async () => assert.fail('Slack reads only the tail'),
      readBackward: async () => assert.fail('Slack reads only the tail'),
      tail: async () => ['starting', SECRET_LINE],
    },
    profiles: new Map([
      ['alpha', aProfile('alpha')],
      ['beta', aProfile('beta')],
    ]),
    callbackUrls: callbackUrlPolicy([]),
    logger: silentLogger,
    requestHashKey: { get: async () => 'visibility-request-hash-key-0123456789abcdef' },
    slack: {
      signingSecret: async () => SIGNING_SECRET,
      access: RULES,
      api: createSlackWebApi({ botToken: BOT_TOKEN, apiUrl: slack.url }),
      respond: postToResponseUrl,
    },
  };
});

// --- Jobs -------------------------------------------------------------------------------------

/** A running job submitted with `/run` by `user` in `channel`, whose message there is `messageTs`. */
async function slackJob(profile: string, user: string, channel: string): Promise<Job> {
  const { ts } = await ports.slack.api.postMessage({ channel, text: `job of ${user}` });
  const job = aJob({
    id: newJobId(),
    profile,
    status: 'RUNNING',
    taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs/${newJobId()}`,
    submittedBy: `slack:${user}`,
    slack: { team: TEAM, channel, user, messageTs: ts },
  });
  await testStore.store.create(job);
  return job;
}

/** A running job submitted through the HTTP API with a token. */
async function apiJob(profile: string): Promise<Job> {
  const job = aJob({ id: newJobId(), profile, status: 'RUNNING', taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs/${newJobId()}`, submittedBy: 'ci-deploy-token' });
  await testStore.store.create(job);
  return job;
}

// --- What Slack sends, and what it gets back ---------------------------------------------------

function signedEvent(routeKey: string, body: string): APIGatewayProxyEventV2 {
  return { routeKey, rawPath: routeKey.split(' ')[1], body, isBase64Encoded: false, headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(SIGNING_SECRET, body) } } as unknown as APIGatewayProxyEventV2;
}

/** `/run <text>` typed by `user` in `channel`: the answer Slack shows them. */
async function slashCommand(user: string, channel: string, text: string): Promise<{ response_type?: string; text: string }> {
  const body = slashCommandBody({ text, user_id: user, channel_id: channel, team_id: TEAM, trigger_id: `trigger-${Math.random()}` });
  const response = await slackCommandsHandler(ports)(signedEvent('POST /slack/commands', body));
  assert.equal(response.statusCode, 200);
  return JSON.parse(response.body ?? '{}') as { response_type?: string; text: string };
}

/**
 * `user` presses a button of `jobId` on a message of `channel` (the job's message when `messageTs`
 * is given). Returns what reached the press's response_url and the messages posted meanwhile.
 */
async function press(user: string, channel: string, actionId: string, jobId: string, messageTs?: string) {
  responses += 1;
  const responseId = `press-${responses}`;
  const before = slack.messages.length;
  const payload = blockActionPayload({
    actionId,
    value: jobId,
    user: { id: user },
    channel: { id: channel },
    team: { id: TEAM },
    responseUrl: slack.responseUrl(responseId),
    ...(messageTs ? { messageTs } : {}),
  });
  const response = await slackInteractionsHandler(ports)(signedEvent('POST /slack/interactions', interactionBody(payload)));
  assert.equal(response.statusCode, 200);
  const answers = slack.calls.filter((call) => call.path === `/response/${responseId}`).map((call) => String(call.body.text));
  return { answers, posted: slack.messages.slice(before) };
}

/** `/run <verb> <an id no job has>` as `user` in `channel`, its text with that id replaced by `jobId`. */
async function noSuchJobAnswer(verb: string, user: string, channel: string, jobId: string): Promise<string> {
  const missing = newJobId();
  const answer = await slashCommand(user, channel, `${verb} ${missing}`);
  assert.ok(answer.text.includes(missing), answer.text);
  return answer.text.replaceAll(missing, jobId);
}

async function statusOf(jobId: string): Promise<string | undefined> {
  return (await testStore.store.get(jobId))?.status;
}

describe('Slack: an admin of one profile and another profile’s jobs', () => {
  it('gets for status, logs and cancel of a beta job exactly the answer for a job that does not exist', async () => {
    // Prepare
    const job = await slackJob('beta', BOB, BETA_CHANNEL);

    // Act and assess
    for (const verb of ['status', 'logs', 'cancel']) {
      const answer = await slashCommand(ALPHA_ADMIN, ALPHA_CHANNEL, `${verb} ${job.id}`);
      assert.equal(answer.response_type, 'ephemeral');
      assert.equal(answer.text, await noSuchJobAnswer(verb, ALPHA_ADMIN, ALPHA_CHANNEL, job.id), verb);
      assert.doesNotMatch(JSON.stringify(answer), /hunter2|U0BOB/, verb);
    }
    assert.equal(await statusOf(job.id), 'RUNNING');
    assert.deepEqual(stopped, []);
  });

  it('gets from Logs, Cancel and Rerun of a beta job only "does not exist", and nothing is posted, stopped or started', async () => {
    // Prepare
    const job = await slackJob('beta', BOB, BETA_CHANNEL);
    const expected = await noSuchJobAnswer('status', ALPHA_ADMIN, ALPHA_CHANNEL, job.id);

    // Act and assess
    for (const action of [SLACK_ACTIONS.logs, SLACK_ACTIONS.cancel, SLACK_ACTIONS.rerun]) {
      const { answers, posted } = await press(ALPHA_ADMIN, ALPHA_CHANNEL, action, job.id);
      assert.deepEqual(answers, [expected], action);
      assert.deepEqual(posted, [], action);
    }
    assert.equal(await statusOf(job.id), 'RUNNING');
    assert.deepEqual(stopped, []);
    assert.deepEqual(starts, []);
  });

  it('still cancels a job of the profile it administers, submitted by someone else', async () => {
    // Prepare
    const job = await slackJob('alpha', ALICE, ALPHA_CHANNEL);

    // Act
    const answer = await slashCommand(ALPHA_ADMIN, ALPHA_CHANNEL, `cancel ${job.id}`);

    // Assess
    assert.match(answer.text, /Cancelling job/);
    assert.equal(await statusOf(job.id), 'CANCELLED');
    assert.deepEqual(stopped, [job.taskArn]);
  });
});

describe('Slack: jobs submitted through the API', () => {
  it('are as absent as a job that does not exist for a user who is no admin of their profile', async () => {
    // Prepare
    const job = await apiJob('alpha');

    // Act and assess
    for (const verb of ['status', 'logs', 'cancel']) {
      const answer = await slashCommand(ALICE, ALPHA_CHANNEL, `${verb} ${job.id}`);
      assert.equal(answer.text, await noSuchJobAnswer(verb, ALICE, ALPHA_CHANNEL, job.id), verb);
    }
    const { answers, posted } = await press(ALICE, ALPHA_CHANNEL, SLACK_ACTIONS.logs, job.id);
    assert.deepEqual(answers, [await noSuchJobAnswer('logs', ALICE, ALPHA_CHANNEL, job.id)]);
    assert.deepEqual(posted, []);
    assert.equal(await statusOf(job.id), 'RUNNING');
  });

  it('are shown to an admin of their profile, who may cancel them', async () => {
    // Prepare
    const job = await apiJob('alpha');

    // Act
    const status = await slashCommand(ALPHA_ADMIN, ALPHA_CHANNEL, `status ${job.id}`);
    const logs = await press(ALPHA_ADMIN, ALPHA_CHANNEL, SLACK_ACTIONS.logs, job.id);
    const cancel = await slashCommand(ALPHA_ADMIN, ALPHA_CHANNEL, `cancel ${job.id}`);

    // Assess
    assert.match(JSON.stringify(status), /submitted by ci-deploy-token/);
    assert.equal(logs.answers.length, 1, 'the log goes to the admin alone');
    assert.deepEqual(logs.posted, [], 'an API job has no thread: nothing is posted into the channel');
    assert.match(cancel.text, /Cancelling job/);
    assert.equal(await statusOf(job.id), 'CANCELLED');
  });
});

describe('Slack: the Logs button and /run logs', () => {
  it('post nothing into a channel where the presser’s rules give nothing, even for their own job', async () => {
    // Prepare: alice's job of C0ALPHA; its Logs button pressed in C0RANDOM (from a /run status answer there).
    const job = await slackJob('alpha', ALICE, ALPHA_CHANNEL);

    // Act
    const { answers, posted } = await press(ALICE, RANDOM_CHANNEL, SLACK_ACTIONS.logs, job.id);
    const typed = await slashCommand(ALICE, RANDOM_CHANNEL, `logs ${job.id}`);

    // Assess
    assert.deepEqual(posted, []);
    assert.ok(!slack.messages.some((message) => message.channel === RANDOM_CHANNEL));
    assert.deepEqual(answers, [await noSuchJobAnswer('logs', ALICE, RANDOM_CHANNEL, job.id)]);
    assert.equal(typed.text, await noSuchJobAnswer('logs', ALICE, RANDOM_CHANNEL, job.id));
  });

  it('post the log into the job’s own thread when pressed on its message in its channel', async () => {
    // Prepare
    const job = await slackJob('alpha', ALICE, ALPHA_CHANNEL);

    // Act
    const { answers, posted } = await press(BOB, ALPHA_CHANNEL, SLACK_ACTIONS.logs, job.id, job.slack?.messageTs);

    // Assess
    assert.deepEqual(answers, []);
    assert.equal(posted.length, 1);
    assert.equal(posted[0]?.channel, ALPHA_CHANNEL);
    assert.equal(posted[0]?.thread_ts, job.slack?.messageTs);
    assert.match(JSON.stringify(posted[0]?.blocks), /hunter2/);
  });

  it('answer the presser alone in another channel where the profile is allowed', async () => {
    // Prepare
    const job = await slackJob('alpha', ALICE, ALPHA_CHANNEL);

    // Act
    const { answers, posted } = await press(ALICE, OTHER_ALPHA_CHANNEL, SLACK_ACTIONS.logs, job.id);
    const typed = await slashCommand(ALICE, OTHER_ALPHA_CHANNEL, `logs ${job.id}`);

    // Assess
    assert.deepEqual(posted, []);
    assert.equal(answers.length, 1);
    assert.match(answers[0] ?? '', /log of/);
    assert.equal(typed.response_type, 'ephemeral');
    assert.match(typed.text, /log of/);
  });
});

describe('Slack: /run cancel of a job the user cannot see', () => {
  it('says what /run status says of a job that does not exist, naming nobody', async () => {
    // Prepare: bob's job of beta; alice asks in C0ALPHA, where beta is nothing to her.
    const job = await slackJob('beta', BOB, BETA_CHANNEL);

    // Act
    const answer = await slashCommand(ALICE, ALPHA_CHANNEL, `cancel ${job.id}`);

    // Assess
    assert.equal(answer.text, await noSuchJobAnswer('status', ALICE, ALPHA_CHANNEL, job.id));
    assert.doesNotMatch(answer.text, /<@|submitted/);
    assert.equal(await statusOf(job.id), 'RUNNING');
  });

  it('refuses, after showing it, a visible job of someone else to a user who is no admin of its profile', async () => {
    // Prepare
    const job = await slackJob('alpha', ALICE, ALPHA_CHANNEL);

    // Act
    const status = await slashCommand(BOB, ALPHA_CHANNEL, `status ${job.id}`);
    const cancel = await slashCommand(BOB, ALPHA_CHANNEL, `cancel ${job.id}`);
    const own = await slashCommand(ALICE, ALPHA_CHANNEL, `cancel ${job.id}`);

    // Assess
    assert.match(JSON.stringify(status), /RUNNING/);
    assert.match(cancel.text, /^Only <@U0ALICE>, who submitted job/);
    assert.match(own.text, /Cancelling job/);
    assert.equal(await statusOf(job.id), 'CANCELLED');
  });
});

describe('Slack: /run list', () => {
  it('lists only the jobs the user may see in this channel', async () => {
    // Prepare: one of carol's jobs in each profile.
    const carol = 'U0CAROL';
    const alpha = await slackJob('alpha', carol, ALPHA_CHANNEL);
    const beta = await slackJob('beta', carol, BETA_CHANNEL);

    // Act
    const inAlpha = JSON.stringify(await slashCommand(carol, ALPHA_CHANNEL, 'list'));
    const inRandom = await slashCommand(carol, RANDOM_CHANNEL, 'list');

    // Assess
    assert.ok(inAlpha.includes(alpha.id), inAlpha);
    assert.ok(!inAlpha.includes(beta.id), 'a beta job is not listed where beta is not allowed');
    assert.doesNotMatch(JSON.stringify(inRandom), /job-/);
  });
});

describe('Slack: /run schedules', () => {
  let database: TestDatabase;

  before(async () => {
    database = await openTestDatabase();
    const schedules = new SqliteScheduleStore({ database: database.database });
    const aSchedule = (name: string, profile: string, more: Partial<Schedule> = {}): Schedule => ({
      name,
      schedule: 'cron(0 3 * * ? *)',
      job: { profile, command: ['make'] },
      overlap: 'allow',
      enabled: true,
      createdBy: 'ci',
      createdByProfiles: ['*'],
      createdAt: '2030-01-01T00:00:00.000Z',
      updatedAt: '2030-01-01T00:00:00.000Z',
      ...more,
    });
    await schedules.create(aSchedule('alpha-nightly', 'alpha', { timezone: 'Europe/Paris' }));
    await schedules.create(aSchedule('alpha-paused', 'alpha', { enabled: false, schedule: 'rate(1 hour)' }));
    await schedules.create(aSchedule('beta-hourly', 'beta'));
    await schedules.recordFire('alpha-nightly', { at: '2030-01-02T02:00:00.000Z', outcome: 'submitted', jobId: 'job-0123456789abcdefghjkmnpqrs' });
    await schedules.recordFire('alpha-paused', { at: '2030-01-02T02:00:00.000Z', outcome: 'failed', reason: 'ENV_NOT_ALLOWED: <!channel> not allowed' });
  });

  after(async () => {
    await database?.close();
  });

  beforeEach(() => {
    ports.schedules = new SqliteScheduleStore({ database: database.database });
  });

  it('lists the schedules of the profiles the user may use where they ask, with expression, state and last fire', async () => {
    // Act
    const inAlpha = JSON.stringify(await slashCommand(ALICE, ALPHA_CHANNEL, 'schedules'));
    const inBeta = JSON.stringify(await slashCommand(ALICE, BETA_CHANNEL, 'schedules'));
    const inRandom = JSON.stringify(await slashCommand(ALICE, RANDOM_CHANNEL, 'schedules'));

    // Assess
    assert.match(inAlpha, /\*2 schedules\*/);
    assert.match(inAlpha, /\*alpha-nightly\* · `cron\(0 3 \* \* \? \*\) Europe\/Paris` · enabled · last fire 2030-01-02T02:00:00.000Z, job job-0123456789abcdefghjkmnpqrs/);
    assert.match(inAlpha, /\*alpha-paused\* · `rate\(1 hour\)` · ⏸️ paused · last fire 2030-01-02T02:00:00.000Z, failed: ENV_NOT_ALLOWED: &lt;!channel&gt; not allowed/);
    assert.doesNotMatch(inAlpha, /beta-hourly/);
    assert.match(inBeta, /beta-hourly/);
    assert.doesNotMatch(inBeta, /alpha-/);
    assert.match(inRandom, /No schedules of the profiles you may use here/);
  });

  it('says schedules are not available where the deployment gives Slack no store of them', async () => {
    // Prepare
    delete ports.schedules;

    // Act
    const answer = await slashCommand(ALICE, ALPHA_CHANNEL, 'schedules');

    // Assess
    assert.match(answer.text, /not available/);
  });
});
