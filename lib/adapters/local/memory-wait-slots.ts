/**
 * The WaitSlots port in this process's memory, for local mode: one server owns its data directory
 * (the single-instance lock) and answers every waiting request itself, so its own count is the whole
 * count. It saves the two store writes per waiting request that slots in the table cost (a put and a
 * delete through the embedded store), which local mode's throughput feels.
 *
 * Slots are leased as in the table (DynamoDbWaitSlots), so both adapters keep one contract
 * (test/contract/wait-slots.contract.ts): a lease nobody gave back ends at its expiry, and giving
 * back a lease that has expired (and been taken since) frees nothing.
 */
import type { WaitSlot, WaitSlots } from '#lib/domain/ports.ts';

export class MemoryWaitSlots implements WaitSlots {
  /** Each holder's live leases: lease → its expiry (ms since the epoch). */
  readonly #leases = new Map<string, Map<symbol, number>>();
  readonly #now: () => Date;

  constructor(options: { now?: () => Date } = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  async take(holder: string, limit: number, expiresAt: Date): Promise<WaitSlot | undefined> {
    const leases = this.#liveLeases(holder);
    if (leases.size >= limit) return undefined;
    const lease = Symbol(holder);
    leases.set(lease, expiresAt.getTime());
    this.#leases.set(holder, leases);
    return {
      release: async () => {
        leases.delete(lease);
        if (leases.size === 0 && this.#leases.get(holder) === leases) this.#leases.delete(holder);
      },
    };
  }

  /** The holder's leases that have not expired (expired ones are dropped on the way). */
  #liveLeases(holder: string): Map<symbol, number> {
    const leases = this.#leases.get(holder) ?? new Map<symbol, number>();
    const now = this.#now().getTime();
    for (const [lease, expiry] of leases) if (expiry < now) leases.delete(lease);
    return leases;
  }
}
