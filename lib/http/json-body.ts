/**
 * What is checked of a JSON body before it is parsed: that there is one, and that it does not nest
 * deeper than any request of this API needs. Parsing with middy's parser runs a reviver, which
 * recurses once per level: a body of ten thousand `[` would overflow the stack and be answered as
 * "not valid JSON" (or worse) instead of what it is.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ValidationError } from '#lib/domain/errors.ts';
import { header } from './headers.ts';

/** A job request nests two levels (`env`, `labels`, `command`); this leaves room and refuses nothing real. */
export const MAX_JSON_DEPTH = 32;

/** The content types middy's JSON body parser takes (the others it answers 415). */
const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]+\+)?json(;|$)/i;

/** A problem with the body as sent, answered with a code of the HTTP layer (as middy's own errors are). */
export class RequestBodyError extends Error {
  readonly code: 'INVALID_JSON';

  constructor(message: string) {
    super(message);
    this.name = 'RequestBodyError';
    this.code = 'INVALID_JSON';
  }
}

/**
 * Refuses an empty body (`INVALID_JSON`, "a JSON body is required", whatever its content type) and a
 * JSON body nested deeper than MAX_JSON_DEPTH (`VALIDATION_FAILED`); anything else is left to the parser.
 */
export function checkJsonBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded' | 'headers'>): void {
  const text = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text.trim() === '') throw new RequestBodyError('a JSON body is required');
  if (!JSON_CONTENT_TYPE.test(header(event, 'content-type') ?? '')) return;
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    const message = `nested more than ${MAX_JSON_DEPTH} levels deep`;
    throw new ValidationError(`the request body is nested too deeply: at most ${MAX_JSON_DEPTH} levels of arrays and objects`, [
      { path: '(root)', message },
    ]);
  }
}

/** Whether JSON text opens more than `limit` arrays or objects inside each other (brackets in strings do not count). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === BACKSLASH) index += 1;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) {
      inString = true;
    } else if (char === OPEN_BRACKET || char === OPEN_BRACE) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === CLOSE_BRACKET || char === CLOSE_BRACE) {
      depth -= 1;
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
