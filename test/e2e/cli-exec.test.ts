/**
 * `fargate-jobs exec` and `run -i` on AWS, end to end as processes: against a stand-in API that
 * answers POST /jobs/{id}/exec with an ECS session, and a stand-in `session-manager-plugin` first on
 * PATH that records its arguments and environment and exits with a code of its own.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { PLUGIN_INSTALL_URL, SESSION_ENV_NAME } from '#cli/session-manager-plugin.ts';
import { runCli, startCli, untilStderr, type CliProcess } from '../helpers/cli.ts';
import { aJobDocument, startStandInApi, type StandInAnswer, type StandInApi, type StandInRequest } from '../helpers/stand-in-api.ts';

const JOB_ID = 'job-01jdq8m4zv3k9x2c7f5h6w8r0t';
const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs-e2e/0123456789abcdef0123456789abcdef';
const SESSION = {
  sessionId: 'ecs-execute-command-0a1b2c3d4e5f60718',
  streamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/ecs-execute-command-0a1b2c3d4e5f60718?role=publish_subscribe',
  tokenValue: 'AAEAAVf7sessionTOKENvalue',
  target: 'ecs:fargate-jobs-e2e_0123456789abcdef0123456789abcdef_0123456789abcdef0123456789abcdef-1234567890',
  region: 'eu-west-1',
};
const SESSION_JSON = JSON.stringify({ sessionId: SESSION.sessionId, streamUrl: SESSION.streamUrl, tokenValue: SESSION.tokenValue });
const LAST_FIVE_ARGUMENTS = ['eu-west-1', 'StartSession', '', JSON.stringify({ Target: SESSION.target }), 'https://ecs.eu-west-1.amazonaws.com'];
const MISSING_PLUGIN_LINE = `fargate-jobs: session-manager-plugin is not installed (or not on PATH): install it from ${PLUGIN_INSTALL_URL}\n`;

/**
 * The stand-in plugin: `--version` prints PLUGIN_VERSION; a session writes {argv, env} to
 * PLUGIN_RECORD, waits for PLUGIN_RELEASE to exist (when set), and exits with PLUGIN_EXIT.
 */
const PLUGIN_SCRIPT = `#!${process.execPath}
const { existsSync, writeFileSync } = require('node:fs');
const args = process.argv.slice(2);
if (args[0] === '--version') {
  process.stdout.write(process.env.PLUGIN_VERSION + '\\n');
  process.exit(0);
}
writeFileSync(process.env.PLUGIN_RECORD, JSON.stringify({ argv: args, env: process.env.${SESSION_ENV_NAME} ?? null }));
const release = process.env.PLUGIN_RELEASE;
const end = () => process.exit(Number(process.env.PLUGIN_EXIT));
if (!release) end();
setInterval(() => existsSync(release) && end(), 20);
`;

interface PluginRecord {
  argv: string[];
  env: string | null;
}

/** A job document of the stand-in: running on ECS, with exec. */
function runningJob(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return aJobDocument({ id: JOB_ID, status: 'RUNNING', exitCode: null, stoppedAt: undefined, taskArn: TASK_ARN, exec: { ready: true }, ...fields });
}

function refusal(code: string, message: string, more: { retryAfter?: number; status?: string } = {}): StandInAnswer {
  const details = more.status === undefined ? {} : { details: [{ path: 'status', message: more.status }] };
  return {
    status: 409,
    body: { error: { code, message, ...details } },
    ...(more.retryAfter === undefined ? {} : { headers: { 'retry-after': String(more.retryAfter) } }),
  };
}

const SESSION_ANSWER: StandInAnswer = { status: 201, body: SESSION };

describe('fargate-jobs exec and run -i on ECS (a stand-in API and session-manager-plugin)', () => {
  let api: StandInApi;
  let script: (request: StandInRequest) => StandInAnswer | undefined;
  let scratch: string;
  let record: string;
  let release: string;
  let pluginEnv: Record<string, string>;

  before(async () => {
    api = await startStandInApi((request) => script(request));
    scratch = mkdtempSync(join(tmpdir(), 'fargate-jobs-cli-exec-'));
    mkdirSync(join(scratch, 'bin'));
    mkdirSync(join(scratch, 'empty'));
    writeFileSync(join(scratch, 'bin', 'session-manager-plugin'), PLUGIN_SCRIPT);
    chmodSync(join(scratch, 'bin', 'session-manager-plugin'), 0o755);
    record = join(scratch, 'record.json');
    release = join(scratch, 'release');
  });

  beforeEach(() => {
    api.requests.length = 0;
    api.bodies.length = 0;
    rmSync(record, { force: true });
    rmSync(release, { force: true });
    pluginEnv = {
      FARGATE_JOBS_URL: api.url,
      FARGATE_JOBS_TOKEN: 'fjt_stand_in',
      PATH: `${join(scratch, 'bin')}:${process.env.PATH}`,
      PLUGIN_VERSION: '1.2.707.0',
      PLUGIN_RECORD: record,
      PLUGIN_EXIT: '7',
    };
    script = ({ method, url }) => {
      if (method === 'GET' && url.pathname === `/jobs/${JOB_ID}`) return { body: runningJob() };
      if (method === 'POST' && url.pathname === `/jobs/${JOB_ID}/exec`) return SESSION_ANSWER;
      return undefined;
    };
  });

  after(async () => {
    await api?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const recorded = (): PluginRecord => JSON.parse(readFileSync(record, 'utf8')) as PluginRecord;
  const bodyOf = (request: string): unknown => api.bodies[api.requests.indexOf(request)];

  describe('exec', () => {
    test('gives a plugin after 1.2.497.0 the six arguments with the session in AWS_SSM_START_SESSION_RESPONSE, and exits with its code', async () => {
      // Act
      const result = await runCli(['exec', JOB_ID, '--', 'ls', '-la', '/'], { env: pluginEnv });

      // Assess
      assert.equal(result.code, 7, result.stderr);
      const { argv, env } = recorded();
      assert.deepEqual(argv, [SESSION_ENV_NAME, ...LAST_FIVE_ARGUMENTS]);
      assert.equal(env, SESSION_JSON);
      assert.ok(!argv.some((arg) => arg.includes(SESSION.tokenValue)), 'the token is in no argument');
      assert.deepEqual(bodyOf(`POST /jobs/${JOB_ID}/exec`), { command: ['ls', '-la', '/'] });
    });

    test('gives plugin 1.2.497.0 the session JSON as the first argument, as the AWS CLI does', async () => {
      // Prepare
      pluginEnv.PLUGIN_VERSION = '1.2.497.0';
      pluginEnv.PLUGIN_EXIT = '0';

      // Act
      const result = await runCli(['exec', JOB_ID], { env: pluginEnv });

      // Assess
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(recorded(), { argv: [SESSION_JSON, ...LAST_FIVE_ARGUMENTS], env: null });
      assert.deepEqual(bodyOf(`POST /jobs/${JOB_ID}/exec`), {}, "no command: the profile's shell");
    });

    test('stays alive through a Ctrl-C while the plugin runs (the plugin decides), and exits with its code', async () => {
      // Prepare
      pluginEnv.PLUGIN_RELEASE = release;
      const cli = startCli(['exec', JOB_ID], { env: pluginEnv });
      await untilFile(cli, record);

      // Act
      cli.child.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const aliveAfterCtrlC = cli.child.exitCode === null && cli.child.signalCode === null;
      writeFileSync(release, '');
      const result = await cli.exited;

      // Assess
      assert.ok(aliveAfterCtrlC, `the CLI ended on Ctrl-C: ${cli.stderr()}`);
      assert.deepEqual({ code: result.code, signal: result.signal }, { code: 7, signal: null }, result.stderr);
    });

    test('passes a SIGTERM sent to it alone on to the plugin, and exits as the plugin did (143)', async () => {
      // Prepare
      pluginEnv.PLUGIN_RELEASE = release;
      const cli = startCli(['exec', JOB_ID], { env: pluginEnv });
      await untilFile(cli, record);

      // Act
      cli.child.kill('SIGTERM');
      const result = await cli.exited;

      // Assess
      assert.deepEqual({ code: result.code, signal: result.signal }, { code: 143, signal: null }, result.stderr);
    });

    test('without the plugin on PATH: one line with the install link, exit 127, and no session opened', async () => {
      // Act
      const result = await runCli(['exec', JOB_ID], { env: { ...pluginEnv, PATH: join(scratch, 'empty') } });

      // Assess
      assert.equal(result.code, 127, result.stderr);
      assert.equal(result.stderr, MISSING_PLUGIN_LINE);
      assert.deepEqual(api.requests, [`GET /jobs/${JOB_ID}`]);
    });

    test('waits, saying so on stderr, while the job starts and its exec agent gets ready', async () => {
      // Prepare: PROVISIONING until the first long poll ends, then RUNNING with the agent ready at the second exec request.
      let status = 'PROVISIONING';
      let execRequests = 0;
      script = ({ method, url }) => {
        if (method === 'GET' && url.pathname === `/jobs/${JOB_ID}`) {
          if (url.searchParams.get('ifStatus') === 'PROVISIONING') status = 'RUNNING';
          return { body: runningJob({ status, exec: { ready: false } }), delayMs: url.searchParams.has('wait') ? 300 : 0 };
        }
        if (method !== 'POST' || url.pathname !== `/jobs/${JOB_ID}/exec`) return undefined;
        if (status === 'PROVISIONING') return refusal('JOB_NOT_RUNNING', `job ${JOB_ID} is PROVISIONING, not running yet`, { retryAfter: 5, status: 'PROVISIONING' });
        execRequests += 1;
        return execRequests === 1 ? refusal('EXEC_NOT_READY', 'its exec agent is PENDING', { retryAfter: 1 }) : SESSION_ANSWER;
      };

      // Act
      const result = await runCli(['exec', JOB_ID, '--', 'env'], { env: pluginEnv });

      // Assess
      assert.equal(result.code, 7, result.stderr);
      assert.equal(result.stderr, `fargate-jobs: waiting for ${JOB_ID} to start (PROVISIONING)…\nfargate-jobs: waiting for exec into ${JOB_ID} to be ready…\n`);
      assert.deepEqual(
        api.requests.map((request) => request.replace(/\?.*/, (query) => (query.includes('ifStatus=PROVISIONING') ? '?long-poll' : query))),
        [`GET /jobs/${JOB_ID}`, `POST /jobs/${JOB_ID}/exec`, `GET /jobs/${JOB_ID}?long-poll`, `POST /jobs/${JOB_ID}/exec`, `POST /jobs/${JOB_ID}/exec`],
      );
    });

    test('gives up at --wait with exit 124, naming what it waited for', async () => {
      // Prepare
      script = ({ method, url }) => {
        if (method === 'GET' && url.pathname === `/jobs/${JOB_ID}`) return { body: runningJob({ exec: { ready: false } }) };
        if (method === 'POST' && url.pathname === `/jobs/${JOB_ID}/exec`) return refusal('EXEC_NOT_READY', 'its exec agent is PENDING', { retryAfter: 1 });
        return undefined;
      };
      const started = Date.now();

      // Act
      const result = await runCli(['exec', JOB_ID, '--wait', '2s'], { env: pluginEnv });

      // Assess
      assert.equal(result.code, 124, result.stderr);
      assert.ok(Date.now() - started < 6000, `it waited ${Date.now() - started} ms`);
      assert.equal(
        result.stderr,
        `fargate-jobs: waiting for exec into ${JOB_ID} to be ready…\n` +
          `fargate-jobs: gave up after 2s: ${JOB_ID} is still RUNNING, its exec agent not ready yet; wait longer with --wait (e.g. --wait 10m), or try again later\n`,
      );
      assert.equal(existsSync(record), false, 'the plugin ran');
    });

    test('gives up at --wait on a job still provisioning', async () => {
      // Prepare
      script = ({ method, url }) => {
        if (method === 'GET' && url.pathname === `/jobs/${JOB_ID}`) return { body: runningJob({ status: 'PROVISIONING' }), delayMs: url.searchParams.has('wait') ? 500 : 0 };
        if (method === 'POST' && url.pathname === `/jobs/${JOB_ID}/exec`) return refusal('JOB_NOT_RUNNING', 'not running yet', { retryAfter: 5, status: 'PROVISIONING' });
        return undefined;
      };

      // Act
      const result = await runCli(['exec', JOB_ID, '--wait', '2'], { env: pluginEnv });

      // Assess
      assert.equal(result.code, 124, result.stderr);
      assert.match(result.stderr, new RegExp(`gave up after 2s: ${JOB_ID} is still PROVISIONING; wait longer with --wait`));
      assert.equal(result.stderr.match(/waiting for/g)?.length, 1, 'said once');
    });

    test('refuses a finished job at once with the server\'s message and exit 125', async () => {
      // Prepare
      script = ({ method, url }) => {
        if (method === 'GET' && url.pathname === `/jobs/${JOB_ID}`) return { body: runningJob({ status: 'SUCCEEDED', exitCode: 0 }) };
        if (method === 'POST' && url.pathname === `/jobs/${JOB_ID}/exec`) return refusal('JOB_NOT_RUNNING', `job ${JOB_ID} is SUCCEEDED: there is nothing to exec into any more`, { status: 'SUCCEEDED' });
        return undefined;
      };

      // Act
      const result = await runCli(['exec', JOB_ID], { env: pluginEnv });

      // Assess
      assert.equal(result.code, 125, result.stderr);
      assert.equal(result.stderr, `fargate-jobs: job ${JOB_ID} is SUCCEEDED: there is nothing to exec into any more (409 JOB_NOT_RUNNING)\n`);
    });
  });

  describe('run -i', () => {
    /** POST /jobs makes a QUEUED held job, RUNNING on ECS once long-polled; exec opens the session; cancel answers CANCELLED. */
    const heldJobScript = (onExec: () => StandInAnswer = () => SESSION_ANSWER) => {
      let status = 'QUEUED';
      script = ({ method, url }) => {
        const held = { command: ['sleep', '86400'], exec: { ready: status === 'RUNNING' } };
        if (method === 'POST' && url.pathname === '/jobs') return { status: 202, body: runningJob({ ...held, status, taskArn: undefined }) };
        if (method === 'GET' && url.pathname === `/jobs/${JOB_ID}`) {
          status = 'RUNNING';
          return { body: runningJob({ ...held, status }) };
        }
        if (method === 'POST' && url.pathname === `/jobs/${JOB_ID}/exec`) {
          return status === 'QUEUED' ? refusal('JOB_NOT_RUNNING', 'not running yet', { retryAfter: 5, status: 'QUEUED' }) : onExec();
        }
        if (method === 'POST' && url.pathname === `/jobs/${JOB_ID}/cancel`) return { body: runningJob({ ...held, status: 'CANCELLED' }) };
        return undefined;
      };
    };

    test('submits a held job, execs the command into it, cancels it once the plugin has exited, and exits with its code', async () => {
      // Prepare
      heldJobScript();
      pluginEnv.PLUGIN_RELEASE = release;
      const cli = startCli(['run', '-i', '--profile', 'default', '--env', 'A=1', '--timeout', '10m', '--', 'cat'], { env: pluginEnv });
      await untilFile(cli, record);
      const cancelledWhileAttached = api.requests.some((request) => request.endsWith('/cancel'));

      // Act
      writeFileSync(release, '');
      const result = await cli.exited;

      // Assess
      assert.equal(result.code, 7, result.stderr);
      assert.equal(cancelledWhileAttached, false, 'cancelled before the session ended');
      assert.deepEqual(bodyOf('POST /jobs'), { profile: 'default', env: { A: '1' }, timeoutSeconds: 600, hold: true });
      assert.deepEqual(bodyOf(`POST /jobs/${JOB_ID}/exec`), { command: ['cat'] });
      assert.equal(api.requests.at(-1), `POST /jobs/${JOB_ID}/cancel`);
      assert.deepEqual(recorded().argv, [SESSION_ENV_NAME, ...LAST_FIVE_ARGUMENTS]);
    });

    test('without the plugin: cancels the job it started, says so in one line and exits 127', async () => {
      // Prepare
      heldJobScript();

      // Act
      const result = await runCli(['run', '-i', '--', 'cat'], { env: { ...pluginEnv, PATH: join(scratch, 'empty') } });

      // Assess
      assert.equal(result.code, 127, result.stderr);
      assert.match(result.stderr, new RegExp(`${MISSING_PLUGIN_LINE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
      assert.equal(api.requests.filter((request) => request === `POST /jobs/${JOB_ID}/exec`).length, 1, 'no exec request once the job was known to be on ECS');
      assert.equal(api.requests.at(-1), `POST /jobs/${JOB_ID}/cancel`);
    });

    test('Ctrl-C while it waits for the exec cancels the job and exits 130', async () => {
      // Prepare
      heldJobScript(() => refusal('EXEC_NOT_READY', 'its exec agent is PENDING', { retryAfter: 1 }));
      const cli = startCli(['run', '-i', '--', 'cat'], { env: pluginEnv });
      await untilStderr(cli, (stderr) => stderr.includes('waiting for exec into'));

      // Act
      cli.child.kill('SIGINT');
      const result = await cli.exited;

      // Assess
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stderr, new RegExp(`cancelling ${JOB_ID}`));
      assert.equal(api.requests.at(-1), `POST /jobs/${JOB_ID}/cancel`);
      assert.equal(existsSync(record), false, 'the plugin ran');
    });

    test('refuses --detach with -i as a usage error, submitting nothing', async () => {
      // Act
      const result = await runCli(['run', '-i', '--detach', '--', 'cat'], { env: pluginEnv });

      // Assess
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^fargate-jobs: -i cannot go with --detach/);
      assert.deepEqual(api.requests, []);
    });
  });
});

/** Resolves once `path` exists (the plugin has started its session), or fails naming what the CLI said. */
async function untilFile(cli: CliProcess, path: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline || cli.child.exitCode !== null) throw new Error(`the plugin never started; the CLI's stderr:\n${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
