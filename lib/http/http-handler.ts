/**
 * The middy stack every HTTP handler but /health shares: the caller authenticated first (401 before
 * anything else is looked at), JSON bodies parsed where a route takes one, client
 * errors answered in the `{ error: { code, message } }` shape, everything else logged with the
 * request id and answered as a generic 500 that shows nothing internal.
 */
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Caller } from '#lib/domain/caller.ts';
import { ClientError } from '#lib/domain/errors.ts';
import { stderrLogger, type Logger } from '#lib/domain/logger.ts';
import { authenticatedCaller } from './authorization.ts';
import { errorBody, type HttpResponse } from './responses.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpCore = (event: HttpEvent, caller: Caller) => Promise<HttpResponse>;

interface HttpHandlerOptions {
  /** Parse the body as JSON (415 for another content type, 400 for malformed JSON). */
  jsonBody?: boolean;
  logger: () => Promise<Logger>;
}

/** Errors raised by middy's own middlewares: a status and a message, no code of ours. */
interface MiddyHttpError extends Error {
  statusCode?: number;
}

const MIDDY_ERROR_CODES: Record<number, [string, string]> = {
  415: ['UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'],
  422: ['INVALID_JSON', 'the body is not valid JSON'],
};

export function httpHandler(core: HttpCore, options: HttpHandlerOptions) {
  // Reading the authorizer's context is cheap and pure: done first to answer 401 before the body is
  // parsed, and again for the core rather than carrying it across in state.
  const handler = middy<HttpEvent, HttpResponse, Error, Context>().handler((event) => core(event, authenticatedCaller(event)));
  handler.use({
    before: (request) => {
      authenticatedCaller(request.event);
    },
  });
  if (options.jsonBody) handler.use(httpJsonBodyParser({ disableContentTypeError: false }));
  // http-error-handler renders the error that errorShape (which runs first) has put in our shape.
  handler.use(httpErrorHandler({ logger: false }));
  handler.use({
    onError: async (request) => {
      const requestId = request.event.requestContext?.requestId;
      const jobId = request.event.pathParameters?.id;
      // Even when the wiring itself failed, the client gets the error shape, not a crash.
      const logger = await options.logger().catch(() => stderrLogger);
      request.error = toHttpError(request.error, { requestId, jobId, route: request.event.routeKey }, logger);
    },
  });
  return handler;
}

interface RequestContext {
  requestId: string | undefined;
  jobId: string | undefined;
  route: string | undefined;
}

function toHttpError(error: unknown, context: RequestContext, logger: Logger) {
  if (error instanceof ClientError) {
    // RFC 6750: a 401 names the scheme the client should authenticate with.
    const headers = error.statusCode === 401 ? { 'WWW-Authenticate': 'Bearer' } : undefined;
    return exposed(error.statusCode, errorBody(error.code, error.message, error.details), headers);
  }
  const status = (error as MiddyHttpError | undefined)?.statusCode;
  const known = status === undefined ? undefined : MIDDY_ERROR_CODES[status];
  if (status !== undefined && known) {
    return exposed(status === 422 ? 400 : status, errorBody(known[0], known[1]));
  }
  logger.error('request failed', {
    ...context,
    error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : error,
  });
  return exposed(500, errorBody('INTERNAL', 'internal error; quote the request id when reporting it', undefined, context.requestId));
}

function exposed(statusCode: number, body: unknown, headers?: Record<string, string>) {
  return Object.assign(new Error(JSON.stringify(body)), { statusCode, expose: true, ...(headers ? { headers } : {}) });
}
