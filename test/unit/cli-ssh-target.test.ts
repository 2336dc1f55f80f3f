/**
 * `fargate-jobs ssh`'s argv: built from the job's checked host, port and user with `--` before the
 * destination, never from the words of a command the server sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sshArgv, sshTargetOf, UnusableHintError } from '#cli/verbs/ssh.ts';

describe('sshTargetOf', () => {
  it('takes host, port and user from the structured hint', () => {
    assert.deepEqual(sshTargetOf({ host: '203.0.113.7', port: 2222, user: 'jobs', ssh: 'ssh -p 2222 jobs@203.0.113.7' }), { host: '203.0.113.7', port: 2222, user: 'jobs' });
    assert.deepEqual(sshTargetOf({ host: '2001:db8::7', port: 22, user: 'ec2-user' }), { host: '2001:db8::7', port: 22, user: 'ec2-user' });
    assert.deepEqual(sshTargetOf({ host: 'box-1.example.com', port: 65535, user: '_svc' }), { host: 'box-1.example.com', port: 65535, user: '_svc' });
  });

  it('reads the parts of a plain "ssh -p PORT USER@ADDRESS" of a server that sends nothing else', () => {
    assert.deepEqual(sshTargetOf({ ssh: 'ssh -p 2222 jobs@203.0.113.7' }), { host: '203.0.113.7', port: 2222, user: 'jobs' });
  });

  const hostile: { name: string; connect: Parameters<typeof sshTargetOf>[0]; reason: RegExp }[] = [
    { name: 'a ProxyCommand in the command', connect: { ssh: 'ssh -oProxyCommand=touch${IFS}/tmp/pwned jobs@1.2.3.4' }, reason: /not "ssh -p PORT USER@ADDRESS"/ },
    { name: 'an option after the port', connect: { ssh: 'ssh -p 22 -oLocalCommand=id jobs@1.2.3.4' }, reason: /not "ssh -p PORT USER@ADDRESS"/ },
    { name: 'another program', connect: { ssh: 'sh -c id' }, reason: /not "ssh -p PORT USER@ADDRESS"/ },
    { name: 'an option as the user of the command', connect: { ssh: 'ssh -p 22 -oProxyCommand=id@1.2.3.4' }, reason: /user is not a plain user name/ },
    { name: 'an option as the host', connect: { host: '-oProxyCommand=id', port: 22, user: 'jobs' }, reason: /address is not an IP address or host name/ },
    { name: 'a host with a space and a second word', connect: { host: '1.2.3.4 id', port: 22, user: 'jobs' }, reason: /address is not/ },
    { name: 'a user with an option in it', connect: { host: '1.2.3.4', port: 22, user: '-oProxyCommand=id' }, reason: /user is not a plain user name/ },
    { name: 'a user with an @', connect: { host: '1.2.3.4', port: 22, user: 'jobs@evil' }, reason: /user is not/ },
    { name: 'a port out of range', connect: { host: '1.2.3.4', port: 70_000, user: 'jobs' }, reason: /port is not a whole number from 1 to 65535/ },
    { name: 'a port as a string with an option', connect: { host: '1.2.3.4', port: '22 -oProxyCommand=id' as unknown as number, user: 'jobs' }, reason: /port is not/ },
    { name: 'a missing user', connect: { host: '1.2.3.4', port: 22 }, reason: /user is not/ },
    { name: 'no hint at all', connect: undefined, reason: /not "ssh -p PORT USER@ADDRESS": \(none\)/ },
  ];
  for (const { name, connect, reason } of hostile) {
    it(`refuses ${name}`, () => {
      assert.throws(() => sshTargetOf(connect), (error: unknown) => error instanceof UnusableHintError && reason.test(error.message));
    });
  }

  it('quotes what it refuses without passing control characters on', () => {
    assert.throws(
      () => sshTargetOf({ host: '\x1b]52;c;cHduZWQ=\x07', port: 22, user: 'jobs' }),
      (error: unknown) => error instanceof Error && !/[\x00-\x1f]/.test(error.message) && error.message.includes('\\u001b]52'),
    );
  });
});

describe('sshArgv', () => {
  it('puts the user options first, then the port, then -- before the destination', () => {
    assert.deepEqual(sshArgv({ host: '1.2.3.4', port: 2222, user: 'jobs' }), ['ssh', '-p', '2222', '--', 'jobs@1.2.3.4']);
    assert.deepEqual(sshArgv({ host: '1.2.3.4', port: 2222, user: 'jobs' }, ['-L', '8080:localhost:80']), ['ssh', '-L', '8080:localhost:80', '-p', '2222', '--', 'jobs@1.2.3.4']);
  });
});
