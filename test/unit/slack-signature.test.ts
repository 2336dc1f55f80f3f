import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRequestBody, signSlackRequest, verifySlackSignature } from '#lib/slack/signature.ts';

// Slack's documented example ("Verifying requests from Slack"); the signature was checked with node:crypto.
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA' +
  '&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554' +
  '%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const SENT_AT = new Date(Number(TIMESTAMP) * 1000);

function secondsAfterSending(seconds: number): Date {
  return new Date(SENT_AT.getTime() + seconds * 1000);
}

describe('signSlackRequest', () => {
  it("gives the signature of Slack's documented example", () => {
    // Act
    const signature = signSlackRequest(SIGNING_SECRET, TIMESTAMP, BODY);

    // Assess
    assert.equal(signature, SIGNATURE);
  });
});

describe('verifySlackSignature', () => {
  const request = { signingSecret: SIGNING_SECRET, timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: BODY, now: secondsAfterSending(2) };

  it('accepts a request signed as Slack documents it', () => {
    // Act
    const check = verifySlackSignature(request);

    // Assess
    assert.deepEqual(check, { valid: true });
  });

  it('refuses a signature that differs in one digit', () => {
    // Prepare
    const tampered = `${SIGNATURE.slice(0, -1)}4`;

    // Act
    const check = verifySlackSignature({ ...request, signature: tampered });

    // Assess
    assert.deepEqual(check, { valid: false, reason: 'signature does not match' });
  });

  it('refuses a body changed after signing', () => {
    // Act
    const check = verifySlackSignature({ ...request, rawBody: BODY.replace('text=', 'text=rm') });

    // Assess
    assert.deepEqual(check, { valid: false, reason: 'signature does not match' });
  });

  it('refuses a request signed with another secret', () => {
    // Act
    const check = verifySlackSignature({ ...request, signingSecret: 'another-secret' });

    // Assess
    assert.deepEqual(check, { valid: false, reason: 'signature does not match' });
  });

  it('refuses a signature of another length without throwing', () => {
    // Act
    const check = verifySlackSignature({ ...request, signature: 'v0=abc' });

    // Assess
    assert.deepEqual(check, { valid: false, reason: 'signature does not match' });
  });

  it('accepts a timestamp exactly 300 s old or 300 s ahead', () => {
    // Act
    const old = verifySlackSignature({ ...request, now: secondsAfterSending(300) });
    const ahead = verifySlackSignature({ ...request, now: secondsAfterSending(-300) });

    // Assess
    assert.deepEqual(old, { valid: true });
    assert.deepEqual(ahead, { valid: true });
  });

  it('refuses a timestamp 301 s old, as a replay could be', () => {
    // Act
    const check = verifySlackSignature({ ...request, now: secondsAfterSending(301) });

    // Assess
    assert.deepEqual(check, { valid: false, reason: 'timestamp is 301 s away from now' });
  });

  it('refuses a timestamp 301 s in the future', () => {
    // Act
    const check = verifySlackSignature({ ...request, now: secondsAfterSending(-301) });

    // Assess
    assert.deepEqual(check, { valid: false, reason: 'timestamp is 301 s away from now' });
  });

  it('refuses a request without a signature or without a timestamp', () => {
    // Act
    const unsigned = verifySlackSignature({ ...request, signature: undefined });
    const undated = verifySlackSignature({ ...request, timestamp: undefined });
    const blank = verifySlackSignature({ ...request, signature: '' });

    // Assess
    assert.deepEqual(unsigned, { valid: false, reason: 'missing X-Slack-Signature header' });
    assert.deepEqual(undated, { valid: false, reason: 'missing X-Slack-Request-Timestamp header' });
    assert.deepEqual(blank, { valid: false, reason: 'missing X-Slack-Signature header' });
  });

  it('refuses a timestamp that is not a whole number of seconds, even one signed as such', () => {
    // Prepare: signed correctly, so only the timestamp check can refuse them.
    const timestamps = ['1531420618.5', '1.531420618e9', ' 1531420618', 'soon'];

    // Act
    const checks = timestamps.map((timestamp) =>
      verifySlackSignature({ ...request, timestamp, signature: signSlackRequest(SIGNING_SECRET, timestamp, BODY) }),
    );

    // Assess
    for (const check of checks) assert.deepEqual(check, { valid: false, reason: 'X-Slack-Request-Timestamp is not a whole number of unix seconds' });
  });

  it('refuses everything when no signing secret is configured, even a request signed with the empty secret', () => {
    // Prepare
    const signature = signSlackRequest('', TIMESTAMP, BODY);

    // Act
    const check = verifySlackSignature({ ...request, signingSecret: '', signature });

    // Assess
    assert.equal(check.valid, false);
  });

  it('verifies a body the HTTP API delivered base64-encoded, over the bytes Slack sent', () => {
    // Prepare: "é" and a byte that is not UTF-8, which a round trip through a string would change.
    const sent = Buffer.concat([Buffer.from('text=caf\u00e9&x='), Buffer.from([0xff, 0xfe])]);
    const signature = signSlackRequest(SIGNING_SECRET, TIMESTAMP, sent);

    // Act
    const rawBody = decodeRequestBody(sent.toString('base64'), true);
    const check = verifySlackSignature({ ...request, signature, rawBody });

    // Assess
    assert.deepEqual(rawBody, sent);
    assert.deepEqual(check, { valid: true });
    assert.equal(verifySlackSignature({ ...request, signature, rawBody: rawBody.toString('utf8') }).valid, false);
  });
});

describe('decodeRequestBody', () => {
  it('takes a body that is not base64-encoded as UTF-8 text, and a missing one as empty', () => {
    // Act
    const text = decodeRequestBody('text=caf\u00e9', false);
    const missing = decodeRequestBody(undefined, true);

    // Assess
    assert.deepEqual(text, Buffer.from('text=caf\u00e9', 'utf8'));
    assert.equal(missing.length, 0);
  });

  it("gives the same bytes for Slack's example whether or not it came base64-encoded", () => {
    // Act
    const encoded = decodeRequestBody(Buffer.from(BODY).toString('base64'), true);

    // Assess
    assert.equal(verifySlackSignature({ signingSecret: SIGNING_SECRET, timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: encoded, now: SENT_AT }).valid, true);
  });
});
