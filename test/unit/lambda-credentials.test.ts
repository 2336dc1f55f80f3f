import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { defaultProvider } from '#lib/adapters/aws/lambda-credentials.ts';

const VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

describe('the credentials provider of the Lambda bundles', () => {
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  });
  afterEach(() => {
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it("hands the SDK the role credentials Lambda puts in the function's environment", async () => {
    // Prepare
    process.env.AWS_ACCESS_KEY_ID = 'ASIAEXAMPLEEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret/example';
    process.env.AWS_SESSION_TOKEN = 'session-token-example';

    // Act
    const credentials = await defaultProvider()();

    // Assess
    assert.equal(credentials.accessKeyId, 'ASIAEXAMPLEEXAMPLE');
    assert.equal(credentials.secretAccessKey, 'secret/example');
    assert.equal(credentials.sessionToken, 'session-token-example');
  });

  it('fails clearly when the environment has no credentials', async () => {
    // Prepare
    for (const name of VARIABLES) delete process.env[name];

    // Act + Assess
    await assert.rejects(defaultProvider()(), /Unable to find environment variable credentials/);
  });
});
