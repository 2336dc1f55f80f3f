/**
 * Signing of webhook deliveries, in the same shape as Stripe's: the receiver recomputes the HMAC over
 * `<t>.<raw body>` with the shared secret, and rejects old `t` values to stop replays.
 */
import { createHmac } from 'node:crypto';

export const WEBHOOK_SIGNATURE_HEADER = 'Fargate-Jobs-Signature';
export const WEBHOOK_EVENT_HEADER = 'Fargate-Jobs-Event';
export const WEBHOOK_DELIVERY_HEADER = 'Fargate-Jobs-Delivery';

/** The `Fargate-Jobs-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export function signWebhook(secret: string, rawBody: string, unixSeconds: number): string {
  if (secret === '') {
    throw new Error('the webhook secret must not be empty');
  }
  // A fractional or negative t would be signed as written but fail every receiver's integer parse.
  if (!Number.isSafeInteger(unixSeconds) || unixSeconds < 0) {
    throw new Error(`the signature timestamp must be whole unix seconds, not ${unixSeconds}`);
  }
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}
