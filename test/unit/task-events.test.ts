import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AwsProfile } from '#lib/domain/aws-profile.ts';
import { MAX_EARLY_TASKS, type Job } from '#lib/domain/job.ts';
import { silentLogger, type Logger } from '#lib/domain/logger.ts';
import type { JobStore, Notifier, TaskRunner } from '#lib/domain/ports.ts';
import { applyTaskStateChange, type TaskStateChange } from '#lib/domain/task-events.ts';
import { jobDocument } from '#lib/http/job-document.ts';
import { NO_NOTIFICATIONS } from '#lib/notify/notifiers.ts';
import { startTaskStep } from '#lib/workflow/start-task.ts';
import { aJob, SSH_PROFILE } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs-test/0123456789abcdef0123456789abcdef';

let testStore: TestStore;
before(async () => {
  testStore = await createTestStore();
});
after(async () => {
  await testStore.close();
});

function portsWith(notifier: Notifier = NO_NOTIFICATIONS) {
  return { store: testStore.store, profiles: new Map([[SSH_PROFILE.name, SSH_PROFILE]]), notifier, logger: silentLogger };
}

async function provisioningJob(overrides: Partial<Job> = {}): Promise<Job> {
  const job = aJob({ status: 'PROVISIONING', taskArn: TASK_ARN, ...overrides });
  await testStore.store.create(job);
  return job;
}

const change = (job: Job, overrides: Partial<TaskStateChange>): TaskStateChange => ({ jobId: job.id, taskArn: TASK_ARN, lastStatus: 'PENDING', version: 1, exitCode: null, ...overrides });

describe('applyTaskStateChange', () => {
  it('records RUNNING at once, with the start time and network the event gives, and tells those following the job', async () => {
    // Prepare
    const job = await provisioningJob({ profile: 'ssh', publicIp: true });
    const told: string[] = [];
    const notifier: Notifier = { notify: async (_job, event) => (told.push(event), { attempts: [], retry: false }) };

    // Act
    const outcome = await applyTaskStateChange(
      portsWith(notifier),
      change(job, { lastStatus: 'RUNNING', version: 3, startedAt: '2026-12-01T10:00:05.000Z', network: { eniId: 'eni-1', privateIp: '10.0.0.7', publicIp: '203.0.113.9' } }),
    );

    // Assess
    const recorded = await testStore.store.get(job.id);
    assert.equal(outcome.outcome, 'applied');
    assert.equal(recorded?.status, 'RUNNING');
    assert.equal(recorded?.startedAt, '2026-12-01T10:00:05.000Z');
    assert.deepEqual(recorded?.network, { eniId: 'eni-1', privateIp: '10.0.0.7', publicIp: '203.0.113.9' });
    assert.equal(recorded?.connect?.ssh, 'ssh -p 2222 jobs@203.0.113.9');
    assert.deepEqual(told, ['job.running']);
  });

  it('records the stop as the task state and the verdict at once (status, exit code, failure, and the stop time the document shows), leaving the finalizing stop time to the workflow that drains the log', async () => {
    // Prepare
    const job = await provisioningJob({ status: 'RUNNING' });

    // Act
    await applyTaskStateChange(
      portsWith(),
      change(job, { lastStatus: 'STOPPED', version: 7, exitCode: 3, stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', stoppedAt: '2026-12-01T10:01:00.000Z' }),
    );

    // Assess
    const recorded = await testStore.store.get(job.id);
    assert.equal(recorded?.status, 'FAILED');
    assert.equal(recorded?.exitCode, 3);
    assert.equal(recorded?.failure?.category, 'USER_EXIT');
    assert.equal(recorded?.stoppedAt, undefined, 'not finalized until FinalizeJob has drained the log');
    assert.equal(recorded && jobDocument(recorded).stoppedAt, '2026-12-01T10:01:00.000Z');
    assert.deepEqual(recorded?.taskState, {
      lastStatus: 'STOPPED',
      version: 7,
      stoppedAt: '2026-12-01T10:01:00.000Z',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      exitCode: 3,
    });
  });

  it('leaves the verdict to the workflow when another attempt follows, or when the workflow stopped the task after an internal error', async () => {
    // Prepare
    const retried = await provisioningJob({ status: 'RUNNING', retry: { attempts: 2 } });
    const broken = await provisioningJob({ status: 'RUNNING' });

    // Act
    await applyTaskStateChange(portsWith(), change(retried, { lastStatus: 'STOPPED', version: 7, exitCode: 1, stopCode: 'EssentialContainerExited' }));
    await applyTaskStateChange(portsWith(), change(broken, { lastStatus: 'STOPPED', version: 7, exitCode: 137, stopCode: 'UserInitiated', stoppedReason: 'fargate-jobs: internal error' }));

    // Assess
    assert.equal((await testStore.store.get(retried.id))?.status, 'RUNNING');
    assert.equal((await testStore.store.get(broken.id))?.status, 'RUNNING');
  });

  it('records the verdict at once for a stop at a deadline too, told by its reason: TIMED_OUT at the timeout, START_FAILED at the provisioning limit', async () => {
    // Prepare
    const timedOut = await provisioningJob({ status: 'RUNNING' });
    const neverRan = await provisioningJob();

    // Act
    await applyTaskStateChange(portsWith(), change(timedOut, { lastStatus: 'STOPPED', version: 7, exitCode: 137, stopCode: 'UserInitiated', stoppedReason: 'fargate-jobs: timeout after 60 s' }));
    await applyTaskStateChange(portsWith(), change(neverRan, { lastStatus: 'STOPPED', version: 3, stopCode: 'UserInitiated', stoppedReason: 'fargate-jobs: not running after 600 s of provisioning' }));

    // Assess
    const [timedOutRecord, neverRanRecord] = await Promise.all([testStore.store.get(timedOut.id), testStore.store.get(neverRan.id)]);
    assert.deepEqual([timedOutRecord?.status, timedOutRecord?.failure?.category, timedOutRecord?.exitCode], ['TIMED_OUT', 'TIMEOUT', 137]);
    assert.deepEqual([neverRanRecord?.status, neverRanRecord?.failure?.category], ['FAILED', 'START_FAILED']);
  });

  it("looks up the public IP of a job that asked for one when its interface is up (ECS's events carry the private IP only), and records the connect hint", async () => {
    // Prepare
    const job = await provisioningJob({ profile: 'ssh', publicIp: true });
    const private_ = await provisioningJob({ profile: 'ssh', publicIp: false });
    const lookups: string[] = [];
    const networkResolver = { resolve: async (eniId: string) => (lookups.push(eniId), { privateIp: '10.0.0.7', publicIp: '203.0.113.9' }) };
    const ports = { ...portsWith(), networkResolver };

    // Act
    await applyTaskStateChange(ports, change(job, { lastStatus: 'PENDING', version: 2, network: { eniId: 'eni-1', privateIp: '10.0.0.7' } }));
    await applyTaskStateChange(ports, change(job, { lastStatus: 'RUNNING', version: 3, network: { eniId: 'eni-1', privateIp: '10.0.0.7' } }));
    await applyTaskStateChange(ports, change(private_, { lastStatus: 'RUNNING', version: 3, network: { eniId: 'eni-2', privateIp: '10.0.0.8' } }));

    // Assess
    const recorded = await testStore.store.get(job.id);
    assert.deepEqual(recorded?.network, { eniId: 'eni-1', privateIp: '10.0.0.7', publicIp: '203.0.113.9' });
    assert.equal(recorded?.connect?.ssh, 'ssh -p 2222 jobs@203.0.113.9');
    assert.deepEqual(lookups, ['eni-1'], 'once known it is not asked again; a job without publicIp is never looked up');
  });

  it('changes nothing for an event seen before, or older than the one recorded', async () => {
    // Prepare
    const job = await provisioningJob();
    const stopped = change(job, { lastStatus: 'STOPPED', version: 5, exitCode: 0, stoppedAt: '2026-12-01T10:02:00.000Z' });
    await applyTaskStateChange(portsWith(), stopped);
    const before = await testStore.store.get(job.id);

    // Act
    const again = await applyTaskStateChange(portsWith(), stopped);
    const late = await applyTaskStateChange(portsWith(), change(job, { lastStatus: 'RUNNING', version: 4, startedAt: '2026-12-01T10:00:00.000Z' }));

    // Assess
    assert.equal(again.outcome, 'stale');
    assert.equal(late.outcome, 'stale');
    assert.deepEqual(await testStore.store.get(job.id), before);
  });

  it('of two events racing, the older never overwrites the newer', async () => {
    // Prepare
    const job = await provisioningJob();

    // Act
    await Promise.all([
      applyTaskStateChange(portsWith(), change(job, { lastStatus: 'STOPPED', version: 9, exitCode: 0 })),
      applyTaskStateChange(portsWith(), change(job, { lastStatus: 'DEACTIVATING', version: 8 })),
    ]);

    // Assess
    assert.equal((await testStore.store.get(job.id))?.taskState?.version, 9);
  });

  it('never moves a job backwards: a cancelled job stays cancelled when its task reports RUNNING', async () => {
    // Prepare
    const job = await provisioningJob({ status: 'CANCELLED', failure: { category: 'CANCELLED', message: 'cancelled by alice' } });

    // Act
    await applyTaskStateChange(portsWith(), change(job, { lastStatus: 'RUNNING', version: 2, startedAt: '2026-12-01T10:00:00.000Z' }));

    // Assess
    const recorded = await testStore.store.get(job.id);
    assert.equal(recorded?.status, 'CANCELLED');
    assert.equal(recorded?.taskState?.lastStatus, 'RUNNING');
  });

  it('ignores an event about another task than the job recorded, and about no job at all', async () => {
    // Prepare
    const job = await provisioningJob();

    // Act
    const other = await applyTaskStateChange(portsWith(), { ...change(job, { lastStatus: 'RUNNING', version: 2 }), taskArn: `${TASK_ARN}ff` });
    const none = await applyTaskStateChange(portsWith(), { ...change(job, { lastStatus: 'RUNNING', version: 2 }), jobId: 'job-00000000000000000000000000' });

    // Assess
    assert.equal(other.outcome, 'foreign-task');
    assert.equal(none.outcome, 'unknown-job');
    assert.equal((await testStore.store.get(job.id))?.status, 'PROVISIONING');
  });

  it("a retried job's next task starts with a fresh record of events; its ended attempt's late events change nothing, before or after the next task is recorded", async () => {
    // Prepare: attempt 1's task stopped at version 5 and the attempt ended (its fields cleared).
    const nextArn = `${TASK_ARN.slice(0, -2)}02`;
    const job = aJob({ status: 'RUNNING', startedAt: '2026-12-01T10:00:00.000Z', taskArn: TASK_ARN, taskState: { lastStatus: 'STOPPED', version: 5, exitCode: 1 } });
    await testStore.store.create(job);
    await testStore.store.endAttempt(job.id, { number: 1, taskArn: TASK_ARN, exitCode: 1 }, { exitCode: null });
    const lateStop = change(job, { lastStatus: 'STOPPED', version: 6, exitCode: 1 });

    // Act
    const beforeNext = await applyTaskStateChange(portsWith(), lateStop);
    await testStore.store.update(job.id, { taskArn: nextArn });
    const nextRunning = await applyTaskStateChange(portsWith(), { ...change(job, { lastStatus: 'RUNNING', version: 1, startedAt: '2026-12-01T10:05:00.000Z' }), taskArn: nextArn });
    const afterNext = await applyTaskStateChange(portsWith(), lateStop);

    // Assess
    assert.deepEqual([beforeNext.outcome, nextRunning.outcome, afterNext.outcome], ['stale', 'applied', 'stale']);
    const recorded = await testStore.store.get(job.id);
    assert.equal(recorded?.earlyTaskStates, undefined, 'nothing kept aside for the ended task');
    assert.deepEqual(recorded?.taskState, { lastStatus: 'RUNNING', version: 1, startedAt: '2026-12-01T10:05:00.000Z', exitCode: null });
    assert.equal(recorded?.startedAt, '2026-12-01T10:05:00.000Z', 'the job\'s start time is its current attempt\'s');
  });
});

/** A profile that runs on ECS, as the stage's are: its jobs' tasks run the task definition family `fargate-jobs-test-ssh`. */
const ECS_PROFILE: AwsProfile = {
  ...SSH_PROFILE,
  aws: {
    cluster: 'fargate-jobs-test',
    taskDefinition: 'fargate-jobs-test-ssh',
    container: 'sshd',
    subnets: ['subnet-1'],
    securityGroups: ['sg-1'],
    logGroup: '/fargate-jobs/test',
    logStreamPrefix: 'job',
  },
};
const ROGUE_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/fargate-jobs-test/feedfacefeedfacefeedfacefeedface';
const FAMILY = 'fargate-jobs-test-ssh';

/** The ports of a stage whose profile runs on ECS; the warnings logged are collected. */
function ecsPorts(store: JobStore = testStore.store) {
  const warnings: Array<Record<string, unknown>> = [];
  const logger: Logger = { ...silentLogger, warn: (_message: string, fields?: Record<string, unknown>) => void warnings.push(fields ?? {}) };
  return { ports: { store, profiles: new Map([[ECS_PROFILE.name, ECS_PROFILE]]), notifier: NO_NOTIFICATIONS, logger }, warnings };
}

const rogueStop = (job: Job, version: number): TaskStateChange => ({
  jobId: job.id,
  taskArn: ROGUE_ARN,
  taskDefinitionFamily: FAMILY,
  lastStatus: 'STOPPED',
  version,
  exitCode: 0,
  stopCode: 'EssentialContainerExited',
  stoppedAt: '2026-12-01T10:00:03.000Z',
});

describe('events of a task the job did not start (startedBy set to its id by someone else)', () => {
  it('before the ARN is recorded: the rogue STOPPED event is kept aside, not applied, and holds nothing back; StartTask applies its own task\'s early RUNNING', async () => {
    // Prepare
    const job = aJob({ profile: 'ssh' });
    await testStore.store.create(job);
    const { ports, warnings } = ecsPorts();
    const outcomes: string[] = [];
    // Both events come while RunTask is answering, before StartTask records the task; the rogue's version is far ahead.
    const runner = {
      runTask: async () => {
        outcomes.push((await applyTaskStateChange(ports, rogueStop(job, 99))).outcome);
        const running = change(job, { lastStatus: 'RUNNING', version: 2, taskDefinitionFamily: FAMILY, startedAt: '2026-12-01T10:00:02.000Z' });
        outcomes.push((await applyTaskStateChange(ports, running)).outcome);
        return { started: true as const, taskArn: TASK_ARN };
      },
    } as unknown as TaskRunner;

    // Act
    const state = await startTaskStep({ ...ports, taskRunner: runner })({ jobId: job.id });

    // Assess
    const recorded = await testStore.store.get(job.id);
    assert.deepEqual(outcomes, ['kept', 'kept']);
    assert.equal(state.taskArn, TASK_ARN);
    assert.equal(recorded?.taskArn, TASK_ARN);
    assert.equal(recorded?.status, 'RUNNING', "its own task's early RUNNING, applied once the ARN is recorded");
    assert.deepEqual(recorded?.taskState, { lastStatus: 'RUNNING', version: 2, startedAt: '2026-12-01T10:00:02.000Z', exitCode: null });
    assert.equal(recorded?.stoppedAt, undefined);
    assert.ok(warnings.some((fields) => fields.jobId === job.id && fields.taskArn === ROGUE_ARN), 'the rogue task is logged with the job id');
  });

  it('after the ARN is recorded: the rogue STOPPED event is ignored and logged, and the real task\'s STOPPED still applies', async () => {
    // Prepare
    const job = await provisioningJob({ profile: 'ssh', status: 'RUNNING' });
    const { ports, warnings } = ecsPorts();

    // Act
    const rogue = await applyTaskStateChange(ports, rogueStop(job, 99));
    const afterRogue = await testStore.store.get(job.id);
    const own = await applyTaskStateChange(ports, change(job, { lastStatus: 'STOPPED', version: 5, taskDefinitionFamily: FAMILY, exitCode: 7 }));

    // Assess
    assert.equal(rogue.outcome, 'foreign-task');
    assert.equal(afterRogue?.taskState, undefined);
    assert.deepEqual(warnings.map((fields) => [fields.jobId, fields.taskArn]), [[job.id, ROGUE_ARN]]);
    assert.equal(own.outcome, 'applied');
    assert.deepEqual((await testStore.store.get(job.id))?.taskState, { lastStatus: 'STOPPED', version: 5, exitCode: 7 });
  });

  it("ignores an event of a task running another task definition family than the job's profile, whether or not the ARN is recorded", async () => {
    // Prepare
    const waiting = aJob({ profile: 'ssh' });
    await testStore.store.create(waiting);
    const provisioning = await provisioningJob({ profile: 'ssh' });
    const { ports, warnings } = ecsPorts();
    const otherFamily = (job: Job) => change(job, { lastStatus: 'STOPPED', version: 3, taskDefinitionFamily: 'someone-elses-family', exitCode: 0 });

    // Act
    const early = await applyTaskStateChange(ports, otherFamily(waiting));
    const late = await applyTaskStateChange(ports, otherFamily(provisioning));
    const unnamed = await applyTaskStateChange(ports, { ...otherFamily(provisioning), taskDefinitionFamily: undefined });

    // Assess
    assert.deepEqual([early.outcome, late.outcome, unnamed.outcome], ['foreign-task', 'foreign-task', 'foreign-task']);
    assert.equal((await testStore.store.get(waiting.id))?.earlyTaskStates, undefined, 'not even kept aside');
    assert.equal((await testStore.store.get(provisioning.id))?.taskState, undefined);
    assert.equal(warnings.length, 3);
  });

  it('an event kept aside just as StartTask records the ARN is applied all the same', async () => {
    // Prepare: the event's read of the job comes before StartTask's write of the ARN, its own write after.
    const job = await provisioningJob({ profile: 'ssh' });
    const store = testStore.store;
    const staleReads = new Proxy(store, {
      get(target, property) {
        if (property === 'get') return async (jobId: string) => ({ ...(await target.get(jobId)), taskArn: undefined });
        const value = Reflect.get(target, property) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { ports } = ecsPorts(staleReads);

    // Act
    const outcome = await applyTaskStateChange(ports, change(job, { lastStatus: 'RUNNING', version: 2, taskDefinitionFamily: FAMILY, startedAt: '2026-12-01T10:00:02.000Z' }));

    // Assess
    assert.equal(outcome.outcome, 'applied');
    assert.equal((await store.get(job.id))?.status, 'RUNNING');
  });

  it(`keeps the newest event of at most ${MAX_EARLY_TASKS} tasks: more tasks reporting for a job are dropped, and StartTask's own task is found among those kept`, async () => {
    // Prepare
    const job = aJob({ profile: 'ssh' });
    await testStore.store.create(job);
    const { ports } = ecsPorts();
    const arnOf = (index: number) => `${ROGUE_ARN.slice(0, -2)}${String(index).padStart(2, '0')}`;

    // Act
    const own = await applyTaskStateChange(ports, change(job, { lastStatus: 'PENDING', version: 1, taskDefinitionFamily: FAMILY }));
    const ownNewer = await applyTaskStateChange(ports, change(job, { lastStatus: 'RUNNING', version: 2, taskDefinitionFamily: FAMILY }));
    const ownOlder = await applyTaskStateChange(ports, change(job, { lastStatus: 'PENDING', version: 1, taskDefinitionFamily: FAMILY }));
    const rogues: string[] = [];
    for (let index = 0; index < MAX_EARLY_TASKS; index += 1) rogues.push((await applyTaskStateChange(ports, { ...rogueStop(job, 9), taskArn: arnOf(index) })).outcome);

    // Assess
    const kept = (await testStore.store.get(job.id))?.earlyTaskStates ?? {};
    assert.deepEqual([own.outcome, ownNewer.outcome, ownOlder.outcome], ['kept', 'kept', 'stale']);
    assert.deepEqual(rogues, [...Array.from({ length: MAX_EARLY_TASKS - 1 }, () => 'kept'), 'stale']);
    assert.equal(Object.keys(kept).length, MAX_EARLY_TASKS);
    assert.equal(kept[TASK_ARN]?.lastStatus, 'RUNNING');
  });
});
