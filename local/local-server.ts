/**
 * Local mode's HTTP server: maps each request to the same handler module API Gateway invokes,
 * as an API Gateway v2 event, after the bearer-token check an authorizer does on AWS.
 */
import { randomBytes, randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handler as cancelJob } from '#handlers/http/cancel-job.ts';
import { handler as createJob } from '#handlers/http/create-job.ts';
import { handler as getJobLogs } from '#handlers/http/get-job-logs.ts';
import { handler as getJob } from '#handlers/http/get-job.ts';
import { handler as health } from '#handlers/http/health.ts';
import { handler as listJobs } from '#handlers/http/list-jobs.ts';
import { useDependencies } from '#lib/dependencies.ts';
import { createLocalDependencies, type LocalDependencies, type LocalOptions } from './local-dependencies.ts';
import { errorBody } from '#lib/http/responses.ts';
import { RateLimiter, type RateLimit } from '#lib/http/rate-limiter.ts';
import { matchRoute } from '#lib/http/routes.ts';

type RouteHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2 | string>;

const HANDLERS: Record<string, RouteHandler> = {
  'create-job': createJob as RouteHandler,
  'list-jobs': listJobs as RouteHandler,
  'get-job': getJob as RouteHandler,
  'cancel-job': cancelJob as RouteHandler,
  'get-job-logs': getJobLogs as RouteHandler,
  health: health as RouteHandler,
};

/** API Gateway's own payload limit is 10 MB; a job request is a few KB, so refuse anything near a megabyte. */
const MAX_BODY_BYTES = 1024 * 1024;
/** The most API Gateway waits for an integration. */
const HANDLER_TIME_LIMIT_MS = 29_000;
/** The caller name local mode's single token stands for. */
export const LOCAL_CALLER = 'local';

/** Generous for one person and their scripts; tests and benchmarks set their own. */
export const DEFAULT_RATE_LIMIT: RateLimit = { ratePerSecond: 100, burst: 200 };

export interface LocalServerOptions extends Omit<LocalOptions, 'dataDir'> {
  dataDir: string;
  port: number;
  host?: string;
  /** Requests per second per token (429 with Retry-After beyond it). */
  rateLimit?: RateLimit;
}

export interface LocalServer {
  url: string;
  token: string;
  tokenFile: string;
  dependencies: LocalDependencies;
  /** Jobs found active at start-up (their process died with the previous server) and marked FAILED. */
  interruptedJobs: number;
  close(): Promise<void>;
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  mkdirSync(options.dataDir, { recursive: true });
  const tokenFile = join(options.dataDir, 'token');
  const token = readOrCreateToken(tokenFile);
  const deps = await createLocalDependencies(options);
  useDependencies(deps);
  const interruptedJobs = await deps.service.recoverInterruptedJobs(
    'the local server stopped while this job was active; its process did not survive',
  );

  const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const server = createServer((request, response) => {
    serve(request, response, token, limiter).catch((error: unknown) => {
      deps.logger.error('local server could not answer a request', { error: String(error) });
      if (!response.headersSent) send(response, 500, errorBody('INTERNAL', 'internal error'));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    token,
    tokenFile,
    dependencies: deps,
    interruptedJobs,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await deps.close();
    },
  };
}

async function serve(request: IncomingMessage, response: ServerResponse, token: string, limiter: RateLimiter): Promise<void> {
  const requestId = randomUUID();
  response.setHeader('x-request-id', requestId);
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  const { match, allowed } = matchRoute(method, url.pathname);
  if (!match) {
    if (allowed.length > 0) {
      response.setHeader('allow', allowed.join(', '));
      return send(response, 405, errorBody('METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}; use ${allowed.join(' or ')}`));
    }
    return send(response, 404, errorBody('ROUTE_NOT_FOUND', `no route ${method} ${url.pathname}`));
  }
  if (!match.route.public && !hasToken(request.headers.authorization, token)) {
    response.setHeader('www-authenticate', 'Bearer');
    return send(response, 401, errorBody('UNAUTHORIZED', 'send the token from .data/token as "Authorization: Bearer <token>"'));
  }
  if (!match.route.public) {
    const decision = limiter.take(LOCAL_CALLER);
    if (!decision.allowed) {
      response.setHeader('retry-after', String(decision.retryAfterSeconds));
      return send(response, 429, errorBody('RATE_LIMITED', `too many requests; retry after ${decision.retryAfterSeconds} s`));
    }
  }
  const body = await readBody(request);
  if (body === undefined) return send(response, 413, errorBody('PAYLOAD_TOO_LARGE', `the body is over ${MAX_BODY_BYTES} bytes`));

  const event = toApiGatewayEvent(request, url, match.route, match.pathParameters, body, requestId);
  const handler = HANDLERS[match.route.handler];
  if (!handler) throw new Error(`no handler module for route ${match.route.handler}`);
  const result = await handler(event, lambdaContext(match.route.handler, requestId));
  const structured = typeof result === 'string' ? { statusCode: 200, body: result } : result;
  for (const [name, value] of Object.entries(structured.headers ?? {})) response.setHeader(name, String(value));
  response.statusCode = structured.statusCode ?? 200;
  response.end(structured.body ?? '');
}

function toApiGatewayEvent(
  request: IncomingMessage,
  url: URL,
  route: { method: string; path: string },
  pathParameters: Record<string, string>,
  body: string,
  requestId: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const event = {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters: decodeParameters(pathParameters) } : {}),
    ...(body.length > 0 ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      // What a Lambda authorizer's simple response context looks like on AWS.
      authorizer: { lambda: { caller: LOCAL_CALLER } },
    },
  };
  return event as APIGatewayProxyEventV2;
}

function decodeParameters(parameters: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(parameters).map(([name, value]) => {
      try {
        return [name, decodeURIComponent(value)];
      } catch {
        return [name, value];
      }
    }),
  );
}

function lambdaContext(functionName: string, requestId: string): Context {
  const deadline = Date.now() + HANDLER_TIME_LIMIT_MS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The body as text, or undefined when it is larger than the limit. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    request.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function hasToken(authorization: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!presented) return false;
  // Compare digests so the comparison takes the same time whatever the length presented.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

function send(response: ServerResponse, statusCode: number, body: unknown): void {
  response.statusCode = statusCode;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}

/** The token is made once, on first start, readable only by its owner. */
function readOrCreateToken(tokenFile: string): string {
  if (existsSync(tokenFile)) {
    const existing = readFileSync(tokenFile, 'utf8').trim();
    if (existing.length > 0) return existing;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  return token;
}
