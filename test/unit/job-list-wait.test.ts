/**
 * Following a listing (GET /jobs with If-None-Match and `wait`): the page's version, and a wait that
 * answers once the page differs from the client's, woken locally by every write of the store and
 * polling the store where nothing tells (DynamoDB). A fake clock: no test waits for real time.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { JobChangeHub, publishingJobStore } from '#lib/adapters/local/job-changes.ts';
import { MemoryWaitSlots } from '#lib/adapters/local/memory-wait-slots.ts';
import { SqliteJobStore } from '#lib/adapters/local/sqlite-job-store.ts';
import type { Caller } from '#lib/domain/caller.ts';
import { TooManyWaitsError } from '#lib/domain/errors.ts';
import { jobPageVersion, waitForJobList, type JobListWaitPorts, type ListJobsQuery } from '#lib/domain/job-listing.ts';
import type { Job } from '#lib/domain/job.ts';
import type { JobStore } from '#lib/domain/ports.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { RECORD_POLL_MS } from '#lib/domain/waiting.ts';
import { FakeClock, settle, track } from '../helpers/fake-clock.ts';
import { aJob } from '../helpers/jobs.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/sqlite.ts';

const alice: Caller = { name: 'alice', profiles: ['*'] };
const PROFILES = new Map<string, Profile>([['default', { name: 'default', description: '', commands: 'any', shell: false, envNames: 'any', timeoutSeconds: { default: 60, max: 60 }, publicIp: 'never' }]]);
const FIRST_TWO: ListJobsQuery = { limit: 2 };

describe('waitForJobList', () => {
  let database: TestDatabase;
  let clock: FakeClock;
  let hub: JobChangeHub;
  let raw: SqliteJobStore & { lists: number };
  let store: JobStore;
  let jobs: Job[];

  beforeEach(async () => {
    database = await openTestDatabase();
    clock = new FakeClock();
    hub = new JobChangeHub();
    const sqlite = new SqliteJobStore({ database: database.database, now: clock.now });
    // Counts the listings: each look at the page is one.
    raw = Object.assign(sqlite, { lists: 0 });
    const list = sqlite.list.bind(sqlite);
    raw.list = (query) => ((raw.lists += 1), list(query));
    store = publishingJobStore(raw, hub);
    jobs = [];
    for (const minute of [1, 2, 3]) {
      const createdAt = new Date(Date.UTC(2030, 0, 1, 0, minute)).toISOString();
      jobs.push((await store.create(aJob({ createdAt, updatedAt: createdAt }))).job);
    }
  });
  afterEach(() => database.close());

  const local = (): JobListWaitPorts => ({ store: raw, profiles: PROFILES, recordChanges: hub, now: clock.now, sleep: clock.sleep });
  const knownAs = (version: string) => (candidate: string) => candidate === version;

  it('gives the same version for the same page, and another once a job of it changes or its next page goes', async () => {
    // Prepare
    const first = await waitForJobList(local(), FIRST_TWO, {}, alice);
    const again = await waitForJobList(local(), FIRST_TWO, {}, alice);

    // Act
    await store.transition(jobs[2]!.id, 'RUNNING');
    const afterStatus = await waitForJobList(local(), FIRST_TWO, {}, alice);
    await store.transition(jobs[0]!.id, 'CANCELLED');
    const afterChangeOnNextPage = await waitForJobList(local(), FIRST_TWO, {}, alice);
    await store.delete(jobs[0]!.id);
    const afterNextPageEmptied = await waitForJobList(local(), FIRST_TWO, {}, alice);

    // Assess
    assert.equal(first.version, again.version);
    assert.equal(first.version, jobPageVersion(first.page));
    assert.notEqual(afterStatus.version, first.version);
    assert.equal(afterStatus.page.jobs[0]?.status, 'RUNNING');
    assert.equal(afterChangeOnNextPage.version, afterStatus.version, 'a change on the next page is not one of this page');
    assert.notEqual(afterNextPageEmptied.version, afterStatus.version, 'the same jobs, but no next page any more');
  });

  it('answers at once, without a wait, when the client has no version or another one', async () => {
    // Act
    const unknown = await waitForJobList(local(), FIRST_TWO, { waitSeconds: 20, known: () => false }, alice);
    const noVersion = await waitForJobList(local(), FIRST_TWO, { waitSeconds: 20 }, alice);

    // Assess
    assert.deepEqual(unknown.page.jobs.map((job) => job.id), [jobs[2]!.id, jobs[1]!.id]);
    assert.equal(noVersion.version, unknown.version);
    assert.equal(clock.sleeping, 0);
  });

  it('wakes on the write that changes the page, looking again at each write that does not', async () => {
    // Prepare
    const { version } = await waitForJobList(local(), FIRST_TWO, {}, alice);
    raw.lists = 0;
    const waiting = track(waitForJobList(local(), FIRST_TWO, { waitSeconds: 20, known: knownAs(version) }, alice));
    await settle();

    // Act: the oldest job is on the next page, not this one.
    await store.update(jobs[0]!.id, { logTail: ['elsewhere'] });
    await settle();
    const afterOtherWrite = waiting.settled;
    const created = await store.create(aJob({ createdAt: new Date(Date.UTC(2030, 0, 1, 0, 4)).toISOString() }));
    await settle();

    // Assess
    assert.equal(afterOtherWrite, false);
    assert.equal(raw.lists, 3, 'a look at the start, one after each write');
    assert.deepEqual(waiting.value?.page.jobs.map((job) => job.id), [created.job.id, jobs[2]!.id]);
    assert.notEqual(waiting.value?.version, version);
  });

  it('answers the page the client has once the wait is over, without polling meanwhile', async () => {
    // Prepare
    const { version } = await waitForJobList(local(), FIRST_TWO, {}, alice);
    raw.lists = 0;
    const waiting = track(waitForJobList(local(), FIRST_TWO, { waitSeconds: 5, known: knownAs(version) }, alice));

    // Act
    await clock.advance(4999);
    const beforeTheEnd = waiting.settled;
    await clock.advance(1);

    // Assess
    assert.equal(beforeTheEnd, false);
    assert.equal(waiting.value?.version, version);
    assert.equal(raw.lists, 2, 'looked at the start and at the end');
  });

  it('on AWS, with no feed, reads the page again every RECORD_POLL_MS until it differs', async () => {
    // Prepare
    const aws: JobListWaitPorts = { store: raw, profiles: PROFILES, now: clock.now, sleep: clock.sleep };
    const { version } = await waitForJobList(aws, FIRST_TWO, {}, alice);
    raw.lists = 0;
    const waiting = track(waitForJobList(aws, FIRST_TWO, { waitSeconds: 20, known: knownAs(version) }, alice));
    await clock.advance(2 * RECORD_POLL_MS);
    const looksWhileQuiet = raw.lists;

    // Act: a write nothing reports.
    await raw.transition(jobs[1]!.id, 'CANCELLED');
    await clock.advance(RECORD_POLL_MS);

    // Assess
    assert.equal(looksWhileQuiet, 3);
    assert.equal(waiting.value?.page.jobs[1]?.status, 'CANCELLED');
    assert.equal(raw.lists, 4);
  });

  it("holds one of the caller's wait slots while it waits, and none when it answers at once", async () => {
    // Prepare
    const limited: JobListWaitPorts = { ...local(), waitSlots: new MemoryWaitSlots({ now: clock.now }), maxWaitsPerToken: 1 };
    const { version } = await waitForJobList(limited, FIRST_TWO, {}, alice);
    const first = track(waitForJobList(limited, FIRST_TWO, { waitSeconds: 20, known: knownAs(version) }, alice));
    await settle();

    // Act
    const second = track(waitForJobList(limited, FIRST_TWO, { waitSeconds: 20, known: knownAs(version) }, alice));
    const atOnce = await waitForJobList(limited, FIRST_TWO, { waitSeconds: 20, known: () => false }, alice);
    await settle();
    await clock.advance(20_000);

    // Assess
    assert.ok(second.error instanceof TooManyWaitsError);
    assert.equal(atOnce.version, version);
    assert.equal(first.value?.version, version);
  });
});
