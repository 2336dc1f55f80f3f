/**
 * The real `npm start` server as a child process, for end-to-end tests over HTTP: the same entry
 * point, environment variables and output a user sees. Each server gets a fresh data directory
 * (removed when it stops) unless the test hands it one, e.g. to start a second server on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import assert from 'node:assert/strict';
import type { JobDocument } from '#lib/http/job-document.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const EXIT_TIMEOUT_MS = 15_000;

export interface StartOptions {
  /** A data directory to use (and keep); by default a fresh temporary one, removed on stop/kill. */
  dataDir?: string;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
}

export interface RequestOptions {
  /**
   * A string or Uint8Array is sent exactly as given (a string as application/json unless `headers`
   * name another content type; bytes with no content type at all); anything else is sent as JSON.
   */
  body?: unknown;
  headers?: Record<string, string>;
  /** The bearer token to send: the server's own by default, `null` for no Authorization header. */
  token?: string | null;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** The parsed body; undefined when the body is empty or not JSON (see `text`). */
  json: T;
  text: string;
}

export interface ErrorResponseBody {
  error: { code: string; message: string; details?: { path: string; message: string }[]; requestId?: string };
}

export interface WaitOptions {
  attempts?: number;
  intervalMs?: number;
}

export interface LocalServerProcess {
  /** The server's process (node local/server.ts itself, no npm in between). */
  pid: number;
  url: string;
  token: string;
  dataDir: string;
  /** Everything the server has printed so far (stdout and stderr). */
  output(): string;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  /** Polls GET /jobs/{id} until `predicate` holds; fails with the last job seen when it never does. */
  waitForJob(id: string, predicate: (job: JobDocument) => boolean, options?: WaitOptions): Promise<JobDocument>;
  /** SIGTERM, as Ctrl-C: running jobs are stopped and recorded; resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL: the server dies without recording anything (its jobs' processes may outlive it). */
  kill(): Promise<void>;
}

export async function startServer(options: StartOptions = {}): Promise<LocalServerProcess> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'fargate-jobs-e2e-'));
  const child = spawn(process.execPath, ['local/server.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'WARN',
      ...options.env,
      PORT: '0',
      FARGATE_JOBS_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit');

  let address: { url: string; token: string };
  try {
    address = await waitForAddress(child, () => output);
  } catch (error) {
    await terminate(child, 'SIGKILL', exited);
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const { url, token } = address;

  const cleanUp = () => {
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
  };

  const request = async <T>(method: string, path: string, requestOptions: RequestOptions = {}): Promise<ApiResponse<T>> => {
    const headers = new Headers(requestOptions.headers);
    const presented = requestOptions.token === undefined ? token : requestOptions.token;
    if (presented !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${presented}`);
    const body = encodeBody(requestOptions.body, headers);
    const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: parseJson(text) as T, text };
  };

  const waitForJob = async (id: string, predicate: (job: JobDocument) => boolean, wait: WaitOptions = {}) => {
    const attempts = wait.attempts ?? 200;
    let last: ApiResponse<JobDocument> | undefined;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      last = await request<JobDocument>('GET', `/jobs/${id}`);
      if (last.status === 200 && predicate(last.json)) return last.json;
      await delay(wait.intervalMs ?? 50);
    }
    assert.fail(`job ${id} never reached the awaited state after ${attempts} polls; last answer: ${last?.status} ${last?.text}`);
  };

  return {
    pid: child.pid ?? 0,
    url,
    token,
    dataDir,
    output: () => output,
    request,
    waitForJob,
    async stop() {
      await terminate(child, 'SIGTERM', exited);
      cleanUp();
    },
    async kill() {
      await terminate(child, 'SIGKILL', exited);
      cleanUp();
    },
  };
}

/** A body as fetch takes it, setting the content type a JSON API expects unless the test chose one. */
function encodeBody(body: unknown, headers: Headers): string | Uint8Array | undefined {
  if (body === undefined) return undefined;
  if (body instanceof Uint8Array) return body;
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return typeof body === 'string' ? body : JSON.stringify(body);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The URL and token the server prints once it listens, or an error quoting what it printed instead. */
async function waitForAddress(child: ChildProcess, output: () => string): Promise<{ url: string; token: string }> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const url = /^\s*API:\s+(http:\/\/\S+)\s*$/m.exec(output())?.[1];
    const token = /^\s*Token:\s+(\S+)\s*$/m.exec(output())?.[1];
    if (url && token) return { url, token };
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the local server exited (${child.exitCode ?? child.signalCode}) before it listened; it printed:\n${output()}`);
    }
    await delay(25);
  }
  throw new Error(`the local server did not print its URL and token within ${START_TIMEOUT_MS} ms; it printed:\n${output()}`);
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), EXIT_TIMEOUT_MS);
  });
  const outcome = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`the local server did not exit within ${EXIT_TIMEOUT_MS} ms of ${signal}; it was killed`);
  }
}

/** Asserts the error shape every non-2xx answer has: `{ error: { code, message } }` as JSON. */
export function assertError(response: ApiResponse, status: number, code: string): ErrorResponseBody {
  const context = `${response.status} ${response.text}`;
  assert.equal(response.status, status, context);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/, `content type of ${context}`);
  const body = response.json as Partial<ErrorResponseBody> | undefined;
  assert.equal(typeof body?.error, 'object', context);
  assert.equal(body?.error?.code, code, context);
  assert.equal(typeof body?.error?.message, 'string', context);
  assert.ok((body?.error?.message ?? '').length > 0, `an empty error message: ${context}`);
  return body as ErrorResponseBody;
}
