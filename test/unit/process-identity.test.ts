/**
 * Telling one process from a later one given the same pid: the start time of /proc/<pid>/stat,
 * read past a command name that may hold spaces and parentheses.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { identifyProcess, parseProcStat } from '#lib/adapters/local/process-identity.ts';

/** A /proc/<pid>/stat line with this command name, state and start time (field 22). */
function procStat(comm: string, state: string, startTime: string): string {
  const fields = [state, '1', '4242', '4242', '0', '-1', '4194560', '104', '0', '0', '0', '0', '0', '0', '0', '20', '0', '1', '0', startTime, '2666496', '180'];
  return `4242 (${comm}) ${fields.join(' ')}\n`;
}

describe('parseProcStat', () => {
  it('reads field 22 as the start time, whatever the command name holds', () => {
    for (const comm of ['sleep', 'my job', 'a) S 1 2 3 (b', '))']) {
      assert.deepEqual(parseProcStat(procStat(comm, 'S', '987654')), { startTime: '987654', running: true }, comm);
    }
  });

  it('takes a zombie (or a dead process) for one that is no longer running', () => {
    assert.equal(parseProcStat(procStat('sh', 'Z', '5'))?.running, false);
    assert.equal(parseProcStat(procStat('sh', 'X', '5'))?.running, false);
  });

  it('returns undefined for a line that is not a stat line', () => {
    assert.equal(parseProcStat(''), undefined);
    assert.equal(parseProcStat('4242 (sh) S 1'), undefined);
  });
});

describe('identifyProcess', () => {
  it('gives a live process the same start time each time, and a process that has gone none (or not running)', async () => {
    // Prepare
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const pid = child.pid ?? 0;

    // Act
    const first = await identifyProcess(pid);
    const second = await identifyProcess(pid);
    child.kill('SIGKILL');
    await once(child, 'exit');
    const gone = await identifyProcess(pid);

    // Assess
    assert.equal(first?.running, true);
    assert.ok(first?.startTime);
    assert.deepEqual(second, first);
    assert.ok(gone === undefined || !gone.running, JSON.stringify(gone));
  });

  it('returns undefined for a pid no process can have', async () => {
    assert.equal(await identifyProcess(0), undefined);
    assert.equal(await identifyProcess(-1), undefined);
  });
});
