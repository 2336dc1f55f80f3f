import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FargateJobsError } from '#lib/domain/errors.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';
import { connectHint, isCommandAllowed, resolveJobRequest, type JobRequest, type Profile } from '#lib/domain/profile.ts';
import { OVERRIDES_CONTAINER_NAME_ALLOWANCE } from '#lib/domain/task-limits.ts';
import { awsProfiles, localProfiles } from '#config/profiles.ts';
import { checkCapacitySettings, STOP_TIMEOUT_SECONDS } from '#lib/domain/capacity.ts';

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
    assert.ok(error instanceof FargateJobsError, `expected a FargateJobsError, got ${String(error)}`);
    assert.equal(httpStatusOf(error), expected.statusCode);
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
          assert.ok(error instanceof FargateJobsError);
          assert.equal(httpStatusOf(error), 400);
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
    assert.deepEqual(connectHint(sshProfile, '203.0.113.7'), { port: 2222, user: 'jobs', host: '203.0.113.7', ssh: 'ssh -p 2222 jobs@203.0.113.7' });
    assert.deepEqual(connectHint(sshProfile), { port: 2222, user: 'jobs' }, 'before the job has an address: that it has ssh access, and where');
    assert.equal(connectHint(buildProfile(), '203.0.113.7'), undefined);
    assert.equal(connectHint(buildProfile()), undefined);
  });
});

describe('task size and ECS limits', () => {
  /** A profile with a default size and maxima, like the shipped AWS `default` profile. */
  const sizedProfile = (taskSize: Profile['taskSize'] = { cpu: 256, memory: 512, maxCpu: 4096, maxMemory: 16_384 }) =>
    buildProfile({ name: 'sized', commands: 'any', envNames: 'any', taskSize });

  /** The length of RunTask's `overrides` JSON as ECS counts it, measured with a 64-character container name. */
  function ecsOverridesLength(command: string[], env: Record<string, string>, size: { cpu?: number; memory?: number } = {}): number {
    return JSON.stringify({
      containerOverrides: [{ name: 'c'.repeat(64), command, environment: Object.entries(env).map(([name, value]) => ({ name, value })) }],
      ...(size.cpu === undefined ? {} : { cpu: String(size.cpu) }),
      ...(size.memory === undefined ? {} : { memory: String(size.memory) }),
    }).length;
  }

  describe('Fargate sizes', () => {
    // The first and last memory size of each CPU size, and one between where the step is not 1024.
    const valid: Array<[number, number]> = [
      [256, 512], [256, 1024], [256, 2048],
      [512, 1024], [512, 4096],
      [1024, 2048], [1024, 8192],
      [2048, 4096], [2048, 16_384],
      [4096, 8192], [4096, 30_720],
      [8192, 16_384], [8192, 20_480], [8192, 61_440],
      [16_384, 32_768], [16_384, 40_960], [16_384, 122_880],
    ];
    for (const [cpu, memory] of valid) {
      it(`accepts cpu ${cpu} with memory ${memory} and runs the job with that size`, () => {
        // Act
        const resolved = resolveJobRequest(buildProfile(), aRequest({ cpu, memory }));

        // Assess
        assert.equal(resolved.cpu, cpu);
        assert.equal(resolved.memory, memory);
      });
    }

    // Just below, just above or between the steps of each CPU size's memory range.
    const invalid: Array<[number, number, string]> = [
      [256, 256, '512, 1024 or 2048'],
      [256, 1536, '512, 1024 or 2048'],
      [256, 3072, '512, 1024 or 2048'],
      [512, 512, '1024, 2048, 3072 or 4096'],
      [512, 5120, '1024, 2048, 3072 or 4096'],
      [1024, 1024, '2048 to 8192 in steps of 1024'],
      [1024, 9216, '2048 to 8192 in steps of 1024'],
      [2048, 3072, '4096 to 16384 in steps of 1024'],
      [2048, 17_408, '4096 to 16384 in steps of 1024'],
      [4096, 7168, '8192 to 30720 in steps of 1024'],
      [4096, 31_744, '8192 to 30720 in steps of 1024'],
      [8192, 17_408, '16384 to 61440 in steps of 4096'],
      [8192, 65_536, '16384 to 61440 in steps of 4096'],
      [16_384, 36_864, '32768 to 122880 in steps of 8192'],
      [16_384, 131_072, '32768 to 122880 in steps of 8192'],
    ];
    for (const [cpu, memory, takes] of invalid) {
      it(`refuses cpu ${cpu} with memory ${memory}, naming the memory sizes cpu ${cpu} takes`, () => {
        // Act + Assess
        assertRejected(() => resolveJobRequest(buildProfile(), aRequest({ cpu, memory })), {
          statusCode: 400,
          code: 'INVALID_TASK_SIZE',
          message: `cpu ${cpu} with memory ${memory} MiB is not a Fargate task size: cpu ${cpu} takes memory ${takes} MiB`,
        });
      });
    }

    it('refuses a CPU size Fargate does not offer, listing the ones it does, and points at cpu', () => {
      for (const cpu of [300, 128, 3072, 32_768]) {
        // Act + Assess
        assert.throws(
          () => resolveJobRequest(buildProfile(), aRequest({ cpu, memory: 2048 })),
          (error: unknown) => {
            assert.ok(error instanceof FargateJobsError);
            assert.equal(httpStatusOf(error), 400);
            assert.equal(error.code, 'INVALID_TASK_SIZE');
            assert.equal(error.message, `cpu ${cpu} is not a Fargate CPU size; profile 'build' takes cpu 256, 512, 1024, 2048, 4096, 8192 or 16384`);
            assert.deepEqual(error.details?.map((detail) => detail.path), ['cpu']);
            return true;
          },
        );
      }
    });

    it('points at memory when the memory does not go with the requested cpu', () => {
      // Act + Assess
      assert.throws(
        () => resolveJobRequest(buildProfile(), aRequest({ cpu: 256, memory: 4096 })),
        (error: unknown) => {
          assert.ok(error instanceof FargateJobsError);
          assert.deepEqual(error.details, [{ path: 'memory', message: 'cpu 256 takes memory 512, 1024 or 2048 MiB' }]);
          return true;
        },
      );
    });
  });

  describe('one of cpu and memory given', () => {
    it("runs with the profile's default size when the request gives neither", () => {
      // Act
      const resolved = resolveJobRequest(sizedProfile(), aRequest());

      // Assess
      assert.equal(resolved.cpu, 256);
      assert.equal(resolved.memory, 512);
    });

    it("keeps the task definition's size (no cpu, no memory) where neither request nor profile gives one", () => {
      // Act
      const resolved = resolveJobRequest(buildProfile(), aRequest());

      // Assess
      assert.equal(resolved.cpu, undefined);
      assert.equal(resolved.memory, undefined);
    });

    it("pairs a requested memory with the profile's default cpu when they fit", () => {
      // Act
      const resolved = resolveJobRequest(sizedProfile(), aRequest({ memory: 2048 }));

      // Assess
      assert.equal(resolved.cpu, 256);
      assert.equal(resolved.memory, 2048);
    });

    it("refuses a cpu that does not fit the profile's default memory, saying the memory came from the profile", () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(sizedProfile(), aRequest({ cpu: 1024 })), {
        statusCode: 400,
        code: 'INVALID_TASK_SIZE',
        message:
          "cpu 1024 with memory 512 MiB (the default of profile 'sized') is not a Fargate task size: cpu 1024 takes memory 2048 to 8192 in steps of 1024 MiB",
      });
    });

    it("refuses a memory that does not fit the profile's default cpu, naming the cpu sizes that would take it", () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(sizedProfile(), aRequest({ memory: 4096 })), {
        statusCode: 400,
        code: 'INVALID_TASK_SIZE',
        message:
          "memory 4096 MiB with cpu 256 (the default of profile 'sized') is not a Fargate task size: cpu 256 takes memory 512, 1024 or 2048 MiB; memory 4096 MiB needs cpu 512, 1024 or 2048",
      });
    });

    it('accepts either value alone where the profile has no default, if Fargate offers it', () => {
      // Act
      const cpuOnly = resolveJobRequest(buildProfile(), aRequest({ cpu: 16_384 }));
      const memoryOnly = resolveJobRequest(buildProfile(), aRequest({ memory: 30_720 }));

      // Assess
      assert.deepEqual([cpuOnly.cpu, cpuOnly.memory], [16_384, undefined]);
      assert.deepEqual([memoryOnly.cpu, memoryOnly.memory], [undefined, 30_720]);
    });

    it('refuses a memory alone that no Fargate CPU size takes', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(buildProfile(), aRequest({ memory: 1000 })), {
        statusCode: 400,
        code: 'INVALID_TASK_SIZE',
        message: /^memory 1000 MiB is not a Fargate memory size with any cpu: cpu 256 takes 512, 1024 or 2048; .*cpu 16384 takes 32768 to 122880 in steps of 8192$/,
      });
    });

    it('refuses a cpu alone that Fargate does not offer', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(buildProfile(), aRequest({ cpu: 300 })), {
        statusCode: 400,
        code: 'INVALID_TASK_SIZE',
        message: "cpu 300 is not a Fargate CPU size; profile 'build' takes cpu 256, 512, 1024, 2048, 4096, 8192 or 16384",
      });
    });
  });

  describe("the profile's maxima", () => {
    it('accepts a size at the maxima', () => {
      // Act
      const resolved = resolveJobRequest(sizedProfile(), aRequest({ cpu: 4096, memory: 16_384 }));

      // Assess
      assert.equal(resolved.cpu, 4096);
      assert.equal(resolved.memory, 16_384);
    });

    it('refuses a cpu over the maximum, even one Fargate offers, saying what the maximum is', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(sizedProfile(), aRequest({ cpu: 8192, memory: 16_384 })), {
        statusCode: 400,
        code: 'TASK_SIZE_TOO_LARGE',
        message: "cpu 8192 is over profile 'sized' maximum of 4096",
      });
    });

    it('refuses a memory over the maximum, saying what the maximum is', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(sizedProfile(), aRequest({ cpu: 4096, memory: 17_408 })), {
        statusCode: 400,
        code: 'TASK_SIZE_TOO_LARGE',
        message: "memory 17408 MiB is over profile 'sized' maximum of 16384 MiB",
      });
    });

    it('lists only the sizes within the maxima when refusing a size Fargate does not offer', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(sizedProfile(), aRequest({ cpu: 4096, memory: 4096 })), {
        statusCode: 400,
        code: 'INVALID_TASK_SIZE',
        message: 'cpu 4096 with memory 4096 MiB is not a Fargate task size: cpu 4096 takes memory 8192 to 16384 in steps of 1024 MiB',
      });
      assertRejected(() => resolveJobRequest(sizedProfile(), aRequest({ cpu: 300, memory: 1024 })), {
        statusCode: 400,
        code: 'INVALID_TASK_SIZE',
        message: "cpu 300 is not a Fargate CPU size; profile 'sized' takes cpu 256, 512, 1024, 2048 or 4096",
      });
    });
  });

  describe('container overrides', () => {
    it('accepts a command whose overrides come to exactly 8192 characters and refuses one character more', () => {
      // Prepare: the overrides' JSON around one argument, container name and task size included.
      const frame = `{"containerOverrides":[{"name":"${'c'.repeat(64)}","command":["echo",""],"environment":[]}],"cpu":"256","memory":"512"}`;
      const atLimit = 'x'.repeat(8192 - frame.length);

      // Act
      const resolved = resolveJobRequest(sizedProfile(), aRequest({ command: ['echo', atLimit] }));

      // Assess
      assert.deepEqual(resolved.command, ['echo', atLimit]);
      assertRejected(() => resolveJobRequest(sizedProfile(), aRequest({ command: ['echo', `${atLimit}x`] })), {
        statusCode: 400,
        code: 'OVERRIDES_TOO_LARGE',
        message:
          "the command and environment take 8193 characters as ECS container overrides, over ECS's limit of 8192; pass large inputs another way, e.g. a file the command downloads",
      });
    });

    it('counts the quotes and commas of every argument in a long argv', () => {
      // Prepare: 200 short arguments, the last one padded to reach the limit exactly.
      const argv = ['printf', '%s\\n', ...Array.from({ length: 200 }, (_unused, index) => `file-${index}.txt`)];
      const padded = [...argv, 'y'.repeat(8192 - ecsOverridesLength([...argv, ''], {}, { cpu: 256, memory: 512 }))];
      const oneOver = [...argv, `${padded.at(-1)}y`];

      // Act
      const resolved = resolveJobRequest(sizedProfile(), aRequest({ command: padded }));

      // Assess
      assert.equal(resolved.command.length, 203);
      assertRejected(() => resolveJobRequest(sizedProfile(), aRequest({ command: oneOver })), {
        statusCode: 400,
        code: 'OVERRIDES_TOO_LARGE',
        message: /take 8193 characters as ECS container overrides, over ECS's limit of 8192/,
      });
    });

    it('counts environment names and values, each as a {name, value} pair', () => {
      // Prepare: many variables, the last one's value padded to reach the limit exactly.
      const env = Object.fromEntries(Array.from({ length: 40 }, (_unused, index) => [`SETTING_${index}`, 'v'.repeat(100)]));
      const base = ecsOverridesLength(['env'], { ...env, LAST: '' });
      const atLimit = { ...env, LAST: 'z'.repeat(8192 - base) };
      const oneOver = { ...env, LAST: 'z'.repeat(8192 - base + 1) };

      // Act
      const resolved = resolveJobRequest(buildProfile({ commands: 'any', envNames: 'any' }), aRequest({ command: ['env'], env: atLimit }));

      // Assess
      assert.deepEqual(resolved.env, atLimit);
      assertRejected(() => resolveJobRequest(buildProfile({ commands: 'any', envNames: 'any' }), aRequest({ command: ['env'], env: oneOver })), {
        statusCode: 400,
        code: 'OVERRIDES_TOO_LARGE',
        message: /take 8193 characters/,
      });
    });

    it('counts characters JSON escapes twice: 4,100 double quotes are over the limit', () => {
      // Act + Assess
      assertRejected(() => resolveJobRequest(sizedProfile(), aRequest({ command: ['echo', '"'.repeat(4100)] })), {
        statusCode: 400,
        code: 'OVERRIDES_TOO_LARGE',
        message: /over ECS's limit of 8192/,
      });
    });

    it('counts a shell string with the /bin/sh -c it runs through', () => {
      // Prepare: the longest string the API takes.
      const profile = buildProfile({ commands: 'any', shell: true });

      // Act + Assess
      assertRejected(() => resolveJobRequest(profile, aRequest({ command: 'x'.repeat(8192) })), {
        statusCode: 400,
        code: 'OVERRIDES_TOO_LARGE',
        message: /over ECS's limit of 8192/,
      });
    });
  });

  describe('the shipped profiles', () => {
    const aws = awsProfiles({ cluster: 'c', subnets: ['subnet-1'], securityGroups: ['sg-1'], logGroup: '/jobs', taskDefinitionPrefix: 'fargate-jobs-dev' });
    const shipped: Profile[] = [...localProfiles, ...aws];

    /** A command each shipped profile allows; `true` for the ones that allow any. */
    const ALLOWED_COMMANDS: Record<string, string[]> = { ssh: ['sleep', '60'], echo: ['echo', 'hello'] };

    for (const profile of shipped) {
      it(`profile '${profile.name}' runs a request without a size`, () => {
        // Act: a default size Fargate does not offer, or over the maxima, would refuse every such request.
        const resolved = resolveJobRequest(profile, aRequest({ command: ALLOWED_COMMANDS[profile.name] ?? ['true'] }));

        // Assess
        assert.equal(resolved.cpu, profile.taskSize?.cpu);
        assert.equal(resolved.memory, profile.taskSize?.memory);
      });
    }

    it("local 'echo' runs echo with its arguments and GREETING only: no other command, no shell string, no other variable, at most 60 s", () => {
      // Prepare
      const echo = localProfiles.find((profile) => profile.name === 'echo');
      assert.ok(echo);

      // Act
      const resolved = resolveJobRequest(echo, aRequest({ command: ['echo', 'hello', 'world'], env: { GREETING: 'hi' } }));

      // Assess
      assert.deepEqual(resolved.command, ['echo', 'hello', 'world']);
      assertRejected(() => resolveJobRequest(echo, aRequest({ command: ['sh', '-c', 'echo hi'] })), { statusCode: 400, code: 'COMMAND_NOT_ALLOWED', message: /does not allow command 'sh'/ });
      assertRejected(() => resolveJobRequest(echo, aRequest({ command: 'echo hi; rm -rf ~' })), { statusCode: 400, code: 'VALIDATION_FAILED', message: /not a shell string/ });
      assertRejected(() => resolveJobRequest(echo, aRequest({ command: ['echo'], env: { LD_PRELOAD: '/tmp/x.so' } })), { statusCode: 400, code: 'ENV_NOT_ALLOWED', message: /LD_PRELOAD/ });
      assertRejected(() => resolveJobRequest(echo, aRequest({ command: ['echo'], timeoutSeconds: 61 })), { statusCode: 400, code: 'TIMEOUT_TOO_LONG', message: /60/ });
    });

    it('name AWS containers no longer than the overrides are measured with', () => {
      // Act
      const tooLong = aws.filter((profile) => profile.aws.container.length > OVERRIDES_CONTAINER_NAME_ALLOWANCE).map((profile) => profile.name);

      // Assess
      assert.ok(aws.length > 0);
      assert.deepEqual(tooLong, []);
    });

    it('give every AWS profile the stage\'s capacity (on-demand unless the stage says otherwise) and a stopTimeout Fargate takes', () => {
      // Prepare
      const spotFirst = awsProfiles({ cluster: 'c', subnets: ['subnet-1'], securityGroups: ['sg-1'], logGroup: '/jobs', taskDefinitionPrefix: 'fargate-jobs-dev', capacity: 'spot-first' });

      // Act + Assess
      assert.deepEqual(aws.map((profile) => profile.capacity), aws.map(() => 'on-demand'));
      assert.deepEqual(spotFirst.map((profile) => profile.capacity), spotFirst.map(() => 'spot-first'));
      for (const profile of aws) {
        assert.doesNotThrow(() => checkCapacitySettings(profile), profile.name);
        assert.ok(profile.stopTimeout !== undefined, `profile '${profile.name}' states its stopTimeout, as its task definition does`);
      }
      // Its jobs may use all of Spot's 2-minute warning.
      assert.equal(aws.find((profile) => profile.name === 'default')?.stopTimeout, STOP_TIMEOUT_SECONDS.max);
    });

    it('give local profiles no capacity: they run no ECS task', () => {
      assert.deepEqual(localProfiles.filter((profile) => profile.capacity !== undefined || profile.stopTimeout !== undefined).map((profile) => profile.name), []);
    });

    it('give every AWS profile a default size and maxima', () => {
      // Act
      const unsized = aws.filter((profile) => profile.taskSize?.maxCpu === undefined || profile.taskSize.maxMemory === undefined).map((profile) => profile.name);

      // Assess
      assert.deepEqual(unsized, []);
    });
  });
});
