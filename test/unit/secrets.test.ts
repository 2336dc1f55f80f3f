import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restoreSecrets, separateSecrets } from '#lib/domain/secrets.ts';

describe('separateSecrets', () => {
  it('keeps values of names like *TOKEN*, *SECRET*, *PASSWORD*, *KEY* out of what is stored, whatever their case', () => {
    // Act
    const { stored, secrets } = separateSecrets({}, {
      GITHUB_TOKEN: 'ghp_example',
      db_password: 'hunter2',
      AWS_SECRET_ACCESS_KEY: 'wJalr',
      apiKey: 'k-123',
      LOG_LEVEL: 'debug',
    });

    // Assess
    assert.deepEqual(stored, { GITHUB_TOKEN: '***', db_password: '***', AWS_SECRET_ACCESS_KEY: '***', apiKey: '***', LOG_LEVEL: 'debug' });
    assert.deepEqual(secrets, { GITHUB_TOKEN: 'ghp_example', db_password: 'hunter2', AWS_SECRET_ACCESS_KEY: 'wJalr', apiKey: 'k-123' });
  });

  it("uses the profile's own patterns when it has them, matching whole names", () => {
    // Act
    const { stored, secrets } = separateSecrets({ secretEnvPatterns: ['DSN', 'VAULT_*'] }, {
      DSN: 'postgres://u:p@db/app',
      MY_DSN: 'kept',
      VAULT_ROLE: 'deployer',
      API_TOKEN: 'not secret under these patterns',
    });

    // Assess
    assert.deepEqual(stored, { DSN: '***', MY_DSN: 'kept', VAULT_ROLE: '***', API_TOKEN: 'not secret under these patterns' });
    assert.deepEqual(secrets, { DSN: 'postgres://u:p@db/app', VAULT_ROLE: 'deployer' });
  });
});

describe('restoreSecrets', () => {
  it('puts the secret values back where the stored environment holds ***, and only there', () => {
    // Act
    const env = restoreSecrets({ DEPLOY_TOKEN: '***', LOG_LEVEL: 'debug', LITERAL: 'not ***' }, { DEPLOY_TOKEN: 's3cr3t', LOG_LEVEL: 'trace', INJECTED: 'x' });

    // Assess
    assert.deepEqual(env, { DEPLOY_TOKEN: 's3cr3t', LOG_LEVEL: 'debug', LITERAL: 'not ***' });
  });

  it('leaves *** as it is when no value came for it', () => {
    // Act
    const env = restoreSecrets({ DEPLOY_TOKEN: '***' }, {});

    // Assess
    assert.deepEqual(env, { DEPLOY_TOKEN: '***' });
  });

  it('round-trips what separateSecrets split', () => {
    // Prepare
    const original = { GITHUB_TOKEN: 'ghp_example', LOG_LEVEL: 'debug' };

    // Act
    const { stored, secrets } = separateSecrets({}, original);

    // Assess
    assert.deepEqual(restoreSecrets(stored, secrets), original);
  });
});
