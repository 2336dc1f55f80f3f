/**
 * What `serverless deploy` would create, checked offline: serverless.yml is packaged once (no AWS
 * account, no credentials) and the CloudFormation template it generates is linted and read. The
 * IAM checks hold every function to the calls its code makes, so a new permission has to be added
 * here on purpose; the resource checks tie the template to the code that uses it (the table to
 * jobTableDefinition, the task definitions to the profiles, the routes to ROUTES).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { awsProfiles, LOG_STREAM_PREFIX } from '#config/profiles.ts';
import { ACTIVE_INDEX, JOB_KEY_PREFIX, JOB_LIST_PARTITION, LIST_INDEX, jobTableDefinition, SCHEDULE_KEY_PREFIX, SCHEDULE_LIST_PARTITION, TOKEN_KEY_PREFIX, TOKEN_LIST_PARTITION, TOKEN_NAME_KEY_PREFIX, WAIT_SLOT_KEY_PREFIX } from '#lib/adapters/aws/dynamodb-table.ts';
import { TASK_STATE_CHANGE } from '#lib/adapters/aws/ecs-task-events.ts';
import { UNSET_SECRET } from '#lib/adapters/aws/secrets-manager-key.ts';
import { JOB_ID_PATTERN } from '#lib/domain/ids.ts';
import { CAPACITIES } from '#lib/domain/capacity.ts';
import { AUTHORIZER_CACHE_SECONDS, stageTableName } from '#cli/token.ts';
import { buildConsoleAssets } from '#lib/console/build-assets.ts';
import { CONSOLE_SECURITY_HEADERS } from '#lib/http/console.ts';
import { DEPLOYED_ROUTES, ROUTES } from '#lib/http/routes.ts';
import { DEFAULT_SLACK_API_URL } from '#lib/notify/slack-web-api.ts';
import { parseSlackAccess } from '#lib/slack/access.ts';

const run = promisify(execFile);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVERLESS = join(ROOT, 'node_modules/serverless/bin/serverless.js');
const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
const STAGE = 'test';
/** Bundling twenty-four functions takes 10-30 s; a cold machine may take longer. */
const PACKAGE_TIMEOUT_MS = 240_000;

/** A managed policy ARN for the stage parameter taskRolePermissionsBoundary (any well-formed ARN will do). */
const TASK_ROLE_BOUNDARY = 'arn:aws:iam::123456789012:policy/jobs-boundary';

/** Stage parameters as an operator sets them (well-formed values, as lib/slack/access.ts and lib/notify read them). */
const SLACK_ACCESS = '[{"team":"T0123ABCD","channel":"C0456EFGH","profiles":["default"]},{"user":"U0789IJKL","profiles":["*"],"admin":true}]';
const SLACK_API_URL = 'https://slack.example.test/api';
const WEBHOOK_ALLOW_HOSTS = 'hooks.internal:8443,ci.internal';
/** The capacity the second stage sets (the default is on-demand). */
const SET_CAPACITY = 'spot-first';

/** The stage's EventBridge Scheduler schedule group (serverless.yml custom.scheduleGroupName). */
const SCHEDULE_GROUP = `fargate-jobs-${STAGE}`;

/** Every Lambda role may write to its own log group, and only to it. */
const OWN_LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

/** The AWS calls each function makes. A change here is a change of what the function may do. */
const FUNCTION_ACTIONS: Record<string, string[]> = {
  createJob: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'states:StartExecution', 'secretsmanager:GetSecretValue'],
  // The long polls also take and give back their caller's wait slots (PutItem, DeleteItem of WAITS# items).
  listJobs: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  getCosts: ['dynamodb:Query'],
  getJob: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  // A finished job's log is read from its archive (objects under logs/ of the log archive bucket).
  getJobLogs: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'logs:GetLogEvents', 's3:GetObject'],
  cancelJob: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'ecs:StopTask'],
  // ECS Exec: reads the job, records the exec (and the agent's readiness), describes the task once, opens the session.
  execJob: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'ecs:DescribeTasks', 'ecs:ExecuteCommand'],
  // The profiles are the function's settings: it calls nothing.
  listProfiles: [],
  health: [],
  options: [],
  // The web console's files are in its bundle.
  console: [],
  authorizer: ['dynamodb:GetItem'],
  // The schedules API: schedule items (and their partition of the list index), the stage group's
  // Scheduler schedules, and passing the scheduler's role to Scheduler.
  schedules: [
    'dynamodb:PutItem',
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:Query',
    'scheduler:CreateSchedule',
    'scheduler:UpdateSchedule',
    'scheduler:DeleteSchedule',
    'iam:PassRole',
  ],
  // A schedule's fire: submits its job as createJob does, and records the fire on the schedule item.
  fireSchedule: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'states:StartExecution', 'secretsmanager:GetSecretValue'],
  // Slack's two routes submit, list, read and cancel jobs as the Slack user (createJob + listJobs +
  // cancelJob + getJobLogs) and read the Slack app's secrets.
  slackCommands: SLACK_ROUTE_ACTIONS(),
  slackInteractions: SLACK_ROUTE_ACTIONS(),
  // startTask, pollTask, finalizeJob and notifyFinished notify: they read the webhook key and the Slack bot token.
  startTask: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'ecs:RunTask', 'ecs:TagResource', 'ecs:StopTask', 'iam:PassRole', 'secretsmanager:GetSecretValue'],
  pollTask: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'ecs:DescribeTasks', 'ec2:DescribeNetworkInterfaces', 'secretsmanager:GetSecretValue'],
  stopTask: ['ecs:StopTask'],
  // Notifies, and archives each finished job's log: PutObject (a multipart upload's begin, parts and completion too), and the abort of a failed one.
  finalizeJob: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'ecs:DescribeTasks', 'logs:GetLogEvents', 'secretsmanager:GetSecretValue', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
  markFailed: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'ecs:StopTask'],
  notifyFinished: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'secretsmanager:GetSecretValue'],
  // Stores the execution's task token on the job (an update that returns the record) and wakes the
  // execution when the change it waits for is already recorded.
  awaitTask: ['dynamodb:UpdateItem', 'states:SendTaskSuccess'],
  // ECS's task-state changes: reads and updates the job, wakes the execution when its task stopped,
  // notifies on RUNNING, looks up a public IP, reads a stopped job's log tail so far.
  taskStateChange: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'states:SendTaskSuccess', 'secretsmanager:GetSecretValue', 'ec2:DescribeNetworkInterfaces', 'logs:GetLogEvents'],
  // The scheduled reconciler: what taskStateChange does, for every active job (read with a Scan of
  // their sparse index), with the tasks described as pollTask does, and a task still not running at
  // the provisioning limit stopped.
  reconcile: ['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'ecs:DescribeTasks', 'ecs:StopTask', 'states:SendTaskSuccess', 'secretsmanager:GetSecretValue', 'ec2:DescribeNetworkInterfaces', 'logs:GetLogEvents'],
};

function SLACK_ROUTE_ACTIONS(): string[] {
  return ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'states:StartExecution', 'secretsmanager:GetSecretValue', 'ecs:StopTask', 'logs:GetLogEvents'];
}

/** The functions that serve long polls (`wait`), and the calls on their caller's wait slots, the only items they write. */
const WAITING_FUNCTIONS = ['getJob', 'getJobLogs', 'listJobs'];
const WAIT_SLOT_ACTIONS = ['dynamodb:PutItem', 'dynamodb:DeleteItem'];

/**
 * The reserved concurrency of each function: the stage parameter of its class (serverless.yml
 * params), or none. A new function must be given a class here, or be left unreserved on purpose.
 */
const FUNCTION_CONCURRENCY: Record<string, string | undefined> = {
  createJob: 'apiConcurrency',
  listProfiles: 'apiConcurrency',
  getCosts: 'apiConcurrency',
  cancelJob: 'apiConcurrency',
  execJob: 'apiConcurrency',
  schedules: 'apiConcurrency',
  authorizer: 'apiConcurrency',
  slackCommands: 'apiConcurrency',
  slackInteractions: 'apiConcurrency',
  // They call nothing and answer in milliseconds: the account's unreserved pool serves them.
  health: undefined,
  options: undefined,
  console: undefined,
  getJob: 'pollConcurrency',
  getJobLogs: 'pollConcurrency',
  listJobs: 'pollConcurrency',
  startTask: 'workflowConcurrency',
  pollTask: 'workflowConcurrency',
  stopTask: 'workflowConcurrency',
  finalizeJob: 'workflowConcurrency',
  awaitTask: 'workflowConcurrency',
  markFailed: 'workflowConcurrency',
  notifyFinished: 'workflowConcurrency',
  taskStateChange: 'eventConcurrency',
  reconcile: 'eventConcurrency',
  // Invoked asynchronously by EventBridge Scheduler, as taskStateChange by EventBridge: a throttled fire waits in Lambda's queue.
  fireSchedule: 'eventConcurrency',
};
/** The concurrency stage parameters' defaults (serverless.yml params.default). */
const DEFAULT_CONCURRENCY: Record<string, number> = { apiConcurrency: 50, pollConcurrency: 50, workflowConcurrency: 20, eventConcurrency: 20 };
/** An account's usual concurrency limit, and what Lambda keeps unreserved in every account. */
const ACCOUNT_CONCURRENCY = 1000;
const UNRESERVED_MINIMUM = 100;
/** How the test stage of the second package sets them: one class unreserved, the others their own values. */
const SET_CONCURRENCY: Record<string, string> = { apiConcurrency: '80', pollConcurrency: 'none', workflowConcurrency: '30', eventConcurrency: '5' };

/** The indexes each function that queries may query (an index grant is per index). */
const FUNCTION_INDEXES: Record<string, string[]> = {
  createJob: [ACTIVE_INDEX],
  fireSchedule: [ACTIVE_INDEX],
  schedules: [LIST_INDEX],
  listJobs: [LIST_INDEX],
  getCosts: [LIST_INDEX],
  slackCommands: [ACTIVE_INDEX, LIST_INDEX],
  slackInteractions: [ACTIVE_INDEX, LIST_INDEX],
};

/**
 * The indexes each function that scans may scan (a Scan grant is per index as well). No function may
 * scan the table: a Scan reads every item it holds, token items too.
 */
const FUNCTION_SCANS: Record<string, string[]> = {
  // The active jobs: the index is sparse (only jobs that are not terminal carry its key), so a Scan
  // of it reads those alone, and only their keys, status and task.
  reconcile: [ACTIVE_INDEX],
};

/** The functions invoked on a schedule, with their schedule expression. */
const SCHEDULED_FUNCTIONS: Record<string, string> = { reconcile: 'rate(5 minutes)' };
/** The reconciler's period: a run ends before the next one starts. */
const RECONCILE_PERIOD_SECONDS = 5 * 60;

/** The stage's Secrets Manager secrets, by how their names end (`fargate-jobs-<stage>-<suffix>`). */
const SECRET_SUFFIXES = {
  requestHashKey: 'request-hash-key',
  webhook: 'webhook-secret',
  slackSigning: 'slack-signing-secret',
  slackBotToken: 'slack-bot-token',
} as const;
type StageSecret = keyof typeof SECRET_SUFFIXES;

/** Generated at creation; the others hold UNSET_SECRET until an operator puts the Slack app's values in. */
const GENERATED_SECRETS: readonly StageSecret[] = ['requestHashKey', 'webhook'];

const NOTIFIER_SECRETS: Partial<Record<StageSecret, string>> = { webhook: 'FARGATE_JOBS_WEBHOOK_SECRET_ID', slackBotToken: 'SLACK_BOT_TOKEN_ID' };
const SLACK_ROUTE_SECRETS: Partial<Record<StageSecret, string>> = {
  requestHashKey: 'REQUEST_HASH_KEY_SECRET',
  slackSigning: 'SLACK_SIGNING_SECRET_ID',
  slackBotToken: 'SLACK_BOT_TOKEN_ID',
};

/**
 * The secrets each function may read, and the variable that tells it where each one is. A function
 * not listed reads none, and is told of none.
 */
const FUNCTION_SECRETS: Record<string, Partial<Record<StageSecret, string>>> = {
  createJob: { requestHashKey: 'REQUEST_HASH_KEY_SECRET' },
  fireSchedule: { requestHashKey: 'REQUEST_HASH_KEY_SECRET' },
  slackCommands: SLACK_ROUTE_SECRETS,
  slackInteractions: SLACK_ROUTE_SECRETS,
  startTask: NOTIFIER_SECRETS,
  pollTask: NOTIFIER_SECRETS,
  finalizeJob: NOTIFIER_SECRETS,
  notifyFinished: NOTIFIER_SECRETS,
  taskStateChange: NOTIFIER_SECRETS,
  reconcile: NOTIFIER_SECRETS,
};

/** The functions that notify a job's Slack thread and webhook (lib/composition/aws.ts: notifier). */
const NOTIFYING_FUNCTIONS = ['startTask', 'pollTask', 'finalizeJob', 'notifyFinished', 'taskStateChange', 'reconcile'];
/** The functions that submit jobs, so check a callbackUrl against the webhook allow-list. */
const SUBMITTING_FUNCTIONS = ['createJob', 'slackCommands', 'slackInteractions', 'fireSchedule'];
const SLACK_FUNCTIONS = ['slackCommands', 'slackInteractions'];
/** Slack's routes: public, each request signed by Slack instead of a token. */
const SLACK_ROUTE_KEYS = ['POST /slack/commands', 'POST /slack/interactions'];
/** The web console's files: public, they hold no data (the page asks for the token and sends it to the API). */
const CONSOLE_ROUTE_KEYS = ['GET /', 'HEAD /', 'GET /assets/{file}', 'HEAD /assets/{file}'];

/**
 * What the ECS Exec agent in a task of an exec profile opens its Session Manager channels with: its
 * task role's only statement, exactly these four (AWS's ECS Exec guide), on Resource "*".
 */
const EXEC_CHANNEL_ACTIONS = ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'];

/** The only actions allowed on Resource "*": they have no resource-level permissions. */
const UNSCOPABLE_ACTIONS = ['ec2:DescribeNetworkInterfaces', ...EXEC_CHANNEL_ACTIONS];

/** The log archive bucket's objects the functions may reach: the archived logs and their indexes (lib/domain/log-archive.ts). */
const LOG_ARCHIVE_OBJECTS = '${LogArchiveBucket.Arn}/logs/*';
/** The functions told where the log archive is (LOG_ARCHIVE_BUCKET): the one that writes it, the one that reads it. */
const LOG_ARCHIVE_FUNCTIONS = ['finalizeJob', 'getJobLogs'];
/** A KMS key for the stage parameter logArchiveKmsKeyArn, and a number of days for logArchiveDays. */
const LOG_ARCHIVE_KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const SET_LOG_ARCHIVE_DAYS = '30';

/** The settings lib/config.ts reads on Lambda; every function that calls AWS gets them all. */
const STAGE_VARIABLES = ['JOBS_TABLE', 'STATE_MACHINE_ARN', 'ECS_CLUSTER', 'TASK_SUBNETS', 'TASK_SECURITY_GROUPS', 'TASK_LOG_GROUP', 'TASK_DEFINITION_PREFIX', 'TASK_CAPACITY'];

// ---------------------------------------------------------------------------------------------
// Reading the template

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface PolicyDocument {
  Statement: Statement | Statement[];
}
interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}
interface Template {
  Parameters?: Record<string, { Default?: unknown; AllowedValues?: unknown[] }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown }>;
}
interface ContainerDefinition {
  Name: string;
  Essential?: boolean;
  LinuxParameters?: { InitProcessEnabled?: boolean };
  StopTimeout?: number;
  PortMappings?: Array<{ ContainerPort: number }>;
  Environment?: Array<{ Name: string; Value: string }>;
  LogConfiguration?: { LogDriver: string; Options?: Record<string, unknown> };
}
interface AslDefinition {
  States: Record<string, { Resource?: string; TimeoutSeconds?: number; TimeoutSecondsPath?: string; Parameters?: Record<string, unknown> }>;
}

/** The Resource of a Task state that invokes a Lambda and waits for a callback with the task token. */
const WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
/** The longest a function that only stores a token or handles one event may run: the waiting is not in it. */
const SHORT_FUNCTION_SECONDS = 60;

/** How job ids, and so the startedBy of the tasks this stage runs, begin (lib/domain/ids.ts). */
const JOB_ID_PREFIX = 'job-';

function list<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function sorted(values: Iterable<string>): string[] {
  return [...values].toSorted();
}

function ref(logicalId: string): { Ref: string } {
  return { Ref: logicalId };
}

function arnOf(logicalId: string): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [logicalId, 'Arn'] };
}

function pascalCase(kebab: string): string {
  return kebab.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}

/** The CloudFormation logical id prefix the framework gives a function's resources (`createJob` → `CreateJob`). */
function functionPrefix(functionName: string): string {
  return functionName.charAt(0).toUpperCase() + functionName.slice(1);
}

/** The text a policy Resource or a Fn::Sub stands for, for pattern checks (`${JobsTable.Arn}/index/x`). */
function arnText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const sub = (value as { 'Fn::Sub'?: unknown } | null)?.['Fn::Sub'];
  return typeof sub === 'string' ? sub : undefined;
}

class PackagedTemplate {
  readonly template: Template;

  constructor(template: Template) {
    this.template = template;
  }

  resource(logicalId: string): Resource {
    const found = this.template.Resources[logicalId];
    assert.ok(found, `the template has no resource ${logicalId}`);
    return found;
  }

  ofType(type: string): Array<[string, Resource]> {
    return Object.entries(this.template.Resources).filter(([, resource]) => resource.Type === type);
  }

  /** The one resource of a type, e.g. the table or the cluster. */
  single(type: string): [string, Resource] {
    const found = this.ofType(type);
    assert.equal(found.length, 1, `one ${type} is expected, found ${found.map(([id]) => id).join(', ') || 'none'}`);
    return found[0] as [string, Resource];
  }

  /** Every identity policy statement, with where it is written. */
  identityStatements(): Array<{ where: string; statement: Statement }> {
    const documents: Array<{ where: string; document: PolicyDocument }> = [];
    for (const [id, resource] of Object.entries(this.template.Resources)) {
      if (!resource.Type.startsWith('AWS::IAM::')) continue;
      const properties = resource.Properties ?? {};
      if (properties.PolicyDocument) documents.push({ where: id, document: properties.PolicyDocument as PolicyDocument });
      for (const policy of list(properties.Policies as Array<{ PolicyName: string; PolicyDocument: PolicyDocument }> | undefined)) {
        documents.push({ where: `${id} (${JSON.stringify(policy.PolicyName)})`, document: policy.PolicyDocument });
      }
    }
    return documents.flatMap(({ where, document }) => list(document.Statement).map((statement) => ({ where, statement })));
  }

  /** The Allow statements that apply to a role: its inline policies and any policy resource naming it. */
  roleStatements(roleId: string): Statement[] {
    const role = this.resource(roleId);
    assert.equal(role.Type, 'AWS::IAM::Role');
    const inline = list(role.Properties?.Policies as Array<{ PolicyDocument: PolicyDocument }> | undefined).map((policy) => policy.PolicyDocument);
    const namesRole = (value: unknown) => JSON.stringify(value) === JSON.stringify(ref(roleId));
    const attached = Object.values(this.template.Resources)
      .filter((resource) => ['AWS::IAM::Policy', 'AWS::IAM::RolePolicy', 'AWS::IAM::ManagedPolicy'].includes(resource.Type))
      .filter((resource) => list(resource.Properties?.Roles as unknown[] | undefined).some(namesRole) || namesRole(resource.Properties?.RoleName))
      .map((resource) => resource.Properties?.PolicyDocument as PolicyDocument);
    return [...inline, ...attached].flatMap((document) => list(document.Statement)).filter((statement) => statement.Effect === 'Allow');
  }

  /** The role a function runs with (its logical id). */
  functionRole(functionName: string): string {
    const role = this.lambda(functionName).Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const roleId = role?.['Fn::GetAtt']?.[0];
    assert.ok(roleId && role?.['Fn::GetAtt']?.[1] === 'Arn', `${functionName} should run with a role of this template, found ${JSON.stringify(role)}`);
    return roleId;
  }

  lambda(functionName: string): Resource {
    return this.resource(`${functionPrefix(functionName)}LambdaFunction`);
  }

  environment(functionName: string): Record<string, unknown> {
    return ((this.lambda(functionName).Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables) ?? {};
  }

  /**
   * What CloudFormation makes of a property value when it deploys this template with its parameters'
   * defaults: the chosen branch of an Fn::If, undefined for AWS::NoValue (the property is left out).
   */
  deployedValue(value: unknown): unknown {
    const branches = (value as { 'Fn::If'?: [string, unknown, unknown] } | null)?.['Fn::If'];
    if (branches) return this.deployedValue(this.conditionHolds(branches[0]) ? branches[1] : branches[2]);
    const name = (value as { Ref?: unknown } | null)?.Ref;
    if (name === 'AWS::NoValue') return undefined;
    if (typeof name === 'string' && this.template.Parameters?.[name]) return this.template.Parameters[name].Default;
    return value;
  }

  conditionHolds(conditionName: string): boolean {
    const condition = this.template.Conditions?.[conditionName];
    assert.ok(condition !== undefined, `the template has no condition ${conditionName}`);
    return this.evaluate(condition);
  }

  /** A condition's value; this reader knows only the functions serverless.yml uses. */
  evaluate(condition: unknown): boolean {
    const { 'Fn::Equals': equals, 'Fn::Not': not } = condition as { 'Fn::Equals'?: [unknown, unknown]; 'Fn::Not'?: [unknown] };
    if (equals) return JSON.stringify(this.deployedValue(equals[0])) === JSON.stringify(this.deployedValue(equals[1]));
    if (not) return !this.evaluate(not[0]);
    assert.fail(`cannot evaluate the condition ${JSON.stringify(condition)}`);
  }
}

function actionsOf(statements: Statement[]): string[] {
  return sorted(new Set(statements.flatMap((statement) => list(statement.Action))));
}

function statementsFor(statements: Statement[], action: string): Statement[] {
  return statements.filter((statement) => list(statement.Action).includes(action));
}

// ---------------------------------------------------------------------------------------------
// Packaging, once for the whole file

/** The environment of an offline package: no AWS credentials or configuration to find, no prompts. */
function offlineEnvironment(packageDir: string): NodeJS.ProcessEnv {
  const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && name !== 'NODE_TEST_CONTEXT'));
  return {
    ...environment,
    CI: 'true',
    AWS_SHARED_CREDENTIALS_FILE: join(packageDir, 'no-credentials'),
    AWS_CONFIG_FILE: join(packageDir, 'no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Packages serverless.yml for the test stage into a new directory, with stage parameters set as on `serverless deploy`. */
async function packageStage(params: string[] = []): Promise<{ directory: string; template: PackagedTemplate }> {
  const directory = await mkdtemp(join(tmpdir(), 'fargate-jobs-package-'));
  try {
    await run(process.execPath, [SERVERLESS, 'package', '--stage', STAGE, '--package', directory, ...params.map((param) => `--param=${param}`)], {
      cwd: ROOT,
      env: offlineEnvironment(directory),
      timeout: PACKAGE_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    await rm(directory, { recursive: true, force: true });
    throw new Error(`serverless package failed:\n${stdout}\n${stderr}`, { cause: error });
  }
  return { directory, template: new PackagedTemplate(JSON.parse(await readFile(join(directory, TEMPLATE_FILE), 'utf8')) as Template) };
}

let packageDir = '';
let templatePath = '';
let packaged: PackagedTemplate;

before(
  async () => {
    ({ directory: packageDir, template: packaged } = await packageStage());
    templatePath = join(packageDir, TEMPLATE_FILE);
  },
  { timeout: PACKAGE_TIMEOUT_MS + 10_000 },
);

after(async () => {
  if (packageDir) await rm(packageDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('the packaged CloudFormation template', () => {
  it('passes cfn-lint', async (t) => {
    try {
      // W3005 (a DependsOn that a Ref already implies) is how the framework writes every function.
      await run('cfn-lint', ['--ignore-checks', 'W3005', '--', templatePath], { maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const { code, stdout = '', stderr = '' } = error as { code?: unknown; stdout?: string; stderr?: string };
      // ENOENT: not on PATH; 127: a shim (pyenv, asdf) with no cfn-lint behind it.
      if (code === 'ENOENT' || code === 127) {
        t.diagnostic(
          `cfn-lint is not available (${code === 'ENOENT' ? 'not on PATH' : stderr.trim()}), so the template was NOT linted ` +
            '(pip install cfn-lint); the other checks of this file still ran',
        );
        return;
      }
      assert.fail(`cfn-lint found problems in ${TEMPLATE_FILE}:\n${stdout}${stderr}`);
    }
  });

  it('creates the jobs table under the name npm run token looks for, with the keys and index of jobTableDefinition, point-in-time recovery and TTL on expiresAt', () => {
    // Prepare
    const [, table] = packaged.single('AWS::DynamoDB::Table');
    const expected = jobTableDefinition('unused');
    const properties = table.Properties ?? {};
    const byName = (definitions: unknown) => (definitions as Array<{ AttributeName: string }>).toSorted((a, b) => a.AttributeName.localeCompare(b.AttributeName));

    // Assess
    assert.equal(properties.TableName, stageTableName(STAGE));
    assert.equal(properties.BillingMode, expected.BillingMode);
    assert.deepEqual(byName(properties.AttributeDefinitions), byName(expected.AttributeDefinitions));
    assert.deepEqual(properties.KeySchema, expected.KeySchema);
    assert.deepEqual(properties.GlobalSecondaryIndexes, expected.GlobalSecondaryIndexes);
    assert.deepEqual(properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.deepEqual(properties.TimeToLiveSpecification, { AttributeName: 'expiresAt', Enabled: true });
  });

  it("keys the request hashes and webhook signatures with generated stage secrets, and creates the Slack app's secrets unset", () => {
    // Prepare
    const secrets = packaged.ofType('AWS::SecretsManager::Secret');

    // Act
    const names = secrets.map(([, secret]) => String(secret.Properties?.Name));

    // Assess
    assert.deepEqual(sorted(names), sorted(Object.values(SECRET_SUFFIXES).map((suffix) => `fargate-jobs-${STAGE}-${suffix}`)));
    for (const name of Object.keys(SECRET_SUFFIXES) as StageSecret[]) {
      const properties = packaged.resource(secretIdOf(name)).Properties ?? {};
      const generated = properties.GenerateSecretString as { PasswordLength?: number } | undefined;
      if (GENERATED_SECRETS.includes(name)) {
        assert.ok((generated?.PasswordLength ?? 0) >= 32, `${name}: generated, and long enough for an HMAC-SHA256 key`);
        assert.equal(properties.SecretString, undefined, `${name}: a key in the template is a key anyone with the template knows`);
      } else {
        assert.equal(generated, undefined, `${name}: Slack gives this value, nothing here can generate it`);
        assert.equal(properties.SecretString, UNSET_SECRET, `${name}: read as not set until an operator sets it`);
        assert.match(String(properties.Description), new RegExp(`put-secret-value --secret-id ${String(properties.Name)}`), `${name}: the description says how to set it`);
      }
    }
  });

  it('tells each function of exactly the secrets it may read, and lets it read those only', () => {
    for (const functionName of Object.keys(FUNCTION_ACTIONS)) {
      // Prepare
      const expected = FUNCTION_SECRETS[functionName] ?? {};
      const expectedRefs = sorted(Object.keys(expected).map((name) => JSON.stringify(ref(secretIdOf(name as StageSecret)))));

      // Act
      const environment = packaged.environment(functionName);
      const told = Object.fromEntries(Object.entries(environment).filter(([, value]) => isSecretRef(value)));
      const readable = statementsFor(packaged.roleStatements(packaged.functionRole(functionName)), 'secretsmanager:GetSecretValue').flatMap((statement) => list(statement.Resource));

      // Assess
      assert.deepEqual(
        told,
        Object.fromEntries(Object.entries(expected).map(([name, variable]) => [variable, ref(secretIdOf(name as StageSecret))])),
        `${functionName} is told of other secrets than it reads`,
      );
      assert.deepEqual(sorted(readable.map((resource) => JSON.stringify(resource))), expectedRefs, `${functionName} may read other secrets than it is told of`);
    }
  });

  it("gives the functions that submit jobs the stage's active-job limit and webhook allow-list, the Slack routes SLACK_ACCESS", () => {
    for (const functionName of SUBMITTING_FUNCTIONS) {
      // Act
      const environment = packaged.environment(functionName);

      // Assess
      assert.equal(String(environment.MAX_ACTIVE_JOBS_PER_TOKEN), '50', `${functionName}: the default of the stage parameter maxActiveJobsPerToken`);
      assert.equal(environment.FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS, '', `${functionName}: the default of webhookAllowHosts, public https endpoints only`);
    }
    for (const functionName of SLACK_FUNCTIONS) {
      const environment = packaged.environment(functionName);
      assert.equal(environment.SLACK_ACCESS, '[]', `${functionName}: the default of slackAccess`);
      assert.deepEqual(parseSlackAccess(String(environment.SLACK_ACCESS)), [], 'by default nobody may run anything from Slack');
      assert.equal(environment.SLACK_API_URL, DEFAULT_SLACK_API_URL);
      assert.equal(arnText(environment.API_URL), apiUrlText(), `${functionName}: links to a job's console page are this API's`);
    }
    for (const functionName of Object.keys(FUNCTION_ACTIONS).filter((candidate) => !SLACK_FUNCTIONS.includes(candidate))) {
      assert.equal(packaged.environment(functionName).SLACK_ACCESS, undefined, `${functionName} has no Slack users`);
    }
  });

  it("tells the steps that notify the Slack API, the webhook allow-list and the API's URL, without a circular reference", () => {
    for (const functionName of NOTIFYING_FUNCTIONS) {
      // Act
      const environment = packaged.environment(functionName);

      // Assess
      assert.equal(environment.SLACK_API_URL, DEFAULT_SLACK_API_URL, `${functionName}: the default of slackApiUrl`);
      assert.equal(environment.FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS, '', `${functionName}: the default of webhookAllowHosts`);
      assert.equal(arnText(environment.API_URL), apiUrlText(), `${functionName}: links to a job's console page are this API's`);
    }
    // The API resource itself references no function (routes and integrations do), so a function may name it.
    assert.doesNotMatch(JSON.stringify(packaged.resource(apiId())), /LambdaFunction/);
    for (const functionName of Object.keys(FUNCTION_ACTIONS).filter((candidate) => !NOTIFYING_FUNCTIONS.includes(candidate))) {
      assert.equal(packaged.environment(functionName).FARGATE_JOBS_WEBHOOK_SECRET_ID, undefined, `${functionName} does not notify`);
    }
  });

  it('creates a cluster with the FARGATE and FARGATE_SPOT capacity providers', () => {
    // Prepare
    const [clusterId, cluster] = packaged.single('AWS::ECS::Cluster');
    const associated = packaged
      .ofType('AWS::ECS::ClusterCapacityProviderAssociations')
      .filter(([, association]) => JSON.stringify(association.Properties?.Cluster) === JSON.stringify(ref(clusterId)))
      .flatMap(([, association]) => list(association.Properties?.CapacityProviders as string[] | undefined));

    // Act
    const providers = new Set([...list(cluster.Properties?.CapacityProviders as string[] | undefined), ...associated]);

    // Assess: profiles choose their provider per task, and RunTask refuses one the cluster lacks.
    assert.ok(providers.has('FARGATE') && providers.has('FARGATE_SPOT'), `the cluster's capacity providers: ${[...providers].join(', ') || 'none'}`);
  });

  it("creates each profile's task definition, its watched container logging to the task log group", () => {
    // Prepare
    const taskDefinitions = packaged.ofType('AWS::ECS::TaskDefinition');

    for (const profile of stageProfiles()) {
      // Act
      const found = taskDefinitions.filter(([, definition]) => definition.Properties?.Family === profile.aws.taskDefinition);

      // Assess
      assert.equal(found.length, 1, `profile '${profile.name}' runs family ${profile.aws.taskDefinition}, which the template should define once`);
      const properties = found[0]?.[1].Properties ?? {};
      assert.deepEqual(properties.RequiresCompatibilities, ['FARGATE']);
      assert.equal(properties.NetworkMode, 'awsvpc', 'Fargate tasks need awsvpc, and the job reads its network interface');
      const container = (properties.ContainerDefinitions as ContainerDefinition[]).find((candidate) => candidate.Name === profile.aws.container);
      assert.ok(container, `${profile.aws.taskDefinition} has no container '${profile.aws.container}' for profile '${profile.name}' to watch`);
      assert.notEqual(container.Essential, false, 'the watched container ends the task when it exits');
      assert.equal(container.LogConfiguration?.LogDriver, 'awslogs');
      assert.deepEqual(container.LogConfiguration.Options?.['awslogs-group'], stageEnvironment().TASK_LOG_GROUP, 'the log reader reads TASK_LOG_GROUP');
      assert.equal(container.LogConfiguration.Options?.['awslogs-stream-prefix'], LOG_STREAM_PREFIX);
      if (profile.interactive) {
        assert.ok(container.PortMappings?.some((mapping) => mapping.ContainerPort === profile.interactive?.port), `the connect hint names port ${profile.interactive.port}`);
        const environment = Object.fromEntries((container.Environment ?? []).map((variable) => [variable.Name, variable.Value]));
        assert.equal(environment.USER_NAME, profile.interactive.user, 'the connect hint names this user');
        assert.equal(environment.PASSWORD_ACCESS, 'false', 'only the caller\'s key logs in');
      }
      // ECS Exec wants an init process to reap what a session leaves behind; the others keep the image's own PID 1.
      assert.equal(container.LinuxParameters?.InitProcessEnabled, profile.exec === true ? true : undefined, `profile '${profile.name}': initProcessEnabled as its exec`);
      // The stage parameter `capacity` may put any profile on Fargate Spot, which runs no ARM64 tasks.
      const platform = properties.RuntimePlatform as { CpuArchitecture?: string } | undefined;
      assert.notEqual(platform?.CpuArchitecture, 'ARM64', `profile '${profile.name}' may run on Fargate Spot, which runs no ARM64 tasks`);
      // What the profile says its jobs get between SIGTERM (a stop, Spot's 2-minute warning) and SIGKILL.
      assert.equal(container.StopTimeout, profile.stopTimeout, `profile '${profile.name}': the watched container's StopTimeout`);
    }
  });

  it('gives every function that calls AWS the settings lib/config.ts reads, the state machine ARN built from its name', () => {
    // Prepare
    const [tableId] = packaged.single('AWS::DynamoDB::Table');
    const [clusterId] = packaged.single('AWS::ECS::Cluster');
    const [, stateMachine] = packaged.single('AWS::StepFunctions::StateMachine');
    const stateMachineName = stateMachine.Properties?.StateMachineName;
    assert.equal(typeof stateMachineName, 'string', 'the state machine needs a fixed name to build its ARN from');

    for (const [functionName, actions] of Object.entries(FUNCTION_ACTIONS)) {
      if (actions.length === 0) continue;
      // Act
      const environment = packaged.environment(functionName);

      // Assess
      assert.deepEqual(sorted(STAGE_VARIABLES.filter((name) => environment[name] !== undefined)), sorted(STAGE_VARIABLES), `${functionName}'s environment`);
      assert.deepEqual(environment.JOBS_TABLE, ref(tableId));
      assert.deepEqual(environment.ECS_CLUSTER, ref(clusterId));
      assert.equal(packaged.resource(taskLogGroupId()).Type, 'AWS::Logs::LogGroup');
      // A Ref to the state machine here would be circular: it references the step functions.
      assert.equal(arnText(environment.STATE_MACHINE_ARN), `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${String(stateMachineName)}`);
      for (const name of ['TASK_SUBNETS', 'TASK_SECURITY_GROUPS', 'TASK_DEFINITION_PREFIX']) {
        assert.match(String(environment[name]), /^[\w-]+(,[\w-]+)*$/, `${name} is a plain comma-separated list`);
      }
      assert.equal(packaged.deployedValue(environment.TASK_CAPACITY), 'on-demand', 'the stage parameter capacity, on-demand by default');
    }
    assert.ok((packaged.resource(taskLogGroupId()).Properties?.RetentionInDays as number) > 0, 'task output is kept for a limited time');
  });

  it('keeps HTTP handlers within the API Gateway limit, each step within its state timeout (short where the state waits for a callback), the event handler short, the reconciler within its period, finalizeJob long enough to drain logs', () => {
    // Prepare
    const asl = JSON.parse(readFileSync(join(ROOT, 'statemachine/run-job.asl.json'), 'utf8')) as AslDefinition;

    for (const functionName of Object.keys(FUNCTION_ACTIONS)) {
      // Act
      const properties = packaged.lambda(functionName).Properties ?? {};
      const handler = String(properties.Handler);
      const timeout = properties.Timeout as number;

      // Assess
      assert.equal(typeof timeout, 'number', `${functionName} has a timeout`);
      if (handler.startsWith('handlers/http/')) {
        assert.ok(timeout <= 29, `${functionName}: ${timeout} s is more than API Gateway waits for`);
      } else if (SCHEDULED_FUNCTIONS[functionName] !== undefined) {
        // Invoked by its schedule, no state bounds it: one run describes every active job, so it may
        // take longer than one event, but it ends before the next run starts.
        assert.ok(handler.startsWith('handlers/events/'), `${functionName}: ${handler} is not an event handler`);
        assert.ok(timeout < RECONCILE_PERIOD_SECONDS, `${functionName}: ${timeout} s does not end before its next run, ${RECONCILE_PERIOD_SECONDS} s later`);
      } else if (handler.startsWith('handlers/events/')) {
        // Invoked asynchronously by EventBridge, no state bounds it: a few reads and writes, kept short
        // so that a hung call fails and Lambda's retry of the event comes soon.
        assert.ok(timeout <= SHORT_FUNCTION_SECONDS, `${functionName}: ${timeout} s for one event`);
      } else {
        assert.ok(handler.startsWith('handlers/steps/'), `${functionName}: ${handler} is neither a route, a step nor an event handler`);
        const state = pascalCase(handler.replace(/^handlers\/steps\//, '').replace(/\.handler$/, ''));
        const definition = asl.States[state];
        assert.ok(definition, `the ASL has no ${state} state for ${functionName}`);
        if (definition.Resource === WAIT_FOR_TASK_TOKEN) {
          // A deliberate exception: a callback state's timeout (TimeoutSecondsPath, up to the one-hour
          // safety net) is how long the execution waits for the token, not how long the Lambda may
          // run. The Lambda only stores the token and returns, so its timeout must be short instead.
          assert.ok(definition.TimeoutSecondsPath !== undefined || definition.TimeoutSeconds !== undefined, `the ${state} state bounds its wait`);
          assert.ok(timeout <= SHORT_FUNCTION_SECONDS, `${functionName}: ${timeout} s to store a task token; the wait is not in the Lambda`);
        } else {
          const stateTimeout = definition.TimeoutSeconds;
          assert.ok(stateTimeout !== undefined, `the ${state} state sets TimeoutSeconds`);
          assert.ok(timeout < stateTimeout, `${functionName}: ${timeout} s does not end before the ${state} state's ${stateTimeout} s`);
        }
      }
    }
    // It waits for at least 10 s of quiet after the task stopped (awslogs flush), up to 60 s.
    const finalizeTimeout = packaged.lambda('finalizeJob').Properties?.Timeout as number;
    assert.ok(finalizeTimeout >= 90, `finalizeJob: ${finalizeTimeout} s leaves no time to drain the logs`);
  });

  it('asks the token authorizer about every route but the public ones', () => {
    // Prepare
    const [authorizerId] = packaged.single('AWS::ApiGatewayV2::Authorizer');

    // Act
    const routes = packaged.ofType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties ?? {});

    // Assess: HEAD routes as their GET, OPTIONS routes public.
    assert.deepEqual(sorted(routes.map((route) => String(route.RouteKey))), sorted(DEPLOYED_ROUTES.map((route) => `${route.method} ${route.path}`)));
    assert.ok(DEPLOYED_ROUTES.some((route) => route.method === 'HEAD' && !route.public), 'a HEAD route is checked behind the authorizer');
    for (const route of DEPLOYED_ROUTES) {
      const deployed = routes.find((candidate) => candidate.RouteKey === `${route.method} ${route.path}`);
      const authorization = deployed?.AuthorizationType ?? 'NONE';
      if (route.public) {
        assert.equal(authorization, 'NONE', `${route.method} ${route.path} is public`);
      } else {
        assert.equal(authorization, 'CUSTOM', `${route.method} ${route.path} is not behind the token authorizer`);
        assert.deepEqual(deployed?.AuthorizerId, ref(authorizerId), `${route.method} ${route.path} uses another authorizer`);
      }
    }
  });

  it("only /health, the console's files, the OPTIONS routes and the two Slack routes are reachable without the token authorizer", () => {
    // Prepare: read from the template alone, not from DEPLOYED_ROUTES, so a route added there public by
    // mistake fails here.
    const [authorizerId] = packaged.single('AWS::ApiGatewayV2::Authorizer');
    const isPublic = (routeKey: string) =>
      /^(GET|HEAD) \/health$/.test(routeKey) || routeKey.startsWith('OPTIONS ') || SLACK_ROUTE_KEYS.includes(routeKey) || CONSOLE_ROUTE_KEYS.includes(routeKey);

    // Act
    const routes = packaged.ofType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties ?? {});

    // Assess
    assert.ok(routes.length > SLACK_ROUTE_KEYS.length);
    for (const route of routes) {
      const routeKey = String(route.RouteKey);
      if (isPublic(routeKey)) {
        assert.equal(route.AuthorizationType ?? 'NONE', 'NONE', `${routeKey} is public`);
        assert.equal(route.AuthorizerId, undefined, `${routeKey} is public`);
      } else {
        assert.equal(route.AuthorizationType, 'CUSTOM', `${routeKey} is reachable without the token authorizer`);
        assert.deepEqual(route.AuthorizerId, ref(authorizerId), `${routeKey} uses another authorizer`);
      }
    }
    for (const [routeKey, functionName] of SLACK_ROUTE_KEYS.map((key, index) => [key, SLACK_FUNCTIONS[index] ?? ''] as const)) {
      const route = routes.find((candidate) => candidate.RouteKey === routeKey);
      assert.ok(route, `${routeKey} is deployed`);
      assert.equal(route.AuthorizationType ?? 'NONE', 'NONE', `${routeKey}: Slack sends no token, it signs the request`);
      const integrationId = JSON.stringify(route.Target).match(/"Ref":"(\w+)"/)?.[1] ?? '';
      assert.deepEqual(packaged.resource(integrationId).Properties?.IntegrationUri, arnOf(`${functionPrefix(functionName)}LambdaFunction`), `${routeKey} is answered by ${functionName}`);
      // A public route must check who is asking: the handler verifies Slack's signature with this secret.
      assert.deepEqual(packaged.environment(functionName).SLACK_SIGNING_SECRET_ID, ref(secretIdOf('slackSigning')));
      assert.ok(!routes.some((candidate) => candidate.RouteKey === `OPTIONS ${routeKey.split(' ')[1]}`), `${routeKey}: no OPTIONS, not for browsers`);
    }
  });

  it('checks tokens with the authorizer function: simple responses, keyed and cached briefly on the Authorization header', () => {
    // Act
    const [, authorizer] = packaged.single('AWS::ApiGatewayV2::Authorizer');
    const properties = authorizer.Properties ?? {};
    const permissions = packaged
      .ofType('AWS::Lambda::Permission')
      .map(([, permission]) => permission.Properties ?? {})
      .filter((permission) => JSON.stringify(permission.FunctionName).includes(`${functionPrefix('authorizer')}LambdaFunction`));

    // Assess
    assert.equal(properties.AuthorizerType, 'REQUEST');
    assert.equal(properties.AuthorizerPayloadFormatVersion, '2.0');
    assert.equal(properties.EnableSimpleResponses, true);
    assert.deepEqual(properties.IdentitySource, ['$request.header.Authorization']);
    const ttl = properties.AuthorizerResultTtlInSeconds as number;
    assert.ok(ttl > 0 && ttl <= 60, `a revoked token keeps working for ${ttl} s`);
    assert.equal(ttl, AUTHORIZER_CACHE_SECONDS, 'npm run token -- revoke says how long a revoked token may still work');
    assert.match(JSON.stringify(properties.AuthorizerUri), new RegExp(`${functionPrefix('authorizer')}LambdaFunction`));
    assert.equal(permissions.length, 1, 'API Gateway may invoke the authorizer');
    assert.equal(permissions[0]?.Principal, 'apigateway.amazonaws.com');
  });

  it('lets the authorizer read token items only, never job records', () => {
    // Act
    const statements = packaged.roleStatements(packaged.functionRole('authorizer'));
    const reads = statements.filter((statement) => list(statement.Action).includes('dynamodb:GetItem'));

    // Assess
    assert.equal(reads.length, 1);
    assert.deepEqual(reads[0]?.Condition, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${TOKEN_KEY_PREFIX}*`] } });
  });

  it('lets the list function query the jobs partition of the index only, never the token items listed in it', () => {
    // Act
    const queries = statementsFor(packaged.roleStatements(packaged.functionRole('listJobs')), 'dynamodb:Query');

    // Assess: the index lists token items too, under their own partition (TOKEN_LIST_PARTITION).
    assert.equal(queries.length, 1);
    assert.deepEqual(
      queries[0]?.Condition,
      { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [JOB_LIST_PARTITION] } },
      `listJobs may query index partitions other than ${JOB_LIST_PARTITION}, such as ${TOKEN_LIST_PARTITION}`,
    );
  });

  it("reserves each function's concurrency from its class's stage parameter (none for health, options and console), within what an account of 1000 may reserve", () => {
    // Prepare
    const deployed = packaged.ofType('AWS::Lambda::Function').map(([id]) => id.replace(/LambdaFunction$/, ''));
    assert.deepEqual(sorted(deployed), sorted(Object.keys(FUNCTION_CONCURRENCY).map(functionPrefix)), 'every function needs an entry in FUNCTION_CONCURRENCY');
    let reserved = 0;

    for (const [functionName, parameter] of Object.entries(FUNCTION_CONCURRENCY)) {
      // Act
      const value = packaged.deployedValue(packaged.lambda(functionName).Properties?.ReservedConcurrentExecutions);

      // Assess
      const expected = parameter === undefined ? undefined : DEFAULT_CONCURRENCY[parameter];
      assert.equal(value === undefined ? undefined : Number(value), expected, `${functionName}: the default of ${parameter ?? 'no class'}`);
      reserved += expected ?? 0;
    }
    assert.equal(reserved, 800, 'the sum docs/deploy.md and serverless.yml give');
    assert.ok(reserved <= ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM, `${reserved} reserved would not deploy in an account of ${ACCOUNT_CONCURRENCY}`);
  });

  it('refuses at deploy a reserved concurrency that is neither a positive whole number nor none (0 would throttle every call)', () => {
    for (const parameter of Object.keys(DEFAULT_CONCURRENCY)) {
      // Prepare
      const name = parameter.charAt(0).toUpperCase() + parameter.slice(1);
      const declared = packaged.template.Parameters?.[name] as { AllowedPattern?: string } | undefined;
      assert.ok(declared?.AllowedPattern, `${parameter} goes through the CloudFormation parameter ${name}, with a pattern`);
      const pattern = new RegExp(declared.AllowedPattern);

      // Assess
      for (const accepted of ['none', '1', '50', '900']) assert.match(accepted, pattern, `${name} refuses ${accepted}`);
      for (const refused of ['0', '-1', '05', '1.5', '', 'None', 'unreserved']) assert.doesNotMatch(refused, pattern, `${name} accepts ${JSON.stringify(refused)}`);
    }
  });

  it("tells the waiting functions, and only them, the stage's limit on a token's waits", () => {
    for (const functionName of Object.keys(FUNCTION_ACTIONS)) {
      // Act
      const limit = packaged.environment(functionName).MAX_WAITS_PER_TOKEN;

      // Assess
      assert.equal(limit === undefined ? undefined : String(limit), WAITING_FUNCTIONS.includes(functionName) ? '10' : undefined, `${functionName}: maxWaitsPerToken`);
    }
  });

  it('throttles the API stage, so a flood is answered 429 before any function runs', () => {
    // Act
    const [, stage] = packaged.single('AWS::ApiGatewayV2::Stage');
    const settings = (stage.Properties?.DefaultRouteSettings ?? {}) as { ThrottlingRateLimit?: unknown; ThrottlingBurstLimit?: unknown };

    // Assess
    assert.equal(settings.ThrottlingRateLimit, 50);
    assert.equal(settings.ThrottlingBurstLimit, 100);
  });

  it('outputs the API URL and the names of the table, cluster and state machine', () => {
    // Prepare
    const outputs = Object.values(packaged.template.Outputs ?? {}).map((output) => JSON.stringify(output.Value));
    const [apiId] = packaged.single('AWS::ApiGatewayV2::Api');
    const refersTo = (logicalId: string) => outputs.some((value) => value.includes(`{"Ref":"${logicalId}"}`) || value.includes(`{"Fn::GetAtt":["${logicalId}",`));

    // Assess
    assert.ok(JSON.stringify(packaged.template.Outputs?.HttpApiUrl?.Value ?? null).includes(`{"Ref":"${apiId}"}`), 'HttpApiUrl is the API\'s URL');
    for (const type of ['AWS::DynamoDB::Table', 'AWS::ECS::Cluster', 'AWS::StepFunctions::StateMachine']) {
      const [logicalId] = packaged.single(type);
      assert.ok(refersTo(logicalId), `no output names ${logicalId}`);
    }
  });

  it("outputs the names of the stage's secrets and the Slack app's request URLs", () => {
    // Prepare
    const outputs = packaged.template.Outputs ?? {};
    const secretOutputs: Record<string, StageSecret> = { WebhookSecretName: 'webhook', SlackSigningSecretName: 'slackSigning', SlackBotTokenSecretName: 'slackBotToken' };

    // Assess: an operator sets (or reads) the secret by its name.
    for (const [outputName, secret] of Object.entries(secretOutputs)) {
      assert.equal(outputs[outputName]?.Value, packaged.resource(secretIdOf(secret)).Properties?.Name, `${outputName} names the ${secret} secret`);
    }
    assert.equal(arnText(outputs.SlackCommandsUrl?.Value), `${apiUrlText()}/slack/commands`);
    assert.equal(arnText(outputs.SlackInteractionsUrl?.Value), `${apiUrlText()}/slack/interactions`);
    for (const routeKey of SLACK_ROUTE_KEYS) {
      assert.ok(ROUTES.some((route) => `${route.method} ${route.path}` === routeKey && route.slack), `${routeKey} is one of Slack's ROUTES`);
    }
  });

  it("outputs the name of each profile's task role, the role to attach that profile's job policies to", () => {
    for (const profile of stageProfiles()) {
      // Act
      const outputName = `${pascalCase(profile.name)}TaskRoleName`;
      const output = packaged.template.Outputs?.[outputName];

      // Assess
      assert.deepEqual(output?.Value, ref(taskRoleOf(packaged, profile.aws.taskDefinition)), `${outputName} names the role profile '${profile.name}' runs its tasks with`);
    }
  });
});

describe('the IAM policies of the packaged template', () => {
  it('allow no wildcard action, Resource "*" only for calls without resource-level permissions, iam:PassRole only to ECS tasks and Scheduler', () => {
    // Act
    const statements = packaged.identityStatements().filter(({ statement }) => statement.Effect === 'Allow');

    // Assess
    assert.ok(statements.length > 0);
    for (const { where, statement } of statements) {
      const actions = list(statement.Action);
      assert.equal(statement.NotAction, undefined, `${where}: Allow with NotAction grants everything else`);
      assert.equal(statement.NotResource, undefined, `${where}: Allow with NotResource grants everything else`);
      for (const action of actions) {
        assert.ok(!action.includes('*'), `${where}: wildcard action ${action}`);
      }
      for (const resource of list(statement.Resource)) {
        if (resource === '*') {
          assert.ok(actions.every((action) => UNSCOPABLE_ACTIONS.includes(action)), `${where}: Resource "*" for ${actions.join(', ')}`);
          continue;
        }
        const text = arnText(resource);
        if (text !== undefined) {
          assert.ok(!text.replace(/[:/]\*$/, '').includes('*'), `${where}: ${text} is a wildcard beyond its last segment`);
        }
      }
      if (actions.includes('iam:PassRole')) {
        // To ECS tasks (the task roles) or to EventBridge Scheduler (the schedules' role): each checked below.
        assert.ok(
          ['ecs-tasks.amazonaws.com', 'scheduler.amazonaws.com'].includes(String(statement.Condition?.StringEquals?.['iam:PassedToService'])),
          `${where}: iam:PassRole without iam:PassedToService`,
        );
      }
    }
    for (const [id, role] of packaged.ofType('AWS::IAM::Role')) {
      assert.equal(role.Properties?.ManagedPolicyArns, undefined, `${id}: managed policies cannot be checked here`);
    }
  });

  it('give each function a role of its own allowing exactly the calls it makes and writing its own log group', () => {
    // Prepare
    const deployed = packaged.ofType('AWS::Lambda::Function').map(([id]) => id.replace(/LambdaFunction$/, ''));
    assert.deepEqual(sorted(deployed), sorted(Object.keys(FUNCTION_ACTIONS).map(functionPrefix)), 'every function needs an entry in FUNCTION_ACTIONS');
    const roles = new Map<string, string>();

    for (const [functionName, expected] of Object.entries(FUNCTION_ACTIONS)) {
      // Act
      const roleId = packaged.functionRole(functionName);
      const statements = packaged.roleStatements(roleId);

      // Assess
      assert.equal(roles.get(roleId), undefined, `${functionName} shares ${roleId} with ${roles.get(roleId)}`);
      roles.set(roleId, functionName);
      const trust = list((packaged.resource(roleId).Properties?.AssumeRolePolicyDocument as PolicyDocument).Statement);
      assert.deepEqual(trust.map((statement) => (statement as { Principal?: unknown }).Principal), [{ Service: 'lambda.amazonaws.com' }], `${roleId} is for Lambda only`);
      assert.deepEqual(actionsOf(statements), sorted(new Set([...OWN_LOGS, ...expected])), `${functionName}'s role allows other calls than it makes`);
      const logGroupId = `${functionPrefix(functionName)}LogGroup`;
      for (const action of OWN_LOGS) {
        assert.deepEqual(statementsFor(statements, action).flatMap((statement) => list(statement.Resource)), [arnOf(logGroupId)], `${functionName} writes ${action} elsewhere`);
      }
      assert.equal(packaged.resource(logGroupId).Properties?.LogGroupName, `/aws/lambda/${String(packaged.lambda(functionName).Properties?.FunctionName)}`);
    }
  });

  it("scope every function's calls to this stage's table, index, state machine, cluster, task definitions, task roles, task logs and schedule group", () => {
    // Prepare
    const [tableId] = packaged.single('AWS::DynamoDB::Table');
    const [clusterId] = packaged.single('AWS::ECS::Cluster');
    const taskDefinitions = packaged.ofType('AWS::ECS::TaskDefinition').map(([, definition]) => definition.Properties ?? {});
    const families = taskDefinitions.map((definition) => String(definition.Family));
    const taskRoles = new Set(taskDefinitions.flatMap((definition) => [JSON.stringify(definition.TaskRoleArn), JSON.stringify(definition.ExecutionRoleArn)]));
    const index = `\${${tableId}.Arn}/index/${LIST_INDEX}`;
    const activeIndex = `\${${tableId}.Arn}/index/${ACTIVE_INDEX}`;
    const tasks = `arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task/\${${clusterId}}/*`;
    const clusterCondition = { 'ecs:cluster': arnOf(clusterId) };
    const schedules = `arn:\${AWS::Partition}:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule/${SCHEDULE_GROUP}/*`;

    for (const functionName of Object.keys(FUNCTION_ACTIONS)) {
      // Act
      const statements = packaged.roleStatements(packaged.functionRole(functionName));
      const queried = statementsFor(statements, 'dynamodb:Query').flatMap((statement) => list(statement.Resource).map(arnText));
      const scanned = statementsFor(statements, 'dynamodb:Scan').flatMap((statement) => list(statement.Resource).map(arnText));

      // Assess
      assert.deepEqual(
        sorted(queried.map(String)),
        sorted((FUNCTION_INDEXES[functionName] ?? []).map((indexName) => `\${${tableId}.Arn}/index/${indexName}`)),
        `${functionName} queries other indexes than it reads`,
      );
      assert.deepEqual(
        sorted(scanned.map(String)),
        sorted((FUNCTION_SCANS[functionName] ?? []).map((indexName) => `\${${tableId}.Arn}/index/${indexName}`)),
        `${functionName} scans other indexes than it reads (or the table)`,
      );
      for (const statement of statements) {
        const resources = list(statement.Resource);
        const where = `${functionName}: ${list(statement.Action).join(', ')}`;
        for (const action of list(statement.Action)) {
          const [service] = action.split(':');
          if (action === 'dynamodb:Query') {
            assert.equal(resources.length, 1, `${where}: one index per statement, so that each has its own condition`);
            // Counting the caller's active jobs: that index projects job keys, status and task only, never a token.
            // The list index lists token items too: the jobs' partition only.
            // The schedules function lists the schedules' partition instead.
            if (arnText(resources[0]) !== activeIndex) {
              const partition = functionName === 'schedules' ? SCHEDULE_LIST_PARTITION : JOB_LIST_PARTITION;
              assert.deepEqual(resources.map(arnText), [index], `${where} reads only the ${LIST_INDEX} or ${ACTIVE_INDEX} index`);
              assert.deepEqual(statement.Condition, { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [partition] } }, `${where} reads index partitions other than ${partition}`);
            }
          } else if (action === 'dynamodb:Scan') {
            // The sparse index of active jobs only, never the table (every job and token item).
            assert.deepEqual(resources.map(arnText), [activeIndex], `${where} scans only the ${ACTIVE_INDEX} index`);
          } else if (service === 'dynamodb') {
            assert.deepEqual(resources, [arnOf(tableId)], `${where} touches only the jobs table`);
            // The authorizer reads token items only; the waiting functions write their caller's wait
            // slots and nothing else; the schedule functions reach schedule items (the fire function
            // job records too, in a statement of their own, and reads its schedule's creator's token
            // and the item of its name); every other call reaches job records only.
            const writesWaitSlots = WAITING_FUNCTIONS.includes(functionName) && WAIT_SLOT_ACTIONS.includes(action);
            const allowed =
              functionName === 'authorizer'
                ? [`${TOKEN_KEY_PREFIX}*`]
                : writesWaitSlots
                  ? [`${WAIT_SLOT_KEY_PREFIX}*`]
                  : functionName === 'schedules'
                    ? [`${SCHEDULE_KEY_PREFIX}*`]
                    : functionName === 'fireSchedule'
                      ? [`${JOB_KEY_PREFIX}*`, `${SCHEDULE_KEY_PREFIX}*`, ...(action === 'dynamodb:GetItem' ? [`${TOKEN_NAME_KEY_PREFIX}*`, `${TOKEN_KEY_PREFIX}*`] : [])]
                      : [`${JOB_KEY_PREFIX}*`];
            const keys = (statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[] | undefined) ?? [];
            assert.ok(keys.length === 1 && allowed.includes(keys[0] ?? ''), `${where} reaches items other than ${allowed.join(' or ')}: ${JSON.stringify(statement.Condition)}`);
            assert.deepEqual(statement.Condition, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } }, `${where}: one LeadingKeys condition, nothing else`);
          } else if (action === 'secretsmanager:GetSecretValue') {
            // Which secrets: FUNCTION_SECRETS, checked above; here, only this stage's secrets, by Ref.
            for (const resource of resources) assert.ok(isSecretRef(resource), `${where} reads ${JSON.stringify(resource)}, not a secret of this stage`);
          } else if (action === 'states:StartExecution') {
            assert.deepEqual(resources, [stageEnvironment().STATE_MACHINE_ARN], `${where} starts only the run-job state machine`);
          } else if (action === 'states:SendTaskSuccess') {
            // Step Functions checks a callback against the state machine of the execution waiting with the token.
            assert.deepEqual(resources, [stageEnvironment().STATE_MACHINE_ARN], `${where} wakes only executions of the run-job state machine`);
          } else if (action === 'logs:GetLogEvents') {
            assert.deepEqual(resources, [arnOf(taskLogGroupId())], `${where} reads only the task log group`);
          } else if (service === 's3') {
            assert.deepEqual(resources.map(arnText), [LOG_ARCHIVE_OBJECTS], `${where} reaches only the archived logs`);
          } else if (action === 'ecs:RunTask') {
            assert.deepEqual(sorted(resources.map((resource) => String(arnText(resource)))), sorted(families.map((family) => `arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task-definition/${family}:*`)));
            assert.deepEqual(statement.Condition?.ArnEquals, clusterCondition, `${where} runs tasks in this stage's cluster only`);
          } else if (action === 'ecs:ExecuteCommand') {
            // Authorized on the task and on its cluster (both its required resource types): this stage's only.
            assert.ok([JSON.stringify([tasks]), JSON.stringify([arnOf(clusterId)])].includes(JSON.stringify(resources.map((resource) => arnText(resource) ?? resource))), `${where} execs into this cluster's tasks only`);
            assert.deepEqual(statement.Condition?.ArnEquals, clusterCondition, `${where} execs into this cluster's tasks only`);
          } else if (action === 'ecs:TagResource') {
            assert.deepEqual(resources.map(arnText), [tasks]);
            assert.deepEqual(statement.Condition?.StringEquals, { 'ecs:CreateAction': 'RunTask' }, `${where} tags only the tasks it starts`);
          } else if (service === 'ecs') {
            assert.deepEqual(resources.map(arnText), [tasks], `${where} acts on this cluster's tasks only`);
            assert.deepEqual(statement.Condition?.ArnEquals, clusterCondition, `${where} acts on this cluster's tasks only`);
          } else if (service === 'scheduler') {
            assert.deepEqual(resources.map(arnText), [schedules], `${where} reaches only the schedules of the stage's group`);
          } else if (action === 'iam:PassRole' && functionName === 'schedules') {
            assert.deepEqual(resources, [arnOf(schedulerRoleId())], `${where} passes only the schedules' role`);
            assert.deepEqual(statement.Condition, { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }, `${where} passes it to Scheduler only`);
          } else if (action === 'iam:PassRole') {
            assert.deepEqual(sorted(resources.map((resource) => JSON.stringify(resource))), sorted(taskRoles), `${where} passes only the task and execution roles`);
            assert.deepEqual(statement.Condition, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }, `${where} passes them to ECS tasks only`);
          }
        }
      }
    }
  });

  it('let the state machine invoke exactly the step functions its definition names', () => {
    // Prepare
    const [, stateMachine] = packaged.single('AWS::StepFunctions::StateMachine');
    const roleArn = stateMachine.Properties?.RoleArn as { 'Fn::GetAtt'?: [string, string] };
    const roleId = roleArn['Fn::GetAtt']?.[0];
    assert.ok(roleId, 'the state machine runs with a role of this template');
    const substitutions = stateMachine.Properties?.DefinitionSubstitutions as Record<string, unknown>;

    // Act
    const statements = packaged.roleStatements(roleId);

    // Assess
    assert.ok('NotifyFinishedFunctionArn' in substitutions, 'the NotifyFinished state invokes notifyFinished');
    assert.deepEqual(substitutions.NotifyFinishedFunctionArn, arnOf(`${functionPrefix('notifyFinished')}LambdaFunction`));
    // The callback state invokes awaitTask through lambda:invoke.waitForTaskToken: still InvokeFunction
    // on that function. Waking the execution is the functions' SendTaskSuccess, not the state machine's.
    assert.deepEqual(substitutions.AwaitTaskFunctionArn, arnOf(`${functionPrefix('awaitTask')}LambdaFunction`));
    assert.deepEqual(actionsOf(statements), ['lambda:InvokeFunction']);
    assert.deepEqual(
      sorted(statements.flatMap((statement) => list(statement.Resource)).map((resource) => JSON.stringify(resource))),
      sorted(Object.values(substitutions).map((arn) => JSON.stringify(arn))),
    );
  });

  it("an EventBridge rule sends this stage's cluster's ECS Task State Change events for tasks it started to the taskStateChange function, and only those", () => {
    // Prepare
    const [clusterId] = packaged.single('AWS::ECS::Cluster');
    const functionArn = arnOf(`${functionPrefix('taskStateChange')}LambdaFunction`);
    const targetsFunction = (rule: Resource, arn: unknown) =>
      list(rule.Properties?.Targets as Array<{ Arn: unknown }> | undefined).some((target) => JSON.stringify(target.Arn) === JSON.stringify(arn));

    // Act
    const rules = packaged.ofType('AWS::Events::Rule');
    // The schedules (the reconciler's) are rules too: the event rules are those with a pattern.
    const eventRules = rules.filter(([, rule]) => rule.Properties?.EventPattern !== undefined);
    const toFunction = rules.filter(([, rule]) => targetsFunction(rule, functionArn));
    const permissions = packaged
      .ofType('AWS::Lambda::Permission')
      .map(([, permission]) => permission.Properties ?? {})
      .filter((permission) => JSON.stringify(permission.FunctionName) === JSON.stringify(functionArn) || JSON.stringify(permission.FunctionName) === JSON.stringify(ref(`${functionPrefix('taskStateChange')}LambdaFunction`)));

    // Assess: one rule, on the default bus, matching exactly this pattern (no other key widens or narrows it).
    assert.equal(eventRules.length, 1, `one EventBridge event rule is expected, found ${eventRules.map(([id]) => id).join(', ') || 'none'}`);
    assert.equal(toFunction.length, 1, 'the rule targets the taskStateChange function');
    const [ruleId, rule] = toFunction[0] as [string, Resource];
    const properties = rule.Properties ?? {};
    assert.ok(properties.EventBusName === undefined || properties.EventBusName === 'default', `${ruleId} is on the default bus, where ECS sends its events`);
    assert.notEqual(properties.State, 'DISABLED');
    assert.deepEqual(properties.EventPattern, {
      source: ['aws.ecs'],
      'detail-type': [TASK_STATE_CHANGE],
      detail: {
        // This stage's cluster only: another stage's (or anyone's) tasks are not this stage's jobs.
        clusterArn: [arnOf(clusterId)],
        // Tasks this stage started: RunTask's startedBy is the job id (lib/adapters/aws/ecs-task-runner.ts).
        startedBy: [{ prefix: JOB_ID_PREFIX }],
      },
    });
    assert.ok(JOB_ID_PATTERN.source.startsWith(`^${JOB_ID_PREFIX}`), 'the prefix is how every job id begins (the event reader keeps job ids only)');
    assert.deepEqual(list(properties.Targets as unknown[] | undefined).length, 1, `${ruleId} sends its events to the function only`);
    // The function is invoked by that rule and nothing else: no route, no other rule.
    for (const [otherId, other] of rules.filter(([id]) => id !== ruleId)) assert.ok(!targetsFunction(other, functionArn), `${otherId} also targets taskStateChange`);
    assert.equal(permissions.length, 1, 'one Lambda permission on taskStateChange');
    const [permission] = permissions;
    assert.equal(permission?.Action, 'lambda:InvokeFunction');
    assert.equal(permission?.Principal, 'events.amazonaws.com');
    assert.ok(ruleArnMatches(permission?.SourceArn, ruleId, properties), `the permission lets only ${ruleId} invoke it, found SourceArn ${JSON.stringify(permission?.SourceArn)}`);
  });

  it('the reconciler runs every 5 minutes and may Scan only the sparse index of active jobs (never the table)', () => {
    // Prepare
    const [tableId, table] = packaged.single('AWS::DynamoDB::Table');
    const functionId = `${functionPrefix('reconcile')}LambdaFunction`;
    const functionArn = arnOf(functionId);
    const targetsFunction = (rule: Resource) =>
      list(rule.Properties?.Targets as Array<{ Arn: unknown }> | undefined).some((target) => JSON.stringify(target.Arn) === JSON.stringify(functionArn));
    const namesFunction = (value: unknown) => JSON.stringify(value) === JSON.stringify(functionArn) || JSON.stringify(value) === JSON.stringify(ref(functionId));

    // Act
    const rules = packaged.ofType('AWS::Events::Rule').filter(([, rule]) => targetsFunction(rule));
    const permissions = packaged
      .ofType('AWS::Lambda::Permission')
      .map(([, permission]) => permission.Properties ?? {})
      .filter((permission) => namesFunction(permission.FunctionName));
    const scans = statementsFor(packaged.roleStatements(packaged.functionRole('reconcile')), 'dynamodb:Scan');
    const scanners = Object.keys(FUNCTION_ACTIONS).filter((functionName) => statementsFor(packaged.roleStatements(packaged.functionRole(functionName)), 'dynamodb:Scan').length > 0);

    // Assess: one schedule, every 5 minutes, invoking the function alone; no event pattern, no route.
    assert.equal(rules.length, 1, `one rule invokes the reconciler, found ${rules.map(([id]) => id).join(', ') || 'none'}`);
    const [ruleId, rule] = rules[0] as [string, Resource];
    const properties = rule.Properties ?? {};
    assert.equal(properties.ScheduleExpression, SCHEDULED_FUNCTIONS.reconcile);
    assert.equal(properties.ScheduleExpression, 'rate(5 minutes)');
    assert.equal(properties.EventPattern, undefined, `${ruleId} is a schedule, not an event rule`);
    assert.notEqual(properties.State, 'DISABLED');
    assert.equal(list(properties.Targets as unknown[] | undefined).length, 1, `${ruleId} invokes the reconciler only`);
    assert.equal(permissions.length, 1, 'one Lambda permission on the reconciler');
    assert.equal(permissions[0]?.Principal, 'events.amazonaws.com');
    assert.ok(ruleArnMatches(permissions[0]?.SourceArn, ruleId, properties), `the permission lets only ${ruleId} invoke it`);
    assert.ok(!packaged.ofType('AWS::ApiGatewayV2::Integration').some(([, integration]) => namesFunction(integration.Properties?.IntegrationUri)), 'no route reaches the reconciler');
    assert.equal(packaged.lambda('reconcile').Properties?.Handler, 'handlers/events/reconcile.handler');
    assert.ok((packaged.lambda('reconcile').Properties?.Timeout as number) < RECONCILE_PERIOD_SECONDS, 'a run ends before the next one starts');

    // Assess: a Scan of exactly the active index. A Scan of the table would read every job and every
    // token item; the index holds only the jobs that are not terminal (sparse: keyed by an attribute
    // only those carry), and of them only their keys, status and task.
    assert.deepEqual(scanners, ['reconcile'], 'no other function may Scan');
    assert.equal(scans.length, 1);
    assert.deepEqual(list(scans[0]?.Resource).map(arnText), [`\${${tableId}.Arn}/index/${ACTIVE_INDEX}`]);
    assert.deepEqual(list(scans[0]?.Action), ['dynamodb:Scan'], 'the index statement grants the Scan alone');
    const index = (table.Properties?.GlobalSecondaryIndexes as Array<{ IndexName: string; KeySchema: Array<{ AttributeName: string }>; Projection: { ProjectionType: string; NonKeyAttributes?: string[] } }>).find(
      (candidate) => candidate.IndexName === ACTIVE_INDEX,
    );
    assert.ok(index, `the table has the ${ACTIVE_INDEX} index`);
    assert.notEqual(index.Projection.ProjectionType, 'ALL', 'the index projects what the reconciler reads, not whole job records');
    assert.deepEqual(sorted(index.Projection.NonKeyAttributes ?? []), ['status', 'taskArn']);
  });

  it("give each profile's tasks a role of their own, so what one profile's jobs are granted no other profile's jobs get", () => {
    // Prepare
    const executionRoles = new Set(packaged.ofType('AWS::ECS::TaskDefinition').map(([, definition]) => JSON.stringify(definition.Properties?.ExecutionRoleArn)));
    const profilesByRole = new Map<string, string>();

    for (const profile of stageProfiles()) {
      // Act
      const roleId = taskRoleOf(packaged, profile.aws.taskDefinition);

      // Assess
      assert.equal(profilesByRole.get(roleId), undefined, `profile '${profile.name}' shares its task role ${roleId} with profile '${profilesByRole.get(roleId)}'`);
      profilesByRole.set(roleId, profile.name);
      assert.ok(!executionRoles.has(JSON.stringify(arnOf(roleId))), `profile '${profile.name}''s task role ${roleId} is also an execution role`);
    }
  });

  it("give job tasks no permissions but ECS Exec's four channels to exec profiles' tasks, on roles only ECS tasks of this account may assume", () => {
    assert.ok(stageProfiles().some((profile) => profile.exec) && stageProfiles().some((profile) => !profile.exec), 'a profile with exec and one without');
    for (const profile of stageProfiles()) {
      // Act
      const roleId = taskRoleOf(packaged, profile.aws.taskDefinition);
      const properties = packaged.resource(roleId).Properties ?? {};

      // Assess: operators attach what that profile's jobs need; nothing of theirs is granted by default,
      // and the exec agent's channels only where the profile has exec (ssh's way in is sshd).
      assert.equal(properties.ManagedPolicyArns, undefined, `${roleId} has managed policies`);
      const expected = profile.exec ? [{ Effect: 'Allow', Action: EXEC_CHANNEL_ACTIONS, Resource: '*' }] : [];
      assert.deepEqual(packaged.roleStatements(roleId), expected, `profile '${profile.name}''s task role ${roleId} is granted other than ${profile.exec ? "ECS Exec's channels" : 'nothing'}`);
      assert.deepEqual(list((properties.AssumeRolePolicyDocument as PolicyDocument).Statement), [
        {
          Effect: 'Allow',
          Principal: { Service: 'ecs-tasks.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
        },
      ]);
    }
  });

  it("give the tasks' execution role only writing to the task log group", () => {
    // Prepare
    const taskDefinitions = packaged.ofType('AWS::ECS::TaskDefinition').map(([, definition]) => definition.Properties ?? {});
    assert.ok(taskDefinitions.length > 0);

    for (const definition of taskDefinitions) {
      // Act
      const executionRole = (definition.ExecutionRoleArn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];

      // Assess
      assert.ok(executionRole, `${String(definition.Family)} names its execution role`);
      const statements = packaged.roleStatements(executionRole);
      assert.deepEqual(actionsOf(statements), sorted(OWN_LOGS));
      assert.deepEqual(statements.flatMap((statement) => list(statement.Resource)), [arnOf(taskLogGroupId())]);
    }
  });

  it("let the start step pass to ECS tasks exactly the profiles' task roles and the execution role", () => {
    // Prepare
    const taskDefinitions = packaged.ofType('AWS::ECS::TaskDefinition').map(([, definition]) => definition.Properties ?? {});
    const executionRoles = new Set(taskDefinitions.map((definition) => JSON.stringify(definition.ExecutionRoleArn)));
    const taskRoles = stageProfiles().map((profile) => JSON.stringify(arnOf(taskRoleOf(packaged, profile.aws.taskDefinition))));

    // Act
    const passRole = statementsFor(packaged.roleStatements(packaged.functionRole('startTask')), 'iam:PassRole');

    // Assess
    assert.equal(passRole.length, 1);
    assert.deepEqual(sorted(list(passRole[0]?.Resource).map((resource) => JSON.stringify(resource))), sorted([...taskRoles, ...executionRoles]));
    assert.deepEqual(passRole[0]?.Condition, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });
});

/**
 * The statements a function's role has once deployed with the template's parameters: an Fn::If
 * statement as the branch its condition chooses, none for AWS::NoValue.
 */
function deployedRoleStatements(template: PackagedTemplate, functionName: string): Statement[] {
  const role = template.resource(template.functionRole(functionName));
  return list(role.Properties?.Policies as Array<{ PolicyDocument: PolicyDocument }> | undefined)
    .flatMap((policy) => list(policy.PolicyDocument.Statement))
    .map((statement) => template.deployedValue(statement) as Statement | undefined)
    .filter((statement): statement is Statement => statement !== undefined);
}

/** The log archive bucket (its logical id and properties). */
function logArchiveBucket(template: PackagedTemplate): Record<string, unknown> {
  const bucket = template.resource('LogArchiveBucket');
  assert.equal(bucket.Type, 'AWS::S3::Bucket');
  return bucket.Properties ?? {};
}

/** What the bucket encrypts new objects with by default, as deployed. */
function defaultEncryption(template: PackagedTemplate): { byDefault: unknown; bucketKey: unknown } {
  const rules = (logArchiveBucket(template).BucketEncryption as { ServerSideEncryptionConfiguration: Array<Record<string, unknown>> }).ServerSideEncryptionConfiguration;
  assert.equal(rules.length, 1);
  return { byDefault: template.deployedValue(rules[0]?.ServerSideEncryptionByDefault), bucketKey: template.deployedValue(rules[0]?.BucketKeyEnabled) };
}

/** The lifecycle rule that expires archived logs, its days as deployed. */
function expiryRule(template: PackagedTemplate): { rule: Record<string, unknown>; days: unknown } {
  const rules = (logArchiveBucket(template).LifecycleConfiguration as { Rules: Array<Record<string, unknown>> }).Rules;
  const expiring = rules.filter((rule) => rule.ExpirationInDays !== undefined);
  assert.equal(expiring.length, 1, 'one rule expires the archived logs');
  const rule = expiring[0] as Record<string, unknown>;
  return { rule, days: template.deployedValue(rule.ExpirationInDays) };
}

describe('the log archive in the packaged template', () => {
  it('keeps the archived logs in a private bucket, encrypted with S3-managed keys by default, not versioned, over TLS only', () => {
    // Act
    const properties = logArchiveBucket(packaged);
    const policies = packaged.ofType('AWS::S3::BucketPolicy').filter(([, policy]) => JSON.stringify(policy.Properties?.Bucket) === JSON.stringify(ref('LogArchiveBucket')));
    assert.equal(policies.length, 1, 'the bucket has one policy');
    const statements = list((policies[0]?.[1].Properties?.PolicyDocument as PolicyDocument).Statement);

    // Assess
    assert.deepEqual(defaultEncryption(packaged), { byDefault: { SSEAlgorithm: 'AES256' }, bucketKey: undefined });
    assert.deepEqual(properties.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    assert.equal(properties.VersioningConfiguration, undefined, 'an expired log must really go, and a rewrite keeps no old copy');
    assert.deepEqual(
      statements.map((statement) => ({ ...statement, Sid: undefined })),
      [
        {
          Sid: undefined,
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [arnOf('LogArchiveBucket'), { 'Fn::Sub': '${LogArchiveBucket.Arn}/*' }],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    );
  });

  it('expires the archived logs after the stage parameter logArchiveDays, 365 by default', () => {
    // Act
    const { rule, days } = expiryRule(packaged);

    // Assess
    assert.equal(rule.Status, 'Enabled');
    assert.equal(rule.Prefix, 'logs/');
    assert.equal(String(days), '365');
  });

  it('tells finalizeJob and getJobLogs, and no other function, where the archive is', () => {
    for (const functionName of Object.keys(FUNCTION_ACTIONS)) {
      // Act
      const bucket = packaged.environment(functionName).LOG_ARCHIVE_BUCKET;

      // Assess
      assert.deepEqual(bucket, LOG_ARCHIVE_FUNCTIONS.includes(functionName) ? ref('LogArchiveBucket') : undefined, functionName);
    }
  });

  it('lets finalizeJob only write archived logs and getJobLogs only read them; nothing may delete one, nothing else reaches the bucket', () => {
    // Prepare
    const expected: Record<string, string[]> = {
      finalizeJob: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'],
      getJobLogs: ['s3:GetObject'],
    };

    for (const functionName of Object.keys(FUNCTION_ACTIONS)) {
      // Act
      const statements = deployedRoleStatements(packaged, functionName);
      const s3Statements = statements.filter((statement) => list(statement.Action).some((action) => action.startsWith('s3:')));

      // Assess
      assert.deepEqual(actionsOf(s3Statements), expected[functionName] ?? [], functionName);
      for (const statement of s3Statements) assert.deepEqual(list(statement.Resource).map(arnText), [LOG_ARCHIVE_OBJECTS], `${functionName}: logs/ only`);
      assert.deepEqual(actionsOf(statements).filter((action) => action.startsWith('kms:')), [], `${functionName}: no KMS key without logArchiveKmsKeyArn`);
    }
    const everyAction = packaged.identityStatements().flatMap(({ statement }) => list(statement.Action));
    assert.ok(!everyAction.includes('s3:DeleteObject'), 'no role may delete an archived log');
  });

  it('outputs the bucket name', () => {
    assert.deepEqual(packaged.template.Outputs?.LogArchiveBucketName?.Value, ref('LogArchiveBucket'));
  });
});

describe('ECS Exec in the packaged template', () => {
  it('lets execJob describe and exec into this cluster\'s tasks only (and the cluster, which ExecuteCommand is authorized on too), and read and update job records only', () => {
    // Prepare
    const [tableId] = packaged.single('AWS::DynamoDB::Table');
    const [clusterId] = packaged.single('AWS::ECS::Cluster');
    const tasks = `arn:\${AWS::Partition}:ecs:\${AWS::Region}:\${AWS::AccountId}:task/\${${clusterId}}/*`;
    const thisCluster = { ArnEquals: { 'ecs:cluster': arnOf(clusterId) } };

    // Act
    const statements = packaged.roleStatements(packaged.functionRole('execJob')).filter((statement) => !list(statement.Action).some((action) => OWN_LOGS.includes(action)));

    // Assess
    assert.deepEqual(
      statements.map(({ Action, Resource, Condition }) => ({ Action, Resource: list(Resource).map((resource) => arnText(resource) ?? resource), Condition })),
      [
        { Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: [arnOf(tableId)], Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${JOB_KEY_PREFIX}*`] } } },
        { Action: ['ecs:DescribeTasks', 'ecs:ExecuteCommand'], Resource: [tasks], Condition: thisCluster },
        { Action: 'ecs:ExecuteCommand', Resource: [arnOf(clusterId)], Condition: thisCluster },
      ],
    );
  });

  it('serves POST /jobs/{id}/exec by execJob, behind the token authorizer, in the API class of reserved concurrency', () => {
    // Prepare
    const [authorizerId] = packaged.single('AWS::ApiGatewayV2::Authorizer');

    // Act
    const route = packaged.ofType('AWS::ApiGatewayV2::Route').map(([, candidate]) => candidate.Properties ?? {}).find((candidate) => candidate.RouteKey === 'POST /jobs/{id}/exec');

    // Assess
    assert.ok(route, 'POST /jobs/{id}/exec is deployed');
    assert.equal(route.AuthorizationType, 'CUSTOM');
    assert.deepEqual(route.AuthorizerId, ref(authorizerId));
    const integrationId = JSON.stringify(route.Target).match(/"Ref":"(\w+)"/)?.[1] ?? '';
    assert.deepEqual(packaged.resource(integrationId).Properties?.IntegrationUri, arnOf(`${functionPrefix('execJob')}LambdaFunction`));
    assert.equal(packaged.lambda('execJob').Properties?.Handler, 'handlers/http/exec-job.handler');
    assert.deepEqual(packaged.lambda('execJob').Properties?.ReservedConcurrentExecutions, packaged.lambda('createJob').Properties?.ReservedConcurrentExecutions);
  });

  it("starts the exec profile's tasks with an init process, and gives no other task definition one", () => {
    for (const profile of stageProfiles()) {
      // Act
      const [, definition] = packaged.ofType('AWS::ECS::TaskDefinition').find(([, candidate]) => candidate.Properties?.Family === profile.aws.taskDefinition) ?? assert.fail(profile.aws.taskDefinition);
      const containers = definition.Properties?.ContainerDefinitions as ContainerDefinition[];

      // Assess
      for (const container of containers) {
        const expected = profile.exec && container.Name === profile.aws.container ? { InitProcessEnabled: true } : undefined;
        assert.deepEqual(container.LinuxParameters, expected, `${profile.aws.taskDefinition}/${container.Name}`);
      }
    }
  });
});

describe('Schedules in the packaged template', () => {
  /** The schedules API's routes (lib/http/routes.ts), with the HEAD beside each GET. */
  const SCHEDULE_ROUTE_KEYS = ['POST /schedules', 'GET /schedules', 'HEAD /schedules', 'GET /schedules/{name}', 'HEAD /schedules/{name}', 'PATCH /schedules/{name}', 'DELETE /schedules/{name}'];
  const fireFunctionId = () => `${functionPrefix('fireSchedule')}LambdaFunction`;
  const namesFireFunction = (value: unknown) => [JSON.stringify(arnOf(fireFunctionId())), JSON.stringify(ref(fireFunctionId()))].includes(JSON.stringify(value));
  /** A role's Allow statements but its own logs', as Action, Resource (Fn::Sub as text) and Condition. */
  const grants = (functionName: string) =>
    packaged
      .roleStatements(packaged.functionRole(functionName))
      .filter((statement) => !list(statement.Action).some((action) => OWN_LOGS.includes(action)))
      .map(({ Action, Resource, Condition }) => ({ Action, Resource: list(Resource).map((resource) => arnText(resource) ?? resource), ...(Condition ? { Condition } : {}) }));

  it("creates the stage's schedule group, and tells the schedules function its name, the fire function to target and the role to invoke it with", () => {
    // Act
    const [groupId, group] = packaged.single('AWS::Scheduler::ScheduleGroup');
    const environment = packaged.environment('schedules');

    // Assess
    assert.equal(group.Properties?.Name, SCHEDULE_GROUP);
    assert.deepEqual(environment.SCHEDULE_GROUP, ref(groupId), 'the Ref of a schedule group is its name');
    assert.deepEqual(environment.SCHEDULE_TARGET_ARN, arnOf(fireFunctionId()));
    assert.deepEqual(environment.SCHEDULER_ROLE_ARN, arnOf(schedulerRoleId()));
    assert.equal(environment.FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS, '', "a schedule's job is checked as POST /jobs checks one, its callbackUrl included");
    assert.deepEqual(packaged.template.Outputs?.ScheduleGroupName?.Value, ref(groupId), 'an operator lists the schedules by the group name');
    for (const functionName of Object.keys(FUNCTION_ACTIONS).filter((candidate) => candidate !== 'schedules')) {
      assert.equal(packaged.environment(functionName).SCHEDULER_ROLE_ARN, undefined, `${functionName} writes no schedule`);
    }
  });

  it("lets the schedules invoke the fire function and nothing else: exactly one statement, on a role only Scheduler may assume, for this account's schedules", () => {
    // Act
    const role = packaged.resource(schedulerRoleId());
    const trust = list((role.Properties?.AssumeRolePolicyDocument as PolicyDocument).Statement);

    // Assess
    assert.deepEqual(packaged.roleStatements(schedulerRoleId()), [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: arnOf(fireFunctionId()) }]);
    assert.deepEqual(trust, [
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
      },
    ]);
    assert.equal(role.Properties?.ManagedPolicyArns, undefined);
  });

  it('lets only the schedules function pass that role, and only to Scheduler', () => {
    // Act
    const passers = packaged
      .identityStatements()
      .filter(({ statement }) => statement.Effect === 'Allow' && list(statement.Action).includes('iam:PassRole'))
      .filter(({ statement }) => list(statement.Resource).some((resource) => JSON.stringify(resource) === JSON.stringify(arnOf(schedulerRoleId()))));

    // Assess
    assert.deepEqual(passers.map(({ where }) => where), [`${packaged.functionRole('schedules')} ("schedules")`]);
    assert.deepEqual(passers[0]?.statement.Condition, { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    assert.deepEqual(list(passers[0]?.statement.Resource), [arnOf(schedulerRoleId())], 'that role alone');
  });

  it('invokes the fire function from the schedules only (no route, no rule, no resource policy), retried by Lambda at most twice within the hour', () => {
    // Act
    const integrations = packaged.ofType('AWS::ApiGatewayV2::Integration').filter(([, integration]) => namesFireFunction(integration.Properties?.IntegrationUri));
    const rules = packaged.ofType('AWS::Events::Rule').filter(([, rule]) => list(rule.Properties?.Targets as Array<{ Arn: unknown }> | undefined).some((target) => namesFireFunction(target.Arn)));
    const permissions = packaged.ofType('AWS::Lambda::Permission').filter(([, permission]) => namesFireFunction(permission.Properties?.FunctionName));
    const [, invokeConfig] = packaged.ofType('AWS::Lambda::EventInvokeConfig').find(([, config]) => namesFireFunction(config.Properties?.FunctionName)) ?? [];

    // Assess: Scheduler invokes with its execution role, so no resource policy is needed (or wanted).
    assert.deepEqual([...integrations, ...rules, ...permissions].map(([id]) => id), []);
    assert.equal(packaged.lambda('fireSchedule').Properties?.Handler, 'handlers/events/fire-schedule.handler');
    assert.ok(invokeConfig, 'the fire function sets its asynchronous invocations\' retries');
    assert.equal(invokeConfig.Properties?.MaximumRetryAttempts, 2);
    assert.equal(invokeConfig.Properties?.MaximumEventAgeInSeconds, 3600);
  });

  it("lets the schedules function reach schedule items and their list, the group's schedules, and pass the role: nothing else", () => {
    // Prepare
    const [tableId] = packaged.single('AWS::DynamoDB::Table');

    // Assess
    assert.deepEqual(grants('schedules'), [
      {
        Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: [arnOf(tableId)],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${SCHEDULE_KEY_PREFIX}*`] } },
      },
      {
        Action: 'dynamodb:Query',
        Resource: [`\${${tableId}.Arn}/index/${LIST_INDEX}`],
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [SCHEDULE_LIST_PARTITION] } },
      },
      {
        Action: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
        Resource: [`arn:\${AWS::Partition}:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule/${SCHEDULE_GROUP}/*`],
      },
      { Action: 'iam:PassRole', Resource: [arnOf(schedulerRoleId())], Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } },
    ]);
  });

  it("lets the fire function do what submitting a job does, read and update schedule items, and read its creator's token and the item of its name: nothing else", () => {
    // Prepare
    const [tableId] = packaged.single('AWS::DynamoDB::Table');
    const stateMachineArn = arnText(stageEnvironment().STATE_MACHINE_ARN);

    // Assess
    assert.deepEqual(grants('fireSchedule'), [
      {
        Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: [arnOf(tableId)],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${JOB_KEY_PREFIX}*`] } },
      },
      {
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: [arnOf(tableId)],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${SCHEDULE_KEY_PREFIX}*`] } },
      },
      { Action: 'dynamodb:GetItem', Resource: [arnOf(tableId)], Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${TOKEN_NAME_KEY_PREFIX}*`] } } },
      { Action: 'dynamodb:GetItem', Resource: [arnOf(tableId)], Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${TOKEN_KEY_PREFIX}*`] } } },
      { Action: 'states:StartExecution', Resource: [stateMachineArn] },
      { Action: 'dynamodb:Query', Resource: [`\${${tableId}.Arn}/index/${ACTIVE_INDEX}`] },
      { Action: 'secretsmanager:GetSecretValue', Resource: [ref(secretIdOf('requestHashKey'))] },
    ]);
  });

  it('serves the schedule routes by the schedules function, behind the token authorizer, in the API class of reserved concurrency', () => {
    // Prepare
    const [authorizerId] = packaged.single('AWS::ApiGatewayV2::Authorizer');
    const routes = packaged.ofType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties ?? {});

    for (const routeKey of SCHEDULE_ROUTE_KEYS) {
      // Act
      const route = routes.find((candidate) => candidate.RouteKey === routeKey);

      // Assess
      assert.ok(route, `${routeKey} is deployed`);
      assert.equal(route.AuthorizationType, 'CUSTOM', routeKey);
      assert.deepEqual(route.AuthorizerId, ref(authorizerId), routeKey);
      const integrationId = JSON.stringify(route.Target).match(/"Ref":"(\w+)"/)?.[1] ?? '';
      assert.deepEqual(packaged.resource(integrationId).Properties?.IntegrationUri, arnOf(`${functionPrefix('schedules')}LambdaFunction`), routeKey);
    }
    assert.equal(packaged.lambda('schedules').Properties?.Handler, 'handlers/http/schedules.handler');
    assert.deepEqual(packaged.lambda('schedules').Properties?.ReservedConcurrentExecutions, packaged.lambda('createJob').Properties?.ReservedConcurrentExecutions);
  });
});

describe('the template of a stage that sets taskRolePermissionsBoundary, capacity, the Slack and webhook parameters and the concurrency ones', () => {
  let boundedPackageDir = '';
  let bounded: PackagedTemplate;

  before(
    async () => {
      ({ directory: boundedPackageDir, template: bounded } = await packageStage([
        `taskRolePermissionsBoundary=${TASK_ROLE_BOUNDARY}`,
        `slackAccess=${SLACK_ACCESS}`,
        `slackApiUrl=${SLACK_API_URL}`,
        `webhookAllowHosts=${WEBHOOK_ALLOW_HOSTS}`,
        `capacity=${SET_CAPACITY}`,
        ...Object.entries(SET_CONCURRENCY).map(([parameter, value]) => `${parameter}=${value}`),
        'maxWaitsPerToken=none',
        `logArchiveKmsKeyArn=${LOG_ARCHIVE_KMS_KEY}`,
        `logArchiveDays=${SET_LOG_ARCHIVE_DAYS}`,
      ]));
    },
    { timeout: PACKAGE_TIMEOUT_MS + 10_000 },
  );

  after(async () => {
    if (boundedPackageDir) await rm(boundedPackageDir, { recursive: true, force: true });
  });

  it('bounds every task role by that policy, and none when the parameter is empty (the default)', () => {
    for (const profile of stageProfiles()) {
      // Act
      const unbounded = packaged.resource(taskRoleOf(packaged, profile.aws.taskDefinition)).Properties?.PermissionsBoundary;
      const boundary = bounded.resource(taskRoleOf(bounded, profile.aws.taskDefinition)).Properties?.PermissionsBoundary;

      // Assess
      assert.equal(packaged.deployedValue(unbounded), undefined, `profile '${profile.name}''s task role has a boundary though the parameter is empty`);
      assert.equal(bounded.deployedValue(boundary), TASK_ROLE_BOUNDARY, `profile '${profile.name}''s task role is not bounded by taskRolePermissionsBoundary`);
    }
  });

  it('reserves the concurrency each class was given, and none for a class given none', () => {
    for (const [functionName, parameter] of Object.entries(FUNCTION_CONCURRENCY)) {
      // Act
      const value = bounded.deployedValue(bounded.lambda(functionName).Properties?.ReservedConcurrentExecutions);

      // Assess
      const given = parameter === undefined ? 'none' : SET_CONCURRENCY[parameter];
      assert.equal(value === undefined ? undefined : String(value), given === 'none' ? undefined : given, `${functionName}: ${parameter ?? 'no class'}=${given}`);
    }
  });

  it('passes capacity to every function that calls AWS as TASK_CAPACITY, through a parameter that refuses any other value at deploy', () => {
    // Prepare
    const parameter = bounded.template.Parameters?.['Capacity'];

    for (const [functionName, actions] of Object.entries(FUNCTION_ACTIONS)) {
      if (actions.length === 0) continue;
      // Act
      const capacity = bounded.deployedValue(bounded.environment(functionName).TASK_CAPACITY);

      // Assess
      assert.equal(capacity, SET_CAPACITY, `${functionName}: TASK_CAPACITY`);
    }
    assert.deepEqual(parameter?.AllowedValues, [...CAPACITIES], 'the values lib/config.ts takes, and no other');
  });

  it('encrypts the log archive with the logArchiveKmsKeyArn key (a bucket key), and lets finalizeJob and getJobLogs use that key and no other', () => {
    // Act
    const encryption = defaultEncryption(bounded);
    const kmsStatements = Object.fromEntries(
      Object.keys(FUNCTION_ACTIONS).map((functionName) => [
        functionName,
        deployedRoleStatements(bounded, functionName).filter((statement) => list(statement.Action).some((action) => action.startsWith('kms:'))),
      ]),
    );

    // Assess
    const { SSEAlgorithm, KMSMasterKeyID } = encryption.byDefault as { SSEAlgorithm?: unknown; KMSMasterKeyID?: unknown };
    assert.deepEqual({ SSEAlgorithm, key: bounded.deployedValue(KMSMasterKeyID), bucketKey: encryption.bucketKey }, { SSEAlgorithm: 'aws:kms', key: LOG_ARCHIVE_KMS_KEY, bucketKey: true });
    for (const [functionName, statements] of Object.entries(kmsStatements)) {
      const expected = functionName === 'finalizeJob' ? ['kms:Decrypt', 'kms:GenerateDataKey'] : functionName === 'getJobLogs' ? ['kms:Decrypt'] : [];
      assert.deepEqual(actionsOf(statements), expected, functionName);
      for (const statement of statements) assert.equal(bounded.deployedValue(statement.Resource), LOG_ARCHIVE_KMS_KEY, `${functionName}: that key only`);
    }
  });

  it('expires the archived logs after logArchiveDays as given', () => {
    assert.equal(String(expiryRule(bounded).days), SET_LOG_ARCHIVE_DAYS);
  });

  it('passes maxWaitsPerToken to the waiting functions as given', () => {
    for (const functionName of WAITING_FUNCTIONS) assert.equal(bounded.environment(functionName).MAX_WAITS_PER_TOKEN, 'none', functionName);
  });

  it('passes slackAccess, slackApiUrl and webhookAllowHosts to the functions that read them, as they were given', () => {
    for (const functionName of SLACK_FUNCTIONS) {
      // Act
      const environment = bounded.environment(functionName);

      // Assess
      assert.equal(environment.SLACK_ACCESS, SLACK_ACCESS, `${functionName}: SLACK_ACCESS`);
      assert.equal(parseSlackAccess(String(environment.SLACK_ACCESS)).length, 2, 'the rules are read as given');
      assert.equal(environment.SLACK_API_URL, SLACK_API_URL, `${functionName}: SLACK_API_URL`);
    }
    for (const functionName of NOTIFYING_FUNCTIONS) {
      assert.equal(bounded.environment(functionName).SLACK_API_URL, SLACK_API_URL, `${functionName}: SLACK_API_URL`);
    }
    for (const functionName of [...NOTIFYING_FUNCTIONS, ...SUBMITTING_FUNCTIONS, 'schedules']) {
      assert.equal(bounded.environment(functionName).FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS, WEBHOOK_ALLOW_HOSTS, `${functionName}: FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS`);
    }
  });
});

// ---------------------------------------------------------------------------------------------

/** The stage settings the functions get (all functions share the provider environment). */
function stageEnvironment(): Record<string, unknown> {
  return packaged.environment('startTask');
}

/** The shipped AWS profiles, their task definition families named as this stage names them. */
function stageProfiles(): ReturnType<typeof awsProfiles> {
  const prefix = stageEnvironment().TASK_DEFINITION_PREFIX;
  assert.equal(typeof prefix, 'string', 'TASK_DEFINITION_PREFIX is a plain name');
  return awsProfiles({ cluster: 'unused', subnets: ['unused'], securityGroups: ['unused'], logGroup: 'unused', taskDefinitionPrefix: prefix as string });
}

/** The role a task definition family's tasks run with: the logical id its TaskRoleArn names. */
function taskRoleOf(template: PackagedTemplate, family: string): string {
  const found = template.ofType('AWS::ECS::TaskDefinition').filter(([, definition]) => definition.Properties?.Family === family);
  assert.equal(found.length, 1, `the template should define task definition family ${family} once`);
  const taskRole = found[0]?.[1].Properties?.TaskRoleArn as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const roleId = taskRole?.['Fn::GetAtt']?.[0];
  assert.ok(roleId && taskRole?.['Fn::GetAtt']?.[1] === 'Arn', `${family} should run with a role of this template, found ${JSON.stringify(taskRole)}`);
  return roleId;
}

/** The role the schedules invoke the fire function with: the one role EventBridge Scheduler may assume. */
function schedulerRoleId(): string {
  const roles = packaged.ofType('AWS::IAM::Role').filter(([, role]) =>
    list((role.Properties?.AssumeRolePolicyDocument as PolicyDocument).Statement).some((statement) => JSON.stringify((statement as { Principal?: unknown }).Principal) === JSON.stringify({ Service: 'scheduler.amazonaws.com' })),
  );
  assert.equal(roles.length, 1, `one role for EventBridge Scheduler is expected, found ${roles.map(([id]) => id).join(', ') || 'none'}`);
  return (roles[0] as [string, Resource])[0];
}

/** The logical id of one of the stage's secrets. */
function secretIdOf(secret: StageSecret): string {
  const name = `fargate-jobs-${STAGE}-${SECRET_SUFFIXES[secret]}`;
  const found = packaged.ofType('AWS::SecretsManager::Secret').filter(([, resource]) => resource.Properties?.Name === name);
  assert.equal(found.length, 1, `the template should create the secret ${name} once`);
  return (found[0] as [string, Resource])[0];
}

/** A Ref to one of the template's secrets (its ARN). */
function isSecretRef(value: unknown): boolean {
  const name = (value as { Ref?: unknown } | null)?.Ref;
  return typeof name === 'string' && packaged.template.Resources[name]?.Type === 'AWS::SecretsManager::Secret';
}

/** The HTTP API's logical id. */
function apiId(): string {
  return packaged.single('AWS::ApiGatewayV2::Api')[0];
}

/** The API's base URL as a Fn::Sub text: what HttpApiUrl outputs, and what API_URL tells the functions. */
function apiUrlText(): string {
  return `https://\${${apiId()}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}`;
}

/**
 * The text a Fn::Join of strings and pseudo-parameter Refs stands for (`arn:${AWS::Partition}:…`), as
 * the framework builds a rule's ARN from its name; undefined for anything else.
 */
function joinedText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const name = (value as { Ref?: unknown } | null)?.Ref;
  if (typeof name === 'string' && name.startsWith('AWS::')) return `\${${name}}`;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (!join) return arnText(value);
  const parts = join[1].map(joinedText);
  return parts.every((part) => part !== undefined) ? parts.join(join[0]) : undefined;
}

/** Whether a Lambda permission's SourceArn is exactly the ARN of that rule on the default bus. */
function ruleArnMatches(sourceArn: unknown, ruleId: string, rule: Record<string, unknown>): boolean {
  if (JSON.stringify(sourceArn) === JSON.stringify(arnOf(ruleId))) return true;
  return typeof rule.Name === 'string' && joinedText(sourceArn) === `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${rule.Name}`;
}

/** The log group the tasks write to and the log reader reads (TASK_LOG_GROUP). */
function taskLogGroupId(): string {
  const logGroup = stageEnvironment().TASK_LOG_GROUP as { Ref?: string } | undefined;
  assert.ok(logGroup?.Ref, 'TASK_LOG_GROUP names a log group of this template');
  return logGroup.Ref;
}

// ---------------------------------------------------------------------------------------------

describe('the packaged function bundles', () => {
  /** The size target for an HTTP handler (docs/benchmarks.md): small bundles load fast on a cold start. */
  const HTTP_BUNDLE_LIMIT_BYTES = 350 * 1024;
  /**
   * The exceptions, each with its reason. schedules: the one route with two SDK clients (DynamoDB, and
   * EventBridge Scheduler with its REST protocol) and a cron library (croner: next fire times); its
   * init stays within the 150 ms target (docs/benchmarks.md, 2026-12-07 schedules). getJobLogs: two
   * SDK clients too (CloudWatch Logs, and S3 for finished jobs' archived logs and their download
   * links: about 210 KB more with its XML protocol, schemas and checksums); its init stays within the 150 ms
   * target (docs/benchmarks.md, 2026-12-07 archived logs).
   */
  const BUNDLE_LIMIT_BYTES: Record<string, number> = { schedules: 400 * 1024, getJobLogs: 560 * 1024 };

  async function bundleOf(functionName: string): Promise<string> {
    const zip = join(packageDir, `${functionName}.zip`);
    const { stdout: listing } = await run('unzip', ['-Z1', zip]);
    const entry = listing.split('\n').find((name) => name.endsWith('.mjs'));
    assert.ok(entry, `${functionName}.zip holds a .mjs bundle`);
    const { stdout } = await run('unzip', ['-p', zip, entry], { maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' } as never);
    return (stdout as unknown as Buffer).toString('utf8');
  }

  const routeFunctions = [...new Set(ROUTES.filter((candidate) => !candidate.public).map((route) => route.handler.replace(/-(\w)/g, (_match, letter: string) => letter.toUpperCase())))];
  // The authorizer runs before every authenticated request: it must load at least as fast. The console's
  // bundle holds its files: a budget kept here too, so that no build tool ends up in it.
  for (const functionName of [...routeFunctions, 'authorizer', 'console']) {
    const limit = BUNDLE_LIMIT_BYTES[functionName] ?? HTTP_BUNDLE_LIMIT_BYTES;
    it(`keeps the ${functionName} bundle within ${limit / 1024} KB, with no credential chain but the environment's`, async () => {
      const bundle = await bundleOf(functionName);
      assert.ok(Buffer.byteLength(bundle) <= limit, `${functionName} bundle is ${Buffer.byteLength(bundle)} bytes`);
      assert.doesNotMatch(bundle, /credential-provider-sso|fromSSO|fromTokenFile/, 'the SSO/web-identity providers are aliased away');
    });
  }

  it('gives the EC2 client only to the functions that look up public IPs (the poll step, the event handler, the reconciler)', async () => {
    const withEc2 = [];
    for (const name of Object.keys(FUNCTION_ACTIONS).filter((candidate) => candidate !== 'health' && candidate !== 'options')) {
      if ((await bundleOf(name)).includes('com.amazonaws.ec2')) withEc2.push(name);
    }
    assert.deepEqual(withEc2.toSorted(), ['pollTask', 'reconcile', 'taskStateChange']);
  });
});

describe('the console function as `serverless package` builds it', () => {
  type ConsoleResult = { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded?: boolean };
  let handler: (event: unknown) => Promise<ConsoleResult>;

  before(async () => {
    // The zip as Lambda unpacks it, its handler loaded as the runtime loads it (the template's Handler).
    const unpacked = await mkdtemp(join(tmpdir(), 'fargate-jobs-console-'));
    await run('unzip', ['-q', join(packageDir, 'console.zip'), '-d', unpacked]);
    const [file, exported] = String(packaged.lambda('console').Properties?.Handler).split('.');
    const module = (await import(pathToFileURL(join(unpacked, `${file}.mjs`)).href)) as Record<string, typeof handler>;
    assert.equal(typeof module[exported ?? ''], 'function', `${file}.mjs exports ${exported}`);
    handler = module[exported ?? ''] as typeof handler;
    await rm(unpacked, { recursive: true, force: true });
  });

  /** The API Gateway v2 event of a console route (payload 2.0, no authorizer). */
  function consoleEvent(method: 'GET' | 'HEAD', path: string): unknown {
    const file = /^\/assets\/(.+)$/.exec(path)?.[1];
    const routeKey = `${method} ${file === undefined ? '/' : '/assets/{file}'}`;
    return {
      version: '2.0',
      routeKey,
      rawPath: path,
      rawQueryString: '',
      headers: { accept: '*/*', host: 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com' },
      ...(file === undefined ? {} : { pathParameters: { file } }),
      isBase64Encoded: false,
      requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' }, routeKey, stage: '$default', requestId: 'request-1' },
    };
  }

  it("answers / with the index.html of console/ as it is now, with the console's security headers", async () => {
    // Prepare
    const built = buildConsoleAssets();

    // Act
    const answer = await handler(consoleEvent('GET', '/'));

    // Assess
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.body, built.index.body, 'the bundle carries the console built from the sources of this package');
    assert.deepEqual(answer.headers, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...CONSOLE_SECURITY_HEADERS });
    assert.ok(!answer.isBase64Encoded);
  });

  it('answers each file index.html references, cached for a year; HEAD without the body; 404 for another', async () => {
    // Prepare
    const built = buildConsoleAssets();
    const index = await handler(consoleEvent('GET', '/'));
    const referenced = [...index.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1] ?? '');
    assert.equal(referenced.length, 3, index.body);

    for (const path of referenced) {
      // Act
      const answer = await handler(consoleEvent('GET', path));
      const head = await handler(consoleEvent('HEAD', path));

      // Assess
      const expected = built.files.get(path.slice('/assets/'.length));
      assert.ok(expected, `${path} is one of the built files`);
      assert.equal(answer.statusCode, 200, path);
      assert.equal(answer.body, expected.body, path);
      assert.deepEqual(answer.headers, { 'content-type': expected.contentType, 'cache-control': 'public, max-age=31536000, immutable', ...CONSOLE_SECURITY_HEADERS });
      assert.deepEqual(head, { ...answer, headers: { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) }, body: '' });
    }
    const missing = await handler(consoleEvent('GET', '/assets/main-0000000000000000.js'));
    assert.equal(missing.statusCode, 404);
    assert.equal((JSON.parse(missing.body) as { error: { code: string } }).error.code, 'ASSET_NOT_FOUND');
    assert.equal(missing.headers['content-security-policy'], CONSOLE_SECURITY_HEADERS['content-security-policy']);
  });
});
