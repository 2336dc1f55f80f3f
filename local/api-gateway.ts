/**
 * API Gateway, emulated for local mode: each HTTP request becomes the API Gateway v2 event (and
 * Lambda context) an HTTP API would hand the route's handler, after asking the token authorizer
 * about it as API Gateway does, and the handler's result becomes the HTTP response. HEAD and OPTIONS
 * are routed as serverless.yml deploys them (DEPLOYED_ROUTES): HEAD to the GET's handler, OPTIONS to
 * the options handler.
 */
import { randomUUID } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
  Context,
} from 'aws-lambda';
import type { Logger } from '#lib/domain/logger.ts';
import type { AuthorizerContext } from '#lib/http/authorization.ts';
import { optionsHandler } from '#lib/http/options.ts';
import { CHALLENGE_HEADER, PROOF_HEADER } from '#lib/domain/local-server-proof.ts';
import { errorBody, JSON_CONTENT_TYPE, type HttpResponse } from '#lib/http/responses.ts';
import { matchRoute, OPTIONS_HANDLER } from '#lib/http/routes.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** A Lambda-style handler; its answer may have a streamedBody (a local log download), which the emulation writes as it comes. */
export type RouteHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<(APIGatewayProxyStructuredResultV2 & Pick<HttpResponse, 'streamedBody'>) | string>;
export type Authorizer = (event: APIGatewayRequestAuthorizerEventV2) => Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>>;

export interface ApiGatewayOptions {
  /** The handler of each route, by the `handler` name ROUTES gives it. */
  handlers: Readonly<Record<string, RouteHandler>>;
  authorizer: Authorizer;
  /** Requests per second per token (429 with Retry-After beyond it). */
  limiter: RateLimiter;
  logger: Logger;
  /**
   * The names a request's `Host` may give, with the port the server listens on: the loopback names
   * by default. Anything else is refused (421), so that a web page whose DNS name is rebound to
   * 127.0.0.1 cannot reach the API from the user's browser.
   */
  hostNames?: readonly string[];
  /**
   * Answers a client's challenge (the `Fargate-Jobs-Challenge` header) with the proof that this is
   * the server of its data directory (lib/domain/local-server-proof.ts); undefined for a challenge it
   * does not accept. Local mode only: API Gateway has no such header.
   */
  proveIdentity?: (challenge: string) => string | undefined;
}

export const LOOPBACK_HOST_NAMES: readonly string[] = ['127.0.0.1', 'localhost'];

/** Failed authentications share one bucket, keyed outside the token names (which never hold a space). */
const UNAUTHENTICATED_BUCKET = 'unauthenticated requests';

/** API Gateway's own payload limit is 10 MB; a job request is a few KB, so refuse anything near a megabyte. */
const MAX_BODY_BYTES = 1024 * 1024;
/** The most API Gateway waits for an integration (a handler sees it as its remaining time: a 20 s `wait` fits). */
const HANDLER_TIME_LIMIT_MS = 29_000;

/** Handlers that take no ports, so the emulation has them without being handed them. */
const BUILT_IN_HANDLERS: Readonly<Record<string, RouteHandler>> = { [OPTIONS_HANDLER]: optionsHandler };

/** The request listener of the local HTTP server. */
export function apiGateway(options: ApiGatewayOptions): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    serve(request, response, options).catch((error: unknown) => {
      options.logger.error('local server could not answer a request', { error: String(error) });
      if (!response.headersSent) send(response, 500, errorBody('INTERNAL', 'internal error'));
      else response.destroy();
    });
  };
}

async function serve(request: IncomingMessage, response: ServerResponse, options: ApiGatewayOptions): Promise<void> {
  const requestId = randomUUID();
  response.setHeader('x-request-id', requestId);
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  const { match, allowed } = matchRoute(method, url.pathname);
  const handler = match && (options.handlers[match.route.handler] ?? BUILT_IN_HANDLERS[match.route.handler]);
  // Slack's routes check Slack's signature, and Slack reaches them through a tunnel under another name.
  if (!(match?.route.slack && handler) && !isExpectedHost(request, options.hostNames ?? LOOPBACK_HOST_NAMES)) {
    return send(response, 421, errorBody('MISDIRECTED_REQUEST', `this server answers only requests for ${expectedHosts(request, options.hostNames ?? LOOPBACK_HOST_NAMES).join(' or ')}`));
  }
  answerChallenge(request, response, options);
  if (match?.route.slack && !handler) {
    return send(response, 404, errorBody('ROUTE_NOT_FOUND', `no route for ${url.pathname}: set SLACK_SIGNING_SECRET to serve Slack's routes`));
  }
  if (!match) {
    if (allowed.length > 0) {
      response.setHeader('allow', allowed.join(', '));
      return send(response, 405, errorBody('METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}; use ${alternatives(allowed)}`));
    }
    // No method of this path is a route: the message names none, so that HEAD answers as GET does.
    return send(response, 404, errorBody('ROUTE_NOT_FOUND', `no route for ${url.pathname}`));
  }
  const event = toApiGatewayEvent(request, url, match.route, match.pathParameters, requestId);
  if (!match.route.public) {
    // API Gateway itself refuses a request without the authorizer's identity source (Authorization).
    if (!request.headers.authorization) {
      response.setHeader('www-authenticate', 'Bearer');
      return send(response, 401, errorBody('UNAUTHORIZED', 'send the token from .data/token (or one from `npm run token -- create`) as "Authorization: Bearer <token>"'));
    }
    const { context } = await options.authorizer(authorizerEvent(event));
    event.requestContext.authorizer = { lambda: context };
    const decision = options.limiter.take('caller' in context ? `token ${context.caller}` : UNAUTHENTICATED_BUCKET);
    if (!decision.allowed) {
      response.setHeader('retry-after', String(decision.retryAfterSeconds));
      return send(response, 429, errorBody('RATE_LIMITED', `too many requests; retry after ${decision.retryAfterSeconds} s`));
    }
  }
  const body = await readBody(request);
  if (body === undefined) return send(response, 413, errorBody('PAYLOAD_TOO_LARGE', `the body is over ${MAX_BODY_BYTES} bytes`));
  if (body.length > 0) {
    // As an HTTP API hands over a form body: base64, the bytes as sent (Slack signs those bytes).
    const encoded = match.route.slack === true;
    event.body = body.toString(encoded ? 'base64' : 'utf8');
    event.isBase64Encoded = encoded;
  }

  if (!handler) throw new Error(`no handler for route ${match.route.handler}`);
  const result = await handler(event, lambdaContext(match.route.handler, requestId));
  const structured = typeof result === 'string' ? { statusCode: 200, body: result } : result;
  for (const [name, value] of Object.entries(structured.headers ?? {})) response.setHeader(name, String(value));
  response.statusCode = structured.statusCode ?? 200;
  if (structured.streamedBody) return sendStreamed(response, structured.streamedBody);
  const answer = structured.body ?? '';
  // Node sends no Content-Length with a HEAD answer unless told: the handler's (the GET's length) is kept.
  if (!response.hasHeader('content-length') && hasBody(response.statusCode)) response.setHeader('content-length', Buffer.byteLength(answer));
  response.end(answer);
}

/**
 * A body written as it is produced (chunked), at the pace the client reads it; a client that goes
 * away ends it. A failure once it has begun can only cut the answer short (apiGateway destroys it).
 */
async function sendStreamed(response: ServerResponse, body: AsyncIterable<string>): Promise<void> {
  try {
    await pipeline(Readable.from(body), response);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  }
}

/** The proof goes on whatever answers the challenge (the CLI asks GET /health, which needs no token). */
function answerChallenge(request: IncomingMessage, response: ServerResponse, options: ApiGatewayOptions): void {
  const challenge = request.headers[CHALLENGE_HEADER];
  if (typeof challenge !== 'string' || !options.proveIdentity) return;
  const proof = options.proveIdentity(challenge);
  if (proof !== undefined) response.setHeader(PROOF_HEADER, proof);
}

/**
 * The server's 'clientError' listener: a request Node could not parse is answered in the API's error
 * shape, as JSON, and the connection closed (Node's own answer is an empty 431 or 400). Headers over
 * Node's maxHeaderSize are 431 HEADERS_TOO_LARGE, a request that took too long 408, anything else 400.
 */
export function answerClientError(error: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): void {
  // As Node's own listener does: nothing to answer on a gone socket, or amid an answer already begun.
  const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', `the request headers are over ${maxHeaderSize / 1024} KB; send fewer or shorter headers`]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request was not received in time']
        : [400, 'BAD_REQUEST', 'the request is not valid HTTP/1.1'];
  // A HEAD is answered as its GET without the body. Its method is read from the bytes Node was
  // parsing, which start with the request line unless the request came in pieces.
  const head = error.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  socket.end(rawErrorAnswer(status, code, message, { withBody: !head }));
}

/**
 * A whole HTTP/1.1 error answer in the API's shape, for a socket no ServerResponse serves (a request
 * Node could not parse, a refused upgrade): the connection closes after it.
 */
export function rawErrorAnswer(status: number, code: string, message: string, options: { headers?: Record<string, string>; withBody?: boolean } = {}): string {
  const body = JSON.stringify(errorBody(code, message));
  const headers = { 'content-type': JSON_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(body)), ...options.headers, connection: 'close' };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n${options.withBody === false ? '' : body}`;
}

/** `POST, GET, HEAD or OPTIONS` */
function alternatives(methods: readonly string[]): string {
  return methods.length > 1 ? `${methods.slice(0, -1).join(', ')} or ${methods.at(-1)}` : (methods[0] ?? '');
}

/** 1xx, 204 and 304 answers have no body, and so no Content-Length. */
function hasBody(statusCode: number): boolean {
  return statusCode >= 200 && statusCode !== 204 && statusCode !== 304;
}

/** `Host` is one of the names with the port this connection came in on (browsers omit `:80`). */
export function isExpectedHost(request: IncomingMessage, names: readonly string[]): boolean {
  const host = request.headers.host?.toLowerCase();
  return host !== undefined && expectedHosts(request, names).includes(host);
}

export function expectedHosts(request: IncomingMessage, names: readonly string[]): string[] {
  const port = request.socket.localPort;
  return names.flatMap((name) => (port === 80 ? [`${name}:80`, name] : [`${name}:${port}`]));
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

/** The body, or undefined when it is larger than the limit. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
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
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.statusCode = statusCode;
  response.setHeader('content-type', JSON_CONTENT_TYPE);
  response.setHeader('content-length', Buffer.byteLength(text));
  response.end(text);
}
