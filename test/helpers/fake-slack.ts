/**
 * A stand-in for Slack's Web API, for tests: one node:http server on 127.0.0.1 that speaks Slack's
 * wire protocol, so that the product's real client (lib/notify/slack-web-api.ts) runs against it:
 *
 * - `POST {url}/<method>` with a JSON body and `Authorization: Bearer <botToken>`; failures answer
 *   HTTP 200 `{ ok: false, error }` as Slack does (`not_authed`, `invalid_auth`, `channel_not_found`,
 *   `no_text`, `message_not_found`, …), an unknown method 404 `unknown_method`, a rate limit 429
 *   `ratelimited` with `Retry-After`.
 * - `chat.postMessage` and `chat.update` keep the channel's messages as Slack would hold them.
 * - `POST /response/<id>` stands for a `response_url` (slash commands, buttons): recorded, JSON only,
 *   no token needed, at most 5 uses as Slack allows.
 *
 * Form-encoded bodies, which Slack also takes, are refused here (`invalid_arguments`): the product
 * sends JSON, and a test should notice if it stops doing so.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './http-server.ts';

export interface FakeSlackOptions {
  botToken: string;
  /** The channels that exist; posting anywhere else answers `channel_not_found`. Default: any channel. */
  channels?: string[];
}

export interface FakeSlackCall {
  /** The Web API method (`chat.postMessage`), or `response_url` for a post to `responseUrl(id)`. */
  method: string;
  path: string;
  /** The parsed JSON body; `{}` when the body is not a JSON object (see `rawBody`). */
  body: Record<string, unknown>;
  rawBody: string;
  headers: IncomingHttpHeaders;
  /** What the fake answered; a stalled call has status 0 and no response. */
  status: number;
  response: unknown;
}

/** A message as Slack holds it, with every `chat.update` applied. */
export interface FakeSlackMessage {
  type: 'message';
  channel: string;
  ts: string;
  /** Set on replies: the `ts` of the thread's parent. */
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  user: string;
  bot_id: string;
  app_id: string;
  team: string;
  /** Set once the message has been updated. */
  edited?: { user: string; ts: string };
}

export interface FakeSlackState {
  calls: readonly FakeSlackCall[];
  messages: readonly FakeSlackMessage[];
}

export interface FakeSlack {
  /** The apiUrl to configure (SLACK_API_URL): `http://127.0.0.1:<port>/api`. */
  url: string;
  calls: FakeSlackCall[];
  messages: FakeSlackMessage[];
  /** A response_url on this server; posts to it are recorded as calls of method `response_url`. */
  responseUrl(id: string): string;
  /** The next `count` Web API calls answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(count: number, retryAfterSeconds: number): void;
  /** The next `count` Web API calls are read and recorded but never answered (until `close`). */
  stallNext(count: number): void;
  /**
   * Resolves with the predicate's first truthy result, checked now and after every request; rejects
   * after `timeoutMs` (default 5 s) listing the calls seen.
   */
  waitFor<T>(predicate: (state: FakeSlackState) => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const BOT_USER_ID = 'U0FAKEBOT';
const BOT_ID = 'B0FAKEBOT';
const APP_ID = 'A0FAKEAPP';
const TEAM_ID = 'T0FAKETEAM';
/** Slack lets a response_url be used 5 times (within 30 minutes). */
const RESPONSE_URL_USES = 5;
const DEFAULT_WAIT_MS = 5_000;

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface State {
  options: FakeSlackOptions;
  calls: FakeSlackCall[];
  messages: FakeSlackMessage[];
  rateLimits: number[];
  stalls: number;
  lastTsMicros: number;
  changes: EventEmitter;
}

type Method = (state: State, body: Record<string, unknown>) => Answer;

/** A Map, not an object literal: `toString` must be an unknown method. */
const METHODS = new Map<string, Method>([
  ['chat.postMessage', postMessage],
  ['chat.update', updateMessage],
]);

export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const state: State = { options, calls: [], messages: [], rateLimits: [], stalls: 0, lastTsMicros: 0, changes: new EventEmitter() };
  const server = createServer((req, res) => {
    serve(state, req, res).catch((error: unknown) => {
      // Only a broken connection gets here; the test server must outlive it.
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/api`,
    calls: state.calls,
    messages: state.messages,
    responseUrl: (id) => `${origin}/response/${encodeURIComponent(id)}`,
    rateLimitNext: (count, retryAfterSeconds) => state.rateLimits.push(...Array<number>(count).fill(retryAfterSeconds)),
    stallNext: (count) => void (state.stalls += count),
    waitFor: (predicate, timeoutMs = DEFAULT_WAIT_MS) => waitFor(state, predicate, timeoutMs),
    close: () => closeServer(server),
  };
}

// --- Routing and the wire protocol -------------------------------------------------------------

async function serve(state: State, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks).toString('utf8');
  const path = new URL(req.url ?? '/', 'http://fake-slack').pathname;
  const call: FakeSlackCall = { method: '', path, body: {}, rawBody, headers: req.headers, status: 0, response: undefined };
  const parsed = parseJsonObject(rawBody);
  if (parsed) call.body = parsed;

  const responseId = /^\/response\/([^/]+)$/.exec(path)?.[1];
  const apiMethod = /^\/api\/([^/]+)$/.exec(path)?.[1];
  if (responseId !== undefined) {
    call.method = 'response_url';
    answer(state, call, res, respond(state, req, decodeURIComponent(responseId), parsed));
  } else if (apiMethod !== undefined && state.stalls > 0) {
    state.stalls -= 1;
    call.method = apiMethod;
    record(state, call);
  } else {
    call.method = apiMethod ?? path;
    answer(state, call, res, callMethod(state, req, apiMethod, rawBody, parsed));
  }
}

function callMethod(state: State, req: IncomingMessage, method: string | undefined, rawBody: string, body: Record<string, unknown> | undefined): Answer {
  const handler = method === undefined ? undefined : METHODS.get(method);
  if (!handler) return { status: 404, body: { ok: false, error: 'unknown_method' } };
  const retryAfter = state.rateLimits.shift();
  if (retryAfter !== undefined) return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'Retry-After': String(retryAfter) } };
  if (req.method !== 'POST') return slackError('invalid_arguments');
  const authError = authenticate(state, req.headers.authorization);
  if (authError) return slackError(authError);
  if (!isJson(req.headers['content-type'])) return slackError('invalid_arguments');
  if (!body) return slackError(rawBody.trim() === '' ? 'invalid_arguments' : 'invalid_json');
  return handler(state, body);
}

/** Slack reads only the Bearer scheme here; a token in the body does not count for a JSON call. */
function authenticate(state: State, authorization: string | undefined): string | undefined {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (token === undefined) return 'not_authed';
  return token === state.options.botToken ? undefined : 'invalid_auth';
}

function respond(state: State, req: IncomingMessage, id: string, body: Record<string, unknown> | undefined): Answer {
  if (req.method !== 'POST') return { status: 405, body: { ok: false, error: 'method_not_allowed' } };
  const uses = state.calls.filter((call) => call.method === 'response_url' && call.path === `/response/${encodeURIComponent(id)}` && call.status === 200);
  if (uses.length >= RESPONSE_URL_USES) return { status: 404, body: { ok: false, error: 'used_url' } };
  if (!isJson(req.headers['content-type']) || !body) return { status: 400, body: { ok: false, error: 'invalid_payload' } };
  if (typeof body['text'] !== 'string' && !Array.isArray(body['blocks'])) return { status: 400, body: { ok: false, error: 'no_text' } };
  return { status: 200, body: { ok: true } };
}

function answer(state: State, call: FakeSlackCall, res: ServerResponse, result: Answer): void {
  call.status = result.status;
  call.response = result.body;
  res.writeHead(result.status, { 'Content-Type': 'application/json; charset=utf-8', ...result.headers }).end(JSON.stringify(result.body));
  record(state, call);
}

function record(state: State, call: FakeSlackCall): void {
  state.calls.push(call);
  state.changes.emit('change');
}

const slackError = (error: string): Answer => ({ status: 200, body: { ok: false, error } });

function isJson(contentType: string | undefined): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType ?? '');
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// --- Methods -----------------------------------------------------------------------------------

function postMessage(state: State, body: Record<string, unknown>): Answer {
  const channel = body['channel'];
  if (typeof channel !== 'string' || channel === '' || !channelExists(state, channel)) return slackError('channel_not_found');
  const blocks = blocksOf(body['blocks']);
  if (blocks === 'invalid') return slackError('invalid_blocks');
  const text = typeof body['text'] === 'string' ? body['text'] : '';
  if (text === '' && blocks === undefined) return slackError('no_text');
  const threadTs = body['thread_ts'];
  if (threadTs !== undefined && !isThreadParent(state, channel, threadTs)) return slackError('invalid_thread_ts');

  const message: FakeSlackMessage = {
    type: 'message',
    channel,
    ts: nextTs(state),
    ...(typeof threadTs === 'string' ? { thread_ts: threadTs } : {}),
    text,
    ...(blocks === undefined ? {} : { blocks }),
    user: BOT_USER_ID,
    bot_id: BOT_ID,
    app_id: APP_ID,
    team: TEAM_ID,
  };
  state.messages.push(message);
  return { status: 200, body: { ok: true, channel, ts: message.ts, message: messageView(message) } };
}

function updateMessage(state: State, body: Record<string, unknown>): Answer {
  const { channel, ts } = body;
  if (typeof channel !== 'string' || channel === '' || !channelExists(state, channel)) return slackError('channel_not_found');
  const message = state.messages.find((candidate) => candidate.channel === channel && candidate.ts === ts);
  if (!message) return slackError('message_not_found');
  const blocks = blocksOf(body['blocks']);
  if (blocks === 'invalid') return slackError('invalid_blocks');
  const text = typeof body['text'] === 'string' ? body['text'] : undefined;
  if (!text && blocks === undefined) return slackError('no_text');

  if (text !== undefined) message.text = text;
  // As Slack: blocks left out are kept; an empty array removes them.
  if (blocks !== undefined) {
    if (blocks.length === 0) delete message.blocks;
    else message.blocks = blocks;
  }
  message.edited = { user: BOT_USER_ID, ts: nextTs(state) };
  return { status: 200, body: { ok: true, channel, ts: message.ts, text: message.text, message: messageView(message) } };
}

function channelExists(state: State, channel: string): boolean {
  return state.options.channels === undefined || state.options.channels.includes(channel);
}

/** A reply's thread_ts must name a message of the channel that is not itself a reply. */
function isThreadParent(state: State, channel: string, threadTs: unknown): boolean {
  return state.messages.some((message) => message.channel === channel && message.ts === threadTs && message.thread_ts === undefined);
}

/** Slack takes blocks as an array or as a JSON-encoded string of one. */
function blocksOf(value: unknown): unknown[] | undefined | 'invalid' {
  if (value === undefined) return undefined;
  let blocks = value;
  if (typeof value === 'string') {
    try {
      blocks = JSON.parse(value);
    } catch {
      return 'invalid';
    }
  }
  return Array.isArray(blocks) ? blocks : 'invalid';
}

/** `<unix seconds>.<6 digits>`, unique and increasing within this fake, as a channel's ts are. */
function nextTs(state: State): string {
  state.lastTsMicros = Math.max(Date.now() * 1000, state.lastTsMicros + 1);
  const seconds = Math.floor(state.lastTsMicros / 1_000_000);
  return `${seconds}.${String(state.lastTsMicros % 1_000_000).padStart(6, '0')}`;
}

/** The message as Slack returns it: without the channel, which the answer carries beside it. */
function messageView(message: FakeSlackMessage): Record<string, unknown> {
  const { channel: _channel, ...view } = message;
  return structuredClone(view);
}

// --- Waiting -----------------------------------------------------------------------------------

function waitFor<T>(state: State, predicate: (view: FakeSlackState) => T | undefined | null | false, timeoutMs: number): Promise<T> {
  const view: FakeSlackState = { calls: state.calls, messages: state.messages };
  return new Promise<T>((resolve, reject) => {
    const check = (): void => {
      let found: T | undefined | null | false;
      try {
        found = predicate(view);
      } catch (error) {
        // Thrown inside a request's handling, it would turn into that request's 500 instead.
        finish();
        reject(error);
        return;
      }
      if (found === undefined || found === null || found === false) return;
      finish();
      resolve(found);
    };
    const timer = setTimeout(() => {
      finish();
      const seen = state.calls.map(describeCall).join(', ') || 'none';
      reject(new Error(`fake Slack: nothing matched within ${timeoutMs} ms; calls seen: ${seen}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      state.changes.off('change', check);
    };
    state.changes.on('change', check);
    check();
  });
}

/** `chat.update → 200 message_not_found`: Slack's failures come with 200, so the error says more. */
function describeCall(call: FakeSlackCall): string {
  const error = (call.response as { error?: unknown } | undefined)?.error;
  return `${call.method} → ${call.status}${typeof error === 'string' ? ` ${error}` : ''}`;
}
