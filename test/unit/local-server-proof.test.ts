/** The local server's proof that it holds its data directory's key: bound to the key, the challenge and the URL it answers on. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLocalServerProof, localServerProof, newChallenge } from '#lib/domain/local-server-proof.ts';

const KEY = 'ab'.repeat(32);
const URL_ = 'http://127.0.0.1:3000';

describe('localServerProof', () => {
  it('is accepted for the same key, URL (with or without a trailing slash) and challenge', () => {
    const challenge = newChallenge();

    const proof = localServerProof(KEY, URL_, challenge);

    assert.ok(isLocalServerProof(KEY, `${URL_}/`, challenge, proof));
  });

  it('is refused for another key, another challenge, or relayed from a server on another URL', () => {
    const challenge = newChallenge();
    const proof = localServerProof(KEY, URL_, challenge);

    assert.equal(isLocalServerProof('cd'.repeat(32), URL_, challenge, proof), false);
    assert.equal(isLocalServerProof(KEY, URL_, newChallenge(), proof), false);
    assert.equal(isLocalServerProof(KEY, 'http://127.0.0.1:3001', challenge, proof), false);
    assert.equal(isLocalServerProof(KEY, URL_, challenge, null), false);
  });

  it('refuses, without throwing, a proof of the right number of characters but not of bytes', () => {
    const challenge = newChallenge();
    const proof = localServerProof(KEY, URL_, challenge) ?? '';

    // 64 characters, 65 bytes: a byte-length mismatch timingSafeEqual would throw on.
    const forged = `é${proof.slice(1)}`;

    assert.equal(forged.length, proof.length);
    assert.equal(isLocalServerProof(KEY, URL_, challenge, forged), false);
  });

  it('answers no challenge that is not 64 hex digits', () => {
    assert.equal(localServerProof(KEY, URL_, 'short'), undefined);
    assert.equal(localServerProof(KEY, URL_, 'G'.repeat(64)), undefined);
  });
});
