/** A closed stdout or stderr ends the CLI as SIGPIPE ends a local program: last wishes, then 141. */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it, mock } from 'node:test';
import { BrokenPipe, LAST_WISH_TIMEOUT_MS } from '#cli/broken-pipe.ts';

const errno = (code: string) => Object.assign(new Error(`write ${code}`), { code });
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('BrokenPipe', () => {
  it('exits 141 on EPIPE once the last wish (the cancel) is done, and once only', async () => {
    // Prepare
    const brokenPipe = new BrokenPipe();
    const [stdout, stderr] = [new EventEmitter(), new EventEmitter()];
    const exits: number[] = [];
    let finishCancel: () => void = () => undefined;
    brokenPipe.beforeExit(() => new Promise<void>((resolve) => (finishCancel = resolve)));
    brokenPipe.watch([stdout, stderr], (code) => exits.push(code));

    // Act
    stdout.emit('error', errno('EPIPE'));
    stderr.emit('error', errno('EPIPE'));
    stdout.emit('error', errno('ERR_STREAM_DESTROYED'));
    await settled();
    const beforeCancelDone = [...exits];
    finishCancel();
    await settled();

    // Assess
    assert.equal(brokenPipe.broken, true);
    assert.deepEqual(beforeCancelDone, []);
    assert.deepEqual(exits, [141]);
  });

  it('does not wait for a wish withdrawn (by a run that has finished following)', async () => {
    // Prepare
    const brokenPipe = new BrokenPipe();
    const stdout = new EventEmitter();
    const exits: number[] = [];
    const withdraw = brokenPipe.beforeExit(() => new Promise(() => undefined));
    brokenPipe.watch([stdout], (code) => exits.push(code));
    withdraw();

    // Act
    stdout.emit('error', errno('EPIPE'));
    await settled();

    // Assess
    assert.deepEqual(exits, [141]);
  });

  it('waits at most LAST_WISH_TIMEOUT_MS for a wish that never ends (a cancel the API does not answer)', async () => {
    // Prepare
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const brokenPipe = new BrokenPipe();
      const stdout = new EventEmitter();
      const exits: number[] = [];
      brokenPipe.beforeExit(() => new Promise(() => undefined));
      brokenPipe.watch([stdout], (code) => exits.push(code));

      // Act
      stdout.emit('error', errno('EPIPE'));
      await settled();
      const early = [...exits];
      mock.timers.tick(LAST_WISH_TIMEOUT_MS);
      await settled();

      // Assess
      assert.deepEqual(early, []);
      assert.deepEqual(exits, [141]);
    } finally {
      mock.timers.reset();
    }
  });

  it('leaves other stream errors as they were: thrown', () => {
    // Prepare
    const brokenPipe = new BrokenPipe();
    const stdout = new EventEmitter();
    brokenPipe.watch([stdout], () => assert.fail('no exit'));

    // Act, Assess
    assert.throws(() => stdout.emit('error', errno('EIO')), /write EIO/);
    assert.equal(brokenPipe.broken, false);
  });
});
