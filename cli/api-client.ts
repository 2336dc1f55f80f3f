/**
 * The fargate-jobs HTTP API over fetch: nothing else (no AWS SDK). Reads are retried with backoff
 * on network errors and 5xx, and after the Retry-After a 429 gives; a refused connection is not
 * retried (nothing listens). Every other answer is returned or thrown as an ApiError carrying the
 * API's own code and message.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { answerProblem } from './answer-shapes.ts';

export interface ApiTarget {
  /** Base URL, e.g. http://127.0.0.1:3000 (no trailing slash needed). */
  url: string;
  token: string | undefined;
  /**
   * Checks the server before each request that carries the token (the local server's proof, see
   * cli/local-server-trust.ts): throws to keep the token from it, or fetch's error when unreachable.
   */
  verifyServer?: ((fetchImpl: typeof fetch) => Promise<void>) | undefined;
}

/** One entry of an error's `details`: which field, and what about it. */
export interface ApiErrorDetail {
  path: string;
  message: string;
}

/** The API answered with an error (`{ error: { code, message, details? } }`). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly url: string;
  readonly details: readonly ApiErrorDetail[];
  /** The answer's Retry-After header, as sent (seconds or an HTTP date); null without one. */
  readonly retryAfter: string | null;

  constructor(status: number, code: string, message: string, url: string, more: { details?: readonly ApiErrorDetail[]; retryAfter?: string | null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.url = url;
    this.details = more.details ?? [];
    this.retryAfter = more.retryAfter ?? null;
  }
}

/** A 2xx answer that is not what the fargate-jobs API answers there: another program, a proxy's page. */
export class UnexpectedAnswerError extends Error {
  override readonly name = 'UnexpectedAnswerError';
  readonly url: string;

  constructor(url: string, message: string) {
    super(message);
    this.url = url;
  }
}

/** The API could not be reached (or kept answering 5xx/429 until the retries ran out). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly url: string;

  constructor(url: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.url = url;
  }
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  /** Headers of this request besides accept, authorization and content-type (e.g. Idempotency-Key). */
  headers?: Record<string, string>;
  /** Retry on network errors, 5xx and 429 (reads, and requests that are safe to repeat). */
  retry?: boolean;
}

export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/** About a minute of trying before giving up: long enough for a restart or a network blip. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 9, firstDelayMs: 500, maxDelayMs: 10_000 };

/** Codes of a 429 that waiting a few seconds does not cure. */
const NOT_RETRYABLE_429 = new Set(['TOO_MANY_ACTIVE_JOBS']);

export class ApiClient {
  readonly target: ApiTarget;
  readonly #retry: RetryPolicy;
  readonly #fetch: typeof fetch;
  /** Requests sent, retries included (for the benchmarks and tests). */
  requests = 0;

  constructor(target: ApiTarget, options: { retry?: RetryPolicy; fetch?: typeof fetch } = {}) {
    this.target = { ...target, url: target.url.replace(/\/+$/, '') };
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#fetch = options.fetch ?? fetch;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const url = this.#urlOf(path, options.query);
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.#send(method, url, options.body, options.headers);
      const last = !options.retry || attempt >= this.#retry.attempts;
      if (outcome.kind === 'answer') {
        const { response } = outcome;
        if (response.ok) return { status: response.status, body: this.#checked<T>(method, path, await parseBody(response)) };
        const error = await apiErrorOf(response, url);
        if (last || !isRetryable(error)) throw error;
        await delay(retryDelay(attempt, this.#retry, response.headers.get('retry-after')));
      } else {
        // Nothing listens there: no blip that waiting cures (and a local server's port is free for anyone to take).
        if (last || isConnectionRefused(outcome.error)) {
          throw new NetworkError(url, `could not reach ${this.target.url}: ${describeFetchError(outcome.error)}`, { cause: outcome.error });
        }
        await delay(retryDelay(attempt, this.#retry, null));
      }
    }
  }

  async #send(
    method: string,
    url: string,
    body: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<{ kind: 'answer'; response: Response } | { kind: 'failed'; error: unknown }> {
    const headers: Record<string, string> = { ...extraHeaders, accept: 'application/json' };
    if (this.target.token) headers.authorization = `Bearer ${this.target.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    this.requests += 1;
    try {
      // Every request, not once: any retry or new connection may reach another listener.
      if (this.target.token && this.target.verifyServer) await this.target.verifyServer(this.#fetch);
    } catch (error) {
      if (error instanceof TypeError) return { kind: 'failed', error };
      throw error;
    }
    try {
      const response = await this.#fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { kind: 'answer', response };
    } catch (error) {
      return { kind: 'failed', error };
    }
  }

  #checked<T>(method: string, path: string, body: unknown): T {
    const problem = answerProblem(method, path, body);
    if (problem === undefined) return body as T;
    throw new UnexpectedAnswerError(this.target.url, `the server at ${this.target.url} answered something that is not a fargate-jobs API: ${method} ${path}: ${problem}`);
  }

  #urlOf(path: string, query: RequestOptions['query']): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(name, String(value));
    const suffix = search.size > 0 ? `?${search}` : '';
    return `${this.target.url}${path}${suffix}`;
  }
}

function isRetryable(error: ApiError): boolean {
  return error.status >= 500 || (error.status === 429 && !NOT_RETRYABLE_429.has(error.code));
}

/** Exponential backoff with jitter, or the server's Retry-After (seconds or an HTTP date) when it gives one. */
export function retryDelay(attempt: number, policy: RetryPolicy, retryAfter: string | null, now: number = Date.now()): number {
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - now;
    if (Number.isFinite(ms)) return Math.min(Math.max(ms, 0), 60_000);
  }
  const base = Math.min(policy.firstDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
  return base / 2 + Math.random() * (base / 2);
}

async function parseBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function apiErrorOf(response: Response, url: string): Promise<ApiError> {
  const body = (await parseBody(response)) as { error?: { code?: unknown; message?: unknown; details?: unknown }; message?: unknown } | string | undefined;
  const envelope = typeof body === 'object' ? body.error : undefined;
  const code = typeof envelope?.code === 'string' ? envelope.code : `HTTP_${response.status}`;
  const message =
    typeof envelope?.message === 'string'
      ? envelope.message
      : typeof body === 'object' && typeof body.message === 'string'
        ? body.message // API Gateway's own answers: {"message":"Unauthorized"}
        : `${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, code, message, url, { details: detailsOf(envelope?.details), retryAfter: response.headers.get('retry-after') });
}

/** The well-formed entries of an error's `details` (whatever else the server sent is left out). */
function detailsOf(details: unknown): ApiErrorDetail[] {
  if (!Array.isArray(details)) return [];
  return details.filter((detail): detail is ApiErrorDetail => typeof detail?.path === 'string' && typeof detail?.message === 'string');
}

function errorCodeOf(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  // Connecting to a name with several addresses fails with an AggregateError of one error per address.
  return cause?.code ?? cause?.errors?.find((each) => each.code !== undefined)?.code;
}

function isConnectionRefused(error: unknown): boolean {
  return errorCodeOf(error) === 'ECONNREFUSED';
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause;
  const code = errorCodeOf(error);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code !== undefined) return code;
  return cause?.message ?? (error as Error).message;
}
