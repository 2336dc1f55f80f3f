/**
 * A fake AWS endpoint for end-to-end tests: one node:http server on 127.0.0.1 that the real SDK v3
 * clients reach through `endpoint` or AWS_ENDPOINT_URL_<SERVICE>, speaking each service's own wire
 * protocol so the SDK's serializers and error parsing run for real:
 *
 * - ECS (`x-amz-target: AmazonEC2ContainerServiceV20141113.<Op>`) and CloudWatch Logs
 *   (`Logs_20140328.<Op>`): awsJson1_1. JSON bodies, dates as epoch seconds, errors as HTTP 400 with
 *   `{"__type", "message"}` and the same type in `x-amzn-errortype`.
 * - EC2 (no x-amz-target; form body `Action=…&Version=2016-11-15`): ec2Query. XML answers, lists as
 *   `<item>`s, errors as `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.
 *
 * Tasks are simulated, not timed: each DescribeTasks moves a task one step along the plan the test
 * gave for it (PROVISIONING → PENDING → RUNNING → STOPPED), so a test decides exactly what a poller sees.
 * A task started with `enableExecuteCommand` has the ExecuteCommandAgent (RUNNING once the task is)
 * and takes ExecuteCommand, which answers a session and records nothing else.
 *
 * Fargate Spot: a task runs on the one capacity provider its RunTask's strategy names (FARGATE when
 * none), reported as its `capacityProviderName`. With `spotCapacity: 'unavailable'` every RunTask on
 * FARGATE_SPOT answers ECS's "Capacity is unavailable" failure; a plan's `spotInterruption` has AWS
 * take a task on FARGATE_SPOT back mid-run (a task on FARGATE runs to its planned exit). A clientToken
 * that started a task, sent again with other parameters (another capacity), is refused with
 * ConflictException, as ECS refuses it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './http-server.ts';

export interface FakeTaskPlan {
  /** RunTask answers this error (HTTP 400) instead of a task. */
  refuse?: { type: string; message: string };
  /** RunTask answers no task and these failures. */
  failures?: Array<{ reason: string; detail?: string }>;
  provisioningDescribes?: number; // default 1
  runningDescribes?: number; // default 1
  exitCode?: number; // default 0
  publicIp?: string | null; // default '203.0.113.10'
  logLines?: string[]; // default []
  /**
   * A task on FARGATE_SPOT is interrupted when its running describes are over, instead of exiting:
   * stop code SpotInterruption, reason SPOT_INTERRUPTED_REASON, and the exit code of the SIGTERM the
   * 2-minute warning sent (143), or none (`exitCode: null`: gone before it reported). Ignored for a
   * task on FARGATE, which AWS never takes back.
   */
  spotInterruption?: { exitCode?: number | null };
}

export interface FakeAwsCall {
  service: 'ecs' | 'ec2' | 'logs';
  operation: string;
  input: Record<string, unknown>;
}

/** The RunTask fields the fake reads, as the SDK puts them on the wire. */
export interface RunTaskInput {
  cluster?: string;
  taskDefinition?: string;
  clientToken?: string;
  startedBy?: string;
  tags?: Array<{ key?: string; value?: string }>;
  capacityProviderStrategy?: Array<{ capacityProvider?: string; weight?: number; base?: number }>;
  networkConfiguration?: { awsvpcConfiguration?: { subnets?: string[]; securityGroups?: string[]; assignPublicIp?: string } };
  overrides?: {
    containerOverrides?: Array<{ name?: string; command?: string[]; environment?: Array<{ name?: string; value?: string }> }>;
    cpu?: string;
    memory?: string;
  };
  enableExecuteCommand?: boolean;
}

/** An ExecuteCommand the fake answered with a session. */
export interface FakeExecSession {
  taskArn: string;
  container: string;
  command: string;
  sessionId: string;
}

export interface FakeAwsOptions {
  region?: string; // default 'eu-west-1'
  account?: string; // default '123456789012'
  logGroup: string;
  logStreamPrefix: string;
  /** What a RunTask does; called once per clientToken. Default: a task that runs and exits 0. */
  plan?: (input: RunTaskInput) => FakeTaskPlan;
  /** `unavailable`: RunTask on FARGATE_SPOT answers no task and NO_CAPACITY_REASON (the plan is not asked). Default `available`. */
  spotCapacity?: 'available' | 'unavailable';
}

export interface FakeAws {
  url: string; // http://127.0.0.1:<port>
  calls: FakeAwsCall[]; // every request, in order, with its parsed input (EC2: the form fields)
  execSessions: FakeExecSession[]; // every session ExecuteCommand opened, in order
  /**
   * Environment that points the SDK at the fake: AWS_ENDPOINT_URL_ECS/EC2/CLOUDWATCH_LOGS, AWS_REGION,
   * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (dummy values).
   */
  environment(): Record<string, string>;
  close(): Promise<void>;
}

/** The exit code of a container killed by StopTask's SIGTERM (128 + 15). */
const STOPPED_BY_SIGNAL_EXIT_CODE = 143;
/** RunTask's failure reason when Fargate (here: Fargate Spot) has no room for the task. */
export const NO_CAPACITY_REASON = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';
/** A Spot task's stoppedReason once AWS has taken it back (stop code SpotInterruption). */
export const SPOT_INTERRUPTED_REASON = 'Your Spot Task was interrupted.';
/** The capacity providers the fake's clusters have, as a stage's cluster has them. */
const CAPACITY_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'];
/** What GetLogEvents returns at most per call, as CloudWatch does. */
const MAX_LOG_EVENTS = 10_000;
/** The container named when RunTask has no container override; the fake knows no task definitions. */
const DEFAULT_CONTAINER = 'main';
/** The managed agent ECS runs beside the containers of a task started with enableExecuteCommand. */
const EXEC_AGENT = 'ExecuteCommandAgent';
/** ECS's words for an exec into a task without a running exec agent (started without exec, or stopped). */
const EXEC_NOT_ENABLED =
  "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try again or run a new task with execute command enabled and try again.";

type TaskStatus = 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'STOPPED';
type RunOutcome = { error: AwsError } | { failures: Array<{ reason: string; detail?: string }> } | { task: FakeTask };
/** A clientToken's first RunTask: its outcome, and its parameters, which a retry must repeat. */
interface TokenUse { outcome: RunOutcome; parameters: string }
interface LogEvent { timestamp: number; message: string; ingestionTime: number }

interface FakeTask {
  id: string;
  arn: string;
  cluster: string;
  input: RunTaskInput;
  plan: Required<Omit<FakeTaskPlan, 'refuse' | 'failures' | 'spotInterruption'>> & Pick<FakeTaskPlan, 'spotInterruption'>;
  /** The capacity provider it runs on (`capacityProviderName`). */
  capacityProvider: string;
  container: string;
  /** The id in the container's ARN (`…:container/<cluster>/<task id>/<uuid>`). */
  containerId: string;
  /** The container's runtime id (Docker's container id on Fargate: `<task id>-<number>`), reported once it has started. */
  runtimeId: string;
  /** Started with enableExecuteCommand: the container has the exec agent. */
  exec: boolean;
  eni: { id: string; privateIp: string; subnet: string | undefined };
  lastStatus: TaskStatus;
  /** ECS's version of the task, one more with each change of its status. */
  version: number;
  /** DescribeTasks calls so far: the step of the plan the task is at. */
  describes: number;
  /** Whether ECS has created the interface (the attachment then names it, and EC2 knows it). */
  attached: boolean;
  /** StopTask's reason, applied by the next describe, as ECS stops a task asynchronously. */
  stopRequest?: string;
  stop?: { code: string; reason: string; exitCode: number | undefined };
  createdAt: number;
  startedAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
}

interface State {
  region: string;
  account: string;
  options: FakeAwsOptions;
  calls: FakeAwsCall[];
  tasks: FakeTask[];
  execSessions: FakeExecSession[];
  byClientToken: Map<string, TokenUse>;
  logStreams: Map<string, LogEvent[]>;
}

/** An error the fake answers as the service would: its type (the SDK error's `name`) and message. */
class AwsError extends Error {
  readonly type: string;
  readonly status: number;
  /** Members of the error's shape beside its message (ConflictException's `resourceIds`). */
  readonly fields: Record<string, unknown>;
  constructor(type: string, message: string, status = 400, fields: Record<string, unknown> = {}) {
    super(message);
    this.type = type;
    this.status = status;
    this.fields = fields;
  }
}

type Handler = (state: State, input: Record<string, unknown>) => unknown;

/** By x-amz-target prefix. Maps, not object literals: `Logs_20140328.toString` must be unknown. */
const JSON_SERVICES = new Map<string, { service: 'ecs' | 'logs'; operations: Map<string, Handler> }>([
  [
    'AmazonEC2ContainerServiceV20141113',
    {
      service: 'ecs',
      operations: new Map([['RunTask', runTask], ['DescribeTasks', describeTasks], ['StopTask', stopTask], ['ExecuteCommand', executeCommand]]),
    },
  ],
  ['Logs_20140328', { service: 'logs', operations: new Map([['GetLogEvents', getLogEvents]]) }],
]);
const EC2_OPERATIONS = new Map<string, (state: State, fields: Record<string, string>) => string>([
  ['DescribeNetworkInterfaces', describeNetworkInterfaces],
]);

export async function startFakeAws(options: FakeAwsOptions): Promise<FakeAws> {
  const state: State = {
    region: options.region ?? 'eu-west-1',
    account: options.account ?? '123456789012',
    options,
    calls: [],
    tasks: [],
    execSessions: [],
    byClientToken: new Map(),
    logStreams: new Map(),
  };
  const server = createServer((req, res) => {
    serve(state, req, res).catch((error: unknown) => {
      // Only a broken connection gets here; the test server must outlive it.
      if (!res.headersSent) res.writeHead(500, { 'x-amzn-requestid': randomUUID() }).end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls: state.calls,
    execSessions: state.execSessions,
    environment: () => ({
      AWS_ENDPOINT_URL_ECS: url,
      AWS_ENDPOINT_URL_EC2: url,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: url,
      AWS_REGION: state.region,
      AWS_ACCESS_KEY_ID: 'fake-access-key-id',
      AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key',
    }),
    close: () => closeServer(server),
  };
}

// --- Routing and wire formats -------------------------------------------------------------------

async function serve(state: State, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const requestId = randomUUID();
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') serveJson(state, target, body, requestId, res);
  else serveEc2(state, body, requestId, res);
}

function serveJson(state: State, target: string, body: string, requestId: string, res: ServerResponse): void {
  const dot = target.indexOf('.');
  const operation = target.slice(dot + 1);
  const service = JSON_SERVICES.get(target.slice(0, dot));
  let answer: { status: number; body: unknown };
  try {
    // A target of no service we fake is not recorded: `calls` holds only ECS, EC2 and Logs requests.
    if (!service) throw new AwsError('UnknownOperationException', `Unknown target ${target}`);
    let input: Record<string, unknown> = {};
    try {
      input = parseJsonObject(body);
    } finally {
      state.calls.push({ service: service.service, operation, input });
    }
    const handler = service.operations.get(operation);
    if (!handler) throw new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
    answer = { status: 200, body: handler(state, input) };
  } catch (error) {
    const failure = asAwsError(error);
    res.setHeader('x-amzn-errortype', failure.type);
    answer = { status: failure.status, body: { __type: failure.type, message: failure.message, ...failure.fields } };
  }
  res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId });
  res.end(JSON.stringify(answer.body));
}

function serveEc2(state: State, body: string, requestId: string, res: ServerResponse): void {
  const fields = Object.fromEntries(new URLSearchParams(body));
  const operation = fields['Action'] ?? '';
  state.calls.push({ service: 'ec2', operation, input: fields });
  let answer: { status: number; xml: string };
  try {
    const handler = EC2_OPERATIONS.get(operation);
    if (!handler) throw new AwsError('InvalidAction', `The action ${operation} is not valid for this web service.`);
    const xmlns = `http://ec2.amazonaws.com/doc/${fields['Version'] ?? '2016-11-15'}/`;
    const result = `<requestId>${requestId}</requestId>${handler(state, fields)}`;
    answer = { status: 200, xml: `<${operation}Response xmlns="${xmlns}">${result}</${operation}Response>` };
  } catch (error) {
    const { type, message, status } = asAwsError(error);
    const errors = `<Errors><Error><Code>${escapeXml(type)}</Code><Message>${escapeXml(message)}</Message></Error></Errors>`;
    answer = { status, xml: `<Response>${errors}<RequestID>${requestId}</RequestID></Response>` };
  }
  res.writeHead(answer.status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${answer.xml}`);
}

function parseJsonObject(body: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** A bug in the fake, or a throwing plan, answers 500 rather than taking the server down. */
function asAwsError(error: unknown): AwsError {
  if (error instanceof AwsError) return error;
  return new AwsError('InternalFailure', error instanceof Error ? error.message : String(error), 500);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

// --- ECS ---------------------------------------------------------------------------------------

function runTask(state: State, raw: Record<string, unknown>): unknown {
  const input = raw as RunTaskInput;
  const outcome = idempotentOutcome(state, input);
  if ('error' in outcome) throw outcome.error;
  if ('failures' in outcome) return { tasks: [], failures: outcome.failures };
  return { tasks: [taskView(state, outcome.task)], failures: [] };
}

/**
 * Idempotent per clientToken: the first outcome stands, and the plan is not asked twice. A token that
 * started a task may not start another with other parameters (ConflictException naming that task); one
 * that started none is taken as a new request (ECS does not say otherwise).
 */
function idempotentOutcome(state: State, input: RunTaskInput): RunOutcome {
  const token = text(input.clientToken);
  const parameters = canonicalJson({ ...input, clientToken: undefined });
  const used = token === undefined ? undefined : state.byClientToken.get(token);
  if (used && used.parameters === parameters) return used.outcome;
  if (used && 'task' in used.outcome) {
    throw new AwsError('ConflictException', 'The provided clientToken is already in use with a different RunTask request.', 400, {
      resourceIds: [used.outcome.task.arn],
    });
  }
  const outcome = startOrRefuse(state, input);
  if (token) state.byClientToken.set(token, { outcome, parameters });
  return outcome;
}

function startOrRefuse(state: State, input: RunTaskInput): RunOutcome {
  const capacityProvider = capacityProviderOf(input);
  if (!CAPACITY_PROVIDERS.includes(capacityProvider)) {
    return { error: new AwsError('InvalidParameterException', 'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster.') };
  }
  if (capacityProvider === 'FARGATE_SPOT' && state.options.spotCapacity === 'unavailable') return { failures: [{ reason: NO_CAPACITY_REASON }] };
  const plan = state.options.plan?.(input) ?? {};
  if (plan.refuse) return { error: new AwsError(plan.refuse.type, plan.refuse.message) };
  if (plan.failures) return { failures: plan.failures };
  if (!text(input.taskDefinition)) return { error: new AwsError('InvalidParameterException', 'Task Definition can not be blank.') };

  const id = randomBytes(16).toString('hex');
  const cluster = clusterName(input.cluster);
  const n = state.tasks.length;
  const task: FakeTask = {
    id,
    arn: `arn:aws:ecs:${state.region}:${state.account}:task/${cluster}/${id}`,
    cluster,
    input,
    plan: {
      provisioningDescribes: plan.provisioningDescribes ?? 1,
      runningDescribes: plan.runningDescribes ?? 1,
      exitCode: plan.exitCode ?? 0,
      publicIp: plan.publicIp === undefined ? '203.0.113.10' : plan.publicIp,
      logLines: plan.logLines ?? [],
      ...(plan.spotInterruption && capacityProvider === 'FARGATE_SPOT' ? { spotInterruption: plan.spotInterruption } : {}),
    },
    capacityProvider,
    container: text(input.overrides?.containerOverrides?.[0]?.name) ?? DEFAULT_CONTAINER,
    containerId: randomUUID(),
    runtimeId: `${id}-${randomBytes(4).readUInt32BE()}`,
    exec: input.enableExecuteCommand === true,
    eni: {
      id: `eni-${randomBytes(9).toString('hex').slice(0, 17)}`,
      privateIp: `10.0.${Math.floor(n / 250) % 250}.${(n % 250) + 4}`,
      subnet: text(input.networkConfiguration?.awsvpcConfiguration?.subnets?.[0]),
    },
    lastStatus: 'PROVISIONING',
    version: 1,
    describes: 0,
    attached: false,
    createdAt: Date.now(),
  };
  state.tasks.push(task);
  return { task };
}

function describeTasks(state: State, input: Record<string, unknown>): unknown {
  const cluster = clusterName(text(input['cluster']));
  const references = Array.isArray(input['tasks']) ? input['tasks'].filter((ref) => typeof ref === 'string') : [];
  const tasks: unknown[] = [];
  const failures: unknown[] = [];
  for (const reference of references) {
    const task = findTask(state, cluster, reference);
    if (!task) {
      failures.push({ arn: reference, reason: 'MISSING' });
      continue;
    }
    advance(state, task);
    tasks.push(taskView(state, task));
  }
  return { tasks, failures };
}

function stopTask(state: State, input: Record<string, unknown>): unknown {
  const task = findTask(state, clusterName(text(input['cluster'])), text(input['task']) ?? '');
  if (!task) throw new AwsError('InvalidParameterException', 'The referenced task was not found.');
  if (task.lastStatus !== 'STOPPED' && task.stopRequest === undefined) {
    task.stopRequest = text(input['reason']) ?? 'Task stopped by user';
    task.stoppingAt = Date.now();
  }
  return { task: taskView(state, task) };
}

/**
 * A session into a task's container, as ECS opens it: only in a RUNNING task started with exec (the
 * fake's agent is ready as soon as the task runs), always interactive.
 */
function executeCommand(state: State, input: Record<string, unknown>): unknown {
  const task = findTask(state, clusterName(text(input['cluster'])), text(input['task']) ?? '');
  if (!task) throw new AwsError('InvalidParameterException', 'The referenced task was not found.');
  const command = text(input['command']);
  if (!command) throw new AwsError('InvalidParameterException', 'Command can not be blank.');
  if (input['interactive'] !== true) throw new AwsError('InvalidParameterException', 'Interactive is the only mode supported currently.');
  const container = text(input['container']) ?? task.container;
  if (container !== task.container) throw new AwsError('InvalidParameterException', `The container ${container} does not exist in the task.`);
  if (!task.exec || task.lastStatus !== 'RUNNING') throw new AwsError('InvalidParameterException', EXEC_NOT_ENABLED);
  const sessionId = `ecs-execute-command-${randomBytes(9).toString('hex')}`;
  state.execSessions.push({ taskArn: task.arn, container, command, sessionId });
  const prefix = `arn:aws:ecs:${state.region}:${state.account}`;
  return {
    clusterArn: `${prefix}:cluster/${task.cluster}`,
    containerArn: containerArn(state, task),
    containerName: container,
    interactive: true,
    session: {
      sessionId,
      streamUrl: `wss://ssmmessages.${state.region}.amazonaws.com/v1/data-channel/${sessionId}?role=publish_subscribe`,
      tokenValue: randomBytes(48).toString('base64'),
    },
    taskArn: task.arn,
  };
}

/**
 * The capacity provider a RunTask's task runs on: the first its strategy weighs above 0 (the fake
 * spreads no tasks over several), FARGATE without a strategy (a stage cluster's default).
 */
export function capacityProviderOf(input: RunTaskInput): string {
  const strategy = input.capacityProviderStrategy ?? [];
  return strategy.find((item) => (item.weight ?? 0) > 0)?.capacityProvider ?? strategy[0]?.capacityProvider ?? 'FARGATE';
}

/** JSON with its object keys sorted: two requests with the same parameters read the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member !== null && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}

/** ECS accepts a task's ARN or bare id, and finds it only in its own cluster. */
function findTask(state: State, cluster: string, reference: string): FakeTask | undefined {
  return state.tasks.find((task) => task.cluster === cluster && (task.arn === reference || task.id === reference));
}

/** A cluster given by name or ARN; ECS's own default when none is given. */
function clusterName(cluster: string | undefined): string {
  if (!cluster) return 'default';
  return cluster.startsWith('arn:') ? cluster.slice(cluster.indexOf('/') + 1) : cluster;
}

/** One DescribeTasks' worth of progress along the plan; a stopped task stays as it stopped. */
function advance(state: State, task: FakeTask): void {
  const before = task.lastStatus;
  step(state, task);
  if (task.lastStatus !== before) task.version += 1;
}

function step(state: State, task: FakeTask): void {
  if (task.lastStatus === 'STOPPED') return;
  if (task.stopRequest !== undefined) {
    // Only a container that ran was killed by the signal; one that never started has no exit code.
    stopNow(task, 'UserInitiated', task.stopRequest, task.startedAt === undefined ? undefined : STOPPED_BY_SIGNAL_EXIT_CODE);
    return;
  }
  task.describes += 1;
  const status = statusAt(task.describes, task.plan);
  if (status !== 'PROVISIONING') task.attached = true;
  if (status === 'RUNNING' || status === 'STOPPED') start(state, task);
  if (status !== 'STOPPED') task.lastStatus = status;
  else if (task.plan.spotInterruption) stopNow(task, 'SpotInterruption', SPOT_INTERRUPTED_REASON, interruptedExitCode(task.plan.spotInterruption));
  else stopNow(task, 'EssentialContainerExited', 'Essential container in task exited', task.plan.exitCode);
}

function statusAt(describe: number, plan: FakeTask['plan']): TaskStatus {
  if (describe <= plan.provisioningDescribes) {
    // With more than one provisioning step, ECS is still finding capacity at the first one.
    return describe === 1 && plan.provisioningDescribes > 1 ? 'PROVISIONING' : 'PENDING';
  }
  return describe <= plan.provisioningDescribes + plan.runningDescribes ? 'RUNNING' : 'STOPPED';
}

/** The container starts: the awslogs driver creates its stream and the plan's lines land in it. */
function start(state: State, task: FakeTask): void {
  if (task.startedAt !== undefined) return;
  const startedAt = Date.now();
  task.startedAt = startedAt;
  const stream = `${state.options.logStreamPrefix}/${task.container}/${task.id}`;
  const events = task.plan.logLines.map((message, i) => ({ timestamp: startedAt + i, message, ingestionTime: startedAt + i + 5 }));
  state.logStreams.set(stream, events);
}

/** The warning's SIGTERM ended the container (143), unless the plan says it was gone before it reported. */
function interruptedExitCode(interruption: NonNullable<FakeTaskPlan['spotInterruption']>): number | undefined {
  if (interruption.exitCode === null) return undefined;
  return interruption.exitCode ?? STOPPED_BY_SIGNAL_EXIT_CODE;
}

function stopNow(task: FakeTask, code: string, reason: string, exitCode: number | undefined): void {
  task.lastStatus = 'STOPPED';
  task.stoppedAt = Date.now();
  task.stoppingAt ??= task.stoppedAt;
  task.stop = { code, reason, exitCode };
}

/** The task as DescribeTasks, RunTask and StopTask show it. */
function taskView(state: State, task: FakeTask): Record<string, unknown> {
  const { input, stop } = task;
  const prefix = `arn:aws:ecs:${state.region}:${state.account}`;
  const containerStatus = task.lastStatus === 'PROVISIONING' ? 'PENDING' : task.lastStatus;
  return {
    taskArn: task.arn,
    clusterArn: `${prefix}:cluster/${task.cluster}`,
    taskDefinitionArn: taskDefinitionArn(prefix, input.taskDefinition ?? ''),
    lastStatus: task.lastStatus,
    version: task.version,
    desiredStatus: stop || task.stopRequest !== undefined ? 'STOPPED' : 'RUNNING',
    // A task on FARGATE_SPOT is of the FARGATE launch type too: its provider tells them apart.
    launchType: 'FARGATE',
    capacityProviderName: task.capacityProvider,
    createdAt: seconds(task.createdAt),
    startedAt: seconds(task.startedAt),
    stoppingAt: seconds(task.stoppingAt),
    stoppedAt: seconds(task.stoppedAt),
    stopCode: stop?.code,
    stoppedReason: stop?.reason,
    overrides: input.overrides ?? { containerOverrides: [] },
    containers: [containerView(state, task, containerStatus)],
    attachments: [eniAttachment(task)],
    tags: input.tags ?? [],
    enableExecuteCommand: task.exec,
  };
}

/** The task's one container: its runtime id once it has started, and the exec agent of a task started with exec. */
function containerView(state: State, task: FakeTask, lastStatus: string): Record<string, unknown> {
  const agentStatus = task.lastStatus === 'RUNNING' || task.lastStatus === 'STOPPED' ? task.lastStatus : 'PENDING';
  const agent = { name: EXEC_AGENT, lastStatus: agentStatus, ...(task.lastStatus === 'RUNNING' ? { lastStartedAt: seconds(task.startedAt) } : {}) };
  return {
    containerArn: containerArn(state, task),
    taskArn: task.arn,
    name: task.container,
    lastStatus,
    exitCode: task.stop?.exitCode,
    ...(task.startedAt === undefined ? {} : { runtimeId: task.runtimeId }),
    ...(task.exec ? { managedAgents: [agent] } : {}),
  };
}

function containerArn(state: State, task: FakeTask): string {
  return `arn:aws:ecs:${state.region}:${state.account}:container/${task.cluster}/${task.id}/${task.containerId}`;
}

function taskDefinitionArn(prefix: string, taskDefinition: string): string {
  if (taskDefinition.startsWith('arn:')) return taskDefinition;
  const [family, revision = '1'] = taskDefinition.split(':');
  return `${prefix}:task-definition/${family}:${revision}`;
}

/** Before ECS creates the interface the attachment names only its subnet (PRECREATED), as ECS's does. */
function eniAttachment(task: FakeTask): Record<string, unknown> {
  const status = task.lastStatus === 'STOPPED' ? 'DELETED' : task.attached ? 'ATTACHED' : 'PRECREATED';
  const details = [{ name: 'subnetId', value: task.eni.subnet }];
  if (task.attached) {
    details.push({ name: 'networkInterfaceId', value: task.eni.id }, { name: 'privateIPv4Address', value: task.eni.privateIp });
  }
  return { id: `${task.id.slice(0, 8)}-attachment`, type: 'ElasticNetworkInterface', status, details };
}

// --- EC2 ---------------------------------------------------------------------------------------

function describeNetworkInterfaces(state: State, fields: Record<string, string>): string {
  // Only interfaces of tasks that have one now: ECS deletes it when the task stops.
  const live = state.tasks.filter((task) => task.attached && task.lastStatus !== 'STOPPED');
  const ids = Object.keys(fields).filter((key) => /^NetworkInterfaceId\.\d+$/.test(key)).map((key) => fields[key] ?? '');
  const found = ids.length === 0 ? live : ids.map((id) => live.find((task) => task.eni.id === id));
  const missing = ids.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) {
    throw new AwsError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${missing.join(', ')}' does not exist`);
  }
  return `<networkInterfaceSet>${found.map((task) => networkInterfaceXml(task!)).join('')}</networkInterfaceSet>`;
}

function networkInterfaceXml(task: FakeTask): string {
  const wantsPublicIp = task.input.networkConfiguration?.awsvpcConfiguration?.assignPublicIp === 'ENABLED';
  const publicIp = wantsPublicIp ? task.plan.publicIp : null;
  const association = publicIp ? `<association><publicIp>${escapeXml(publicIp)}</publicIp></association>` : '';
  const privateIp = `<privateIpAddress>${task.eni.privateIp}</privateIpAddress>`;
  return [
    '<item>',
    `<networkInterfaceId>${task.eni.id}</networkInterfaceId>`,
    task.eni.subnet ? `<subnetId>${escapeXml(task.eni.subnet)}</subnetId>` : '',
    '<status>in-use</status><interfaceType>interface</interfaceType><requesterManaged>true</requesterManaged>',
    privateIp,
    association,
    `<privateIpAddressesSet><item>${privateIp}<primary>true</primary>${association}</item></privateIpAddressesSet>`,
    '</item>',
  ].join('');
}

// --- CloudWatch Logs ---------------------------------------------------------------------------

function getLogEvents(state: State, input: Record<string, unknown>): unknown {
  if (text(input['logGroupName']) !== state.options.logGroup) {
    throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
  }
  const events = state.logStreams.get(text(input['logStreamName']) ?? '');
  if (!events) throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
  const limit = input['limit'] ?? MAX_LOG_EVENTS;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_EVENTS) {
    throw new AwsError('InvalidParameterException', `limit must be between 1 and ${MAX_LOG_EVENTS}.`);
  }
  // A token carries its own direction; without one, startFromHead (default false) decides.
  const token = text(input['nextToken']);
  const fromHead = input['startFromHead'] === true;
  const { forward, position } = token ? parseToken(token, events.length) : { forward: fromHead, position: fromHead ? 0 : events.length };
  const [from, to] = forward ? [position, Math.min(position + limit, events.length)] : [Math.max(0, position - limit), position];
  return { events: events.slice(from, to), nextForwardToken: `f/${pad(to)}`, nextBackwardToken: `b/${pad(from)}` };
}

function parseToken(token: string, length: number): { forward: boolean; position: number } {
  const match = /^([fb])\/(\d{20})$/.exec(token);
  const position = Number(match?.[2]);
  if (!match || position > length) throw new AwsError('InvalidParameterException', 'The specified nextToken is invalid.');
  return { forward: match[1] === 'f', position };
}

/** Positions padded so that tokens look as opaque and fixed-width as CloudWatch's. */
const pad = (position: number): string => String(position).padStart(20, '0');
