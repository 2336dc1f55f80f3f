/**
 * The two Slack Web API methods the chat-ops need (design §6), on the platform's `fetch`: post a
 * message (or a reply in a thread) and update it in place. JSON bodies, the bot token as a Bearer
 * header, HTTP 429 waited out as `Retry-After` says, and a timeout on every call so that a stuck
 * Slack never holds a job step.
 *
 * Slack answers most failures with HTTP 200 and `{ ok: false, error }`; those, non-2xx answers,
 * exhausted rate limits, timeouts and network failures all throw `SlackApiError`. No message ever
 * contains the bot token: messages are built from the method name, Slack's error code and the status.
 */
import { setTimeout as delay } from 'node:timers/promises';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RATE_LIMIT_RETRIES = 3;
/** What to wait when a 429 comes without a usable `Retry-After`. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;
/** One wait at most this long: a Lambda step has a budget, and Slack's windows are a minute. */
const MAX_RETRY_AFTER_SECONDS = 60;

export interface SlackWebApiOptions {
  botToken: string;
  /** Default https://slack.com/api (SLACK_API_URL). */
  apiUrl?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** How many times a call answered 429 is tried again before it throws; default 3. */
  maxRateLimitRetries?: number;
  /** Per attempt, including reading the answer; default 10 s. */
  timeoutMs?: number;
}

export interface SlackPostMessage {
  channel: string;
  text: string;
  blocks?: unknown[];
  /** The `ts` of the message to reply to: the reply goes into its thread. */
  thread_ts?: string;
}

export interface SlackUpdateMessage {
  channel: string;
  ts: string;
  text: string;
  /** Replaces the message's blocks; left out, Slack keeps the blocks it has. */
  blocks?: unknown[];
}

export interface SlackWebApi {
  postMessage(message: SlackPostMessage): Promise<{ channel: string; ts: string }>;
  update(message: SlackUpdateMessage): Promise<void>;
}

/**
 * `slackError` is Slack's own error code (`channel_not_found`, `invalid_auth`, `ratelimited`, …) or,
 * where Slack said nothing usable, one of ours: `http_<status>`, `invalid_response`, `timeout`,
 * `request_failed`.
 */
export class SlackApiError extends Error {
  readonly method: string;
  readonly slackError: string;
  /** The HTTP status Slack answered; undefined when no answer came. */
  readonly status: number | undefined;

  constructor(method: string, slackError: string, options: ErrorOptions & { status?: number } = {}) {
    const { status, ...errorOptions } = options;
    super(`Slack ${method} failed: ${slackError}`, errorOptions);
    this.name = 'SlackApiError';
    this.method = method;
    this.slackError = slackError;
    this.status = status;
  }
}

interface Settings {
  botToken: string;
  apiUrl: string;
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  maxRateLimitRetries: number;
  timeoutMs: number;
}

export function createSlackWebApi(options: SlackWebApiOptions): SlackWebApi {
  const settings = settingsOf(options);
  return {
    async postMessage({ channel, text, blocks, thread_ts }) {
      const answer = await callSlack(settings, 'chat.postMessage', { channel, text, blocks, thread_ts });
      if (typeof answer['channel'] !== 'string' || typeof answer['ts'] !== 'string') {
        throw new SlackApiError('chat.postMessage', 'invalid_response', { status: 200 });
      }
      return { channel: answer['channel'], ts: answer['ts'] };
    },
    async update({ channel, ts, text, blocks }) {
      await callSlack(settings, 'chat.update', { channel, ts, text, blocks });
    },
  };
}

function settingsOf(options: SlackWebApiOptions): Settings {
  const { botToken, maxRateLimitRetries = DEFAULT_RATE_LIMIT_RETRIES, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  if (typeof botToken !== 'string' || botToken.trim() === '') throw new TypeError('Slack botToken must be a non-empty string');
  if (!Number.isInteger(maxRateLimitRetries) || maxRateLimitRetries < 0) {
    throw new TypeError('Slack maxRateLimitRetries must be a whole number ≥ 0');
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError('Slack timeoutMs must be a positive number');
  return {
    botToken,
    // Trailing slashes would make `…/api//chat.update`, which Slack answers 404.
    apiUrl: (options.apiUrl ?? DEFAULT_SLACK_API_URL).replace(/\/+$/, ''),
    fetch: options.fetch ?? globalThis.fetch,
    sleep: options.sleep ?? ((ms) => delay(ms)),
    maxRateLimitRetries,
    timeoutMs,
  };
}

/** One method call: tried again after each 429 until the retries run out; Slack's answer when ok. */
async function callSlack(settings: Settings, method: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  for (let retries = 0; ; retries += 1) {
    const response = await send(settings, method, body);
    if (response.status !== 429) return await readAnswer(method, response);
    // The body of a 429 says only "ratelimited"; dropping it frees the connection for the retry.
    await response.body?.cancel().catch(() => undefined);
    if (retries >= settings.maxRateLimitRetries) throw new SlackApiError(method, 'ratelimited', { status: 429 });
    await settings.sleep(retryAfterMs(response.headers.get('retry-after')));
  }
}

async function send(settings: Settings, method: string, body: Record<string, unknown>): Promise<Response> {
  try {
    return await settings.fetch(`${settings.apiUrl}/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${settings.botToken}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
  } catch (error) {
    throw transportError(method, error);
  }
}

async function readAnswer(method: string, response: Response): Promise<Record<string, unknown>> {
  let text: string;
  try {
    // The timeout's signal covers the body too: a Slack that sends headers and then stalls still ends.
    text = await response.text();
  } catch (error) {
    throw transportError(method, error);
  }
  const answer = parseObject(text);
  const slackError = typeof answer?.['error'] === 'string' && answer['error'] !== '' ? answer['error'] : undefined;
  if (!response.ok) throw new SlackApiError(method, slackError ?? `http_${response.status}`, { status: response.status });
  if (answer === undefined) throw new SlackApiError(method, 'invalid_response', { status: response.status });
  if (answer['ok'] !== true) throw new SlackApiError(method, slackError ?? 'unknown_error', { status: response.status });
  return answer;
}

function transportError(method: string, error: unknown): SlackApiError {
  const timedOut = error instanceof Error && error.name === 'TimeoutError';
  return new SlackApiError(method, timedOut ? 'timeout' : 'request_failed', { cause: error });
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Slack sends whole seconds; anything else (missing, a date, garbage) waits the default. */
export function retryAfterMs(header: string | null): number {
  const trimmed = header?.trim() ?? '';
  const seconds = /^\d+$/.test(trimmed) ? Number(trimmed) : DEFAULT_RETRY_AFTER_SECONDS;
  return Math.min(seconds, MAX_RETRY_AFTER_SECONDS) * 1000;
}
