/**
 * What stops `npm start`. Whoever ends the server — Ctrl-C, `kill`, systemd, Docker, a CI runner,
 * `timeout`, a closed terminal — must get the same graceful stop: running jobs stopped and recorded
 * CANCELLED, the store closed, the port freed. How each one reaches node (npm 11 runs the script
 * as `sh -c 'exec node local/server.ts'`, so node is npm's direct child):
 *
 * - SIGTERM and SIGINT sent to npm are forwarded by npm to node;
 * - Ctrl-C sends SIGINT to the terminal's whole foreground process group: node gets it directly and
 *   again, a moment later, forwarded by npm. One press must count once, so a repeat within
 *   REPEAT_WINDOW_MS of the first request is ignored; a later one (the user pressing again because
 *   the stop takes too long) still means "exit now";
 * - SIGHUP (a closed terminal) kills npm without forwarding anything, and so does `kill -9` of npm:
 *   node learns of it only because its parent changes (it is re-parented to init or a subreaper),
 *   which it polls for every PARENT_POLL_MS (lib/domain/parent-watch.ts). SIGHUP sent to node itself is handled like SIGTERM.
 */

import { SignalPresses, type Press } from '#lib/domain/repeated-signals.ts';

export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export { REPEAT_WINDOW_MS } from '#lib/domain/repeated-signals.ts';

/** What a request to stop means now: start the graceful stop, nothing (a repeat), or exit at once. */
export type ShutdownDecision = 'shut-down' | 'ignore' | 'exit-now';

const DECISIONS: Record<Press, ShutdownDecision> = { first: 'shut-down', repeat: 'ignore', again: 'exit-now' };

/** Counts the requests to stop one server. */
export class ShutdownRequests {
  readonly #presses: SignalPresses;

  constructor(repeatWindowMs?: number) {
    this.#presses = new SignalPresses(repeatWindowMs);
  }

  /** A signal received at `now` (ms): the first shuts down, a repeat is ignored, a later one exits now. */
  signal(now: number): ShutdownDecision {
    return DECISIONS[this.#presses.press(now)];
  }

  /**
   * The parent went away at `now`. Never a reason to exit at once: npm may exit on its own while
   * the server is stopping (after forwarding a signal), and nobody asked to hurry.
   */
  parentGone(now: number): ShutdownDecision {
    if (this.#presses.pressed) return 'ignore';
    this.#presses.press(now);
    return 'shut-down';
  }
}
