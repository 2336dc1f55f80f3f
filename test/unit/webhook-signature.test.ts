import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, it } from 'node:test';
import { signWebhook, WEBHOOK_DELIVERY_HEADER, WEBHOOK_EVENT_HEADER, WEBHOOK_SIGNATURE_HEADER } from '#lib/notify/webhook-signature.ts';

/**
 * What a receiver would write from the documentation alone: parse `t` and `v1`, recompute the HMAC
 * over `<t>.<raw body>`, compare in constant time and reject stale timestamps.
 */
function receiverAccepts(header: string, secret: string, rawBody: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const fields = new Map(header.split(',').map((field) => {
    const separator = field.indexOf('=');
    return [field.slice(0, separator), field.slice(separator + 1)] as const;
  }));
  const timestamp = fields.get('t');
  const signature = fields.get('v1');
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp) || !/^[0-9a-f]{64}$/.test(signature)) {
    return false;
  }
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) {
    return false;
  }
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

describe('signWebhook', () => {
  const secret = 'whsec_test';
  const rawBody = '{"jobId":"job-1","status":"SUCCEEDED"}';

  it('produces t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">', () => {
    // Act
    const header = signWebhook(secret, rawBody, 1_700_000_000);

    // Assess: the digest was computed independently with `openssl dgst -sha256 -hmac whsec_test`.
    assert.equal(header, 't=1700000000,v1=b9b0e25b9ca5b943a01962d248411ace323bf284a529134b0e1d558c13638aac');
  });

  it('is accepted by an independent receiver holding the same secret', () => {
    // Act
    const header = signWebhook(secret, rawBody, 1_700_000_000);

    // Assess
    assert.equal(receiverAccepts(header, secret, rawBody, 1_700_000_010), true);
  });

  it('is rejected when the body, the secret or the timestamp was changed', () => {
    // Prepare
    const header = signWebhook(secret, rawBody, 1_700_000_000);
    const replayedLater = header.replace('t=1700000000', 't=1700000100');

    // Act
    const verdicts = [
      receiverAccepts(header, secret, rawBody.replace('SUCCEEDED', 'FAILED'), 1_700_000_010),
      receiverAccepts(header, 'whsec_other', rawBody, 1_700_000_010),
      receiverAccepts(replayedLater, secret, rawBody, 1_700_000_100),
      receiverAccepts(header, secret, rawBody, 1_700_000_000 + 301),
    ];

    // Assess
    assert.deepEqual(verdicts, [false, false, false, false]);
  });

  it('signs the body as UTF-8 bytes, so non-ASCII payloads verify', () => {
    // Prepare
    const unicodeBody = '{"note":"déjà vu ✓"}';

    // Act
    const header = signWebhook(secret, unicodeBody, 1_700_000_000);

    // Assess
    assert.equal(receiverAccepts(header, secret, unicodeBody, 1_700_000_000), true);
  });

  it('refuses an empty secret and a timestamp that is not whole unix seconds', () => {
    // Act & Assess
    assert.throws(() => signWebhook('', rawBody, 1_700_000_000), { message: 'the webhook secret must not be empty' });
    assert.throws(() => signWebhook(secret, rawBody, 1_700_000_000.5), { message: 'the signature timestamp must be whole unix seconds, not 1700000000.5' });
    assert.throws(() => signWebhook(secret, rawBody, -1), { message: 'the signature timestamp must be whole unix seconds, not -1' });
  });
});

describe('webhook header names', () => {
  it('are the names receivers are told to read', () => {
    // Assess
    assert.deepEqual([WEBHOOK_SIGNATURE_HEADER, WEBHOOK_EVENT_HEADER, WEBHOOK_DELIVERY_HEADER], ['Fargate-Jobs-Signature', 'Fargate-Jobs-Event', 'Fargate-Jobs-Delivery']);
  });
});
