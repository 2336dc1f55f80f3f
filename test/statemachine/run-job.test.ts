/**
 * The run-job state machine, checked as a definition and then run: the real ASL on
 * aws-local-stepfunctions, the real steps, the real DynamoDB store (on dynalite), and a scripted task.
 * Each path is a scenario written as data — the task's script and what the user then reads — and
 * runs twice with the same expectations: on the scripted task runner, and on the AWS adapters (ECS,
 * EC2, CloudWatch Logs) whose mocked SDK clients play the same script.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, beforeEach, describe, test } from 'node:test';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { awsProfiles } from '#config/profiles.ts';
import { taskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { CloudWatchLogReader } from '#lib/adapters/aws/cloudwatch-log-reader.ts';
import { Ec2NetworkResolver } from '#lib/adapters/aws/ec2-network.ts';
import { EcsTaskRunner } from '#lib/adapters/aws/ecs-task-runner.ts';
import { LocalWorkflow, type ExecutionOutcome } from '#lib/adapters/local/local-workflow.ts';
import type { Caller } from '#lib/domain/caller.ts';
import { cancelJob } from '#lib/domain/job-service.ts';
import { isTerminal, type FailureCategory, type Job, type JobNetwork, type JobStatus } from '#lib/domain/job.ts';
import { silentLogger } from '#lib/domain/logger.ts';
import { PROVISIONING_TIMEOUT_SECONDS, SAFETY_NET_SECONDS } from '#lib/domain/polling.ts';
import type { LogReader, TaskRunner } from '#lib/domain/ports.ts';
import type { Profile } from '#lib/domain/profile.ts';
import { NO_NOTIFICATIONS } from '#lib/notify/notifiers.ts';
import { readDefinitionText, TASK_STATES } from '#lib/workflow/definition.ts';
import { workflowSteps, type Steps } from '#lib/workflow/steps.ts';
import type { WorkflowState } from '#lib/workflow/workflow-state.ts';
import { ScriptedAwsClients } from '../helpers/aws-scripted-clients.ts';
import {
  FakeClock,
  FixedLogReader,
  ScriptedTaskRunner,
  STOPPED_BY_SIGNAL_EXIT_CODE,
  type ScriptedSnapshot,
  type ScriptHooks,
  type TaskScript,
} from '../helpers/fake-task-runner.ts';
import { aJob, SSH_PROFILE } from '../helpers/jobs.ts';
import { createTestStore, type TestStore } from '../helpers/store.ts';

// asl-validator is CommonJS and ships no types: load it through require and type what is used.
type AslValidator = (definition: unknown) => { isValid: boolean; errorsText(separator?: string): string };
const validateAsl = createRequire(import.meta.url)('asl-validator') as AslValidator;

interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
}
interface AslState {
  Type: string;
  Next?: string;
  TimeoutSeconds?: number;
  Retry?: AslRetrier[];
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
}
interface AslDefinition {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, AslState>;
}

const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];
const STEP_HANDLERS_DIR = new URL('../../handlers/steps/', import.meta.url);
const LIB_DIR = new URL('../../lib/', import.meta.url);
const ERRORS_FILE = new URL('domain/errors.ts', LIB_DIR);

/** Every TypeScript file under lib/, with its text. */
function libSources(): Array<[string, string]> {
  return readdirSync(LIB_DIR, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => {
      const path = new URL(file, LIB_DIR).pathname;
      return [path, readFileSync(path, 'utf8')];
    });
}

function readDefinition(): AslDefinition {
  return JSON.parse(readDefinitionText()) as AslDefinition;
}

function taskStates(definition: AslDefinition): Array<[string, AslState]> {
  return Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
}

function kebabCase(pascalCase: string): string {
  return pascalCase.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

describe('run-job definition', () => {
  test('is valid Amazon States Language', () => {
    const result = validateAsl(readDefinition());
    assert.equal(result.isValid, true, result.errorsText());

    // The validator is really looking: a transition to a missing state is reported.
    const broken = readDefinition();
    broken.States['StopTask'] = { ...broken.States['StopTask']!, Next: 'NoSuchState' };
    assert.equal(validateAsl(broken).isValid, false);
  });

  test('sets an execution timeout and starts with StartTask', () => {
    const definition = readDefinition();
    assert.equal(definition.StartAt, 'StartTask');
    assert.equal(typeof definition.TimeoutSeconds, 'number');
  });

  test('every Task state retries Lambda service errors (2 s, 6 attempts, backoff 2) and has an explicit timeout (AwaitTask: waitSeconds)', () => {
    const tasks = taskStates(readDefinition());
    assert.ok(tasks.length >= 5);
    for (const [name, state] of tasks) {
      const retrier = state.Retry?.find((candidate) => LAMBDA_SERVICE_ERRORS.every((error) => candidate.ErrorEquals.includes(error)));
      assert.ok(retrier, `${name} has no Retry on ${LAMBDA_SERVICE_ERRORS.join(', ')}`);
      assert.deepEqual(
        { IntervalSeconds: retrier.IntervalSeconds, MaxAttempts: retrier.MaxAttempts, BackoffRate: retrier.BackoffRate },
        { IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
        name,
      );
      // aws-local-stepfunctions (and a forgotten setting on AWS) would otherwise impose a default.
      // AwaitTask's comes from the state: the nearest deadline (waitSeconds).
      const timeout = name === 'AwaitTask' ? (state as AslState & { TimeoutSecondsPath?: string }).TimeoutSecondsPath : state.TimeoutSeconds;
      assert.equal(typeof timeout, name === 'AwaitTask' ? 'string' : 'number', `${name} has no timeout`);
    }
  });

  test('every Task state but MarkFailed and NotifyFinished catches all errors into MarkFailed, keeping its input', () => {
    for (const [name, state] of taskStates(readDefinition())) {
      if (name === 'MarkFailed') {
        assert.equal(state.Catch, undefined, 'MarkFailed must not catch into itself');
        continue;
      }
      if (name === 'NotifyFinished') {
        // The job has its outcome: a notification that cannot be delivered must not change it.
        const catcher = state.Catch?.find((candidate) => candidate.ErrorEquals.includes('States.ALL'));
        assert.equal(catcher?.Next, 'Finished', 'NotifyFinished goes on to Finished whatever happens');
        assert.notEqual(catcher?.ResultPath, '$.error', 'a notification error must not make the execution look failed');
        continue;
      }
      const catcher = state.Catch?.find((candidate) => candidate.ErrorEquals.includes('States.ALL'));
      assert.ok(catcher, `${name} has no Catch on States.ALL`);
      assert.equal(catcher.Next, 'MarkFailed', name);
      // The error goes beside the state (not over it), so MarkFailed still knows the taskArn to stop.
      assert.equal(catcher.ResultPath, '$.error', name);
    }
  });

  test('every error name it retries or catches (but States.* and Lambda.*) is the name of an error a step throws', () => {
    const definition = readDefinition();
    const matched = new Set(
      Object.values(definition.States).flatMap((state) => [...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap((rule) => rule.ErrorEquals)),
    );
    const ours = [...matched].filter((name) => !name.startsWith('States.') && !name.startsWith('Lambda.'));
    assert.ok(ours.length > 0, 'the definition matches at least one error of ours (TaskRunnerThrottled)');

    const errorsSource = readFileSync(ERRORS_FILE, 'utf8');
    const classesByName = new Map(
      [...errorsSource.matchAll(/export class (\w+) extends FargateJobsError \{[\s\S]*?this\.name = '(\w+)';/g)].map((match) => [match[2], match[1]]),
    );
    const sources = libSources();
    for (const name of ours) {
      const errorClass = classesByName.get(name);
      assert.ok(errorClass, `lib/domain/errors.ts has no error named '${name}', which the ASL matches`);
      const thrown = sources.filter(([file, text]) => file !== ERRORS_FILE.pathname && text.includes(`new ${errorClass}(`));
      assert.ok(thrown.length > 0, `nothing in lib/ throws ${errorClass} ('${name}')`);
    }
  });

  test('Task state names match the step handlers (StartTask ↔ handlers/steps/start-task.ts)', () => {
    const names = taskStates(readDefinition()).map(([name]) => name);
    assert.deepEqual(names.toSorted(), Object.keys(TASK_STATES).toSorted(), 'TASK_STATES lists exactly the Task states');

    const handlerFiles = readdirSync(STEP_HANDLERS_DIR).filter((file) => file.endsWith('.ts'));
    assert.deepEqual(handlerFiles.toSorted(), names.map((name) => `${kebabCase(name)}.ts`).toSorted());
    for (const [name, step] of Object.entries(TASK_STATES)) {
      const file = new URL(`${kebabCase(name)}.ts`, STEP_HANDLERS_DIR);
      assert.ok(existsSync(file), `${name} has no handler file`);
      assert.match(readFileSync(file, 'utf8'), new RegExp(`export const handler\\b[\\s\\S]*\\b${step}\\(`), `${file.pathname} runs ${step}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Running it

/** What the user reads back with GET /jobs/{id} once the workflow is over. */
interface ExpectedRecord {
  status: JobStatus;
  exitCode: number | null;
  failureCategory: FailureCategory | null;
  failureMessage?: RegExp;
  logTail: string[];
  startedAt: 'set' | 'absent';
  stoppedAt: 'set' | 'absent';
  network?: JobNetwork;
}

/** The job and its task, as data: what the fake (or the mocked AWS clients) play back. */
interface TaskSetup {
  job?: Partial<Job>;
  task: TaskScript;
  /** Seconds the clock moves on at each DescribeTasks (1 when absent). */
  secondsPerDescribe?: number;
  /** When a user cancels the job (DELETE /jobs/{id}). */
  cancel?: 'beforeStart' | 'whileStarting' | { atDescribe: number };
}

interface Scenario extends TaskSetup {
  name: string;
  expect: {
    execution: ExecutionOutcome['status'];
    /** The states entered, in order (a retried state is entered once). */
    states: string[];
    record: ExpectedRecord;
    runTaskCalls: number;
    /** The reasons given to StopTask, in order: none when the task was left to finish. */
    stopReasons: RegExp[];
    describeCalls?: number;
  };
}

const LOG_LINES = ['starting', 'migrated 42 rows', 'done'];
const NETWORK: JobNetwork = { eniId: 'eni-0a1b2c3d', privateIp: '10.0.1.23', publicIp: '1.2.3.4' };
/** Who cancels: a token that may use every profile, so the cancel is never refused for scope. */
const CANCELLING_USER: Caller = { name: 'alice', profiles: ['*'] };
const FARGATE_CAPACITY_UNAVAILABLE = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';
/** The profiles the steps know: an interactive one gets a connect hint once its public IP is known. */
const PROFILES: ReadonlyMap<string, Profile> = new Map(
  [
    { name: 'default', description: 'any command', commands: 'any', shell: true, envNames: 'any', timeoutSeconds: { default: 60, max: 3600 }, publicIp: 'optional' },
    SSH_PROFILE,
  ].map((profile): [string, Profile] => [profile.name, profile as Profile]),
);

const RUNNING: ScriptedSnapshot = { lastStatus: 'RUNNING' };
const exited = (exitCode: number): ScriptedSnapshot => ({ lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited', exitCode });
const throws = (name: string, message: string) => ({ throws: { name, message } });

const START = ['StartTask'];
/**
 * A wait for the task's next event that times out (the scripted task sends none), the PollTask that
 * follows, and StopTask when its verdict is that a deadline has passed (then the next wait follows).
 */
const poll = (next: 'AwaitTask' | 'StopTask' = 'AwaitTask') => ['AwaitTask', 'PollTask', 'TaskState', ...(next === 'StopTask' ? ['StopTask'] : [])];
const pollTimes = (times: number) => Array.from({ length: times }, () => poll()).flat();
/** The last poll sees the task STOPPED and the job is finalized. */
const FINISH = ['AwaitTask', 'PollTask', 'TaskState', 'FinalizeJob'];
const MARK_FAILED = ['MarkFailed', 'NotifyFinished', 'JobFailed'];
/** A job whose task never started: told about, and done. */
const NOT_STARTED = ['NotifyFinished'];

/** A job that ran and exited 0: what every path that ends well leaves behind. */
const SUCCEEDED_RECORD: ExpectedRecord = {
  status: 'SUCCEEDED',
  exitCode: 0,
  failureCategory: null,
  logTail: LOG_LINES,
  startedAt: 'set',
  stoppedAt: 'set',
};

const SCENARIOS: Scenario[] = [
  {
    name: 'success: exit 0 → SUCCEEDED with exit code 0, network and log tail',
    task: {
      describe: [{ lastStatus: 'PROVISIONING' }, { lastStatus: 'PENDING', network: NETWORK }, RUNNING, exited(0)],
    },
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...poll(), ...poll(), ...poll(), ...FINISH],
      record: {
        status: 'SUCCEEDED',
        exitCode: 0,
        failureCategory: null,
        logTail: LOG_LINES,
        startedAt: 'set',
        stoppedAt: 'set',
        network: NETWORK,
      },
      runTaskCalls: 1,
      stopReasons: [],
    },
  },
  {
    name: 'non-zero exit: exit 3 → FAILED USER_EXIT with exit code 3',
    task: { describe: [RUNNING, exited(3)] },
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...poll(), ...FINISH],
      record: {
        status: 'FAILED',
        exitCode: 3,
        failureCategory: 'USER_EXIT',
        failureMessage: /exited with code 3/,
        logTail: LOG_LINES,
        startedAt: 'set',
        stoppedAt: 'set',
      },
      runTaskCalls: 1,
      stopReasons: [],
    },
  },
  {
    name: 'a job that runs and exits between two polls → SUCCEEDED, with the start time the task reports',
    task: { describe: [{ lastStatus: 'PENDING' }, { ...exited(0), startedAt: '2030-01-01T00:00:01.500Z' }] },
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...poll(), ...FINISH],
      record: SUCCEEDED_RECORD,
      runTaskCalls: 1,
      stopReasons: [],
    },
  },
  {
    name: 'Spot interruption: the capacity is reclaimed while running → FAILED SPOT_INTERRUPTED',
    job: { profile: 'ssh', publicIp: true },
    task: { describe: [RUNNING, { lastStatus: 'STOPPED', stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.', exitCode: 143 }] },
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...poll(), ...FINISH],
      record: {
        status: 'FAILED',
        exitCode: 143,
        failureCategory: 'SPOT_INTERRUPTED',
        failureMessage: /Spot interruption/,
        logTail: LOG_LINES,
        startedAt: 'set',
        stoppedAt: 'set',
      },
      runTaskCalls: 1,
      stopReasons: [],
    },
  },
  {
    name: 'start failure: RunTask reports no capacity → FAILED CAPACITY, no exit code, never polled',
    task: {
      // ECS's own reason (RunTask failures[]): on AWS the adapter derives the category from it.
      run: { started: false, failure: { category: 'CAPACITY', message: FARGATE_CAPACITY_UNAVAILABLE } },
      describe: [RUNNING],
    },
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...NOT_STARTED],
      record: {
        status: 'FAILED',
        exitCode: null,
        failureCategory: 'CAPACITY',
        failureMessage: /Capacity is unavailable at this time/,
        logTail: [],
        startedAt: 'absent',
        stoppedAt: 'set',
      },
      runTaskCalls: 1,
      stopReasons: [],
      describeCalls: 0,
    },
  },
  {
    name: 'task fails to start later: CannotPullContainerError → FAILED IMAGE_PULL, no exit code',
    task: {
      describe: [
        { lastStatus: 'PROVISIONING' },
        { lastStatus: 'PENDING' },
        {
          lastStatus: 'STOPPED',
          stopCode: 'TaskFailedToStart',
          stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): registry.example/app:nope: not found',
        },
      ],
    },
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...pollTimes(2), ...FINISH],
      record: {
        status: 'FAILED',
        exitCode: null,
        failureCategory: 'IMAGE_PULL',
        failureMessage: /CannotPullContainerError/,
        logTail: LOG_LINES,
        startedAt: 'absent',
        stoppedAt: 'set',
      },
      runTaskCalls: 1,
      stopReasons: [],
    },
  },
  {
    name: 'timeout: still RUNNING past timeoutSeconds → StopTask, TIMED_OUT',
    job: { timeoutSeconds: 60 },
    // Seen RUNNING at t+30 s (its start), so the 60 s deadline passes at the third poll (t+90 s).
    secondsPerDescribe: 30,
    task: { describe: [RUNNING] },
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...pollTimes(2), ...poll('StopTask'), ...FINISH],
      record: {
        status: 'TIMED_OUT',
        exitCode: STOPPED_BY_SIGNAL_EXIT_CODE,
        failureCategory: 'TIMEOUT',
        logTail: LOG_LINES,
        startedAt: 'set',
        stoppedAt: 'set',
      },
      runTaskCalls: 1,
      stopReasons: [/timeout/],
    },
  },
  {
    name: 'provisioning limit: still PROVISIONING after 600 s → StopTask, FAILED START_FAILED',
    secondsPerDescribe: 120,
    task: { describe: [{ lastStatus: 'PROVISIONING' }] },
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...pollTimes(4), ...poll('StopTask'), ...FINISH],
      record: {
        status: 'FAILED',
        exitCode: null,
        failureCategory: 'START_FAILED',
        logTail: LOG_LINES,
        startedAt: 'absent',
        stoppedAt: 'set',
      },
      runTaskCalls: 1,
      stopReasons: [/provisioning/],
    },
  },
  {
    name: 'cancel while running: the record ends CANCELLED, and Finalize still adds exit code, log tail and stoppedAt',
    task: { describe: [RUNNING] },
    cancel: { atDescribe: 3 },
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...pollTimes(2), ...FINISH],
      record: {
        status: 'CANCELLED',
        exitCode: STOPPED_BY_SIGNAL_EXIT_CODE,
        failureCategory: 'CANCELLED',
        failureMessage: new RegExp(`cancelled by ${CANCELLING_USER.name}`),
        logTail: LOG_LINES,
        startedAt: 'set',
        stoppedAt: 'set',
      },
      runTaskCalls: 1,
      stopReasons: [new RegExp(`cancelled by ${CANCELLING_USER.name}`)],
    },
  },
  {
    name: 'cancel before StartTask: not started, no task is started',
    task: { describe: [RUNNING] },
    cancel: 'beforeStart',
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...NOT_STARTED],
      record: {
        status: 'CANCELLED',
        exitCode: null,
        failureCategory: 'CANCELLED',
        logTail: [],
        startedAt: 'absent',
        stoppedAt: 'set',
      },
      runTaskCalls: 0,
      stopReasons: [],
    },
  },
  {
    name: 'cancel while RunTask is under way: the new task is stopped and the job stays CANCELLED',
    task: { describe: [RUNNING] },
    cancel: 'whileStarting',
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...FINISH],
      record: {
        status: 'CANCELLED',
        exitCode: null,
        failureCategory: 'CANCELLED',
        failureMessage: new RegExp(`cancelled by ${CANCELLING_USER.name}`),
        logTail: LOG_LINES,
        startedAt: 'absent',
        stoppedAt: 'set',
      },
      runTaskCalls: 1,
      stopReasons: [new RegExp(`cancelled by ${CANCELLING_USER.name}`)],
    },
  },
  {
    name: 'a step error (DescribeTasks throws) → MarkFailed: FAILED INTERNAL, stoppedAt set, task stopped',
    task: { describe: [RUNNING, throws('Error', 'connect ECONNRESET ecs.us-east-1.amazonaws.com')] },
    expect: {
      execution: 'FAILED',
      states: [...START, ...poll(), 'AwaitTask', 'PollTask', ...MARK_FAILED],
      record: {
        status: 'FAILED',
        exitCode: null,
        failureCategory: 'INTERNAL',
        logTail: [],
        startedAt: 'set',
        stoppedAt: 'set',
      },
      runTaskCalls: 1,
      stopReasons: [/internal error/],
    },
  },
  {
    name: 'a RunTask error → MarkFailed: FAILED INTERNAL, nothing to stop',
    task: { run: throws('Error', 'AccessDeniedException: not authorized to perform ecs:RunTask'), describe: [RUNNING] },
    expect: {
      execution: 'FAILED',
      states: ['StartTask', ...MARK_FAILED],
      record: {
        status: 'FAILED',
        exitCode: null,
        failureCategory: 'INTERNAL',
        logTail: [],
        startedAt: 'absent',
        stoppedAt: 'set',
      },
      runTaskCalls: 1,
      stopReasons: [],
    },
  },
  {
    name: 'a transient Lambda.ServiceException is retried and the job still SUCCEEDS',
    task: { describe: [RUNNING, throws('Lambda.ServiceException', 'Lambda is unavailable'), exited(0)] },
    expect: {
      execution: 'SUCCEEDED',
      // The retried PollTask is entered once; its second attempt sees the task stopped.
      states: [...START, ...poll(), ...FINISH],
      record: SUCCEEDED_RECORD,
      runTaskCalls: 1,
      stopReasons: [],
      // 1 RUNNING, 1 failed, 1 retried (STOPPED), 1 in FinalizeJob.
      describeCalls: 4,
    },
  },
  {
    name: 'ECS throttling (TaskRunnerThrottled) is retried with backoff and the job still SUCCEEDS',
    task: { describe: [RUNNING, throws('TaskRunnerThrottled', 'Rate exceeded'), exited(0)] },
    expect: {
      execution: 'SUCCEEDED',
      states: [...START, ...poll(), ...FINISH],
      record: SUCCEEDED_RECORD,
      runTaskCalls: 1,
      stopReasons: [],
      describeCalls: 4,
    },
  },
  {
    name: 'a Lambda.ServiceException that persists is retried 6 times, then the job is marked FAILED INTERNAL',
    task: { describe: [RUNNING, throws('Lambda.ServiceException', 'Lambda is unavailable')] },
    expect: {
      execution: 'FAILED',
      states: [...START, ...poll(), 'AwaitTask', 'PollTask', ...MARK_FAILED],
      record: {
        status: 'FAILED',
        exitCode: null,
        failureCategory: 'INTERNAL',
        logTail: [],
        startedAt: 'set',
        stoppedAt: 'set',
      },
      runTaskCalls: 1,
      stopReasons: [/internal error/],
      // 1 RUNNING, then the failing poll: 1 attempt + 6 retries.
      describeCalls: 8,
    },
  },
];

let testStore: TestStore;

before(async () => {
  testStore = await createTestStore();
});

after(async () => {
  await testStore.close();
});

/** What the task runner was asked to do for one job. */
interface RunnerCalls {
  runTask: number;
  describeTask: number;
  /** The reasons given to StopTask, in order. */
  stopReasons: string[];
}

/** A task runner and log reader playing one job's script. */
interface PlayedRunner {
  taskRunner: TaskRunner;
  logReader: LogReader;
  calls(): RunnerCalls;
}

/** One way of playing the scripts: every scenario runs on each, with the same expectations. */
interface RunnerSetup {
  name: string;
  /** Forgets what the previous test played. */
  reset(): void;
  play(jobId: string, script: TaskScript, hooks: Omit<ScriptHooks, 'now'> & { clock: FakeClock }): PlayedRunner;
}

const localRunner: RunnerSetup = {
  name: 'scripted task runner',
  reset: () => {},
  play(jobId, script, { clock, ...hooks }) {
    const runner = new ScriptedTaskRunner({ ...hooks, now: clock.now }).script(jobId, script);
    return {
      taskRunner: runner,
      logReader: new FixedLogReader(LOG_LINES),
      calls: () => ({
        runTask: runner.runTaskCalls.length,
        describeTask: runner.describeCount(jobId),
        stopReasons: runner.stopTaskCalls.map((call) => call.reason),
      }),
    };
  },
};

const REGION = 'eu-west-1';
/** A test stage of the shipped AWS profiles: `default` runs container `job`, `ssh` runs `sshd`. */
const AWS_TASK_SETTINGS = taskSettingsByProfile(
  awsProfiles({
    cluster: 'fargate-jobs-test',
    subnets: ['subnet-07ed9813fb2c11702', 'subnet-0d0eab1bb38d5ca64'],
    securityGroups: ['sg-0a1b2c3d4e5f60718'],
    logGroup: '/fargate-jobs/test/jobs',
    taskDefinitionPrefix: 'fargate-jobs-test',
  }),
);
const scriptedAws = new ScriptedAwsClients({ settings: AWS_TASK_SETTINGS, region: REGION, account: '123456789012' });
const ecs = new ECSClient({ region: REGION });
const ec2 = new EC2Client({ region: REGION });
const logs = new CloudWatchLogsClient({ region: REGION });

const awsRunner: RunnerSetup = {
  name: 'ECS, EC2 and CloudWatch Logs adapters on mocked SDK clients',
  reset: () => scriptedAws.reset(),
  play(jobId, script, { clock, ...hooks }) {
    scriptedAws.play(jobId, script, { ...hooks, now: clock.now, logLines: LOG_LINES });
    return {
      taskRunner: new EcsTaskRunner({
        client: ecs,
        settings: AWS_TASK_SETTINGS,
        network: new Ec2NetworkResolver({ client: ec2 }),
        logger: silentLogger,
      }),
      // Draining the logs takes ≥10 s of quiet: scenario time, not the test's.
      logReader: new CloudWatchLogReader({
        client: logs,
        settings: AWS_TASK_SETTINGS,
        now: () => clock.now().getTime(),
        sleep: async (ms) => clock.advance(ms / 1000),
      }),
      calls: () => scriptedAws.calls(jobId),
    };
  },
};

/** The mocked SDK clients are global per client class: node:test runs these one after the other, never at once. */
const RUNNERS = [localRunner, awsRunner];

interface Run {
  outcome: ExecutionOutcome;
  record: Job;
  calls: RunnerCalls;
  /** The job record as read at the start of each DescribeTasks (after any cancel at that call). */
  observed: Job[];
  /** The input of each PollTask call, in order. */
  /** The state AwaitTask was entered with, each time. */
  awaitInputs: WorkflowState[];
}

async function readJob(jobId: string): Promise<Job> {
  const job = await testStore.store.get(jobId);
  assert.ok(job, `job ${jobId} is in the store`);
  return job;
}

/** Stores the job, runs the real state machine on it with `runner` playing its task, and reads back what a user would. */
async function run(runner: RunnerSetup, setup: TaskSetup): Promise<Run> {
  const { store } = testStore;
  const clock = new FakeClock();
  const job = aJob(setup.job);
  await store.create(job);

  const observed: Job[] = [];
  const cancel = async () => {
    await cancelJob({ store, taskRunner }, job.id, CANCELLING_USER);
  };
  const { taskRunner, logReader, calls } = runner.play(job.id, setup.task, {
    clock,
    beforeRunTask: async () => {
      if (setup.cancel === 'whileStarting') await cancel();
    },
    beforeDescribe: async ({ count }) => {
      clock.advance(setup.secondsPerDescribe ?? 1);
      if (typeof setup.cancel === 'object' && setup.cancel.atDescribe === count) await cancel();
      observed.push(await readJob(job.id));
    },
  });
  if (setup.cancel === 'beforeStart') await cancel();

  const waking = { wake: (taskToken: string, output: unknown) => workflow.wake(taskToken, output) };
  const steps = workflowSteps({ store, taskRunner, logReader, profiles: PROFILES, notifier: NO_NOTIFICATIONS, logger: silentLogger, now: clock.now, workflow: waking });
  const awaitInputs: WorkflowState[] = [];
  const recordingSteps: Steps = {
    ...steps,
    AwaitTask: (input) => {
      awaitInputs.push(structuredClone(input.state));
      return steps.AwaitTask(input);
    },
  };
  const workflow: LocalWorkflow = new LocalWorkflow({
    steps: recordingSteps,
    logger: silentLogger,
    // The scripted task sends no events: every wait times out at once, and PollTask looks.
    maxAwaitMs: 0,
    retryIntervalMs: 0,
  });
  const outcome = await workflow.execute(job.id);
  return { outcome, record: await readJob(job.id), calls: calls(), observed, awaitInputs };
}

function assertRecord(record: Job, expected: ExpectedRecord): void {
  assert.equal(record.status, expected.status, 'status');
  assert.equal(record.exitCode, expected.exitCode, 'exitCode');
  assert.equal(record.failure?.category ?? null, expected.failureCategory, 'failure.category');
  if (expected.failureMessage) assert.match(record.failure?.message ?? '', expected.failureMessage, 'failure.message');
  assert.deepEqual(record.logTail, expected.logTail, 'logTail');
  if (expected.network) assert.deepEqual(record.network, expected.network, 'network');
  assert.equal(record.stoppedAt === undefined ? 'absent' : 'set', expected.stoppedAt, 'stoppedAt');
  assert.equal(record.startedAt === undefined ? 'absent' : 'set', expected.startedAt, 'startedAt');
  if (record.startedAt !== undefined && record.stoppedAt !== undefined) {
    assert.ok(Date.parse(record.stoppedAt) >= Date.parse(record.startedAt), `stoppedAt ${record.stoppedAt} is not before startedAt ${record.startedAt}`);
  }
}

/** Once a job is terminal it stays so, with one verdict: a cancel racing the finish never flips it. */
function assertOneTerminalStatus({ observed, record }: Run): void {
  const statuses = [...observed.map((job) => job.status), record.status];
  const firstTerminal = statuses.findIndex(isTerminal);
  assert.notEqual(firstTerminal, -1, 'the job ends terminal');
  assert.deepEqual(statuses.slice(firstTerminal), statuses.slice(firstTerminal).map(() => record.status), `statuses seen: ${statuses.join(' → ')}`);
}

for (const runner of RUNNERS) {
  describe(`run-job paths (${runner.name})`, () => {
    beforeEach(() => runner.reset());

    for (const scenario of SCENARIOS) {
      test(scenario.name, async () => {
        const result = await run(runner, scenario);
        const { outcome, record, calls } = result;
        const expected = scenario.expect;

        assert.equal(outcome.status, expected.execution, `execution ${outcome.status}: ${JSON.stringify(outcome.error)}`);
        assert.deepEqual(outcome.states, expected.states);
        assert.equal(calls.runTask, expected.runTaskCalls, 'RunTask calls');
        assert.equal(calls.stopReasons.length, expected.stopReasons.length, `StopTask calls: ${JSON.stringify(calls.stopReasons)}`);
        expected.stopReasons.forEach((reason, index) => assert.match(calls.stopReasons[index] ?? '', reason));
        if (expected.describeCalls !== undefined) assert.equal(calls.describeTask, expected.describeCalls, 'DescribeTasks calls');
        if (outcome.status === 'SUCCEEDED' && outcome.states.includes('FinalizeJob')) {
          assert.deepEqual(outcome.output, { jobId: record.id, status: record.status, exitCode: record.exitCode }, 'execution output');
        }
        assertRecord(record, expected.record);
        assertOneTerminalStatus(result);
      });
    }
  });

  describe(`run-job while it runs (${runner.name})`, () => {
    beforeEach(() => runner.reset());

    test('the network is recorded as soon as it is known, before RUNNING', async () => {
      const result = await run(runner, {
        job: { publicIp: true },
        task: {
          describe: [{ lastStatus: 'PROVISIONING' }, { lastStatus: 'PENDING' }, { lastStatus: 'PENDING', network: NETWORK }, RUNNING, exited(0)],
        },
      });

      assert.deepEqual(result.outcome.states, [
        ...START,
        ...pollTimes(2),
        ...pollTimes(2),
        ...FINISH,
      ]);
      // observed[n] is the record as the (n+1)-th describe begins, i.e. after n polls.
      const [, , afterPending, afterNetwork] = result.observed;
      assert.equal(afterPending?.network, undefined, 'no network while the ENI is not attached');
      assert.equal(afterNetwork?.status, 'PROVISIONING');
      assert.deepEqual(afterNetwork?.network, NETWORK, 'network recorded while still PENDING');
      assert.deepEqual(result.record.network, NETWORK);
      assert.equal(result.record.status, 'SUCCEEDED');
    });

    test('an interactive job gets its ssh connect hint as soon as its public IP is known; other jobs get none', async () => {
      const script = { describe: [{ lastStatus: 'PENDING', network: NETWORK }, RUNNING, exited(0)] } satisfies TaskSetup['task'];

      const interactive = await run(runner, { job: { profile: 'ssh', publicIp: true }, task: script });
      const plain = await run(runner, { job: { profile: 'default', publicIp: true }, task: script });

      const [, afterNetwork] = interactive.observed;
      assert.equal(afterNetwork?.status, 'PROVISIONING');
      assert.deepEqual(afterNetwork?.connect, { port: 2222, user: 'jobs', host: '1.2.3.4', ssh: 'ssh -p 2222 jobs@1.2.3.4' }, 'hint recorded while still PENDING');
      assert.deepEqual(interactive.record.connect, { port: 2222, user: 'jobs', host: '1.2.3.4', ssh: 'ssh -p 2222 jobs@1.2.3.4' });
      assert.equal(plain.record.connect, undefined);
      assert.deepEqual(plain.record.network, NETWORK);
    });

    test('a public IP once recorded is kept when the interface of the stopping task is already gone', async () => {
      const gone: JobNetwork = { eniId: NETWORK.eniId, privateIp: NETWORK.privateIp, publicIp: null };

      const result = await run(runner, {
        job: { profile: 'ssh', publicIp: true },
        task: { describe: [{ lastStatus: 'RUNNING', network: NETWORK }, { lastStatus: 'DEACTIVATING', network: gone }, { ...exited(0), network: gone }] },
      });

      assert.deepEqual(result.record.network, NETWORK);
      assert.deepEqual(result.record.connect, { port: 2222, user: 'jobs', host: '1.2.3.4', ssh: 'ssh -p 2222 jobs@1.2.3.4' });
    });

    test('the record is current during the run: PROVISIONING, then RUNNING with startedAt, then terminal', async () => {
      const result = await run(runner, SCENARIOS[0]!);

      // Read as each describe begins: after StartTask, after the PROVISIONING, PENDING and RUNNING polls,
      // and after the STOPPED poll (FinalizeJob's describe): that poll recorded the end at once, before
      // FinalizeJob drains the log and records the stop.
      assert.deepEqual(
        result.observed.map((job) => job.status),
        ['PROVISIONING', 'PROVISIONING', 'PROVISIONING', 'RUNNING', 'SUCCEEDED'],
      );
      assert.equal(result.observed[4]?.stoppedAt, undefined, 'finalized only by FinalizeJob');
      const runningRecord = result.observed[3];
      assert.ok(runningRecord?.startedAt, 'startedAt recorded with RUNNING');
      assert.ok(runningRecord.taskArn, 'taskArn recorded');
      assert.equal(runningRecord.exitCode, null, 'no exit code while running');
      assert.equal(result.record.startedAt, runningRecord.startedAt, 'startedAt is kept at the end');
      assert.equal(result.record.status, 'SUCCEEDED');
    });
  });
}

/** The waits AwaitTask was given, in order: the waitSeconds of each state it was entered with. */
function awaitSeconds({ awaitInputs }: Run): number[] {
  return awaitInputs.map((state) => state.waitSeconds);
}

// How long the workflow waits is its own affair: the task runner only reports statuses, so these run once.
describe('run-job waiting pace', () => {
  test("waits first until the job's timeout can first have passed, at most the two-hour safety net; a look that finds the task provisioning waits for the provisioning limit, then for its deadline", async () => {
    const threeHours = await run(localRunner, {
      job: { timeoutSeconds: 10_800 },
      secondsPerDescribe: 0,
      task: { describe: [{ lastStatus: 'PENDING' }, RUNNING, exited(0)] },
    });
    const oneHour = await run(localRunner, { job: { timeoutSeconds: 3600 }, secondsPerDescribe: 0, task: { describe: [exited(0)] } });

    assert.equal(SAFETY_NET_SECONDS, 7200);
    assert.deepEqual(awaitSeconds(threeHours), [SAFETY_NET_SECONDS, PROVISIONING_TIMEOUT_SECONDS, SAFETY_NET_SECONDS]);
    assert.equal(threeHours.record.status, 'SUCCEEDED');
    // A job of up to an hour (and its provisioning) is never looked at unless its STOPPED event is lost.
    assert.deepEqual(awaitSeconds(oneHour), [3600]);
  });

  test("waits no longer than the job's deadline when it is nearer than the safety net", async () => {
    const result = await run(localRunner, {
      job: { timeoutSeconds: 90 },
      secondsPerDescribe: 10,
      task: { describe: [RUNNING, RUNNING, exited(0)] },
    });

    // Started at the first look: 90 s from then, 10 s of which had passed at the second look.
    const [, first, second] = awaitSeconds(result);
    assert.ok(first !== undefined && first <= 90 && first >= 80, `first wait ${first}`);
    assert.ok(second !== undefined && second < first, `second wait ${second}`);
  });
});
