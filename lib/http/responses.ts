import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ErrorDetail } from '#lib/domain/errors.ts';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

/** The content type of every JSON answer, the handlers' and the local emulation's own alike. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The answer to a HEAD request: the GET's status and headers, its Content-Length included, and no
 * body (a HEAD route runs the GET's handler). Any other request's answer is returned as it is.
 */
export function answerFor(method: string | undefined, response: HttpResponse): HttpResponse {
  if (method !== 'HEAD') return response;
  return { ...response, headers: { ...response.headers, 'content-length': String(Buffer.byteLength(response.body ?? '')) }, body: '' };
}

/** The error shape of every non-2xx answer: `{ error: { code, message, details? } }`. */
export function errorBody(code: string, message: string, details?: ErrorDetail[], requestId?: string): unknown {
  return {
    error: { code, message, ...(details && details.length > 0 ? { details } : {}), ...(requestId ? { requestId } : {}) },
  };
}
