import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideNextPoll, provisioningDeadlineFrom, SAFETY_NET_SECONDS, waitSecondsBefore, type PollProgress } from '#lib/domain/polling.ts';
import type { TaskSnapshot } from '#lib/domain/ports.ts';

describe('waitSecondsBefore', () => {
  const now = new Date('2025-06-01T12:00:00.000Z');
  const secondsLater = (seconds: number) => new Date(now.getTime() + seconds * 1000);

  it('waits until the deadline, in whole seconds rounded up so the wait never ends before it', () => {
    assert.equal(waitSecondsBefore(secondsLater(600), now), 600);
    assert.equal(waitSecondsBefore(secondsLater(7.2), now), 8);
  });

  it('waits at most the safety net, however far the deadline is, and the safety net without one', () => {
    assert.equal(waitSecondsBefore(secondsLater(8 * 3600), now), SAFETY_NET_SECONDS);
    assert.equal(waitSecondsBefore(undefined, now), SAFETY_NET_SECONDS);
  });

  it('waits at least 1 s (a Task state timeout must be positive), even past the deadline', () => {
    assert.deepEqual([0.3, 0, -30].map((seconds) => waitSecondsBefore(secondsLater(seconds), now)), [1, 1, 1]);
  });
});

describe('decideNextPoll', () => {
  const startedAt = new Date('2025-06-01T12:00:00.000Z');
  const at = (seconds: number): Date => new Date(startedAt.getTime() + seconds * 1000);
  const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/jobs/0123456789abcdef';
  /** Just after StartTask: provisioning, its 600 s limit running. */
  const justStarted: PollProgress = {
    timeoutSeconds: 300,
    provisioningDeadline: provisioningDeadlineFrom(startedAt),
    deadline: null,
    networkReady: false,
    stopRequest: null,
  };
  const task = (snapshot: Partial<TaskSnapshot>): TaskSnapshot => ({ taskArn: TASK_ARN, lastStatus: 'PROVISIONING', ...snapshot });

  it('gives up on a task still provisioning 600 s after it was started: stop it, as a provisioning timeout', () => {
    // Act
    const before = decideNextPoll(justStarted, task({ lastStatus: 'PENDING' }), at(599));
    const after = decideNextPoll(justStarted, task({ lastStatus: 'PENDING' }), at(600));

    // Assess
    assert.deepEqual([before.stopNeeded, before.stopRequest], [false, null]);
    assert.deepEqual([after.stopNeeded, after.stopRequest], [true, 'PROVISIONING_TIMEOUT']);
  });

  it('starts the timeout when the task started running, not when it was asked for', () => {
    // Act
    const running = decideNextPoll(justStarted, task({ lastStatus: 'RUNNING', startedAt: at(90).toISOString() }), at(95));

    // Assess
    assert.equal(running.deadline, at(390).toISOString());
    assert.equal(running.networkReady, true);
    assert.equal(running.stopNeeded, false);
  });

  it('stops a running task once its timeoutSeconds have passed, as a timeout, and only once', () => {
    // Prepare
    const running = { ...justStarted, networkReady: true, deadline: at(390).toISOString() };
    const stillRunning = task({ lastStatus: 'RUNNING', startedAt: at(90).toISOString() });

    // Act
    const due = decideNextPoll(running, stillRunning, at(391));
    const again = decideNextPoll(due, stillRunning, at(400));

    // Assess
    assert.deepEqual([due.stopNeeded, due.stopRequest], [true, 'TIMEOUT']);
    assert.deepEqual([again.stopNeeded, again.stopRequest], [false, 'TIMEOUT'], 'a stop already asked for is not asked again');
  });

  it('never asks to stop a task that has stopped, however late it is', () => {
    // Act
    const decision = decideNextPoll({ ...justStarted, deadline: at(390).toISOString() }, task({ lastStatus: 'STOPPED', startedAt: at(90).toISOString() }), at(5000));

    // Assess
    assert.equal(decision.taskStatus, 'STOPPED');
    assert.equal(decision.stopNeeded, false);
  });

  it('waits for the deadline that applies: the provisioning limit, then the timeout once running, then only the stop', () => {
    // Act
    const pending = decideNextPoll(justStarted, task({ lastStatus: 'PENDING' }), at(30));
    const running = decideNextPoll(pending, task({ lastStatus: 'RUNNING', startedAt: at(40).toISOString() }), at(45));
    const due = decideNextPoll(running, task({ lastStatus: 'RUNNING', startedAt: at(40).toISOString() }), at(341));

    // Assess
    assert.equal(pending.waitSeconds, 570, 'the provisioning limit is 600 s after the start, 30 s have passed');
    assert.equal(running.waitSeconds, 295, 'the timeout (300 s) counts from the start at 40 s');
    assert.deepEqual([due.stopNeeded, due.waitSeconds], [true, SAFETY_NET_SECONDS], 'once a stop is needed, only its STOPPED event is waited for');
  });
});
