/**
 * What every WaitSlots adapter promises (lib/domain/ports.ts), run against each of them
 * (wait-slots.test.ts beside this file): the table's slots on AWS and the server's own in local mode
 * must never drift apart. The clock moves only when a test moves it.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { WaitSlot, WaitSlots } from '#lib/domain/ports.ts';

/** Makes the adapter under test reading `now` as its clock (it may share a store with earlier tests). */
export type WaitSlotsFactory = (now: () => Date) => WaitSlots;

export function waitSlotsContract(make: WaitSlotsFactory): void {
  let time = Date.UTC(2030, 0, 1);
  const slots = () => make(() => new Date(time));
  /** A holder name of its own per test: an adapter may keep what earlier tests took. */
  let holders = 0;
  const aHolder = () => `holder-${(holders += 1)}-${Math.random().toString(36).slice(2, 8)}`;

  it("gives a holder at most `limit` slots at once, whatever another holder has", async () => {
    // Prepare
    time = Date.UTC(2030, 0, 1);
    const [holder, other] = [aHolder(), aHolder()];
    const expiresAt = new Date(time + 30_000);
    const adapter = slots();

    // Act
    const taken = await Promise.all([1, 2, 3].map(() => adapter.take(holder, 2, expiresAt)));
    const others = await adapter.take(other, 2, expiresAt);

    // Assess
    assert.equal(taken.filter(Boolean).length, 2, 'two of three waits racing for two slots get one');
    assert.ok(others, "another holder's slots are its own");
  });

  it('frees a slot when it is given back, once however often it is given back', async () => {
    // Prepare
    time = Date.UTC(2030, 0, 1);
    const holder = aHolder();
    const expiresAt = new Date(time + 30_000);
    const adapter = slots();
    const slot = (await adapter.take(holder, 2, expiresAt)) as WaitSlot;
    assert.ok(await adapter.take(holder, 2, expiresAt));
    assert.equal(await adapter.take(holder, 2, expiresAt), undefined);

    // Act
    await slot.release();
    await slot.release();

    // Assess
    assert.ok(await adapter.take(holder, 2, expiresAt), 'the slot given back is free');
    assert.equal(await adapter.take(holder, 2, expiresAt), undefined, 'a second release frees no other wait’s slot');
  });

  it('frees a slot nobody gave back once its lease has expired, and only then', async () => {
    // Prepare: a wait whose invocation died holding its slot.
    time = Date.UTC(2030, 0, 1);
    const holder = aHolder();
    const adapter = slots();
    const abandoned = (await adapter.take(holder, 1, new Date(time + 30_000))) as WaitSlot;
    assert.ok(abandoned);

    // Act
    time += 30_000;
    const beforeExpiry = await adapter.take(holder, 1, new Date(time + 30_000));
    time += 1_000;
    const afterExpiry = await adapter.take(holder, 1, new Date(time + 30_000));

    // Assess
    assert.equal(beforeExpiry, undefined, 'a lease is held to its expiry');
    assert.ok(afterExpiry, 'an expired lease is free');
    // The late release of the abandoned lease leaves the new one alone.
    await abandoned.release();
    assert.equal(await adapter.take(holder, 1, new Date(time + 30_000)), undefined);
  });
}
