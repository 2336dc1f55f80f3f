/**
 * A stand-in for the fargate-jobs API that answers what a test scripts, hostile answers included:
 * for the CLI's handling of whatever a server (or something answering at its URL) sends.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './http-server.ts';

export interface StandInAnswer {
  status?: number;
  body: unknown;
  /** Answer this much later, as the API does a long poll (`wait`) on a job that has not changed. */
  delayMs?: number;
  /** Headers besides content-type (e.g. Retry-After). */
  headers?: Record<string, string>;
}

export interface StandInRequest {
  method: string;
  url: URL;
  /** The request's JSON body; undefined for none (or one that is not JSON). */
  body: unknown;
}

export interface StandInApi {
  url: string;
  /** The requests received: method and path with its query string. */
  requests: string[];
  /** Their JSON bodies, in the same order (undefined for none). */
  bodies: unknown[];
  close(): Promise<void>;
}

/** Serves `answer(request)` as JSON on 127.0.0.1; a request `answer` returns nothing for is a 404. */
export async function startStandInApi(answer: (request: StandInRequest) => StandInAnswer | undefined): Promise<StandInApi> {
  const requests: string[] = [];
  const bodies: unknown[] = [];
  const server = createServer(async (request: IncomingMessage, response) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    const index = bodies.push(undefined) - 1;
    const body = jsonOf(Buffer.concat(await request.toArray()).toString('utf8'));
    bodies[index] = body;
    const answered = answer({ method: request.method ?? 'GET', url, body }) ?? { status: 404, body: { error: { code: 'JOB_NOT_FOUND', message: 'not scripted' } } };
    const timer = setTimeout(() => {
      response.writeHead(answered.status ?? 200, { 'content-type': 'application/json', ...answered.headers });
      response.end(JSON.stringify(answered.body));
    }, answered.delayMs ?? 0);
    response.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, bodies, close: () => closeServer(server) };
}

function jsonOf(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A job document as the API returns it, with `fields` over a finished, plain one. */
export function aJobDocument(fields: Record<string, unknown> = {}): Record<string, unknown> {
  const id = (fields.id as string | undefined) ?? 'job-01jdq8m4zv3k9x2c7f5h6w8r0t';
  return {
    id,
    profile: 'default',
    command: ['true'],
    status: 'SUCCEEDED',
    createdAt: '2026-12-01T10:00:00.000Z',
    updatedAt: '2026-12-01T10:00:05.000Z',
    startedAt: '2026-12-01T10:00:01.000Z',
    stoppedAt: '2026-12-01T10:00:05.000Z',
    exitCode: 0,
    logTail: [],
    timeoutSeconds: 3600,
    labels: {},
    submittedBy: 'local',
    links: { self: `/jobs/${id}`, logs: `/jobs/${id}/logs` },
    ...fields,
  };
}
