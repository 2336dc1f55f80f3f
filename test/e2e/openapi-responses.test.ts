/**
 * docs/openapi.yaml held against the real local server: for every operation the spec documents and
 * every status it documents for it, a request that gets that status, and the answer (status,
 * headers, body) validated against the spec's own schemas by a JSON Schema validator. Statuses no
 * request can get from the local server are listed below with the reason; every other documented
 * status needs a request here, so a status documented without one fails this test.
 *
 * Which requests are made is read from the spec: a status documented for an operation is tried on
 * it, HEAD is tried with the requests of its GET, and the shared answers (401, 413, 421, 429, 431)
 * with the same kind of request on every operation that documents them.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  assertValid,
  documentedCodes,
  documentedResponse,
  headerValue,
  methodsOf,
  operations,
  queryParameters,
  spec,
  type DocumentedOperation,
  type Response,
  type Schema,
} from '../helpers/openapi.ts';
import { LOG_STREAM_PREFIX } from '#config/profiles.ts';
import { startFakeAws, type FakeAws, type RunTaskInput } from '../helpers/fake-aws.ts';
import { rawRequest, type RawAnswer } from '../helpers/raw-http.ts';
import { startServer, type LocalServerProcess } from '../helpers/local-server.ts';
import { blockActionPayload, interactionBody, slackSignatureHeaders, slashCommandBody } from '../helpers/slack-requests.ts';
import { tokenCommand } from '../helpers/token-command.ts';

/** Documented statuses no request to the local server can get, each with the reason. */
const NOT_FROM_THE_LOCAL_SERVER: Record<string, string> = {
  '500': 'an internal error: no request gets one from a sound server (test/unit/openapi-internal-error.test.ts checks its shape)',
};

/** Documented statuses of one operation (HEAD goes with its GET) that only AWS gives, each with the reason. */
const ONLY_ON_AWS: Record<string, Record<string, string>> = {
  'GET /jobs/{id}/logs': {
    '302': 'download=1 links to the archive in S3 on AWS; locally it streams the log (200)',
    '409': 'LOG_NOT_ARCHIVED: a download on AWS before the archive exists; locally there is no archive to wait for',
    '410': 'LOG_EXPIRED: an archive the bucket lifecycle removed; local mode keeps no archive (its log files follow FARGATE_JOBS_RETENTION_DAYS with their jobs)',
  },
};

const UNKNOWN_JOB_ID = 'job-0123456789abcdefghjkmnpqrs';
const BODY_LIMIT = Number((documentedResponse('PayloadTooLarge') as Response & Schema)['x-maxBodyBytes']);
/** Over the 16 KB the spec names for the request's headers. */
const OVERSIZED_HEADER = 'x'.repeat(20 * 1024);
const LONG_JOB = { command: ['sleep', '60'] };

// ---------------------------------------------------------------------------------------------
// Sending requests as any HTTP client may (fetch cannot set Host, nor send a body with GET)

type ServerName = 'main' | 'rateLimited' | 'ecs';

interface Call {
  path: string;
  /**
   * The server the request goes to: the one whose token's rate is used up for 429 RATE_LIMITED, or
   * the one running jobs as Fargate tasks (of a fake AWS) for the answers of ECS Exec.
   */
  server?: ServerName;
  /** The bearer token: the server's own by default, `null` for no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
  body?: string | Buffer;
  host?: string;
}

type Answer = RawAnswer;

function send(server: LocalServerProcess, method: string, call: Call): Promise<Answer> {
  const url = new URL(call.path, server.url);
  const token = call.token === undefined ? server.token : call.token;
  const headers: Record<string, string> = {
    host: call.host ?? url.host,
    ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    ...(call.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(call.body)) }),
    ...call.headers,
  };
  return rawRequest(url, { method, headers, ...(call.body === undefined ? {} : { body: call.body }) });
}

const json = (body: unknown, headers: Record<string, string> = {}): Pick<Call, 'body' | 'headers'> => ({
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

// ---------------------------------------------------------------------------------------------
// The requests, by status

interface Fixtures {
  servers: Record<ServerName, LocalServerProcess>;
  /** The fake ECS, EC2 and CloudWatch Logs the `ecs` server runs its jobs on. */
  fakeAws: FakeAws;
  /** On the `ecs` server: a job RUNNING with its exec agent ready, and one cancelled before it ran. */
  execReadyJob: string;
  execCancelledJob: string;
  /** A job of the `echo` profile, which has no exec. */
  echoJob: string;
  /** A job that has finished (cancelled), with lines in its log. */
  finishedJob: string;
  /** A token that may use the `echo` profile only. */
  echoToken: string;
  /** A token that may have one active job, and has one. */
  busyToken: string;
  /** A token of its own for waits (the main server allows one wait per token), and a running job that writes nothing. */
  waiterToken: string;
  quietJob: string;
  /** The waits held open to use up the waiter's limit, settled once the quiet job is cancelled. */
  heldWaits: Array<Promise<unknown>>;
  /** A schedule of the `default` profile, and one of `echo` (which the echo token sees). */
  schedule: string;
  echoSchedule: string;
}

interface Case {
  name: string;
  call(fixtures: Fixtures, operation: DocumentedOperation): Call | Promise<Call>;
  /** The error code the answer must have. */
  code?: string;
  /** Headers this answer must carry beside those the spec requires of every answer with this status. */
  headers?: string[];
}

/** A name no console file has (they are named by their content's hash). */
const UNKNOWN_ASSET = 'main-0000000000000000.js';

/** The operation's path with `id` for `{id}` and `{name}` (and a file name for `{file}`), and `query`. */
const pathOf = (operation: DocumentedOperation, id: string, query = '') => `${operation.path.replace('{id}', id).replace('{name}', id).replace('{file}', UNKNOWN_ASSET)}${query}`;

/** A schedule name no schedule has. */
const UNKNOWN_SCHEDULE = 'no-such-schedule';
let schedulesMade = 0;
/** A schedule body with a name of its own. */
function aSchedule(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  schedulesMade += 1;
  return { name: `openapi-${schedulesMade}`, schedule: 'rate(5 minutes)', job: { command: ['true'] }, ...overrides };
}

async function scheduleMade(fixtures: Fixtures, body: Record<string, unknown>): Promise<string> {
  const answer = await send(fixtures.servers.main, 'POST', { path: '/schedules', ...json(body) });
  assert.equal(answer.status, 201, answer.text);
  return (JSON.parse(answer.text) as { name: string }).name;
}

/** The path of the console file index.html references with this extension, as a browser would find it. */
async function consoleFile(fixtures: Fixtures, extension: string): Promise<string> {
  const index = await send(fixtures.servers.main, 'GET', { path: '/', token: null });
  const path = new RegExp(`(?:src|href)="(/assets/[^"]+\\.${extension})"`).exec(index.text)?.[1];
  assert.ok(path, `index.html references no .${extension} file: ${index.text}`);
  return path;
}

async function submitted(fixtures: Fixtures, body: unknown, headers: Record<string, string> = {}, server: ServerName = 'main'): Promise<string> {
  const answer = await send(fixtures.servers[server], 'POST', { path: '/jobs', ...json(body, headers) });
  assert.ok(answer.status === 202 || answer.status === 200, answer.text);
  return (JSON.parse(answer.text) as { id: string }).id;
}

/** The previousCursor of the finished job's last line: its first line comes before it. */
async function previousCursorOf(fixtures: Fixtures): Promise<string> {
  const tail = await send(fixtures.servers.main, 'GET', { path: `/jobs/${fixtures.finishedJob}/logs?tail=1` });
  const { previousCursor } = JSON.parse(tail.text) as { previousCursor: string | null };
  assert.ok(previousCursor, `the tail of a job of two lines has a previousCursor: ${tail.text}`);
  return previousCursor;
}

/**
 * Uses up the waiter's waits (one, on the main server): a logs wait on the quiet job, held for 20 s,
 * taken as soon as a probe of the waiter's is refused (a probe that gets the slot itself answers
 * after its 1 s).
 */
async function holdWaiterWaits(fixtures: Fixtures): Promise<void> {
  const { main } = fixtures.servers;
  fixtures.heldWaits.push(send(main, 'GET', { path: `/jobs/${fixtures.quietJob}/logs?wait=20`, token: fixtures.waiterToken }));
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const probe = await send(main, 'GET', { path: `/jobs/${fixtures.quietJob}/logs?wait=1`, token: fixtures.waiterToken });
    if (probe.status === 429) return;
  }
  assert.fail("the waiter's wait was never counted");
}

/** The request of a wait on the quiet job by the waiter, on the operation's route. */
function waiterWait(fixtures: Fixtures, operation: DocumentedOperation): Call {
  const query = operation.path.endsWith('/logs') ? '?wait=20' : '?wait=20&ifStatus=RUNNING';
  return { path: pathOf(operation, fixtures.quietJob, query), token: fixtures.waiterToken };
}

/** The Slack signing secret of the main server. */
const SLACK_SIGNING_SECRET = 'openapi-responses-slack-signing-secret';

/** A request as Slack sends it: a form body, signed, no token. */
function slackCall(path: string, body: string): Call {
  return { path, token: null, body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignatureHeaders(SLACK_SIGNING_SECRET, body) } };
}

/** The answers every operation that documents them gives, to the same kind of request. */
const SHARED_CASES: Record<string, Case[]> = {
  '401': [
    { name: 'no Authorization header', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob), token: null }), code: 'UNAUTHORIZED' },
    { name: 'a token that is no token', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob), token: 'fjt_not-a-token' }), code: 'UNAUTHORIZED' },
  ],
  '413': [
    {
      name: 'a body one byte over the limit',
      call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob), body: Buffer.alloc(BODY_LIMIT + 1, ' '), headers: { 'content-type': 'application/json' } }),
      code: 'PAYLOAD_TOO_LARGE',
    },
  ],
  '421': [
    {
      name: 'a Host that is not the server',
      call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob), host: `attacker.example:${new URL(fixtures.servers.main.url).port}` }),
      code: 'MISDIRECTED_REQUEST',
    },
  ],
  '429': [
    {
      name: 'a token whose rate is used up',
      call: (_fixtures, operation) => ({ path: pathOf(operation, UNKNOWN_JOB_ID), server: 'rateLimited', ...(operation.method === 'POST' ? json({ command: ['true'] }) : {}) }),
      code: 'RATE_LIMITED',
      headers: ['Retry-After'],
    },
  ],
  '431': [
    { name: 'headers over 16 KB', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob), headers: { 'x-padding': OVERSIZED_HEADER } }), code: 'HEADERS_TOO_LARGE' },
  ],
};

/** Each operation's own answers. HEAD is tried with its GET's requests. */
const OPERATION_CASES: Record<string, Record<string, Case[]>> = {
  'POST /jobs': {
    '202': [{ name: 'a new job', call: () => ({ path: '/jobs', ...json({ command: ['true'], labels: { team: 'platform', kind: 'openapi' } }) }) }],
    '200': [
      {
        name: 'a replay with the same idempotency key and body',
        call: async (fixtures) => {
          await submitted(fixtures, { command: ['true'] }, { 'idempotency-key': 'replayed' });
          return { path: '/jobs', ...json({ command: ['true'] }, { 'idempotency-key': 'replayed' }) };
        },
      },
    ],
    '400': [
      { name: 'an argv of 1001 arguments', call: () => ({ path: '/jobs', ...json({ command: Array.from({ length: 1001 }, () => 'a') }) }), code: 'VALIDATION_FAILED' },
      { name: 'cpu 10^12', call: () => ({ path: '/jobs', ...json({ command: ['true'], cpu: 1e12 }) }) },
      { name: 'memory 10^12', call: () => ({ path: '/jobs', ...json({ command: ['true'], memory: 1e12 }) }) },
      { name: 'a body that is not JSON', call: () => ({ path: '/jobs', body: '{"command":', headers: { 'content-type': 'application/json' } }), code: 'INVALID_JSON' },
    ],
    '403': [
      { name: 'a profile the token may not use', call: (fixtures) => ({ path: '/jobs', token: fixtures.echoToken, ...json({ profile: 'default', command: ['true'] }) }), code: 'PROFILE_FORBIDDEN' },
    ],
    '409': [
      {
        name: 'an idempotency key used for another body',
        call: async (fixtures) => {
          await submitted(fixtures, { command: ['true'] }, { 'idempotency-key': 'reused' });
          return { path: '/jobs', ...json({ command: ['false'] }, { 'idempotency-key': 'reused' }) };
        },
        code: 'IDEMPOTENCY_KEY_REUSED',
      },
    ],
    '415': [{ name: 'a text/plain body', call: () => ({ path: '/jobs', body: '{"command":["true"]}', headers: { 'content-type': 'text/plain' } }), code: 'UNSUPPORTED_MEDIA_TYPE' }],
    '429': [{ name: "a job beyond the token's active-job limit", call: (fixtures) => ({ path: '/jobs', token: fixtures.busyToken, ...json(LONG_JOB) }), code: 'TOO_MANY_ACTIVE_JOBS' }],
  },
  'GET /jobs': {
    '200': [
      { name: 'the first page', call: () => ({ path: '/jobs?limit=2' }) },
      { name: 'a page of the jobs with two labels', call: () => ({ path: '/jobs?label=team=platform&label=kind=openapi' }) },
      { name: 'a wait for a page other than one the client has, answered at once', call: () => ({ path: '/jobs?limit=2&wait=20', headers: { 'if-none-match': '"an-old-page"' } }) },
    ],
    '304': [
      {
        name: 'the page the client has, named in If-None-Match, after a 1 s wait',
        call: async (fixtures) => {
          const page = await send(fixtures.servers.main, 'GET', { path: '/jobs?profile=echo' });
          return { path: '/jobs?profile=echo&wait=1', headers: { 'if-none-match': page.headers.etag ?? '' } };
        },
      },
    ],
    '400': [
      { name: 'an unknown status', call: () => ({ path: '/jobs?status=BOGUS' }), code: 'VALIDATION_FAILED' },
      { name: 'a label that is not key=value', call: () => ({ path: '/jobs?label=team' }), code: 'VALIDATION_FAILED' },
    ],
    '403': [{ name: 'a profile the token may not use', call: (fixtures) => ({ path: '/jobs?profile=default', token: fixtures.echoToken }), code: 'PROFILE_FORBIDDEN' }],
    '429': [
      {
        name: "a wait beyond the token's limit on waits",
        // `*` names every page: the wait would wait, so it needs a slot.
        call: async (fixtures) => (await holdWaiterWaits(fixtures), { path: '/jobs?wait=20', token: fixtures.waiterToken, headers: { 'if-none-match': '*' } }),
        code: 'TOO_MANY_WAITS',
        headers: ['Retry-After'],
      },
    ],
  },
  'GET /costs': {
    '200': [
      { name: 'the last 30 days by profile', call: () => ({ path: '/costs' }) },
      { name: 'a page of one job by a label, with the cursor to the next', call: () => ({ path: '/costs?groupBy=label:team&limit=1' }) },
    ],
    '400': [
      { name: 'a groupBy that is no grouping', call: () => ({ path: '/costs?groupBy=colour' }), code: 'VALIDATION_FAILED' },
      { name: 'a since after until', call: () => ({ path: '/costs?since=2026-12-02&until=2026-12-01' }), code: 'VALIDATION_FAILED' },
    ],
  },
  'GET /profiles': {
    '200': [
      { name: 'every profile, to a token for every one', call: () => ({ path: '/profiles' }) },
      { name: 'only echo, to a token for echo', call: (fixtures) => ({ path: '/profiles', token: fixtures.echoToken }) },
    ],
  },
  'GET /jobs/{id}': {
    '200': [
      { name: 'a finished job', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob) }) },
      { name: 'a wait for a status the job no longer has', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob, '?wait=20&ifStatus=RUNNING') }) },
    ],
    '400': [
      { name: 'wait over 20 s', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob, '?wait=21&ifStatus=RUNNING') }), code: 'VALIDATION_FAILED' },
      { name: 'an unknown ifStatus', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob, '?ifStatus=DONE') }), code: 'VALIDATION_FAILED' },
    ],
    '404': [{ name: 'an unknown job', call: (_fixtures, operation) => ({ path: pathOf(operation, UNKNOWN_JOB_ID) }), code: 'JOB_NOT_FOUND' }],
    '429': [
      {
        name: "a wait beyond the token's limit on waits",
        call: async (fixtures, operation) => (await holdWaiterWaits(fixtures), waiterWait(fixtures, operation)),
        code: 'TOO_MANY_WAITS',
        headers: ['Retry-After'],
      },
    ],
  },
  'POST /jobs/{id}/cancel': {
    '200': [{ name: 'a running job', call: async (fixtures, operation) => ({ path: pathOf(operation, await submitted(fixtures, LONG_JOB)) }) }],
    '404': [{ name: 'an unknown job', call: (_fixtures, operation) => ({ path: pathOf(operation, UNKNOWN_JOB_ID) }), code: 'JOB_NOT_FOUND' }],
    '409': [{ name: 'a finished job', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob) }), code: 'JOB_ALREADY_FINISHED' }],
  },
  'DELETE /jobs/{id}': {
    '200': [{ name: 'a running job', call: async (fixtures, operation) => ({ path: pathOf(operation, await submitted(fixtures, LONG_JOB)) }) }],
    '404': [{ name: 'an unknown job', call: (_fixtures, operation) => ({ path: pathOf(operation, UNKNOWN_JOB_ID) }), code: 'JOB_NOT_FOUND' }],
    '409': [{ name: 'a finished job', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob) }), code: 'JOB_ALREADY_FINISHED' }],
  },
  'GET /jobs/{id}/logs': {
    '200': [
      { name: "a finished job's lines", call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob) }) },
      { name: 'a wait on a finished job, answered at once', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob, '?wait=20') }) },
      { name: 'the last line (tail)', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob, '?tail=1') }) },
      { name: "the line before a tail's previousCursor", call: async (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob, `?before=${await previousCursorOf(fixtures)}&limit=1`) }) },
      { name: 'the whole log, streamed as NDJSON (download=1)', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob, '?download=1') }) },
    ],
    '400': [
      { name: 'a cursor outside the documented form', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob, '?cursor=!!') }), code: 'VALIDATION_FAILED' },
      { name: 'a tail with a cursor', call: async (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob, `?tail=1&cursor=${await previousCursorOf(fixtures)}`) }), code: 'VALIDATION_FAILED' },
      { name: 'limit 0', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob, '?limit=0') }), code: 'VALIDATION_FAILED' },
      { name: 'wait over 20 s', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob, '?wait=21') }), code: 'VALIDATION_FAILED' },
    ],
    '404': [{ name: 'an unknown job', call: (_fixtures, operation) => ({ path: pathOf(operation, UNKNOWN_JOB_ID) }), code: 'JOB_NOT_FOUND' }],
    '429': [
      {
        name: "a wait beyond the token's limit on waits",
        call: async (fixtures, operation) => (await holdWaiterWaits(fixtures), waiterWait(fixtures, operation)),
        code: 'TOO_MANY_WAITS',
        headers: ['Retry-After'],
      },
    ],
  },
  'POST /jobs/{id}/exec': {
    '201': [{ name: 'a running job on ECS, its exec agent ready', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.execReadyJob), server: 'ecs', ...json({}) }) }],
    '400': [
      { name: 'an empty argv', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob), ...json({ command: [] }) }), code: 'VALIDATION_FAILED' },
      { name: 'a field other than command', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob), ...json({ container: 'sidecar' }) }), code: 'VALIDATION_FAILED' },
    ],
    '403': [{ name: 'a job of a profile without exec', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.echoJob), ...json({}) }), code: 'EXEC_NOT_ALLOWED' }],
    '404': [{ name: 'an unknown job', call: (_fixtures, operation) => ({ path: pathOf(operation, UNKNOWN_JOB_ID), ...json({}) }), code: 'JOB_NOT_FOUND' }],
    '409': [{ name: 'a cancelled job on ECS', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.execCancelledJob), server: 'ecs', ...json({}) }), code: 'JOB_NOT_RUNNING' }],
    '415': [{ name: 'a text/plain body', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob), body: '{}', headers: { 'content-type': 'text/plain' } }), code: 'UNSUPPORTED_MEDIA_TYPE' }],
  },
  'POST /schedules': {
    '201': [{ name: 'a new schedule', call: () => ({ path: '/schedules', ...json(aSchedule({ timezone: 'Europe/Paris', overlap: 'skip', job: { command: ['echo', 'hi'], labels: { team: 'ops' } } })) }) }],
    '400': [
      { name: 'a cron with no ? in a day field', call: () => ({ path: '/schedules', ...json(aSchedule({ schedule: 'cron(0 12 * * * *)' })) }), code: 'VALIDATION_FAILED' },
      { name: 'a command the profile does not allow', call: () => ({ path: '/schedules', ...json(aSchedule({ job: { profile: 'echo', command: ['rm', '-rf', '/'] } })) }), code: 'COMMAND_NOT_ALLOWED' },
      { name: 'a body that is not JSON', call: () => ({ path: '/schedules', body: '{"name":', headers: { 'content-type': 'application/json' } }), code: 'INVALID_JSON' },
    ],
    '403': [{ name: "a job of a profile the token may not use", call: (fixtures) => ({ path: '/schedules', token: fixtures.echoToken, ...json(aSchedule({ job: { profile: 'default', command: ['true'] } })) }), code: 'PROFILE_FORBIDDEN' }],
    '409': [{ name: 'a name taken', call: (fixtures) => ({ path: '/schedules', ...json(aSchedule({ name: fixtures.schedule })) }), code: 'SCHEDULE_EXISTS' }],
    '415': [{ name: 'a text/plain body', call: () => ({ path: '/schedules', body: JSON.stringify(aSchedule()), headers: { 'content-type': 'text/plain' } }), code: 'UNSUPPORTED_MEDIA_TYPE' }],
  },
  'GET /schedules': {
    '200': [
      { name: 'every schedule, to a token for every profile', call: () => ({ path: '/schedules' }) },
      { name: 'those of echo, to a token for echo', call: (fixtures) => ({ path: '/schedules', token: fixtures.echoToken }) },
    ],
    '400': [{ name: 'a query parameter it does not take', call: () => ({ path: '/schedules?limit=2' }), code: 'VALIDATION_FAILED' }],
  },
  'GET /schedules/{name}': {
    '200': [{ name: 'a schedule', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.schedule) }) }],
    '400': [{ name: 'a query parameter it does not take', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.schedule, '?wait=1') }), code: 'VALIDATION_FAILED' }],
    '404': [
      { name: 'an unknown schedule', call: (_fixtures, operation) => ({ path: pathOf(operation, UNKNOWN_SCHEDULE) }), code: 'SCHEDULE_NOT_FOUND' },
      { name: "a schedule of a profile the token may not use", call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.schedule), token: fixtures.echoToken }), code: 'SCHEDULE_NOT_FOUND' },
    ],
  },
  'PATCH /schedules/{name}': {
    '200': [
      { name: 'paused', call: async (fixtures, operation) => ({ path: pathOf(operation, await scheduleMade(fixtures, aSchedule())), ...json({ enabled: false }) }) },
      { name: 'a new job and expression', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.schedule), ...json({ schedule: 'cron(0/30 8-17 ? * MON-FRI *)', job: { command: ['echo', 'again'] } }) }) },
    ],
    '400': [
      { name: 'no field', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.schedule), ...json({}) }), code: 'VALIDATION_FAILED' },
      { name: 'a time zone that is none', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.schedule), ...json({ timezone: '+01:00' }) }), code: 'VALIDATION_FAILED' },
    ],
    '403': [{ name: "its job moved to a profile the token may not use", call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.echoSchedule), token: fixtures.echoToken, ...json({ job: { profile: 'default', command: ['true'] } }) }), code: 'PROFILE_FORBIDDEN' }],
    '404': [{ name: 'an unknown schedule', call: (_fixtures, operation) => ({ path: pathOf(operation, UNKNOWN_SCHEDULE), ...json({ enabled: false }) }), code: 'SCHEDULE_NOT_FOUND' }],
    '415': [{ name: 'a text/plain body', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.schedule), body: '{"enabled":true}', headers: { 'content-type': 'text/plain' } }), code: 'UNSUPPORTED_MEDIA_TYPE' }],
  },
  'DELETE /schedules/{name}': {
    '204': [{ name: 'a schedule', call: async (fixtures, operation) => ({ path: pathOf(operation, await scheduleMade(fixtures, aSchedule())) }) }],
    '404': [{ name: 'an unknown schedule', call: (_fixtures, operation) => ({ path: pathOf(operation, UNKNOWN_SCHEDULE) }), code: 'SCHEDULE_NOT_FOUND' }],
  },
  'GET /health': {
    '200': [{ name: 'without a token', call: () => ({ path: '/health', token: null }) }],
  },
  'GET /': {
    '200': [{ name: 'without a token', call: () => ({ path: '/', token: null }) }],
  },
  'GET /assets/{file}': {
    '200': ['js', 'css', 'svg'].map((extension) => ({
      name: `the .${extension} file index.html references, without a token`,
      call: async (fixtures: Fixtures) => ({ path: await consoleFile(fixtures, extension), token: null }),
    })),
    '404': [{ name: 'a file the console does not have', call: () => ({ path: `/assets/${UNKNOWN_ASSET}`, token: null }), code: 'ASSET_NOT_FOUND' }],
  },
  'POST /slack/commands': {
    '200': [{ name: 'a signed `/run help`', call: () => slackCall('/slack/commands', slashCommandBody({ text: 'help' })) }],
    '404': [{ name: 'a server without SLACK_SIGNING_SECRET', call: () => ({ ...slackCall('/slack/commands', slashCommandBody({ text: 'help' })), server: 'rateLimited' }), code: 'ROUTE_NOT_FOUND' }],
  },
  'POST /slack/interactions': {
    '200': [
      {
        name: 'a signed press of a button of no job',
        call: () => slackCall('/slack/interactions', interactionBody(blockActionPayload({ actionId: 'job_logs', value: UNKNOWN_JOB_ID, responseUrl: 'http://127.0.0.1:9/unused' }))),
      },
    ],
    '404': [{ name: 'a server without SLACK_SIGNING_SECRET', call: () => ({ ...slackCall('/slack/interactions', interactionBody({})), server: 'rateLimited' }), code: 'ROUTE_NOT_FOUND' }],
  },
  OPTIONS: {
    '204': [{ name: 'without a token', call: (fixtures, operation) => ({ path: pathOf(operation, fixtures.finishedJob), token: null }) }],
  },
};

function ownCases(operation: DocumentedOperation): Record<string, Case[]> {
  if (operation.method === 'OPTIONS') return OPERATION_CASES.OPTIONS ?? {};
  const key = operation.method === 'HEAD' ? `GET ${operation.path}` : operation.key;
  return OPERATION_CASES[key] ?? {};
}

function casesFor(operation: DocumentedOperation, status: string): Case[] {
  if (!(status in operation.operation.responses)) return [];
  return [...(SHARED_CASES[status] ?? []), ...(ownCases(operation)[status] ?? [])];
}

// ---------------------------------------------------------------------------------------------
// Checking an answer against the spec

/** What an answer is held against: a documented response, for a method on a path. */
interface Expected {
  response: Response;
  method: string;
  path: string;
  status: string;
  /** The error code the answer must have. */
  code?: string | undefined;
  /** Headers this answer must carry beside those the spec requires. */
  headers?: string[] | undefined;
}

function expectedOf(operation: DocumentedOperation, status: string, kase: Pick<Case, 'code' | 'headers'> = {}): Expected {
  const documented = operation.operation.responses[status];
  assert.ok(documented, `${operation.key} documents no ${status}`);
  return { response: documentedResponse(documented), method: operation.method, path: operation.path, status, code: kase.code, headers: kase.headers };
}

function assertAnswers(answer: Answer, expected: Expected): void {
  const { response, method, path, status } = expected;
  const what = `${method} ${path} ${status}`;
  const context = `${method} ${path} → ${answer.status} ${answer.text.slice(0, 300)}`;
  assert.equal(answer.status, Number(status), context);

  for (const name of expected.headers ?? []) {
    assert.ok(response.headers?.[name], `${name} is not documented for ${what}`);
    assert.ok(answer.headers[name.toLowerCase()] !== undefined, `no ${name} header: ${context}`);
  }
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const value = answer.headers[name.toLowerCase()];
    if (value === undefined) {
      assert.ok(!header.required, `the required ${name} header is missing: ${context}`);
      continue;
    }
    assertValid(header.schema, headerValue(value, header.schema), `the ${name} header of ${what}`);
    if (name === 'Allow') assert.deepEqual(value.split(/,\s*/).toSorted(), methodsOf(path).toSorted(), `Allow of ${path}`);
  }

  const media = Object.entries(response.content ?? {});
  if (media.length === 0) {
    assert.equal(answer.text, '', `${what} has no body: ${context}`);
    return;
  }
  // One of the documented types (the console's files are of several).
  const [mediaType, { schema }] = media.find(([documented]) => answer.headers['content-type'] === `${documented}; charset=utf-8`) ?? media[0] ?? ['', { schema: {} }];
  assert.equal(answer.headers['content-type'], `${mediaType}; charset=utf-8`, `content type: ${context}`);
  // HEAD answers with the GET's headers, never a body (the HTTP client drops one on the way).
  if (method === 'HEAD') return;
  if (mediaType !== 'application/json') {
    assertValid(schema, answer.text, `the body of ${what}`);
    return;
  }
  const body = JSON.parse(answer.text) as { error?: { code?: string } };
  assertValid(schema, body, `the body of ${what}`);
  if (Number(status) >= 400) {
    const code = body.error?.code ?? '';
    assert.ok(documentedCodes(response).includes(code), `${code} is not among the codes documented for ${what}: ${documentedCodes(response).join(', ')}`);
    if (expected.code !== undefined) assert.equal(code, expected.code, context);
  }
}

/** A request the API accepts must be one the spec allows: its body matches the documented request body. */
function assertValidRequest(operation: DocumentedOperation, call: Call): void {
  const documented = Object.entries(operation.operation.requestBody?.content ?? {});
  if (documented.length === 0 || call.body === undefined) return;
  const [[mediaType, { schema }] = ['', { schema: {} }]] = documented;
  assert.equal(call.headers?.['content-type'], mediaType, `the request to ${operation.key} is sent as documented`);
  const body = call.body.toString();
  // A form body (Slack's) is an object of its fields.
  const parsed: unknown = mediaType === 'application/x-www-form-urlencoded' ? Object.fromEntries(new URLSearchParams(body)) : JSON.parse(body);
  assertValid(schema, parsed, `the request body of ${operation.key}`);
}

// ---------------------------------------------------------------------------------------------
// The servers and what the requests need

const fixtures = {} as Fixtures;

async function tokenFor(server: LocalServerProcess, args: string[]): Promise<string> {
  const created = await tokenCommand(server.dataDir, ['create', ...args]);
  assert.equal(created.code, 0, created.stderr);
  return created.stdout.trim();
}

async function waitForLines(server: LocalServerProcess, jobId: string, count: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const logs = await send(server, 'GET', { path: `/jobs/${jobId}/logs` });
    if (logs.status === 200 && (JSON.parse(logs.text) as { lines: unknown[] }).lines.length >= count) return;
    await delay(50);
  }
  assert.fail(`job ${jobId} never wrote ${count} lines`);
}

/** The stage a server of FARGATE_JOBS_RUNNER=ecs runs its jobs in (on the fake AWS). */
const ECS_STAGE = {
  FARGATE_JOBS_RUNNER: 'ecs',
  ECS_CLUSTER: 'fargate-jobs-openapi',
  TASK_SUBNETS: 'subnet-0a1b2c3d4e5f60718',
  TASK_SECURITY_GROUPS: 'sg-0123456789abcdef0',
  TASK_LOG_GROUP: '/fargate-jobs/openapi/tasks',
  TASK_DEFINITION_PREFIX: 'fargate-jobs-openapi',
};

/** On the fake, a `sleep` runs until stopped; anything else ends at once. */
function fakeTaskPlan(input: RunTaskInput) {
  return input.overrides?.containerOverrides?.[0]?.command?.[0] === 'sleep' ? { runningDescribes: 1_000_000 } : {};
}

/** The jobs of ECS Exec's answers, on the `ecs` server: one running with its agent ready, one cancelled. */
async function execJobs(fixtures: Fixtures): Promise<void> {
  const { ecs } = fixtures.servers;
  fixtures.execReadyJob = await submitted(fixtures, LONG_JOB, {}, 'ecs');
  fixtures.execCancelledJob = await submitted(fixtures, LONG_JOB, {}, 'ecs');
  const cancelled = await send(ecs, 'POST', { path: `/jobs/${fixtures.execCancelledJob}/cancel` });
  assert.equal(cancelled.status, 200, cancelled.text);
  await ecs.waitForJob(fixtures.execReadyJob, (job) => job.status === 'RUNNING', { attempts: 300, intervalMs: 100 });
}

before(async () => {
  fixtures.fakeAws = await startFakeAws({ logGroup: ECS_STAGE.TASK_LOG_GROUP, logStreamPrefix: LOG_STREAM_PREFIX, plan: fakeTaskPlan });
  // One request every 1000 s, in a burst of one: once it is used, every request of the token is refused.
  const [main, rateLimited, ecs] = await Promise.all([
    // One wait per token: only the waiter's waits are ever held open here.
    startServer({ env: { SLACK_SIGNING_SECRET, SLACK_ACCESS: '[]', FARGATE_JOBS_MAX_WAITS_PER_TOKEN: '1' } }),
    startServer({ env: { FARGATE_JOBS_RATE_LIMIT: '0.001/1' } }),
    startServer({ env: { ...ECS_STAGE, ...fixtures.fakeAws.environment() } }),
  ]);
  fixtures.servers = { main, rateLimited, ecs };
  const execReady = execJobs(fixtures);
  const used = await send(rateLimited, 'GET', { path: '/jobs' });
  assert.equal(used.status, 200, used.text);

  fixtures.echoToken = await tokenFor(main, ['--name', 'echo-only', '--profiles', 'echo']);
  fixtures.schedule = await scheduleMade(fixtures, aSchedule());
  fixtures.echoSchedule = await scheduleMade(fixtures, aSchedule({ job: { profile: 'echo', command: ['echo', 'hi'] } }));
  fixtures.echoJob = await submitted(fixtures, { profile: 'echo', command: ['echo', 'hello'] });
  fixtures.busyToken = await tokenFor(main, ['--name', 'one-at-a-time', '--profiles', 'default', '--max-active', '1']);
  const busy = await send(main, 'POST', { path: '/jobs', token: fixtures.busyToken, ...json(LONG_JOB) });
  assert.equal(busy.status, 202, busy.text);
  // A job that wrote to both streams and then was cancelled: finished, with lines to read.
  fixtures.finishedJob = await submitted(fixtures, { command: ['sh', '-c', 'echo one; echo two >&2; exec sleep 60'] });
  await waitForLines(main, fixtures.finishedJob, 2);
  const cancelled = await send(main, 'POST', { path: `/jobs/${fixtures.finishedJob}/cancel` });
  assert.equal(cancelled.status, 200, cancelled.text);
  fixtures.waiterToken = await tokenFor(main, ['--name', 'waiter', '--profiles', 'default']);
  fixtures.quietJob = await submitted(fixtures, LONG_JOB);
  fixtures.heldWaits = [];
  await main.waitForJob(fixtures.quietJob, (job) => job.status === 'RUNNING');
  await execReady;
});

after(async () => {
  // The jobs still running are cancelled first: a server stops sooner with none to stop.
  const main = fixtures.servers?.main;
  if (main) {
    const running = await send(main, 'GET', { path: '/jobs?status=RUNNING&limit=100' });
    for (const job of (JSON.parse(running.text) as { jobs?: Array<{ id: string }> }).jobs ?? []) await send(main, 'POST', { path: `/jobs/${job.id}/cancel` });
  }
  // Answered once the quiet job is cancelled and its log complete.
  await Promise.all(fixtures.heldWaits ?? []);
  await Promise.all(Object.values(fixtures.servers ?? {}).map((server) => server.stop()));
  await fixtures.fakeAws?.close();
});

// ---------------------------------------------------------------------------------------------
// The tests

describe('docs/openapi.yaml against the local server', () => {
  it('has a request for every documented status, except exactly those the local server cannot give', () => {
    for (const operation of operations()) {
      // Prepare
      const documented = Object.keys(operation.operation.responses);

      // Act
      const withoutRequest = documented.filter((status) => casesFor(operation, status).length === 0);

      // Assess
      const onlyOnAws = ONLY_ON_AWS[operation.method === 'HEAD' ? `GET ${operation.path}` : operation.key] ?? {};
      const excused = (status: string) => status in NOT_FROM_THE_LOCAL_SERVER || status in onlyOnAws;
      assert.deepEqual(withoutRequest, documented.filter(excused), `${operation.key}: documented statuses without a request`);
      for (const status of Object.keys(ownCases(operation))) {
        assert.ok(documented.includes(status), `${operation.key} gets ${status} for a request here, but the spec does not document it`);
      }
    }
    for (const status of Object.keys(NOT_FROM_THE_LOCAL_SERVER)) {
      assert.ok(operations().some(({ operation }) => status in operation.responses), `${status} is listed as not from the local server but documented nowhere`);
    }
    for (const key of Object.keys(OPERATION_CASES).filter((key) => key !== 'OPTIONS')) {
      assert.ok(operations().some((operation) => operation.key === key), `requests are made for ${key}, which the spec does not document`);
    }
  });

  for (const operation of operations()) {
    describe(operation.key, () => {
      for (const status of Object.keys(operation.operation.responses)) {
        for (const kase of casesFor(operation, status)) {
          it(`${status}: ${kase.name}`, async () => {
            // Prepare
            const call = await kase.call(fixtures, operation);
            if (Number(status) < 300) assertValidRequest(operation, call);

            // Act
            const answer = await send(fixtures.servers[call.server ?? 'main'], operation.method, call);

            // Assess
            assertAnswers(answer, expectedOf(operation, status, kase));
          });
        }
      }
    });
  }
});

describe('what every route shares, as docs/openapi.yaml describes it', () => {
  it('answers an unknown path with RouteNotFound', async () => {
    const answer = await send(fixtures.servers.main, 'GET', { path: '/jobz' });

    assertAnswers(answer, { response: documentedResponse('RouteNotFound'), method: 'GET', path: '/jobz', status: '404', code: 'ROUTE_NOT_FOUND' });
  });

  for (const path of Object.keys(spec.paths)) {
    it(`answers a method ${path} does not have with MethodNotAllowed, naming the methods it has`, async () => {
      // Prepare
      const method = ['PUT', 'PATCH', 'POST', 'DELETE'].find((candidate) => !methodsOf(path).includes(candidate)) ?? 'TRACE';

      // Act
      const answer = await send(fixtures.servers.main, method, { path: path.replace('{id}', fixtures.finishedJob).replace('{name}', fixtures.schedule) });

      // Assess
      assertAnswers(answer, { response: documentedResponse('MethodNotAllowed'), method, path, status: '405', code: 'METHOD_NOT_ALLOWED' });
    });
  }

  for (const operation of operations().filter((documented) => queryParameters(documented).length > 0)) {
    for (const parameter of queryParameters(operation)) {
      it(`${operation.key}: an empty ${parameter.name} is as if not given`, async () => {
        const answer = await send(fixtures.servers.main, operation.method, { path: pathOf(operation, fixtures.finishedJob, `?${parameter.name}=`) });

        assertAnswers(answer, expectedOf(operation, '200'));
      });
    }
  }

  it('answers a request that is not HTTP with MalformedRequest', async () => {
    // Prepare
    const { hostname, port } = new URL(fixtures.servers.main.url);

    // Act
    const raw = await new Promise<string>((resolvePromise, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => resolvePromise(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });

    // Assess
    const [head = '', text = ''] = raw.split('\r\n\r\n');
    const [statusLine = '', ...headerLines] = head.split('\r\n');
    const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const answer = { status: Number(statusLine.split(' ')[1]), headers, text };
    assertAnswers(answer, { response: documentedResponse('MalformedRequest'), method: 'NOT', path: '/', status: '400', code: 'BAD_REQUEST' });
  });

  it('reads exactly the documented number of bytes of a body, on any route', async () => {
    // Prepare
    const health = operations().find((documented) => documented.key === 'GET /health');
    assert.ok(health);

    // Act
    const atLimit = await send(fixtures.servers.main, 'GET', { path: '/health', body: Buffer.alloc(BODY_LIMIT, ' ') });
    const overLimit = await send(fixtures.servers.main, 'GET', { path: '/health', body: Buffer.alloc(BODY_LIMIT + 1, ' ') });

    // Assess
    assertAnswers(atLimit, expectedOf(health, '200'));
    assertAnswers(overLimit, expectedOf(health, '413', { code: 'PAYLOAD_TOO_LARGE' }));
  });
});

describe('cursors, as docs/openapi.yaml describes them', () => {
  const cursorSchema = { $ref: '#/components/schemas/Cursor' };

  async function realCursors(): Promise<{ jobs: string; logs: string }> {
    const jobs = await send(fixtures.servers.main, 'GET', { path: '/jobs?limit=1' });
    const logs = await send(fixtures.servers.main, 'GET', { path: `/jobs/${fixtures.finishedJob}/logs?limit=1` });
    const jobsCursor = (JSON.parse(jobs.text) as { nextCursor: string | null }).nextCursor;
    assert.ok(jobsCursor, `the first page of one job of several has a next cursor: ${jobs.text}`);
    return { jobs: jobsCursor, logs: (JSON.parse(logs.text) as { nextCursor: string }).nextCursor };
  }

  it('gives cursors of the documented form, which read the next page', async () => {
    // Act
    const cursors = await realCursors();
    const nextJobs = await send(fixtures.servers.main, 'GET', { path: `/jobs?limit=1&cursor=${cursors.jobs}` });
    const nextLines = await send(fixtures.servers.main, 'GET', { path: `/jobs/${fixtures.finishedJob}/logs?limit=1&cursor=${cursors.logs}` });

    // Assess
    assertValid(cursorSchema, cursors.jobs, 'a cursor of GET /jobs');
    assertValid(cursorSchema, cursors.logs, 'a cursor of GET /jobs/{id}/logs');
    assert.equal(nextJobs.status, 200, nextJobs.text);
    assert.equal(nextLines.status, 200, nextLines.text);
  });

  it('refuses a cursor with a character outside the documented form, even one that decodes', async () => {
    // Prepare: base64url decoders skip characters outside their alphabet; the API must not.
    const cursors = await realCursors();

    for (const [path, cursor] of [['/jobs', cursors.jobs], [`/jobs/${fixtures.finishedJob}/logs`, cursors.logs]] as const) {
      // Act
      const answer = await send(fixtures.servers.main, 'GET', { path: `${path}?cursor=${cursor}.` });

      // Assess
      assert.equal(answer.status, 400, `${path} with cursor ${cursor}. → ${answer.status} ${answer.text.slice(0, 300)}`);
      assert.deepEqual((JSON.parse(answer.text) as { error: { details?: Array<{ path: string }> } }).error.details?.map((detail) => detail.path), ['cursor']);
    }
  });
});

describe('the profile of a job that names none, as docs/openapi.yaml describes it', () => {
  it("is the token's only profile", async () => {
    // Prepare
    const operation = operations().find((documented) => documented.key === 'POST /jobs');
    assert.ok(operation);
    const body = { command: ['echo', 'hello'] };
    assertValid({ $ref: '#/components/schemas/CreateJobRequest' }, body, 'the request');

    // Act
    const answer = await send(fixtures.servers.main, 'POST', { path: '/jobs', token: fixtures.echoToken, ...json(body) });

    // Assess
    assertAnswers(answer, expectedOf(operation, '202'));
    assert.equal((JSON.parse(answer.text) as { profile: string }).profile, 'echo');
  });
});
