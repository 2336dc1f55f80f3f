/** The CLI's command line: global flags before or after the verb, durations, K=V flags, usage errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine, parseDuration, parseKeyValues, parsePositiveInteger, UsageError, type VerbSpec } from '#cli/args.ts';
import { jobRequestOf } from '#cli/verbs/run.ts';
import { runSpec } from '#cli/verbs/run.ts';
import { logsSpec, waitSpec } from '#cli/verbs/jobs.ts';
import { execSpec } from '#cli/verbs/exec.ts';
import { heldJobRequest } from '#cli/verbs/run-interactive.ts';
import { sshSpec } from '#cli/verbs/ssh.ts';
import { scheduleCreateSpec, scheduleShowSpec } from '#cli/verbs/schedule.ts';
import type { VerbContext } from '#cli/verbs/context.ts';

const VERBS: Record<string, VerbSpec> = { run: runSpec, wait: waitSpec, logs: logsSpec, ssh: sshSpec, exec: execSpec };
const parse = (...argv: string[]) => parseCommandLine(argv, VERBS);

function usageError(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof UsageError && message.test(error.message));
}

describe('parseCommandLine', () => {
  it('takes the global flags before or after the verb', () => {
    const before = parse('--json', '--url', 'https://api.example', '--context=prod', 'wait', 'job-01');
    const after = parse('wait', 'job-01', '--token', 'fjt_x', '--json');

    assert.equal(before.verb, 'wait');
    assert.deepEqual(before.globals, { json: true, help: false, version: false, url: 'https://api.example', context: 'prod' });
    assert.deepEqual(before.args, { id: 'job-01' });
    assert.deepEqual(after.globals, { json: true, help: false, version: false, token: 'fjt_x' });
    assert.deepEqual(after.args, { id: 'job-01' });
  });

  it('gives run the command after --, flags and all', () => {
    const parsed = parse('run', '--env', 'A=1', '--env', 'B=2', '--detach', '--', 'sh', '-c', 'echo --json');

    assert.deepEqual(parsed.rest, ['sh', '-c', 'echo --json']);
    assert.deepEqual(parsed.values.env, ['A=1', 'B=2']);
    assert.equal(parsed.values.detach, true);
    assert.equal(parsed.globals.json, false);
  });

  it('gives exec its command after --, or none (the profile\'s shell)', () => {
    assert.deepEqual(parse('exec', 'job-01', '--wait', '5m', '--', 'sh', '-c', 'exit 3').rest, ['sh', '-c', 'exit 3']);
    assert.deepEqual(parse('exec', 'job-01').rest, []);
    assert.deepEqual(parse('exec', 'job-01').args, { id: 'job-01' });
    usageError(() => parse('exec'), /^exec needs <id>$/);
  });

  it('lets run go without a command with -i only', () => {
    assert.deepEqual(parse('run', '-i').rest, []);
    assert.equal(parse('run', '--interactive', '--', 'cat').values.interactive, true);
    usageError(() => parse('run', '--profile', 'default'), /^run needs a command/);
  });

  it('refuses unknown flags, missing arguments, extra arguments and unknown verbs', () => {
    usageError(() => parse('run', '--nope', '--', 'true'), /^unknown option '--nope'$/);
    usageError(() => parse('run', '--detach'), /^run needs a command/);
    usageError(() => parse('wait'), /^wait needs <id>$/);
    usageError(() => parse('wait', 'a', 'b'), /^unexpected argument 'b'$/);
    usageError(() => parse('launch'), /^unknown command 'launch'$/);
    usageError(() => parse('logs', 'job-01', '--since'), /--since/);
  });

  it('says which verb a usage error belongs to', () => {
    assert.throws(() => parse('logs', '--bogus', 'x'), (error: unknown) => error instanceof UsageError && error.verb === 'logs');
  });

  it('lets --help and --version through without the verb\'s arguments', () => {
    assert.equal(parse('wait', '--help').globals.help, true);
    assert.equal(parse('--version').globals.version, true);
    assert.equal(parse('run', '-h').globals.help, true);
  });

  it("reads a group's verb (schedule create, schedule show) as one verb, with the global flags anywhere", () => {
    // Prepare
    const verbs = { ...VERBS, 'schedule create': scheduleCreateSpec, 'schedule show': scheduleShowSpec };

    // Act
    const created = parseCommandLine(['--json', 'schedule', 'create', 'nightly', '--schedule', 'rate(1 hour)', '--env', 'A=1', '--', 'make', 'all'], verbs);
    const shown = parseCommandLine(['schedule', 'show', 'nightly', '--url', 'https://api.example'], verbs);
    const help = parseCommandLine(['schedule', '--help'], verbs);

    // Assess
    assert.equal(created.verb, 'schedule create');
    assert.equal(created.globals.json, true);
    assert.deepEqual(created.args, { name: 'nightly' });
    assert.deepEqual(created.values, { schedule: 'rate(1 hour)', env: ['A=1'] });
    assert.deepEqual(created.rest, ['make', 'all']);
    assert.equal(shown.verb, 'schedule show');
    assert.equal(shown.globals.url, 'https://api.example');
    assert.deepEqual({ verb: help.verb, help: help.globals.help }, { verb: 'schedule', help: true });
    usageError(() => parseCommandLine(['schedule'], verbs), /^schedule needs one of: create, show$/);
    usageError(() => parseCommandLine(['schedule', 'frob'], verbs), /^unknown command 'schedule frob'/);
  });

  it('passes token\'s arguments to its own command line untouched', () => {
    const parsed = parseCommandLine(['--json', 'token', 'create', '--name', 'ci', '--profiles', 'default'], VERBS);

    assert.equal(parsed.verb, 'token');
    assert.deepEqual(parsed.passThrough, ['create', '--name', 'ci', '--profiles', 'default', '--json']);
  });
});

describe('parseDuration', () => {
  it('reads seconds, minutes, hours and bare seconds', () => {
    assert.equal(parseDuration('90s', '--timeout'), 90);
    assert.equal(parseDuration('10m', '--timeout'), 600);
    assert.equal(parseDuration('1h30m', '--timeout'), 5400);
    assert.equal(parseDuration('3600', '--timeout'), 3600);
  });

  it('refuses anything else, naming the flag', () => {
    for (const value of ['', '0', '0s', '10x', 'm', '1.5h', '-5', '10m 5s', '5s10']) usageError(() => parseDuration(value, '--timeout'), /^--timeout must be a duration/);
  });
});

describe('parseKeyValues and parsePositiveInteger', () => {
  it('splits at the first =, later ones winning, values may be empty or hold =', () => {
    assert.deepEqual(parseKeyValues(['A=1', 'B=x=y', 'C=', 'A=2'], '--env'), { A: '2', B: 'x=y', C: '' });
    usageError(() => parseKeyValues(['=1'], '--env'), /^--env takes NAME=VALUE, got '=1'$/);
    usageError(() => parseKeyValues(['JUSTNAME'], '--label'), /^--label takes NAME=VALUE/);
  });

  it('takes whole numbers of at least 1', () => {
    assert.equal(parsePositiveInteger('1024', '--cpu'), 1024);
    for (const value of ['0', '-1', '1.5', 'abc', '01']) usageError(() => parsePositiveInteger(value, '--cpu'), /^--cpu must be a whole number/);
  });
});

describe('the POST /jobs body of run\'s flags', () => {
  const contextOf = (...argv: string[]) => ({ command: parse(...argv) }) as VerbContext;

  it('carries every flag under the API\'s name', () => {
    const body = jobRequestOf(
      contextOf('run', '--profile', 'ssh', '--env', 'A=1', '--label', 'team=data', '--cpu', '512', '--memory', '1024', '--timeout', '10m', '--public-ip', '--ssh-key', 'key.pub', '--idempotency-key', 'k1', '--', 'sleep', '60'),
      () => 'ssh-ed25519 AAAA me@laptop\n',
    );

    assert.deepEqual(body, {
      command: ['sleep', '60'],
      profile: 'ssh',
      env: { A: '1' },
      labels: { team: 'data' },
      cpu: 512,
      memory: 1024,
      timeoutSeconds: 600,
      publicIp: true,
      sshPublicKey: 'ssh-ed25519 AAAA me@laptop',
      idempotencyKey: 'k1',
    });
  });

  it('asks for a held job with -i: hold in place of the command, which the exec runs', () => {
    const body = heldJobRequest(jobRequestOf(contextOf('run', '-i', '--profile', 'default', '--label', 'team=data', '--timeout', '1h', '--', 'psql')));

    assert.deepEqual(body, { profile: 'default', labels: { team: 'data' }, timeoutSeconds: 3600, hold: true });
  });

  it('refuses a private key given as --ssh-key', () => {
    usageError(() => jobRequestOf(contextOf('run', '--ssh-key', 'id_ed25519', '--', 'sleep', '60'), () => '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n'), /is a private key/);
  });
});
