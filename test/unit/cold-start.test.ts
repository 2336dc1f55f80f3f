/**
 * Each Lambda handler module reads and checks the settings its function needs when Lambda loads it
 * (the cold start), so a stage deployed without one fails at once, naming the variable, rather than
 * on some later request. Each module is loaded afresh per case (a query string makes it a new module
 * instance); nothing is sent to AWS.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

const STAGE_ENVIRONMENT = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'example',
  JOBS_TABLE: 'fargate-jobs-test-jobs',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:fargate-jobs-test-run-job',
  ECS_CLUSTER: 'fargate-jobs-test',
  TASK_SUBNETS: 'subnet-0a1b2c3d',
  TASK_SECURITY_GROUPS: 'sg-0123456789abcdef0',
  TASK_LOG_GROUP: '/fargate-jobs/test/tasks',
  TASK_DEFINITION_PREFIX: 'fargate-jobs-test',
  REQUEST_HASH_KEY_SECRET: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fargate-jobs-test-request-hash-key-AbCdEf',
  MAX_ACTIVE_JOBS_PER_TOKEN: '50',
  MAX_WAITS_PER_TOKEN: '10',
  FARGATE_JOBS_WEBHOOK_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fargate-jobs-test-webhook-secret-AbCdEf',
  SLACK_BOT_TOKEN_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fargate-jobs-test-slack-bot-token-AbCdEf',
  SLACK_SIGNING_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fargate-jobs-test-slack-signing-secret-AbCdEf',
  SCHEDULE_GROUP: 'fargate-jobs-test',
  SCHEDULE_TARGET_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:fargate-jobs-test-fireSchedule',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/fargate-jobs-test-SchedulerRole-1A2B3C4D5E6F',
};
/** What telling a job's Slack thread and webhook needs. */
const NOTIFIER_SETTINGS = ['FARGATE_JOBS_WEBHOOK_SECRET_ID', 'SLACK_BOT_TOKEN_ID'];
const SLACK_ROUTE_SETTINGS = ['JOBS_TABLE', 'STATE_MACHINE_ARN', 'REQUEST_HASH_KEY_SECRET', 'MAX_ACTIVE_JOBS_PER_TOKEN', 'SLACK_SIGNING_SECRET_ID', 'SLACK_BOT_TOKEN_ID'];
const TASK_SETTINGS = ['ECS_CLUSTER', 'TASK_SUBNETS', 'TASK_SECURITY_GROUPS', 'TASK_LOG_GROUP', 'TASK_DEFINITION_PREFIX'];

/**
 * The settings each function cannot work without. Not here: http/health and http/options need none,
 * and http/console loads only bundled (its files are built into its bundle by `serverless package`):
 * deployment.test.ts loads it from its zip.
 */
const NEEDS: Record<string, string[]> = {
  'http/authorizer': ['JOBS_TABLE'],
  'http/create-job': ['JOBS_TABLE', 'STATE_MACHINE_ARN', 'REQUEST_HASH_KEY_SECRET', 'MAX_ACTIVE_JOBS_PER_TOKEN', ...TASK_SETTINGS],
  'http/list-jobs': ['JOBS_TABLE'],
  // The long polls count each token's waits in the table, up to the stage's limit.
  'http/get-job': ['JOBS_TABLE', 'MAX_WAITS_PER_TOKEN'],
  'http/cancel-job': ['JOBS_TABLE', ...TASK_SETTINGS],
  // ECS Exec: the job, its profile (exec or not), its task described and exec'ed into on this stage's cluster.
  'http/exec-job': ['JOBS_TABLE', ...TASK_SETTINGS],
  'http/get-job-logs': ['JOBS_TABLE', 'MAX_WAITS_PER_TOKEN', ...TASK_SETTINGS],
  // The schedules in the table, each an EventBridge Scheduler schedule in the stage's group invoking
  // the fire function with the scheduler's role; a schedule's job is checked against the profiles.
  'http/schedules': ['JOBS_TABLE', 'SCHEDULE_GROUP', 'SCHEDULE_TARGET_ARN', 'SCHEDULER_ROLE_ARN', ...TASK_SETTINGS],
  'steps/start-task': ['JOBS_TABLE', ...TASK_SETTINGS, ...NOTIFIER_SETTINGS],
  'steps/poll-task': ['JOBS_TABLE', ...TASK_SETTINGS, ...NOTIFIER_SETTINGS],
  'steps/notify-finished': ['JOBS_TABLE', ...NOTIFIER_SETTINGS],
  'http/slack-commands': [...SLACK_ROUTE_SETTINGS, ...TASK_SETTINGS],
  'http/slack-interactions': [...SLACK_ROUTE_SETTINGS, ...TASK_SETTINGS],
  'steps/stop-task': TASK_SETTINGS,
  'steps/finalize-job': ['JOBS_TABLE', ...TASK_SETTINGS],
  'steps/mark-failed': ['JOBS_TABLE', ...TASK_SETTINGS],
  // Stores the task token and may wake the execution (SendTaskSuccess on this stage's state machine).
  'steps/await-task': ['JOBS_TABLE', 'STATE_MACHINE_ARN'],
  // ECS's task-state changes: the job's profile, the execution to wake, the notifier (RUNNING).
  'events/task-state-change': ['JOBS_TABLE', 'STATE_MACHINE_ARN', ...TASK_SETTINGS, ...NOTIFIER_SETTINGS],
  // The scheduled reconciler: the active jobs, their tasks described on this stage's cluster, the
  // executions to wake, the notifier (RUNNING), as task-state-change.
  'events/reconcile': ['JOBS_TABLE', 'STATE_MACHINE_ARN', ...TASK_SETTINGS, ...NOTIFIER_SETTINGS],
  // A schedule's fire submits its job as createJob does, and records the fire on the schedule.
  'events/fire-schedule': ['JOBS_TABLE', 'STATE_MACHINE_ARN', 'REQUEST_HASH_KEY_SECRET', 'MAX_ACTIVE_JOBS_PER_TOKEN', ...TASK_SETTINGS],
};

let instance = 0;
/** Loads a handler module as a cold start would: evaluated now, with the environment as it is. */
function coldStart(handler: string): Promise<{ handler: unknown }> {
  instance += 1;
  return import(new URL(`../../handlers/${handler}.ts?cold-start=${instance}`, import.meta.url).href) as Promise<{ handler: unknown }>;
}

const savedEnvironment = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnvironment };
});

describe('a Lambda cold start', () => {
  for (const [handler, needs] of Object.entries(NEEDS)) {
    it(`loads handlers/${handler}.ts with the stage's settings`, async () => {
      // Prepare
      Object.assign(process.env, STAGE_ENVIRONMENT);

      // Act
      const module = await coldStart(handler);

      // Assess
      assert.equal(typeof module.handler, 'function');
    });

    it(`fails handlers/${handler}.ts at load, naming the missing setting: ${needs.join(', ')}`, async () => {
      for (const variable of needs) {
        // Prepare
        Object.assign(process.env, STAGE_ENVIRONMENT);
        delete process.env[variable];

        // Act + Assess
        await assert.rejects(coldStart(handler), { name: 'ConfigError', message: `environment variable ${variable} is not set` }, variable);
      }
    });
  }

  it('fails at load on a setting that lists nothing (TASK_SUBNETS=",")', async () => {
    // Prepare
    Object.assign(process.env, STAGE_ENVIRONMENT, { TASK_SUBNETS: ' , ' });

    // Act + Assess
    await assert.rejects(coldStart('steps/start-task'), { name: 'ConfigError', message: 'environment variable TASK_SUBNETS lists nothing' });
  });

  it('fails at load on a TASK_CAPACITY that is not one of on-demand, spot and spot-first, and loads with each of them', async () => {
    // Prepare
    Object.assign(process.env, STAGE_ENVIRONMENT, { TASK_CAPACITY: 'FARGATE_SPOT' });

    // Act + Assess
    await assert.rejects(coldStart('steps/start-task'), {
      name: 'ConfigError',
      message: "environment variable TASK_CAPACITY must be one of on-demand, spot, spot-first; got 'FARGATE_SPOT'",
    });
    for (const capacity of ['on-demand', 'spot', 'spot-first']) {
      process.env.TASK_CAPACITY = capacity;
      assert.equal(typeof (await coldStart('steps/start-task')).handler, 'function', capacity);
    }
  });

  it('fails at load on an active-job limit that is neither a whole number nor none', async () => {
    // Prepare
    Object.assign(process.env, STAGE_ENVIRONMENT, { MAX_ACTIVE_JOBS_PER_TOKEN: 'fifty' });

    // Act + Assess
    await assert.rejects(coldStart('http/create-job'), {
      name: 'ConfigError',
      message: "environment variable MAX_ACTIVE_JOBS_PER_TOKEN must be a whole number of at least 1, or none; got 'fifty'",
    });
  });

  it('fails at load on a wait limit of 0, which would refuse every wait', async () => {
    // Prepare
    Object.assign(process.env, STAGE_ENVIRONMENT, { MAX_WAITS_PER_TOKEN: '0' });

    // Act + Assess
    await assert.rejects(coldStart('http/get-job'), {
      name: 'ConfigError',
      message: "environment variable MAX_WAITS_PER_TOKEN must be a whole number of at least 1, or none; got '0'",
    });
  });

  it('loads the health check with no settings at all', async () => {
    // Prepare
    for (const variable of Object.keys(STAGE_ENVIRONMENT)) delete process.env[variable];

    // Act
    const module = await coldStart('http/health');

    // Assess
    assert.equal(typeof module.handler, 'function');
  });
});
