import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { callerOf } from '#lib/http/request.ts';

const withAuthorizer = (authorizer: unknown) => ({ requestContext: { requestId: 'r', authorizer } }) as unknown as APIGatewayProxyEventV2;

describe('callerOf', () => {
  it("names the caller a Lambda authorizer vouched for (and local mode's token)", () => {
    assert.equal(callerOf(withAuthorizer({ lambda: { caller: 'ci' } })), 'ci');
  });

  it('names the signing principal under IAM authorization', () => {
    const userArn = 'arn:aws:sts::123456789012:assumed-role/platform-ops/alice';
    assert.equal(callerOf(withAuthorizer({ iam: { userArn, accountId: '123456789012' } })), userArn);
  });

  it('falls back to anonymous when nothing vouched for the caller', () => {
    assert.equal(callerOf(withAuthorizer(undefined)), 'anonymous');
  });
});
