/**
 * Slack request signing (v0): Slack sends `X-Slack-Request-Timestamp` and `X-Slack-Signature`,
 * `v0=` and the hex HMAC-SHA256, keyed with the app's signing secret, of `v0:{timestamp}:{raw body}`.
 * A request is Slack's only if that signature matches the exact bytes received and the timestamp is
 * recent, which keeps a captured request from being replayed later. Pure: the clock is given.
 */
import { createHmac } from 'node:crypto';
import { equalSecrets } from '#lib/domain/constant-time.ts';

/** How far, in seconds, a request's timestamp may be from now, either way (Slack's own advice). */
export const SLACK_TIMESTAMP_TOLERANCE_SECONDS = 300;

export interface SlackSignatureInput {
  signingSecret: string;
  /** The `X-Slack-Request-Timestamp` header. */
  timestamp: string | undefined;
  /** The `X-Slack-Signature` header. */
  signature: string | undefined;
  /** The body exactly as received: re-encoding a parsed body would change the bytes signed. */
  rawBody: string | Buffer;
  now: Date;
}

export type SlackSignatureCheck = { valid: true } | { valid: false; reason: string };

/** Unix seconds, digits only: `Number()` alone would take `1e9`, ` 12 ` or `0x10`. */
const UNIX_SECONDS = /^\d{1,15}$/;

/** The `X-Slack-Signature` value Slack would send for this body at this timestamp. */
export function signSlackRequest(signingSecret: string, timestamp: string, rawBody: string | Buffer): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  // A Buffer is hashed as it is, so bytes that are not valid UTF-8 are not replaced before hashing.
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/** Whether a request comes from Slack, and if not, why not (for the log; the caller says only 401). */
export function verifySlackSignature(input: SlackSignatureInput): SlackSignatureCheck {
  const { signingSecret, timestamp, signature, rawBody, now } = input;
  // An empty key is a key anyone can sign with: a deployment without the secret must refuse everything.
  if (signingSecret === '') return refused('no Slack signing secret is configured');
  if (signature === undefined || signature === '') return refused('missing X-Slack-Signature header');
  if (timestamp === undefined || timestamp === '') return refused('missing X-Slack-Request-Timestamp header');
  if (!UNIX_SECONDS.test(timestamp)) return refused('X-Slack-Request-Timestamp is not a whole number of unix seconds');

  const distance = Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp));
  if (distance > SLACK_TIMESTAMP_TOLERANCE_SECONDS) return refused(`timestamp is ${distance} s away from now`);

  if (!equalSecrets(signature, signSlackRequest(signingSecret, timestamp, rawBody))) return refused('signature does not match');
  return { valid: true };
}

/**
 * The body's bytes as the client sent them. API Gateway's HTTP API hands a body it does not take for
 * text to Lambda base64-encoded; the signature covers the decoded bytes, not the base64.
 */
export function decodeRequestBody(body: string | undefined, isBase64Encoded: boolean | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

function refused(reason: string): SlackSignatureCheck {
  return { valid: false, reason };
}
