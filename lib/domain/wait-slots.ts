/**
 * The limit on requests a token may have waiting at once (`wait` on GET /jobs/{id} and its logs).
 * A waiting request holds a Lambda execution (of the stage's pollConcurrency) for up to 20 s: without
 * a limit per token, one token at the stage's throttle could hold every one of them, and every other
 * token's reads would be throttled. A slot is taken only by a wait that waits: a request its first
 * look answers (the job has changed already, the log has lines) takes none, and one without `wait`
 * is never limited.
 */
import type { Caller } from './caller.ts';
import { TooManyWaitsError } from './errors.ts';
import type { Dependencies } from './ports.ts';
import type { WaitOptions } from './waiting.ts';

/**
 * How long after its deadline a wait's slot stays taken if nothing gives it back (the invocation
 * died or timed out): past the last look and the answer (the function's timeout is 5 s past the
 * longest wait), so a live wait never loses its slot, and a dead one frees it within half a minute.
 */
export const WAIT_SLOT_MARGIN_MS = 10_000;

/**
 * Retry-After of a TOO_MANY_WAITS: each of the token's waits ends within 20 s, usually sooner (on
 * the change it waits for); asking again every 5 s costs a client a fifth of a request a second.
 */
export const WAIT_RETRY_AFTER_SECONDS = 5;

export type WaitSlotPorts = Pick<Dependencies, 'waitSlots' | 'maxWaitsPerToken'>;

/** The `hold` of a wait by `caller` that ends by `deadline` (ms since the epoch); none where waits are not limited. */
export function waitSlotHold(ports: WaitSlotPorts, caller: Caller, deadline: number): WaitOptions['hold'] {
  const { waitSlots, maxWaitsPerToken: limit } = ports;
  if (!waitSlots || limit === undefined) return undefined;
  return async () => {
    const slot = await waitSlots.take(caller.name, limit, new Date(deadline + WAIT_SLOT_MARGIN_MS));
    if (!slot) throw new TooManyWaitsError(caller.name, limit, WAIT_RETRY_AFTER_SECONDS);
    // A slot that could not be given back expires with its lease: the answer is not failed for it.
    return () => slot.release().catch(() => undefined);
  };
}
