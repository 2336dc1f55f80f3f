/** The request-hash key on AWS: a stage secret, read once per Lambda environment. */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerKey } from '#lib/adapters/aws/secrets-manager-key.ts';

const secretsManager = mockClient(SecretsManagerClient);
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fargate-jobs-dev-request-hash-key-AbCdEf';
const KEY = 'q7Vd0RrXw3k9LmN2pT5sY8bZ1cF4hJ6gQ0eW3uI7oP9aS2dK';

describe('SecretsManagerKey', () => {
  beforeEach(() => {
    secretsManager.reset();
  });

  it('reads the secret once and gives the same key to every later request', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, Name: 'fargate-jobs-dev-request-hash-key', SecretString: KEY, VersionId: 'v1' });
    const key = new SecretsManagerKey({ client: new SecretsManagerClient({ region: 'eu-west-1' }), secretId: SECRET_ARN });

    // Act
    const values = await Promise.all([key.get(), key.get(), key.get()]);

    // Assess
    assert.deepEqual(values, [KEY, KEY, KEY]);
    const calls = secretsManager.commandCalls(GetSecretValueCommand);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.args[0].input.SecretId, SECRET_ARN);
  });

  it('does not keep a failed read: the next request reads the secret again', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }))
      .resolves({ ARN: SECRET_ARN, SecretString: KEY });
    const key = new SecretsManagerKey({ client: new SecretsManagerClient({ region: 'eu-west-1' }), secretId: SECRET_ARN });

    // Act
    await assert.rejects(key.get(), ResourceNotFoundException);
    const value = await key.get();

    // Assess
    assert.equal(value, KEY);
    assert.equal(secretsManager.commandCalls(GetSecretValueCommand).length, 2);
  });

  it('refuses a secret too short to be an HMAC key, naming it', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, SecretString: 'hunter2' });
    const key = new SecretsManagerKey({ client: new SecretsManagerClient({ region: 'eu-west-1' }), secretId: SECRET_ARN });

    // Act / Assess
    await assert.rejects(key.get(), new RegExp(`secret ${SECRET_ARN} must hold a string of at least 32 characters`));
  });
});
