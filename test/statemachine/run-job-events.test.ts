/**
 * statemachine/run-job.asl.json driven by task-state-change events, as on AWS (EventBridge → the
 * event Lambda) and locally (the process runner): the real definition in the local engine, the real
 * steps and event handler on a real store, and a task that reports each change as an event. Waits
 * end by events alone unless a test drops them: then the safety net (a wait's timeout) and PollTask
 * finish the job.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LocalWorkflow, type ExecutionOutcome } from '#lib/adapters/local/local-workflow.ts';
import { TaskNotFoundError } from '#lib/domain/errors.ts';
import { cancelJob } from '#lib/domain/job-service.ts';
import type { Job } from '#lib/domain/job.ts';
import { silentLogger, stderrLogger } from '#lib/domain/logger.ts';
import type { LogArchiver, LogReader, Notifier, RunTaskResult, TaskRunner, TaskSnapshot } from '#lib/domain/ports.ts';
import type { TaskStateChange } from '#lib/domain/task-events.ts';
import { NO_NOTIFICATIONS } from '#lib/notify/notifiers.ts';
import { workflowSteps } from '#lib/workflow/steps.ts';
import { reconcileUnfinishedJobs, type ReconcileReport } from '#lib/workflow/reconcile.ts';
import { jobDocument } from '#lib/http/job-document.ts';
import { handleTaskStateChange, type TaskStateChangePorts } from '#lib/workflow/task-state-change.ts';
import { aJob, SSH_PROFILE } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs-test/0123456789abcdef0123456789abcdef';
const PROFILES = new Map([[SSH_PROFILE.name, SSH_PROFILE]]);
const NO_LOGS: LogReader = {
  read: async () => ({ lines: [], nextCursor: '0', atEnd: true, truncated: false }),
  readBackward: async () => ({ lines: [], previousCursor: null, truncated: false }),
  tail: async () => ['done'],
};

let testStore: TestStore;
before(async () => {
  testStore = await createTestStore();
});
after(async () => {
  await testStore.close();
});

/** What the task does, as events: `started` right after RunTask answers (or before, `early`), then it exits (or not). */
interface TaskPlay {
  exitCode?: number;
  /** The task never exits by itself (a deadline or a cancel stops it). */
  runsForever?: boolean;
  /** Its events are sent before RunTask's answer is recorded (the race with AwaitTask's token). */
  early?: boolean;
  /** Changes each event is sent more than once, and an older one after a newer one. */
  repeated?: boolean;
  /** No event reaches the handler at all. */
  dropped?: boolean;
  /** The task never gets past provisioning (no event until it is stopped). */
  stuck?: boolean;
  /** RunTask refuses to start it. */
  refused?: boolean;
}

/** A task that reports each change of its state as ECS would, with a version; DescribeTasks answers as it is. */
class EventingTask implements TaskRunner {
  snapshot: TaskSnapshot = { taskArn: TASK_ARN, lastStatus: 'PROVISIONING', exitCode: null };
  version = 0;
  describes = 0;
  readonly #sent: TaskStateChange[] = [];
  readonly jobId: string;
  readonly play: TaskPlay;
  readonly send: (change: TaskStateChange) => Promise<void>;

  constructor(jobId: string, play: TaskPlay, send: (change: TaskStateChange) => Promise<void>) {
    this.jobId = jobId;
    this.play = play;
    this.send = send;
  }

  async runTask(): Promise<RunTaskResult> {
    if (this.play.refused) return { started: false, failure: { category: 'CAPACITY', message: 'the task could not be started: RESOURCE:FARGATE' } };
    if (this.play.stuck) return { started: true, taskArn: TASK_ARN };
    const lifecycle = async () => {
      await this.change({ lastStatus: 'RUNNING', startedAt: new Date().toISOString() });
      if (!this.play.runsForever) await this.change({ lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', exitCode: this.play.exitCode ?? 0, stoppedAt: new Date().toISOString() });
    };
    if (this.play.early) await lifecycle();
    else setTimeout(() => void lifecycle(), 20);
    return { started: true, taskArn: TASK_ARN };
  }

  async describeTask(): Promise<TaskSnapshot> {
    this.describes += 1;
    return { ...this.snapshot };
  }

  /** The reconciler's batch look: this task as it is, with its version. */
  async describeTasks(taskArns: readonly string[]): Promise<TaskSnapshot[]> {
    return taskArns.includes(TASK_ARN) ? [{ ...this.snapshot, version: this.version }] : [];
  }

  async stopTask(_taskArn: string, reason: string): Promise<void> {
    if (this.snapshot.lastStatus === 'STOPPED') return;
    setTimeout(() => void this.change({ lastStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: reason, exitCode: 143, stoppedAt: new Date().toISOString() }), 20);
  }

  async change(patch: Partial<TaskSnapshot>): Promise<void> {
    this.snapshot = { ...this.snapshot, ...patch };
    this.version += 1;
    const change = { ...this.snapshot, jobId: this.jobId, version: this.version };
    this.#sent.push(change);
    if (this.play.dropped) return;
    await this.send(change);
    if (this.play.repeated) {
      await this.send(change);
      const older = this.#sent.at(-2);
      if (older) await this.send(older);
    }
  }
}

interface Played {
  outcome: ExecutionOutcome;
  record: Job;
  task: EventingTask;
}

interface PlayOptions {
  job?: Partial<Job>;
  maxAwaitMs?: number;
  /** `ports`: what the event handler gets (for a test that runs the reconciler meanwhile). */
  whileRunning?: (job: Job, task: EventingTask, ports: TaskStateChangePorts) => Promise<void>;
  /** The steps' clock, when a test moves time on (the real one otherwise). */
  now?: () => Date;
  logReader?: LogReader;
  notifier?: Notifier;
  logArchiver?: LogArchiver;
}

async function play(taskPlay: TaskPlay, options: PlayOptions = {}): Promise<Played> {
  const { store } = testStore;
  const job = aJob({ profile: 'ssh', ...options.job });
  await store.create(job);
  const waking = { wake: (taskToken: string, output: unknown) => workflow.wake(taskToken, output) };
  const ports = { store, profiles: PROFILES, notifier: options.notifier ?? NO_NOTIFICATIONS, logger: silentLogger, workflow: waking, ...(options.now ? { now: options.now } : {}) };
  const task: EventingTask = new EventingTask(job.id, taskPlay, (change) => handleTaskStateChange(ports, change));
  const steps = workflowSteps({ ...ports, taskRunner: task, logReader: options.logReader ?? NO_LOGS, ...(options.logArchiver ? { logArchiver: options.logArchiver } : {}) });
  // Long enough that a wait ends by an event unless there is none; short enough for a test.
  const workflow: LocalWorkflow = new LocalWorkflow({ steps, logger: process.env.DEBUG_EVENTS ? stderrLogger : silentLogger, maxAwaitMs: options.maxAwaitMs ?? 5000, retryIntervalMs: 0, notificationRetryIntervalMs: 0 });
  const execution = workflow.execute(job.id);
  if (options.whileRunning) await options.whileRunning(job, task, ports);
  const outcome = await execution;
  const record = await store.get(job.id);
  assert.ok(record);
  return { outcome, record, task };
}

/** Step Functions' history of a path, as bench/workflow.ts estimates it: 5 events per Task state, 2 per other state. */
const TASK_STATE_NAMES = new Set(['StartTask', 'AwaitTask', 'PollTask', 'StopTask', 'FinalizeJob', 'MarkFailed', 'NotifyFinished']);
const historyEvents = (states: readonly string[]) => states.reduce((sum, name) => sum + (TASK_STATE_NAMES.has(name) ? 5 : 2), 0);

/** Woken by the STOPPED event alone; FinalizeJob notifies and ends the execution. */
const EVENT_PATH = ['StartTask', 'AwaitTask', 'FinalizeJob'];

describe('run-job driven by task-state-change events', () => {
  test('success: RUNNING recorded without waking the execution, woken by STOPPED alone: 3 state transitions (under 40 history events) and no DescribeTasks poll', async () => {
    const { outcome, record, task } = await play({ exitCode: 0 });

    assert.deepEqual(outcome.states, EVENT_PATH);
    assert.ok(historyEvents(outcome.states) < 40, `${historyEvents(outcome.states)} history events`);
    assert.equal(record.status, 'SUCCEEDED');
    assert.equal(record.exitCode, 0);
    assert.ok(record.startedAt && record.stoppedAt);
    assert.equal(task.describes, 1, "FinalizeJob's one look at the stopped task");
  });

  test("FinalizeJob tells the job's followers how it ended, once; a delivery that fails goes on to NotifyFinished, which retries it", async () => {
    const told: string[] = [];
    let failuresLeft = 1;
    const flaky: Notifier = {
      notify: async (_job, event) => {
        told.push(event);
        if (event !== 'job.finished') return { attempts: [], retry: false };
        const delivered = failuresLeft-- <= 0;
        return { attempts: [{ channel: 'webhook', event, attempt: told.length, time: new Date().toISOString(), delivered }], retry: !delivered };
      },
    };
    const steady: Notifier = { notify: async (_job, event) => (told.push(event), { attempts: [], retry: false }) };

    const atOnce = await play({ exitCode: 0 }, { notifier: steady });
    const finishedAtOnce = told.filter((event) => event === 'job.finished').length;
    told.length = 0;
    const retried = await play({ exitCode: 0 }, { notifier: flaky });

    assert.deepEqual(atOnce.outcome.states, EVENT_PATH);
    assert.equal(finishedAtOnce, 1);
    assert.deepEqual(retried.outcome.states, [...EVENT_PATH, 'NotifyFinished']);
    assert.equal(retried.outcome.status, 'SUCCEEDED');
    assert.deepEqual(told.filter((event) => event === 'job.finished'), ['job.finished', 'job.finished']);
    assert.deepEqual(retried.record.notifications?.map((attempt) => attempt.delivered), [false, true]);
  });

  test('FinalizeJob archives the whole log and records it, on the same 3 transitions; an archive that fails is retried by the state, and given up on without changing the outcome', async () => {
    const archived: string[] = [];
    const archiver = (failures: number): LogArchiver => ({
      archive: async (job) => {
        archived.push(job.id);
        if (failures-- > 0) throw new Error('S3 is unavailable');
        return { key: `logs/${job.id}.ndjson.gz`, lines: 1, bytes: 40 };
      },
    });

    const first = await play({ exitCode: 0 }, { logArchiver: archiver(0) });
    const retried = await play({ exitCode: 0 }, { logArchiver: archiver(2) });
    archived.length = 0;
    const givenUp = await play({ exitCode: 0 }, { logArchiver: archiver(Number.POSITIVE_INFINITY) });

    assert.deepEqual(first.outcome.states, EVENT_PATH);
    assert.deepEqual(first.record.logArchive, { key: `logs/${first.record.id}.ndjson.gz`, lines: 1, bytes: 40 });
    // A retried state is entered once: the retries cost no transition.
    assert.deepEqual(retried.outcome.states, EVENT_PATH);
    assert.equal(retried.record.logArchive?.lines, 1);
    assert.equal(givenUp.outcome.status, 'SUCCEEDED');
    assert.deepEqual(givenUp.outcome.states, [...EVENT_PATH, 'NotifyFinished']);
    assert.equal(archived.length, 3, 'tried, then retried twice');
    assert.equal(givenUp.record.status, 'SUCCEEDED');
    assert.ok(givenUp.record.stoppedAt, 'finalized all the same');
    assert.equal(givenUp.record.logArchive, undefined);
  });

  test('an archive and a notification that both fail: the archive is retried and given up on, the notification still delivered by NotifyFinished', async () => {
    let failuresLeft = 3;
    const flaky: Notifier = {
      notify: async (_job, event) => {
        if (event !== 'job.finished') return { attempts: [], retry: false };
        const delivered = failuresLeft-- <= 0;
        return { attempts: [{ channel: 'webhook', event, attempt: 1, time: new Date().toISOString(), delivered }], retry: !delivered };
      },
    };
    const broken: LogArchiver = {
      archive: async () => {
        throw new Error('S3 is unavailable');
      },
    };

    const { outcome, record } = await play({ exitCode: 0 }, { notifier: flaky, logArchiver: broken });

    assert.equal(outcome.status, 'SUCCEEDED');
    assert.deepEqual(outcome.states, [...EVENT_PATH, 'NotifyFinished']);
    // FinalizeJob's try and its two runs again, then NotifyFinished's first try delivers.
    assert.deepEqual(record.notifications?.map((attempt) => attempt.delivered), [false, false, false, true]);
    assert.equal(record.logArchive, undefined);
  });

  test('exit 3: FAILED USER_EXIT with exit code 3, on the same path', async () => {
    const { outcome, record } = await play({ exitCode: 3 });

    assert.deepEqual(outcome.states, EVENT_PATH);
    assert.equal(record.status, 'FAILED');
    assert.equal(record.failure?.category, 'USER_EXIT');
    assert.equal(record.exitCode, 3);
  });

  test('the end shows at once: the STOPPED event records the status and exit code, while FinalizeJob is still draining the log (not yet finalized)', async () => {
    const seenWhileDraining: Array<Job | undefined> = [];
    const slowLogs: LogReader = {
      ...NO_LOGS,
      tail: async (job) => {
        seenWhileDraining.push(await testStore.store.get(job.id));
        await new Promise((resolve) => setTimeout(resolve, 300));
        return ['done'];
      },
    };

    const { record } = await play({ exitCode: 3 }, { logReader: slowLogs });

    const during = seenWhileDraining[0];
    assert.equal(during?.status, 'FAILED');
    assert.equal(during?.exitCode, 3);
    assert.equal(during?.failure?.category, 'USER_EXIT');
    assert.equal(during?.stoppedAt, undefined, 'finalized (the log complete) only once drained');
    assert.ok(during && jobDocument(during).stoppedAt, 'the document shows when the task stopped, from its STOPPED event');
    assert.ok(record.stoppedAt);
    assert.deepEqual(record.logTail, ['done']);
  });

  test('duplicated and out-of-order events change nothing', async () => {
    const { outcome, record } = await play({ exitCode: 0, repeated: true });

    assert.deepEqual(outcome.states, EVENT_PATH);
    assert.equal(record.status, 'SUCCEEDED');
    assert.equal(record.taskState?.lastStatus, 'STOPPED');
  });

  test('events that come before the token is stored: AwaitTask sees them in the record and wakes the execution itself', async () => {
    const { outcome, record } = await play({ exitCode: 0, early: true });

    assert.deepEqual(outcome.states, EVENT_PATH);
    assert.equal(record.status, 'SUCCEEDED');
  });

  test('events dropped: the wait times out, PollTask looks, and the job still finishes', async () => {
    const { outcome, record } = await play({ exitCode: 0, dropped: true }, { maxAwaitMs: 50 });

    assert.ok(outcome.states.includes('PollTask'));
    assert.equal(outcome.states.at(-1), 'FinalizeJob');
    assert.equal(record.status, 'SUCCEEDED');
  });

  test('a task ECS has forgotten, with its events lost: the safety-net poll finds it gone, the job ends FAILED OUTCOME_UNKNOWN with its log tail, nothing stopped', async () => {
    const stops: string[] = [];
    const { outcome, record } = await play(
      { exitCode: 0, dropped: true },
      {
        maxAwaitMs: 50,
        whileRunning: async (_job, task) => {
          task.describeTask = async () => {
            throw new TaskNotFoundError(TASK_ARN);
          };
          task.stopTask = async (arn) => {
            stops.push(arn);
          };
        },
      },
    );

    assert.equal(outcome.status, 'SUCCEEDED');
    assert.ok(!outcome.states.includes('MarkFailed'));
    assert.equal(record.status, 'FAILED');
    assert.equal(record.failure?.category, 'OUTCOME_UNKNOWN');
    assert.deepEqual(record.logTail, ['done']);
    assert.deepEqual(stops, []);
  });

  test('start failure: RunTask refuses, nothing is waited for, the job ends FAILED CAPACITY', async () => {
    const { outcome, record } = await play({ refused: true });

    assert.deepEqual(outcome.states, ['StartTask', 'NotifyFinished']);
    assert.equal(record.status, 'FAILED');
    assert.equal(record.failure?.category, 'CAPACITY');
  });

  test('stuck provisioning: the wait times out at the provisioning limit, the task is stopped, its STOPPED event ends the job START_FAILED in a dozen transitions', async () => {
    // The clock jumps past the 600 s limit at the first look.
    let offsetMs = 0;
    const now = () => new Date(Date.now() + offsetMs);
    const { outcome, record } = await play(
      { stuck: true },
      {
        now,
        // The provisioning wait ends here; the stop's STOPPED event comes sooner (20 ms).
        maxAwaitMs: 500,
        whileRunning: async (_job, task) => {
          const describe = task.describeTask.bind(task);
          task.describeTask = async () => {
            offsetMs += 601_000;
            return describe();
          };
        },
      },
    );

    assert.deepEqual(outcome.states, ['StartTask', 'AwaitTask', 'PollTask', 'TaskState', 'StopTask', 'AwaitTask', 'FinalizeJob']);
    assert.equal(record.status, 'FAILED');
    assert.equal(record.failure?.category, 'START_FAILED');
  });

  test('stuck provisioning while the execution waits: the reconciler stops the task at the provisioning limit, its STOPPED event ends the job START_FAILED, no PollTask', async () => {
    const stopReasons: string[] = [];
    let report: ReconcileReport | undefined;
    const { outcome, record } = await play(
      { stuck: true },
      {
        // Far longer than the test: the job must end by the reconciler's stop, not a look.
        maxAwaitMs: 30_000,
        whileRunning: async (job, task, ports) => {
          await until(async () => (await testStore.store.get(job.id))?.waitToken !== undefined);
          const stop = task.stopTask.bind(task);
          task.stopTask = async (arn, reason) => {
            stopReasons.push(reason);
            return stop(arn, reason);
          };
          // A run before the limit stops nothing; the first run past it stops the task.
          const early = await reconcileUnfinishedJobs({ ...ports, taskRunner: task, now: () => new Date(Date.now() + 599_000) });
          assert.equal(early.stopped, 0);
          report = await reconcileUnfinishedJobs({ ...ports, taskRunner: task, now: () => new Date(Date.now() + 601_000) });
        },
      },
    );

    assert.equal(report?.stopped, 1);
    assert.deepEqual(stopReasons, ['fargate-jobs: not running after 600 s of provisioning']);
    assert.deepEqual(outcome.states, EVENT_PATH);
    assert.equal(record.status, 'FAILED');
    assert.equal(record.failure?.category, 'START_FAILED');
  });

  test('timeout: the first wait ends when the timeout can first have passed, PollTask stops the task at its real deadline, and its STOPPED event records TIMED_OUT before the log is drained', async () => {
    const seenWhileDraining: Array<Job | undefined> = [];
    const slowLogs: LogReader = {
      ...NO_LOGS,
      tail: async (job) => {
        seenWhileDraining.push(await testStore.store.get(job.id));
        return ['done'];
      },
    };

    const { outcome, record } = await play({ runsForever: true }, { job: { timeoutSeconds: 1 }, logReader: slowLogs });

    // The task runs 20 ms after StartTask: at the first look its deadline is still ahead, so PollTask waits for it.
    assert.deepEqual(outcome.states.slice(0, 3), ['StartTask', 'AwaitTask', 'PollTask']);
    assert.deepEqual(outcome.states.slice(-3), ['StopTask', 'AwaitTask', 'FinalizeJob']);
    assert.equal(seenWhileDraining[0]?.status, 'TIMED_OUT', 'the stop reason tells the event handler it was the timeout');
    assert.equal(record.status, 'TIMED_OUT');
    assert.equal(record.failure?.category, 'TIMEOUT');
  });

  test('cancel: the stop is asked for, and its STOPPED event ends the job CANCELLED with no poll', async () => {
    const { outcome, record } = await play(
      { runsForever: true },
      {
        whileRunning: async (job, task) => {
          for (let tries = 0; tries < 200 && (await testStore.store.get(job.id))?.status !== 'RUNNING'; tries += 1) await new Promise((resolve) => setTimeout(resolve, 10));
          await cancelJob({ store: testStore.store, taskRunner: task }, job.id, { name: 'alice', profiles: ['*'] });
        },
      },
    );

    assert.ok(!outcome.states.includes('PollTask'), outcome.states.join(' → '));
    assert.equal(record.status, 'CANCELLED');
    assert.ok(record.stoppedAt);
  });

  test('cancel with its STOPPED event lost: the next reconciler run finds the stop and the job finishes, long before the safety net', async () => {
    let report: ReconcileReport | undefined;
    const began = Date.now();
    const { outcome, record } = await play(
      { runsForever: true },
      {
        // The safety net's wait: the job must finish well before it.
        maxAwaitMs: 30_000,
        whileRunning: async (job, task, ports) => {
          // Running, and its execution waiting for the next change.
          await until(async () => {
            const current = await testStore.store.get(job.id);
            return current?.status === 'RUNNING' && current.waitToken !== undefined;
          });
          task.play.dropped = true;
          await cancelJob({ store: testStore.store, taskRunner: task }, job.id, { name: 'alice', profiles: ['*'] });
          await until(async () => task.snapshot.lastStatus === 'STOPPED');
          report = await reconcileUnfinishedJobs({ ...ports, taskRunner: task });
        },
      },
    );

    assert.ok(report && report.woken >= 1, 'the reconciler saw the cancelled job and woke its execution');
    assert.ok(!outcome.states.includes('PollTask'), outcome.states.join(' → '));
    assert.equal(outcome.states.at(-1), 'FinalizeJob');
    assert.equal(record.status, 'CANCELLED');
    assert.ok(record.stoppedAt, 'the stop is recorded: its logs are complete and job.finished is sent');
    assert.deepEqual(record.logTail, ['done']);
    assert.ok(Date.now() - began < 10_000);
  });
});

/** Resolves once `condition` holds (tried every 10 ms, for at most 5 s). */
async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 500; tries += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the condition did not come true within 5 s');
}
