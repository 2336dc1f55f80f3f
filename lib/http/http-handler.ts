/**
 * The middy stack every HTTP handler but /health shares: the caller authenticated first (401 before
 * anything else is looked at), JSON bodies parsed where a route takes one, and every error answered
 * in the `{ error: { code, message } }` shape, its status from the code (error-status.ts). An error
 * that is not the caller's is logged with the request id and answered as a generic 500 that shows
 * nothing internal. A route about one job logs with its id (`withLogKeys`). A HEAD request (the
 * HEAD route beside each GET) gets the GET's answer without its body.
 */
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Caller } from '#lib/domain/caller.ts';
import { FargateJobsError } from '#lib/domain/errors.ts';
import { stderrLogger, type Logger } from '#lib/domain/logger.ts';
import { withLogKeys } from '#lib/logger.ts';
import { authenticatedCaller } from './authorization.ts';
import { httpStatusOf } from './error-status.ts';
import { checkJsonBody, RequestBodyError } from './json-body.ts';
import { answerFor, errorBody, json, type HttpResponse } from './responses.ts';

export type HttpEvent = APIGatewayProxyEventV2;
/** `context` is the Lambda's (locally the emulation's): how much time the invocation has left. */
export type HttpCore = (event: HttpEvent, caller: Caller, context: Context) => Promise<HttpResponse>;

interface HttpHandlerOptions {
  /** Parse the body as JSON (400 for none, 415 for another content type, 400 for malformed or too deeply nested JSON). */
  jsonBody?: boolean;
  logger: Logger;
}

/** Errors raised by middy's own middlewares: a status and a message, no code of ours. */
interface MiddyHttpError extends Error {
  statusCode?: number;
}

const MIDDY_ERRORS: Record<number, { status: number; code: string; message: string }> = {
  415: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the body as application/json' },
  422: { status: 400, code: 'INVALID_JSON', message: 'the body is not valid JSON' },
};

export function httpHandler(core: HttpCore, options: HttpHandlerOptions) {
  // Reading the authorizer's context is cheap and pure: done first to answer 401 before the body is
  // parsed, and again for the core rather than carrying it across in state.
  const handler = middy<HttpEvent, HttpResponse, Error, Context>().handler((event, context) =>
    withJobLogKeys(event, () => core(event, authenticatedCaller(event), context)),
  );
  // First in, so last out: it sees the answer every other middleware made, the error answers included.
  handler.use({
    after: headWithoutBody,
    onError: headWithoutBody,
  });
  handler.use({
    before: (request) => {
      authenticatedCaller(request.event);
    },
  });
  if (options.jsonBody) {
    handler.use({ before: (request) => checkJsonBody(request.event) });
    handler.use(httpJsonBodyParser({ disableContentTypeError: false }));
  }
  handler.use({
    onError: (request) => {
      const { event } = request;
      const context = { requestId: event.requestContext?.requestId, jobId: event.pathParameters?.id, route: event.routeKey };
      request.response = withJobLogKeys(event, () => errorResponse(request.error, context, options.logger));
    },
  });
  return handler;
}

function headWithoutBody(request: { event: HttpEvent; response: HttpResponse | undefined }): void {
  if (request.response) request.response = answerFor(request.event.requestContext?.http?.method, request.response);
}

function withJobLogKeys<T>(event: HttpEvent, work: () => T): T {
  const jobId = event.pathParameters?.id;
  return jobId === undefined ? work() : withLogKeys({ jobId }, work);
}

interface RequestContext {
  requestId: string | undefined;
  jobId: string | undefined;
  route: string | undefined;
}

function errorResponse(error: unknown, context: RequestContext, logger: Logger): HttpResponse {
  const status = httpStatusOf(error);
  if (error instanceof FargateJobsError && status < 500) {
    // RFC 6750: a 401 names the scheme the client should authenticate with.
    const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
    if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
    return json(status, errorBody(error.code, error.message, error.details), headers);
  }
  if (error instanceof RequestBodyError) return json(400, errorBody(error.code, error.message));
  const middyError = MIDDY_ERRORS[(error as MiddyHttpError | undefined)?.statusCode ?? 0];
  if (middyError) return json(middyError.status, errorBody(middyError.code, middyError.message));
  logFailure(logger, context, error);
  return json(500, errorBody('INTERNAL', 'internal error; quote the request id when reporting it', undefined, context.requestId));
}

/** Even when the logger itself fails, the operator gets the detail (on stderr) and the client a clean 500. */
function logFailure(logger: Logger, context: RequestContext, error: unknown): void {
  const detail = {
    ...context,
    error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : error,
  };
  try {
    logger.error('request failed', detail);
  } catch {
    stderrLogger.error('request failed', detail);
  }
}

/**
 * What a request is left to wait with (`wait`), in ms: the invocation's remaining time less what the
 * last look and the answer need, so that a wait never runs into the function's timeout. No cap
 * where the context does not say (a test calling the handler bare).
 */
export function waitTimeLeftMs(context: Partial<Pick<Context, 'getRemainingTimeInMillis'>> | undefined): number | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  return remaining === undefined ? undefined : Math.max(0, remaining - ANSWER_MARGIN_MS);
}

/** Time kept back from a wait for its last look (a log page may take several CloudWatch calls) and the answer. */
export const ANSWER_MARGIN_MS = 3000;

/** The `{id}` of a job route (API Gateway always passes it; an empty one matches no job). */
export function jobIdOf(event: HttpEvent): string {
  return event.pathParameters?.id ?? '';
}
