import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError } from '#lib/domain/errors.ts';
import { connectHint, isCommandAllowed, resolveJobRequest, type JobRequest, type Profile } from '#lib/domain/profile.ts';

/** A restrictive profile like one a platform team would configure for CI builds. */
function buildProfile(overrides: Partial<Profile> = {}): Profile {
  return {
    name: 'build',
    description: 'Runs the vetted build and deploy-check commands.',
    commands: [{ prefix: ['npm', 'run'] }, { patterns: ['deploy-check', 'staging|production'] }],
    shell: false,
    envNames: ['LOG_LEVEL', 'BRANCH'],
    timeoutSeconds: { default: 900, max: 3600 },
    publicIp: 'never',
    ...overrides,
  };
}

function aRequest(overrides: Partial<JobRequest> = {}): JobRequest {
  return { command: ['npm', 'run', 'build'], env: {}, ...overrides };
}

/** Asserts `act` throws a client error a user would read: status, stable code and message. */
function assertRejected(act: () => unknown, expected: { statusCode: number; code: string; message: string | RegExp }): void {
  assert.throws(act, (error: unknown) => {
    assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
    assert.equal(error.statusCode, expected.statusCode);
    assert.equal(error.code, expected.code);
    if (typeof expected.message === 'string') assert.equal(error.message, expected.message);
    else assert.match(error.message, expected.message);
    return true;
  });
}

describe('resolveJobRequest', () => {
  describe('prefix rules', () => {
    it('allows a command that starts with the prefix and passes the argv through unchanged', () => {
      // Prepare
      const request = aRequest({ command: ['npm', 'run', 'test', '--', '--coverage'] });

      // Act
      const resolved = resolveJobRequest(buildProfile(), request);

      // Assess
      assert.deepEqual(resolved.command, ['npm', 'run', 'test', '--', '--coverage']);
    });

    it('allows the prefix alone with no further arguments', () => {
      // Act
      const resolved = resolveJobRequest(buildProfile(), aRequest({ command: ['npm', 'run'] }));

      // Assess
      assert.deepEqual(resolved.command, ['npm', 'run']);
    });

    it('refuses a command shorter than the prefix', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(buildProfile(), aRequest({ command: ['npm'] })), {
        statusCode: 400,
        code: 'COMMAND_NOT_ALLOWED',
        message: "profile 'build' does not allow command 'npm' with these arguments",
      });
    });

    it('refuses a command whose arguments differ from the prefix', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(buildProfile(), aRequest({ command: ['npm', 'install', 'left-pad'] })), {
        statusCode: 400,
        code: 'COMMAND_NOT_ALLOWED',
        message: "profile 'build' does not allow command 'npm' with these arguments",
      });
    });

    it('refuses a command the profile does not list, naming the profile and the command', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(buildProfile(), aRequest({ command: ['rm', '-rf', '/'] })), {
        statusCode: 400,
        code: 'COMMAND_NOT_ALLOWED',
        message: "profile 'build' does not allow command 'rm' with these arguments",
      });
    });

    it('compares prefix elements exactly, not as substrings', () => {
      // Act
      const allowed = isCommandAllowed(buildProfile(), ['npm', 'running']);

      // Assess
      assert.equal(allowed, false);
    });
  });

  describe('pattern rules', () => {
    it('allows argv where every element matches its pattern', () => {
      // Act
      const resolved = resolveJobRequest(buildProfile(), aRequest({ command: ['deploy-check', 'production'] }));

      // Assess
      assert.deepEqual(resolved.command, ['deploy-check', 'production']);
    });

    it('anchors each pattern so that a longer string like stagingX does not match', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(buildProfile(), aRequest({ command: ['deploy-check', 'stagingX'] })), {
        statusCode: 400,
        code: 'COMMAND_NOT_ALLOWED',
        message: "profile 'build' does not allow command 'deploy-check' with these arguments",
      });
    });

    it('anchors both sides of an alternation, so neither xproduction nor staging-2 matches', () => {
      // Prepare
      const profile = buildProfile();

      // Act
      const verdicts = [
        isCommandAllowed(profile, ['deploy-check', 'xproduction']),
        isCommandAllowed(profile, ['deploy-check', 'staging-2']),
        isCommandAllowed(profile, ['my-deploy-check', 'staging']),
        isCommandAllowed(profile, ['deploy-check', 'staging']),
      ];

      // Assess
      assert.deepEqual(verdicts, [false, false, false, true]);
    });

    it('refuses argv with more or fewer elements than there are patterns', () => {
      // Prepare
      const profile = buildProfile();

      // Act
      const tooMany = isCommandAllowed(profile, ['deploy-check', 'staging', '--force']);
      const tooFew = isCommandAllowed(profile, ['deploy-check']);

      // Assess
      assert.equal(tooMany, false);
      assert.equal(tooFew, false);
    });

    it('matches each pattern against its own element only', () => {
      // Prepare
      const profile = buildProfile({ commands: [{ patterns: ['psql', '-c', 'SELECT [a-z_]+ FROM reports'] }] });

      // Act
      const allowed = isCommandAllowed(profile, ['psql', '-c', 'SELECT total FROM reports']);
      const injected = isCommandAllowed(profile, ['psql', '-c', 'SELECT total FROM reports; DROP TABLE reports']);

      // Assess
      assert.equal(allowed, true);
      assert.equal(injected, false);
    });
  });

  describe('commands given as a shell string', () => {
    it('runs a string through /bin/sh -c where the profile allows a shell', () => {
      // Prepare
      const profile = buildProfile({ name: 'default', commands: 'any', shell: true });

      // Act
      const resolved = resolveJobRequest(profile, aRequest({ command: 'make build && make test' }));

      // Assess
      assert.deepEqual(resolved.command, ['/bin/sh', '-c', 'make build && make test']);
    });

    it('refuses a string with a 400 naming the profile where the profile takes argv only', () => {
      // Act + Assess
      assert.throws(
        () => resolveJobRequest(buildProfile(), aRequest({ command: 'npm run build' })),
        (error: unknown) => {
          assert.ok(error instanceof ClientError);
          assert.equal(error.statusCode, 400);
          assert.equal(error.code, 'VALIDATION_FAILED');
          assert.equal(error.message, "profile 'build' takes the command as an array of arguments, not a shell string");
          assert.deepEqual(error.details, [{ path: 'command', message: 'expected an array of strings' }]);
          return true;
        },
      );
    });

    it('still applies the command rules to the shell form', () => {
      // Prepare
      const profile = buildProfile({ shell: true });

      // Act + Assess
      assertRejected(() => resolveJobRequest(profile, aRequest({ command: 'npm run build' })), {
        statusCode: 400,
        code: 'COMMAND_NOT_ALLOWED',
        message: /^profile 'build' does not allow command/,
      });
    });

    it('allows a shell string when a rule allows the /bin/sh -c form', () => {
      // Prepare
      const profile = buildProfile({ shell: true, commands: [{ prefix: ['/bin/sh', '-c'] }] });

      // Act
      const resolved = resolveJobRequest(profile, aRequest({ command: 'echo hi' }));

      // Assess
      assert.deepEqual(resolved.command, ['/bin/sh', '-c', 'echo hi']);
    });
  });

  describe('environment', () => {
    it('passes allowed variables through', () => {
      // Prepare
      const env = { LOG_LEVEL: 'debug', BRANCH: 'main' };

      // Act
      const resolved = resolveJobRequest(buildProfile(), aRequest({ env }));

      // Assess
      assert.deepEqual(resolved.env, { LOG_LEVEL: 'debug', BRANCH: 'main' });
    });

    it('refuses a variable the profile does not list, naming it', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(buildProfile(), aRequest({ env: { LOG_LEVEL: 'info', AWS_SECRET_ACCESS_KEY: 'x' } })), {
        statusCode: 400,
        code: 'ENV_NOT_ALLOWED',
        message: "profile 'build' does not allow environment variable 'AWS_SECRET_ACCESS_KEY'",
      });
    });

    it('compares variable names exactly, case included', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(buildProfile(), aRequest({ env: { log_level: 'debug' } })), {
        statusCode: 400,
        code: 'ENV_NOT_ALLOWED',
        message: "profile 'build' does not allow environment variable 'log_level'",
      });
    });

    it('allows any variable where the profile says any', () => {
      // Prepare
      const profile = buildProfile({ envNames: 'any' });

      // Act
      const resolved = resolveJobRequest(profile, aRequest({ env: { ANYTHING: '1' } }));

      // Assess
      assert.deepEqual(resolved.env, { ANYTHING: '1' });
    });
  });

  describe('timeoutSeconds', () => {
    it("uses the profile's default when the request gives none", () => {
      // Act
      const resolved = resolveJobRequest(buildProfile(), aRequest());

      // Assess
      assert.equal(resolved.timeoutSeconds, 900);
    });

    it('keeps a requested timeout up to and including the maximum', () => {
      // Act
      const shorter = resolveJobRequest(buildProfile(), aRequest({ timeoutSeconds: 30 }));
      const atMax = resolveJobRequest(buildProfile(), aRequest({ timeoutSeconds: 3600 }));

      // Assess
      assert.equal(shorter.timeoutSeconds, 30);
      assert.equal(atMax.timeoutSeconds, 3600);
    });

    it('refuses a timeout over the maximum, saying what the maximum is', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(buildProfile(), aRequest({ timeoutSeconds: 3601 })), {
        statusCode: 400,
        code: 'TIMEOUT_TOO_LONG',
        message: "timeoutSeconds 3601 is over profile 'build' maximum of 3600",
      });
    });
  });

  describe('publicIp', () => {
    it('gives no public IP by default', () => {
      // Act
      const never = resolveJobRequest(buildProfile({ publicIp: 'never' }), aRequest());
      const optional = resolveJobRequest(buildProfile({ publicIp: 'optional' }), aRequest());

      // Assess
      assert.equal(never.publicIp, false);
      assert.equal(optional.publicIp, false);
    });

    it('gives a public IP on request where the profile makes it optional', () => {
      // Act
      const resolved = resolveJobRequest(buildProfile({ publicIp: 'optional' }), aRequest({ publicIp: true }));

      // Assess
      assert.equal(resolved.publicIp, true);
    });

    it('refuses a public IP where the profile never gives one', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(buildProfile({ publicIp: 'never' }), aRequest({ publicIp: true })), {
        statusCode: 400,
        code: 'PUBLIC_IP_NOT_ALLOWED',
        message: "profile 'build' does not allow a public IP",
      });
    });

    it('accepts an explicit false where the profile never gives one', () => {
      // Act
      const resolved = resolveJobRequest(buildProfile({ publicIp: 'never' }), aRequest({ publicIp: false }));

      // Assess
      assert.equal(resolved.publicIp, false);
    });

    it('always gives a public IP where the profile says always', () => {
      // Prepare
      const profile = buildProfile({ name: 'ssh', publicIp: 'always' });

      // Act
      const unrequested = resolveJobRequest(profile, aRequest());
      const requested = resolveJobRequest(profile, aRequest({ publicIp: true }));

      // Assess
      assert.equal(unrequested.publicIp, true);
      assert.equal(requested.publicIp, true);
    });
  });

  it("runs any argv under a profile whose commands are 'any'", () => {
    // Prepare
    const profile = buildProfile({ name: 'default', commands: 'any' });

    // Act
    const resolved = resolveJobRequest(profile, aRequest({ command: ['rm', '-rf', 'build'] }));

    // Assess
    assert.deepEqual(resolved.command, ['rm', '-rf', 'build']);
  });
});

describe('interactive profiles', () => {
  const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMqIRx2rNwvZyYz3x9PmAqJ4m2s2yqfXh9p3Q5yO7c1l alice@laptop';
  const sshProfile = buildProfile({
    name: 'ssh',
    commands: [{ patterns: ['sleep', '[1-9][0-9]{0,4}'] }],
    envNames: [],
    publicIp: 'always',
    interactive: { port: 2222, user: 'jobs', publicKeyEnv: 'PUBLIC_KEY' },
  });

  it("puts the caller's public key in the variable the profile's image reads", () => {
    // Act
    const resolved = resolveJobRequest(sshProfile, aRequest({ command: ['sleep', '3600'], sshPublicKey: KEY }));

    // Assess
    assert.deepEqual(resolved.env, { PUBLIC_KEY: KEY });
    assert.equal(resolved.publicIp, true);
  });

  it('refuses a public key for a profile that is not interactive', () => {
    assertRejected(() => resolveJobRequest(buildProfile(), aRequest({ sshPublicKey: KEY })), {
      statusCode: 400,
      code: 'NOT_INTERACTIVE',
      message: "profile 'build' does not take an sshPublicKey",
    });
  });

  it('names port, user and address in the connect hint, and gives none for other profiles', () => {
    assert.deepEqual(connectHint(sshProfile, '203.0.113.7'), { ssh: 'ssh -p 2222 jobs@203.0.113.7' });
    assert.equal(connectHint(buildProfile(), '203.0.113.7'), undefined);
  });
});
