/**
 * A closed stdout (`fargate-jobs run -- … | head -1`) ends the CLI as SIGPIPE ends a local program:
 * at once, silently, with 141. Node ignores SIGPIPE and reports the failed write as an EPIPE 'error'
 * event on the stream instead; unhandled, that printed a stack trace, exited 1 and left the job
 * running. Whoever read the output is gone, so `run` and `wait` first cancel the job (their last
 * wish, as Ctrl-C would), printing nothing: stderr may be the closed pipe too (`2>&1 | head`).
 *
 * As for a local program, a closed pipe is noticed at the next write, not before.
 */
import { EXIT } from './exit-codes.ts';

/** The longest a last wish may hold the exit up (a cancel sent to an API that does not answer). */
export const LAST_WISH_TIMEOUT_MS = 10_000;

type LastWish = () => Promise<unknown>;

export class BrokenPipe {
  readonly #lastWishes = new Set<LastWish>();
  #broken = false;

  /** Whether an output has been found closed: from then on, nothing more is worth writing. */
  get broken(): boolean {
    return this.#broken;
  }

  /** Registers what to do before exiting on a closed output; returns the function that unregisters it. */
  beforeExit(wish: LastWish): () => void {
    this.#lastWishes.add(wish);
    return () => this.#lastWishes.delete(wish);
  }

  /**
   * Exits with 141 (`exit`, after the last wishes, within LAST_WISH_TIMEOUT_MS) on the first EPIPE of
   * any of `streams`. Their other errors stay what they were: thrown.
   */
  watch(streams: readonly NodeJS.EventEmitter[], exit: (code: number) => void): void {
    const onError = (error: NodeJS.ErrnoException) => {
      // Every write after the first failed one fails too: the exit is on its way.
      if (this.#broken) return;
      if (error.code !== 'EPIPE') throw error;
      this.#broken = true;
      const wishes = Promise.all([...this.#lastWishes].map((wish) => wish().catch(() => undefined)));
      const timeout = new Promise((resolve) => setTimeout(resolve, LAST_WISH_TIMEOUT_MS).unref());
      void Promise.race([wishes, timeout]).then(() => exit(EXIT.BROKEN_PIPE));
    };
    for (const stream of streams) stream.on('error', onError);
  }
}

/** This process's: runAsProcess watches stdout and stderr with it; `run` and `wait` register their cancel. */
export const brokenPipe = new BrokenPipe();
