/**
 * Telling one press of Ctrl-C from two. Through npm (and npx) a process gets one press twice: from
 * the terminal, which signals the whole foreground process group, and a moment later forwarded by
 * npm. A repeat within REPEAT_WINDOW_MS is that same press; a later one is the person pressing again
 * (because the stop takes too long). The server (local/shutdown-requests.ts) and the CLI
 * (cli/interrupt.ts) decide what each means.
 */

/** Long enough for npm to forward a signal its child already had; short next to a person pressing again. */
export const REPEAT_WINDOW_MS = 1_000;

/** A signal is the first, the first delivered again, or another press after it. */
export type Press = 'first' | 'repeat' | 'again';

export class SignalPresses {
  readonly #repeatWindowMs: number;
  #firstAt: number | undefined;

  constructor(repeatWindowMs: number = REPEAT_WINDOW_MS) {
    this.#repeatWindowMs = repeatWindowMs;
  }

  /** Whether a first press has come. */
  get pressed(): boolean {
    return this.#firstAt !== undefined;
  }

  /** A press at `now` (ms). */
  press(now: number): Press {
    if (this.#firstAt === undefined) {
      this.#firstAt = now;
      return 'first';
    }
    return now - this.#firstAt < this.#repeatWindowMs ? 'repeat' : 'again';
  }
}
