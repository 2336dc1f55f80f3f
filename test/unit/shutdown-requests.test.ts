/**
 * How requests to stop `npm start` are counted (local/shutdown-requests.ts): one Ctrl-C, which node
 * gets from the terminal and again from npm, shuts down once; pressing again later exits at once; a
 * parent that went away starts the graceful stop and never hurries it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { watchParent } from '#lib/domain/parent-watch.ts';
import { REPEAT_WINDOW_MS, ShutdownRequests } from '#local/shutdown-requests.ts';

describe('requests to stop the local server', () => {
  it('shut down on the first signal and ignore its repeat within the window (one Ctrl-C seen twice)', () => {
    // Prepare
    const requests = new ShutdownRequests();

    // Act
    const decisions = [requests.signal(10_000), requests.signal(10_005), requests.signal(10_000 + REPEAT_WINDOW_MS - 1)];

    // Assess
    assert.deepEqual(decisions, ['shut-down', 'ignore', 'ignore']);
  });

  it('exit at once on a signal after the window (the user pressing Ctrl-C again)', () => {
    // Prepare
    const requests = new ShutdownRequests();
    requests.signal(10_000);
    requests.signal(10_010);

    // Act
    const decision = requests.signal(10_000 + REPEAT_WINDOW_MS);

    // Assess
    assert.equal(decision, 'exit-now');
  });

  it('shut down when the parent goes away, and count it as the first request', () => {
    // Prepare
    const requests = new ShutdownRequests();

    // Act
    const decisions = [requests.parentGone(10_000), requests.signal(10_100), requests.signal(10_000 + REPEAT_WINDOW_MS + 1)];

    // Assess
    assert.deepEqual(decisions, ['shut-down', 'ignore', 'exit-now']);
  });

  it('never exit at once because the parent went away during the stop (npm exiting after it forwarded SIGTERM)', () => {
    // Prepare
    const requests = new ShutdownRequests();
    requests.signal(10_000);

    // Act
    const decision = requests.parentGone(10_000 + 10 * REPEAT_WINDOW_MS);

    // Assess
    assert.equal(decision, 'ignore');
  });
});

describe('watching the parent process', () => {
  it('calls back once when the parent pid changes (the process was re-parented)', async () => {
    // Prepare
    let parent = 4242;
    let calls = 0;
    const watch = watchParent(() => (calls += 1), { ppid: () => parent, intervalMs: 5 });

    // Act
    await delay(30);
    const beforeChange = calls;
    parent = 1;
    await delay(30);
    parent = 777;
    await delay(30);
    watch.stop();

    // Assess
    assert.equal(beforeChange, 0);
    assert.equal(calls, 1);
  });

  it('calls back on the first check when the parent had changed before the watch began (npm died while the server started)', async () => {
    // Prepare
    let calls = 0;

    // Act
    const watch = watchParent(() => (calls += 1), { parent: 4242, ppid: () => 1, intervalMs: 5 });
    await delay(30);
    watch.stop();

    // Assess
    assert.equal(calls, 1);
  });

  it('does not call back once stopped', async () => {
    // Prepare
    let parent = 4242;
    let calls = 0;
    const watch = watchParent(() => (calls += 1), { ppid: () => parent, intervalMs: 5 });

    // Act
    watch.stop();
    parent = 1;
    await delay(30);

    // Assess
    assert.equal(calls, 0);
  });
});
