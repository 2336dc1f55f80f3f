/** A clock and timer for waits (lib/domain/waiting.ts) that move only when a test moves them. */
import type { Sleep } from '#lib/domain/waiting.ts';

/** A clock and timer that move only when told: `advance` fires the sleeps that are due. */
export class FakeClock {
  time = Date.UTC(2030, 0, 1);
  readonly #sleepers = new Set<{ at: number; wake: () => void }>();

  readonly now = () => new Date(this.time);

  readonly sleep: Sleep = (ms, signal) =>
    new Promise((resolve) => {
      const sleeper = {
        at: this.time + ms,
        wake: () => {
          this.#sleepers.delete(sleeper);
          resolve();
        },
      };
      this.#sleepers.add(sleeper);
      signal.addEventListener('abort', sleeper.wake, { once: true });
    });

  get sleeping(): number {
    return this.#sleepers.size;
  }

  /** Moves time on by `ms`, a sleep at a time, letting each woken wait run before the next. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      await settle();
      const next = [...this.#sleepers].filter((sleeper) => sleeper.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.time = next.at;
      next.wake();
    }
    this.time = until;
    await settle();
  }
}

/** Lets every promise that can settle settle (the fakes do no I/O). */
export async function settle(): Promise<void> {
  for (let round = 0; round < 5; round += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Tracks a promise's outcome without awaiting it. */
export function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly value: T | undefined; readonly error: unknown; promise: Promise<T> } {
  const state = { settled: false, value: undefined as T | undefined, error: undefined as unknown, promise };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}
