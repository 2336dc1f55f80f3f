/**
 * The console's calls to the API: the page's own origin, the token as a bearer, JSON in and out.
 * Long polls pass `wait` (the server answers when something changed) and an AbortSignal (the view
 * that asked stops them when the reader leaves it).
 */
import type { CreateJobRequest, ErrorDetail, Job, JobPage, ListQuery, LogPage, Profile, RerunRequest } from './api-types.ts';

/** What the server sends back as an error: `{ error: { code, message, details? } }`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  /** Seconds to wait before asking again (429, some 409s), when the server said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = [], retryAfterSeconds?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The token was refused: the app goes back to the token form. */
export class UnauthorizedError extends ApiError {
  constructor(message: string) {
    super(401, 'UNAUTHORIZED', message);
    this.name = 'UnauthorizedError';
  }
}

export type ListAnswer = { changed: true; page: JobPage; etag: string | undefined } | { changed: false };

export interface Api {
  listJobs(query: ListQuery, options?: { etag?: string; waitSeconds?: number; signal?: AbortSignal }): Promise<ListAnswer>;
  getJob(id: string, options?: { ifStatus?: string; waitSeconds?: number; signal?: AbortSignal }): Promise<Job>;
  /** A new job, or a rerun; the key makes a retry after a lost answer safe. */
  createJob(request: CreateJobRequest | RerunRequest, idempotencyKey: string): Promise<Job>;
  cancelJob(id: string): Promise<Job>;
  getLogs(id: string, query: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<LogPage>;
  listProfiles(signal?: AbortSignal): Promise<Profile[]>;
}

export function createApi(token: string, onUnauthorized: (error: UnauthorizedError) => void): Api {
  const call = async (path: string, { okStatuses = [], ...init }: RequestInit & { okStatuses?: number[] } = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    // no-store: a long poll's answer must never come from (or go into) the browser's cache.
    const response = await fetch(path, { ...init, headers, cache: 'no-store' });
    if (response.ok || okStatuses.includes(response.status)) return response;
    const error = await errorOf(response);
    if (error instanceof UnauthorizedError) onUnauthorized(error);
    throw error;
  };
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => (await (await call(path, init)).json()) as T;

  return {
    async listJobs(query, options = {}) {
      const search = new URLSearchParams();
      if (query.status) search.set('status', query.status);
      if (query.profile) search.set('profile', query.profile);
      for (const label of query.labels ?? []) search.append('label', label);
      if (query.cursor) search.set('cursor', query.cursor);
      if (query.limit) search.set('limit', String(query.limit));
      if (options.waitSeconds) search.set('wait', String(options.waitSeconds));
      const headers: Record<string, string> = options.etag ? { 'If-None-Match': options.etag } : {};
      const response = await call(`/jobs?${search}`, { headers, okStatuses: [304], ...(options.signal ? { signal: options.signal } : {}) });
      if (response.status === 304) return { changed: false };
      return { changed: true, page: (await response.json()) as JobPage, etag: response.headers.get('ETag') ?? undefined };
    },
    getJob(id, options = {}) {
      const search = new URLSearchParams();
      if (options.waitSeconds && options.ifStatus) {
        search.set('wait', String(options.waitSeconds));
        search.set('ifStatus', options.ifStatus);
      }
      return json<Job>(`/jobs/${encodeURIComponent(id)}?${search}`, options.signal ? { signal: options.signal } : {});
    },
    createJob(request, idempotencyKey) {
      return json<Job>('/jobs', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
        body: JSON.stringify(request),
      });
    },
    cancelJob(id) {
      return json<Job>(`/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
    },
    getLogs(id, query, signal) {
      const search = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
      return json<LogPage>(`/jobs/${encodeURIComponent(id)}/logs?${search}`, signal ? { signal } : {});
    },
    async listProfiles(signal) {
      return (await json<{ profiles: Profile[] }>('/profiles', signal ? { signal } : {})).profiles;
    },
  };
}

async function errorOf(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => undefined)) as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
  const code = typeof body?.error?.code === 'string' ? body.error.code : `HTTP_${response.status}`;
  const message = typeof body?.error?.message === 'string' ? body.error.message : `the server answered ${response.status} ${response.statusText}`.trim();
  if (response.status === 401) return new UnauthorizedError(message);
  const details = Array.isArray(body?.error?.details) ? (body.error.details as ErrorDetail[]).filter((detail) => typeof detail?.path === 'string') : [];
  const retryAfter = Number(response.headers.get('Retry-After'));
  return new ApiError(response.status, code, message, details, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
}
