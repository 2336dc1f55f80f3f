/**
 * How the CLI hands an ECS Exec session to session-manager-plugin: as the AWS CLI does, six
 * arguments, the session in AWS_SSM_START_SESSION_RESPONSE for plugins after 1.2.497.0 (so that its
 * token stays out of `ps`), in argv for older ones or one whose version cannot be read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEcsTask } from '#cli/exec-session.ts';
import { ExitError } from '#cli/exit-codes.ts';
import { compareVersions, ecsEndpoint, pluginInvocation, SESSION_ENV_NAME, takesSessionFromEnv, type EcsExecSession } from '#cli/session-manager-plugin.ts';

const SESSION: EcsExecSession = {
  sessionId: 'ecs-execute-command-0a1b2c3d4e5f60718',
  streamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/ecs-execute-command-0a1b2c3d4e5f60718?role=publish_subscribe',
  tokenValue: 'AAEAAVf7tokenSECRET',
  target: 'ecs:fargate-jobs-prod_0123456789abcdef0123456789abcdef_0123456789abcdef0123456789abcdef-1234567890',
  region: 'eu-west-1',
};
const SESSION_JSON = JSON.stringify({ sessionId: SESSION.sessionId, streamUrl: SESSION.streamUrl, tokenValue: SESSION.tokenValue });

describe('compareVersions', () => {
  it('compares dotted numbers part by part, as numbers, padding the shorter with zeros', () => {
    assert.ok(compareVersions('1.2.707.0', '1.2.497.0') > 0);
    assert.ok(compareVersions('1.2.497.0', '1.2.497') === 0);
    assert.ok(compareVersions('1.10', '1.9.9.9') > 0, 'numerically, not as text');
    assert.ok(compareVersions('1.2.497.0', '1.2.497.1') < 0);
    assert.ok(compareVersions('2', '1.2.497.0') > 0);
  });
});

describe('takesSessionFromEnv', () => {
  it('is true for versions strictly after 1.2.497.0, whitespace around them ignored', () => {
    for (const output of ['1.2.707.0\n', '1.2.498.0', ' 1.2.497.1 \n', '1.3', '2']) assert.equal(takesSessionFromEnv(output), true, output);
  });

  it('is false for 1.2.497.0 and older, and for anything that is not a version', () => {
    for (const output of ['1.2.497.0\n', '1.2.497', '1.2.312.0', '', 'session-manager-plugin 1.2.707.0', '1.2.707.0.1', 'v1.2.707.0', '1.2.x']) {
      assert.equal(takesSessionFromEnv(output), false, JSON.stringify(output));
    }
  });
});

describe('ecsEndpoint', () => {
  it("is the region's ECS endpoint, .com.cn in China", () => {
    assert.equal(ecsEndpoint('eu-west-1'), 'https://ecs.eu-west-1.amazonaws.com');
    assert.equal(ecsEndpoint('us-gov-west-1'), 'https://ecs.us-gov-west-1.amazonaws.com');
    assert.equal(ecsEndpoint('cn-north-1'), 'https://ecs.cn-north-1.amazonaws.com.cn');
  });
});

describe('pluginInvocation', () => {
  it('gives a plugin after 1.2.497.0 the variable name as the first argument and the session in the variable', () => {
    // Act
    const invocation = pluginInvocation(SESSION, '1.2.707.0\n', { PATH: '/usr/bin', HOME: '/home/me' });

    // Assess
    assert.deepEqual(invocation.args, [
      SESSION_ENV_NAME,
      'eu-west-1',
      'StartSession',
      '',
      JSON.stringify({ Target: SESSION.target }),
      'https://ecs.eu-west-1.amazonaws.com',
    ]);
    assert.equal(invocation.env[SESSION_ENV_NAME], SESSION_JSON);
    assert.equal(invocation.env.PATH, '/usr/bin', 'the rest of the environment is passed on');
    assert.ok(!invocation.args.some((arg) => arg.includes(SESSION.tokenValue)), 'the token is in no argument');
  });

  it('gives 1.2.497.0 and older the session JSON as the first argument, as the AWS CLI does', () => {
    // Act
    const invocation = pluginInvocation(SESSION, '1.2.497.0\n', { PATH: '/usr/bin' });

    // Assess
    assert.equal(invocation.args[0], SESSION_JSON);
    assert.deepEqual(invocation.args.slice(1), ['eu-west-1', 'StartSession', '', JSON.stringify({ Target: SESSION.target }), 'https://ecs.eu-west-1.amazonaws.com']);
    assert.equal(invocation.env[SESSION_ENV_NAME], undefined);
  });

  it('refuses a region that is not an AWS region name: it would become the endpoint the plugin calls with your credentials', () => {
    for (const region of ['evil.example/', 'eu-west-1.evil.example', '', 'EU-WEST-1']) {
      assert.throws(() => pluginInvocation({ ...SESSION, region }, '1.2.707.0', {}), (error: unknown) => error instanceof ExitError && /not an AWS region name/.test(error.message), region);
    }
  });
});

describe('isEcsTask', () => {
  it("tells an ECS task's ARN (which needs the plugin) from a local process's", () => {
    assert.equal(isEcsTask('arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs-prod/0123456789abcdef0123456789abcdef'), true);
    assert.equal(isEcsTask('arn:aws-cn:ecs:cn-north-1:123456789012:task/c/0123'), true);
    assert.equal(isEcsTask('arn:local:ecs:local:000000000000:task/local/job-01'), false);
    assert.equal(isEcsTask(undefined), false);
  });
});
