import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyStop } from '#lib/domain/classify-stop.ts';

describe('classifyStop', () => {
  describe('when the task never got its container running', () => {
    it('reports an image pull failure as IMAGE_PULL with the stopped reason as message', () => {
      // Prepare
      const stoppedReason =
        'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ' +
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:missing: not found';

      // Act
      const outcome = classifyStop({ stopCode: 'TaskFailedToStart', stoppedReason });

      // Assess
      assert.deepEqual(outcome, {
        status: 'FAILED',
        exitCode: null,
        failure: { category: 'IMAGE_PULL', message: stoppedReason, stopCode: 'TaskFailedToStart', stoppedReason },
      });
    });

    it('reports a secrets or log-group set-up failure as RESOURCE_INIT', () => {
      // Prepare
      const stoppedReason =
        'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ' +
        'unable to retrieve secret from asm: service call has been retried 1 time(s)';

      // Act
      const outcome = classifyStop({ stopCode: 'TaskFailedToStart', stoppedReason });

      // Assess
      assert.equal(outcome.status, 'FAILED');
      assert.equal(outcome.exitCode, null);
      assert.equal(outcome.failure?.category, 'RESOURCE_INIT');
      assert.equal(outcome.failure?.stoppedReason, stoppedReason);
    });

    it('reports a container that could not be started as START_FAILED', () => {
      // Prepare
      const stoppedReason =
        'CannotStartContainerError: Error response from daemon: failed to create shim task: exec: "migrate": ' +
        'executable file not found in $PATH: unknown';

      // Act
      const outcome = classifyStop({ stopCode: 'TaskFailedToStart', stoppedReason });

      // Assess
      assert.equal(outcome.status, 'FAILED');
      assert.equal(outcome.exitCode, null);
      assert.equal(outcome.failure?.category, 'START_FAILED');
      assert.equal(outcome.failure?.message, stoppedReason);
    });

    it('reports TaskFailedToStart without an exit code as START_FAILED with exitCode null, not 0', () => {
      // Prepare
      const stoppedReason = 'Task failed to start';

      // Act
      const outcome = classifyStop({ stopCode: 'TaskFailedToStart', stoppedReason });

      // Assess
      assert.deepEqual(outcome, {
        status: 'FAILED',
        exitCode: null,
        failure: { category: 'START_FAILED', message: stoppedReason, stopCode: 'TaskFailedToStart', stoppedReason },
      });
    });

    it('still explains a TaskFailedToStart that came without a stopped reason', () => {
      // Act
      const outcome = classifyStop({ stopCode: 'TaskFailedToStart' });

      // Assess
      assert.equal(outcome.failure?.category, 'START_FAILED');
      assert.equal(outcome.failure?.message, 'the task failed to start');
      assert.equal(outcome.failure?.stoppedReason, undefined);
    });
  });

  describe('when the task was stopped from outside', () => {
    for (const stopCode of ['SpotInterruption', 'TerminationNotice']) {
      it(`reports ${stopCode} as SPOT_INTERRUPTED, not as the user's exit code`, () => {
        // Prepare
        const stoppedReason = 'Your Spot Task was interrupted.';

        // Act
        const outcome = classifyStop({ stopCode, stoppedReason, exitCode: 143 });

        // Assess
        assert.equal(outcome.status, 'FAILED');
        assert.equal(outcome.exitCode, 143);
        assert.equal(outcome.failure?.category, 'SPOT_INTERRUPTED');
        assert.equal(outcome.failure?.stopCode, stopCode);
        assert.match(outcome.failure?.message ?? '', /Spot interruption/);
      });
    }

    it('reports a user-initiated stop as CANCELLED with the reason given to StopTask', () => {
      // Prepare
      const stoppedReason = 'cancelled by alice';

      // Act
      const outcome = classifyStop({ stopCode: 'UserInitiated', stoppedReason, exitCode: 143 });

      // Assess
      assert.deepEqual(outcome, {
        status: 'CANCELLED',
        exitCode: 143,
        failure: { category: 'CANCELLED', message: stoppedReason, stopCode: 'UserInitiated', stoppedReason },
      });
    });
  });

  describe('when the container ran', () => {
    it('reports a container killed for memory as OOM, keeping exit code 137', () => {
      // Prepare
      const containerReason = 'OutOfMemoryError: Container killed due to memory usage';

      // Act
      const outcome = classifyStop({
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        exitCode: 137,
        containerReason,
      });

      // Assess
      assert.equal(outcome.status, 'FAILED');
      assert.equal(outcome.exitCode, 137);
      assert.equal(outcome.failure?.category, 'OOM');
      assert.equal(outcome.failure?.message, `the container ran out of memory: ${containerReason}`);
      assert.equal(outcome.failure?.stopCode, 'EssentialContainerExited');
    });

    it('reports exit 0 as SUCCEEDED with no failure', () => {
      // Act
      const outcome = classifyStop({
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        exitCode: 0,
      });

      // Assess
      assert.deepEqual(outcome, { status: 'SUCCEEDED', exitCode: 0 });
    });

    it('reports a non-zero exit as FAILED USER_EXIT with that exit code', () => {
      // Act
      const outcome = classifyStop({
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        exitCode: 3,
      });

      // Assess
      assert.deepEqual(outcome, {
        status: 'FAILED',
        exitCode: 3,
        failure: {
          category: 'USER_EXIT',
          message: 'the command exited with code 3',
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
        },
      });
    });

    it('reports a stop with no exit code and no other fact as FAILED INTERNAL with exitCode null, never 0', () => {
      // Act
      const outcome = classifyStop({});

      // Assess
      assert.deepEqual(outcome, {
        status: 'FAILED',
        exitCode: null,
        failure: { category: 'INTERNAL', message: 'the task stopped without reporting an exit code' },
      });
    });

    it('treats an explicit null exit code like a missing one', () => {
      // Act
      const outcome = classifyStop({ exitCode: null, stoppedReason: 'Task stopped by the host' });

      // Assess
      assert.equal(outcome.status, 'FAILED');
      assert.equal(outcome.exitCode, null);
      assert.equal(outcome.failure?.category, 'INTERNAL');
      assert.equal(outcome.failure?.message, 'Task stopped by the host');
    });
  });

  describe('when the workflow itself asked the task to stop', () => {
    it('reports a timeout stop as TIMED_OUT even though the container exited 143 after SIGTERM', () => {
      // Prepare
      const task = { stopCode: 'UserInitiated', stoppedReason: 'timeout after 600 s', exitCode: 143 };

      // Act
      const outcome = classifyStop(task, 'TIMEOUT');

      // Assess
      assert.equal(outcome.status, 'TIMED_OUT');
      assert.equal(outcome.exitCode, 143);
      assert.equal(outcome.failure?.category, 'TIMEOUT');
      assert.match(outcome.failure?.message ?? '', /timeoutSeconds/);
    });

    it('reports a timeout stop as TIMED_OUT even when the command happened to exit 0', () => {
      // Act
      const outcome = classifyStop({ stopCode: 'UserInitiated', exitCode: 0 }, 'TIMEOUT');

      // Assess
      assert.equal(outcome.status, 'TIMED_OUT');
    });

    it('reports a provisioning timeout as FAILED START_FAILED with exitCode null', () => {
      // Prepare
      const task = { stopCode: 'UserInitiated', stoppedReason: 'provisioning took too long' };

      // Act
      const outcome = classifyStop(task, 'PROVISIONING_TIMEOUT');

      // Assess
      assert.equal(outcome.status, 'FAILED');
      assert.equal(outcome.exitCode, null);
      assert.equal(outcome.failure?.category, 'START_FAILED');
      assert.match(outcome.failure?.message ?? '', /provisioning limit/);
    });
  });

  it('gives the same verdict for the same facts', () => {
    // Prepare
    const task = { stopCode: 'EssentialContainerExited', exitCode: 2, stoppedReason: 'Essential container in task exited' };

    // Act
    const first = classifyStop(task);
    const second = classifyStop({ ...task });

    // Assess
    assert.deepEqual(first, second);
  });
});
