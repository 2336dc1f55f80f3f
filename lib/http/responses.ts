import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ErrorDetail } from '#lib/domain/errors.ts';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string>; streamedBody?: AsyncIterable<string> };

/**
 * An answer whose body is written as it is produced (`streamedBody`, for local mode's server, which
 * pipes it): a job's whole log, downloaded locally. API Gateway takes no such answer, and on AWS a
 * download is a redirect to the archive (lib/domain/log-download.ts).
 */
export function streamed(statusCode: number, body: AsyncIterable<string>, headers: Record<string, string>): HttpResponse {
  return { statusCode, headers, streamedBody: body };
}

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
  // A streamed body's length is known only once it is written: its HEAD says none.
  if (response.streamedBody) return { statusCode: response.statusCode, headers: response.headers, body: '' };
  return { ...response, headers: { ...response.headers, 'content-length': String(Buffer.byteLength(response.body ?? '')) }, body: '' };
}

/** The error shape of every non-2xx answer: `{ error: { code, message, details? } }`. */
export function errorBody(code: string, message: string, details?: ErrorDetail[], requestId?: string): unknown {
  return {
    error: { code, message, ...(details && details.length > 0 ? { details } : {}), ...(requestId ? { requestId } : {}) },
  };
}
