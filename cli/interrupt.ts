/**
 * Ctrl-C while following a job. The first press cancels the job and keeps following until it is
 * CANCELLED and its last lines are printed; a second one detaches at once. Through npm/npx the CLI
 * gets one press twice (from the terminal, and forwarded by npm a moment later): a repeat within
 * REPEAT_WINDOW_MS counts as the same press (lib/domain/repeated-signals.ts).
 */
import { SignalPresses, type Press } from '#lib/domain/repeated-signals.ts';

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export type InterruptDecision = 'cancel' | 'ignore' | 'detach';

const DECISIONS: Record<Press, InterruptDecision> = { first: 'cancel', repeat: 'ignore', again: 'detach' };

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
}

/** Listens for Ctrl-C (and SIGTERM, as a CI runner cancelling the step sends) until the returned function is called. */
export function onInterrupt(handler: (decision: InterruptDecision) => void, interrupts: Interrupts = new Interrupts()): () => void {
  const listener = () => {
    const decision = interrupts.press(Date.now());
    if (decision !== 'ignore') handler(decision);
  };
  for (const signal of INTERRUPT_SIGNALS) process.on(signal, listener);
  return () => {
    for (const signal of INTERRUPT_SIGNALS) process.off(signal, listener);
  };
}
