/**
 * Ctrl-C while following a job. The first press cancels the job and keeps following until it is
 * CANCELLED and its last lines are printed; a second one detaches at once. Through npm/npx the CLI
 * gets one press twice (from the terminal, and forwarded by npm a moment later): a repeat within
 * REPEAT_WINDOW_MS counts as the same press (lib/domain/repeated-signals.ts).
 *
 * The parent going away counts as a first press too (SIGTERM's path: cancel, wait for the last
 * lines, exit 130). npx runs the bin through `sh -c`, and npm passes a SIGTERM (a CI runner
 * cancelling the step, `kill <npx pid>`) to that shell only, which dies without passing it on: the
 * CLI, re-parented, would follow on and the job run on. Any wrapper that dies without a word is the
 * same. It never detaches: after a real Ctrl-C the parent (npm) exits on its own while we cancel.
 */
import { watchParent } from '#lib/domain/parent-watch.ts';
import { SignalPresses, type Press } from '#lib/domain/repeated-signals.ts';

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export type InterruptDecision = 'cancel' | 'ignore' | 'detach';

const DECISIONS: Record<Press, InterruptDecision> = { first: 'cancel', repeat: 'ignore', again: 'detach' };

/** The parent at start-up: read as the CLI loads, so a parent that dies while it starts is noticed too. */
const parentAtStart = process.ppid;

/** Counts the presses of one run. */
export class Interrupts {
  readonly #presses: SignalPresses;

  constructor(repeatWindowMs?: number) {
    this.#presses = new SignalPresses(repeatWindowMs);
  }

  get pressed(): boolean {
    return this.#presses.pressed;
  }

  press(now: number): InterruptDecision {
    return DECISIONS[this.#presses.press(now)];
  }

  /** The parent went away at `now`: a first press, or nothing after one (never a reason to detach). */
  parentGone(now: number): InterruptDecision {
    if (this.#presses.pressed) return 'ignore';
    return this.press(now);
  }
}

/**
 * Listens for Ctrl-C, SIGTERM (as a CI runner cancelling the step sends) and the parent's going,
 * until the returned function is called.
 */
export function onInterrupt(handler: (decision: InterruptDecision) => void, interrupts: Interrupts = new Interrupts()): () => void {
  const decide = (decision: InterruptDecision) => {
    if (decision !== 'ignore') handler(decision);
  };
  const listener = () => decide(interrupts.press(Date.now()));
  for (const signal of INTERRUPT_SIGNALS) process.on(signal, listener);
  const parentWatch = watchParent(() => decide(interrupts.parentGone(Date.now())), { parent: parentAtStart });
  return () => {
    for (const signal of INTERRUPT_SIGNALS) process.off(signal, listener);
    parentWatch.stop();
  };
}
