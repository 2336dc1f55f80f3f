import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ErrorDetail } from '#lib/domain/errors.ts';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** The error shape of every non-2xx answer: `{ error: { code, message, details? } }`. */
export function errorBody(code: string, message: string, details?: ErrorDetail[], requestId?: string): unknown {
  return {
    error: { code, message, ...(details && details.length > 0 ? { details } : {}), ...(requestId ? { requestId } : {}) },
  };
}
