/** Comparing presented secrets with expected ones (lib/domain/constant-time.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { equalSecrets } from '#lib/domain/constant-time.ts';

describe('equalSecrets', () => {
  it('is true for the same secret, as strings or bytes, and false for any other', () => {
    assert.equal(equalSecrets('s3cret-token', 's3cret-token'), true);
    assert.equal(equalSecrets(Buffer.from('s3cret-token'), 's3cret-token'), true);
    assert.equal(equalSecrets('s3cret-tokeN', 's3cret-token'), false);
    assert.equal(equalSecrets('s3cret', 's3cret-token'), false);
    assert.equal(equalSecrets('', 's3cret-token'), false);
  });

  it('is false, never a throw, for a secret of as many characters but more bytes', () => {
    assert.equal(equalSecrets('é3cret-token', 's3cret-token'), false);
  });
});
