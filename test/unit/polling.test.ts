import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideNextPoll, MAX_STOP_POLL_SECONDS, nextPollDelay, pollDelayBefore, provisioningDeadlineFrom, type PollProgress } from '#lib/domain/polling.ts';
import type { TaskSnapshot } from '#lib/domain/ports.ts';

describe('nextPollDelay', () => {
  it('backs off 5, 10, 20, 40 s and then stays at 60 s', () => {
    // Act
    const delays = [0, 1, 2, 3, 4, 5, 6, 10].map(nextPollDelay);

    // Assess
    assert.deepEqual(delays, [5, 10, 20, 40, 60, 60, 60, 60]);
  });

  it('never waits longer than the cap, however many polls have gone by', () => {
    // Act
    const delay = nextPollDelay(1000);

    // Assess
    assert.equal(delay, MAX_STOP_POLL_SECONDS);
  });

  it('treats a negative attempt as the first poll', () => {
    // Act
    const delay = nextPollDelay(-3);

    // Assess
    assert.equal(delay, 5);
  });

  it('polls a job-hour far less often than a fixed 5 s interval would', () => {
    // Prepare
    let elapsedSeconds = 0;
    let polls = 0;

    // Act
    while (elapsedSeconds < 3600) {
      elapsedSeconds += nextPollDelay(polls);
      polls += 1;
    }

    // Assess
    assert.ok(polls < 80, `expected fewer than 80 polls in an hour, got ${polls}`);
  });
});

describe('pollDelayBefore', () => {
  const now = new Date('2025-06-01T12:00:00.000Z');
  const secondsLater = (seconds: number): Date => new Date(now.getTime() + seconds * 1000);

  it('uses the backoff when there is no deadline', () => {
    // Act
    const delay = pollDelayBefore(undefined, now, 4);

    // Assess
    assert.equal(delay, 60);
  });

  it('uses the backoff when the deadline is further away than the delay', () => {
    // Act
    const delay = pollDelayBefore(secondsLater(600), now, 2);

    // Assess
    assert.equal(delay, 20);
  });

  it('wakes up at the deadline instead of sleeping past it', () => {
    // Act
    const delay = pollDelayBefore(secondsLater(12), now, 4);

    // Assess
    assert.equal(delay, 12);
  });

  it('rounds a fractional remainder up to whole seconds so the deadline has passed on waking', () => {
    // Act
    const delay = pollDelayBefore(secondsLater(7.2), now, 4);

    // Assess
    assert.equal(delay, 8);
  });

  it('waits at least 1 s when the deadline is about to pass', () => {
    // Act
    const delay = pollDelayBefore(secondsLater(0.3), now, 4);

    // Assess
    assert.equal(delay, 1);
  });

  it('waits at least 1 s when the deadline has already passed, never zero or negative', () => {
    // Act
    const delays = [0, -1, -30, -3600].map((seconds) => pollDelayBefore(secondsLater(seconds), now, 4));

    // Assess
    assert.deepEqual(delays, [1, 1, 1, 1]);
  });

  it('stays between 1 s and the backoff delay for every attempt and remaining time', () => {
    // Prepare
    const remainders = [-10, 0, 0.5, 1, 3, 9.9, 15, 45, 59, 61, 3600];

    for (let attempt = 0; attempt < 8; attempt += 1) {
      for (const seconds of remainders) {
        // Act
        const delay = pollDelayBefore(secondsLater(seconds), now, attempt);

        // Assess
        assert.ok(delay >= 1, `attempt ${attempt}, ${seconds} s left: delay ${delay} < 1`);
        assert.ok(delay <= nextPollDelay(attempt), `attempt ${attempt}, ${seconds} s left: delay ${delay} over backoff`);
        assert.ok(Number.isInteger(delay), `attempt ${attempt}, ${seconds} s left: delay ${delay} not whole seconds`);
        if (seconds >= 1) assert.ok(delay <= Math.ceil(seconds), `attempt ${attempt}: sleeps past a deadline ${seconds} s away`);
      }
    }
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
    pollAttempt: 0,
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
    const running = { ...justStarted, networkReady: true, deadline: at(390).toISOString(), pollAttempt: 3 };
    const stillRunning = task({ lastStatus: 'RUNNING', startedAt: at(90).toISOString() });

    // Act
    const due = decideNextPoll(running, stillRunning, at(391));
    const again = decideNextPoll({ ...due, pollAttempt: 0 }, stillRunning, at(400));

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

  it('counts the stop backoff from the first poll with the network ready, and never sleeps past the deadline', () => {
    // Prepare
    const pending = task({ lastStatus: 'PENDING', network: { eniId: 'eni-1', privateIp: '10.0.0.5', publicIp: null } });

    // Act
    const first = decideNextPoll({ ...justStarted, pollAttempt: 7 }, pending, at(30));
    const second = decideNextPoll(first, task({ lastStatus: 'RUNNING', startedAt: at(40).toISOString() }), at(45));
    const nearTheEnd = decideNextPoll({ ...second, pollAttempt: 4 }, task({ lastStatus: 'RUNNING' }), at(335));

    // Assess
    assert.deepEqual([first.networkReady, first.pollAttempt, first.nextPollSeconds], [true, 1, 5]);
    assert.deepEqual([second.pollAttempt, second.nextPollSeconds], [2, 10]);
    assert.equal(nearTheEnd.nextPollSeconds, 5, 'the deadline (340 s) is 5 s away, nearer than the 60 s backoff');
  });
});
