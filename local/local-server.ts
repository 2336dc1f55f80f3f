/**
 * Local mode's HTTP server: maps each request to the same handler module API Gateway invokes,
 * as an API Gateway v2 event, after asking the same authorizer module API Gateway asks on AWS.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import { handler as authorizer } from '#handlers/http/authorizer.ts';
import { handler as cancelJob } from '#handlers/http/cancel-job.ts';
import { handler as createJob } from '#handlers/http/create-job.ts';
import { handler as getJobLogs } from '#handlers/http/get-job-logs.ts';
import { handler as getJob } from '#handlers/http/get-job.ts';
import { handler as health } from '#handlers/http/health.ts';
import { handler as listJobs } from '#handlers/http/list-jobs.ts';
import { useDependencies } from '#lib/dependencies.ts';
import { EVERY_PROFILE } from '#lib/domain/caller.ts';
import { TokenNotFoundError, TokenService } from '#lib/domain/tokens.ts';
import type { AuthorizerContext } from '#lib/http/authorization.ts';
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
/** The name of the token local mode makes for its user (every profile), kept in `<data dir>/token`. */
export const LOCAL_TOKEN_NAME = 'local';

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
  const deps = await createLocalDependencies(options);
  useDependencies(deps);
  const tokenFile = join(options.dataDir, 'token');
  const token = await localToken(tokenFile, new TokenService({ store: deps.tokens }));
  const interruptedJobs = await deps.service.recoverInterruptedJobs(
    'the local server stopped while this job was active; its process did not survive',
  );

  const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const server = createServer((request, response) => {
    serve(request, response, limiter).catch((error: unknown) => {
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

async function serve(request: IncomingMessage, response: ServerResponse, limiter: RateLimiter): Promise<void> {
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
  const event = toApiGatewayEvent(request, url, match.route, match.pathParameters, requestId);
  if (!match.route.public) {
    // API Gateway itself refuses a request without the authorizer's identity source (Authorization).
    if (!request.headers.authorization) {
      response.setHeader('www-authenticate', 'Bearer');
      return send(response, 401, errorBody('UNAUTHORIZED', 'send the token from .data/token (or one from `npm run token -- create`) as "Authorization: Bearer <token>"'));
    }
    const { context } = await authorizer(authorizerEvent(event));
    event.requestContext.authorizer = { lambda: context };
    const decision = limiter.take('caller' in context ? context.caller : 'unauthenticated');
    if (!decision.allowed) {
      response.setHeader('retry-after', String(decision.retryAfterSeconds));
      return send(response, 429, errorBody('RATE_LIMITED', `too many requests; retry after ${decision.retryAfterSeconds} s`));
    }
  }
  const body = await readBody(request);
  if (body === undefined) return send(response, 413, errorBody('PAYLOAD_TOO_LARGE', `the body is over ${MAX_BODY_BYTES} bytes`));
  if (body.length > 0) event.body = body;

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
  requestId: string,
): APIGatewayProxyEventV2 & { requestContext: { authorizer?: { lambda: AuthorizerContext } } } {
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
    },
  };
  return event as APIGatewayProxyEventV2;
}

/** What API Gateway hands a REQUEST authorizer (payload 2.0) for this request. */
function authorizerEvent(event: APIGatewayProxyEventV2): APIGatewayRequestAuthorizerEventV2 {
  const { body: _body, isBase64Encoded: _encoded, ...request } = event;
  return {
    ...request,
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${event.requestContext.http.method}${event.rawPath}`,
    identitySource: [event.headers.authorization ?? ''],
  } as APIGatewayRequestAuthorizerEventV2;
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

function send(response: ServerResponse, statusCode: number, body: unknown): void {
  response.statusCode = statusCode;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}

/**
 * The token of the person running the server: every profile, kept in clear in the data directory
 * (readable only by its owner) so that each start can print it. A new one is made when the file is
 * missing, or its token is not in the store (a fresh `db/`) or was revoked; the previous `local`
 * token, whose clear value is then lost, is revoked.
 */
async function localToken(tokenFile: string, tokens: TokenService): Promise<string> {
  const existing = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
  if ((await tokens.authenticate(`Bearer ${existing}`)).authenticated) return existing;
  await tokens.revoke(LOCAL_TOKEN_NAME).catch((error: unknown) => {
    if (!(error instanceof TokenNotFoundError)) throw error;
  });
  const { token } = await tokens.create({ name: LOCAL_TOKEN_NAME, profiles: [EVERY_PROFILE] });
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  return token;
}
