import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cachedJobStore } from '#lib/adapters/local/cached-job-store.ts';
import type { JobStore } from '#lib/domain/ports.ts';
import { aJob } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

let testStore: TestStore;
before(async () => {
  testStore = await createTestStore();
});
after(async () => {
  await testStore.close();
});

/** The test store, counting the reads that reach it. */
function countingStore(store: JobStore): { store: JobStore; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(store, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (name === 'get') reads += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counted, reads: () => reads };
}

describe('cachedJobStore', () => {
  it('answers reads of a job it wrote from memory, as the store has it', async () => {
    // Prepare
    const counting = countingStore(testStore.store);
    const cached = cachedJobStore(counting.store);
    const job = aJob();
    await cached.create(job);
    await cached.transition(job.id, 'RUNNING', { startedAt: '2026-01-01T00:00:00.000Z' });

    // Act
    const read = await cached.get(job.id);

    // Assess
    assert.equal(counting.reads(), 0);
    assert.deepEqual(read, await testStore.store.get(job.id));
  });

  it('hands out copies: changing one does not change what it remembers', async () => {
    // Prepare
    const cached = cachedJobStore(testStore.store);
    const job = aJob();
    await cached.create(job);

    // Act
    const first = await cached.get(job.id);
    first!.status = 'FAILED';

    // Assess
    assert.equal((await cached.get(job.id))?.status, 'QUEUED');
  });

  it('after two writes of a job overlapped, reads the store again rather than trust either answer', async () => {
    // Prepare
    const counting = countingStore(testStore.store);
    const cached = cachedJobStore(counting.store);
    const job = aJob();
    await cached.create(job);

    // Act: a cancel racing a step's update, as happens in local mode.
    await Promise.all([
      cached.transition(job.id, 'CANCELLED', { failure: { category: 'CANCELLED', message: 'cancelled by alice' } }),
      cached.update(job.id, { taskArn: 'local:task-1' }),
    ]);
    const read = await cached.get(job.id);

    // Assess
    assert.equal(counting.reads(), 1);
    assert.deepEqual(read, await testStore.store.get(job.id));
    assert.equal(read?.status, 'CANCELLED');
    assert.equal(read?.taskArn, 'local:task-1');
  });

  it('does not remember a read that began while a write of the job was under way (the store may have read before writing)', async () => {
    // Prepare: a store whose update waits to be let go, and whose read reads at once but answers when let go.
    const job = aJob();
    await testStore.store.create(job);
    const gates = { update: Promise.withResolvers<void>(), read: Promise.withResolvers<void>() };
    const gated: JobStore = new Proxy(testStore.store, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name);
        if (typeof value !== 'function') return value;
        const call = (...args: unknown[]) => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (name === 'update') return async (...args: unknown[]) => (await gates.update.promise, call(...args));
        if (name === 'get') return async (...args: unknown[]) => {
          const read = await call(...args);
          await gates.read.promise;
          return read;
        };
        return call;
      },
    });
    const cached = cachedJobStore(gated);

    // Act: the update is under way when the read begins; the read answers what it read before the update, after it.
    const updating = cached.update(job.id, { taskArn: 'local:task-2' });
    const reading = cached.get(job.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    gates.update.resolve();
    await updating;
    gates.read.resolve();
    const staleRead = await reading;

    // Assess: that read was the record before the update, and is not what the cache answers now.
    assert.equal(staleRead?.taskArn, undefined);
    assert.equal((await cached.get(job.id))?.taskArn, 'local:task-2');
  });

  it('forgets a deleted job', async () => {
    // Prepare
    const cached = cachedJobStore(testStore.store);
    const job = aJob({ status: 'SUCCEEDED', stoppedAt: '2026-01-01T00:00:00.000Z' });
    await cached.create(job);

    // Act
    await cached.delete(job.id);

    // Assess
    assert.equal(await cached.get(job.id), undefined);
  });

  it('keeps at most maxJobs records, dropping the least recently used', async () => {
    // Prepare
    const counting = countingStore(testStore.store);
    const cached = cachedJobStore(counting.store, { maxJobs: 2 });
    const [a, b, c] = [aJob(), aJob(), aJob()];
    for (const job of [a, b, c]) await cached.create(job);

    // Act
    await cached.get(b.id);
    await cached.get(c.id);
    await cached.get(a.id);

    // Assess: a was dropped when c came in; b and c were still known.
    assert.equal(counting.reads(), 1);
  });
});
