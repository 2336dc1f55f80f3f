/**
 * What the API promises to answer on each route the CLI calls, checked before a verb reads it: a
 * proxy's HTML page, a `{}` or another program on the port then ends in a clear error naming the
 * server, not in a TypeError deep inside a verb. Only the fields the CLI reads are checked.
 */
import { JOB_STATUSES } from '#lib/domain/job.ts';

type Check = (body: unknown) => string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';

function jobProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'not a job document';
  for (const name of ['id', 'profile', 'createdAt'] as const) if (!isString(body[name])) return `a job without a string '${name}'`;
  if (!(JOB_STATUSES as readonly unknown[]).includes(body.status)) return `a job with an unknown status ${JSON.stringify(body.status)}`;
  if (!Array.isArray(body.command) || !body.command.every(isString)) return "a job whose 'command' is not a list of strings";
  if (body.exitCode !== null && typeof body.exitCode !== 'number') return "a job whose 'exitCode' is neither a number nor null";
  if (typeof body.timeoutSeconds !== 'number') return "a job without a number 'timeoutSeconds'";
  if (!isObject(body.labels)) return "a job without 'labels'";
  for (const name of ['failure', 'network', 'connect'] as const) if (body[name] !== undefined && !isObject(body[name])) return `a job whose '${name}' is not an object`;
  if (isObject(body.failure) && (!isString(body.failure.category) || !isString(body.failure.message))) return "a job whose 'failure' has no category or message";
  return undefined;
}

function logPageProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'not a page of log lines';
  if (!Array.isArray(body.lines) || !body.lines.every((line) => isObject(line) && isString(line.message))) return "a log page whose 'lines' are not log lines";
  if (!isString(body.nextCursor)) return "a log page without a string 'nextCursor'";
  if (typeof body.complete !== 'boolean') return "a log page without a boolean 'complete'";
  return undefined;
}

function jobListProblem(body: unknown): string | undefined {
  if (!isObject(body) || !Array.isArray(body.jobs)) return "not a list of jobs (no 'jobs')";
  for (const job of body.jobs) {
    const problem = jobProblem(job);
    if (problem !== undefined) return `a list of jobs holding ${problem}`;
  }
  return undefined;
}

function execSessionProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'not an exec session';
  for (const name of ['sessionId', 'streamUrl', 'tokenValue', 'target', 'region'] as const) if (!isString(body[name])) return `an exec session without a string '${name}'`;
  return undefined;
}

function scheduleProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'not a schedule';
  for (const name of ['name', 'schedule', 'timezone', 'createdBy', 'createdAt'] as const) if (!isString(body[name])) return `a schedule without a string '${name}'`;
  if (typeof body.enabled !== 'boolean') return "a schedule without a boolean 'enabled'";
  if (!isObject(body.job)) return "a schedule without a 'job'";
  if (!Array.isArray(body.fires) || !body.fires.every((fire) => isObject(fire) && isString(fire.at) && isString(fire.outcome))) return "a schedule whose 'fires' are not fires";
  if (body.nextFireAt !== undefined && !isString(body.nextFireAt)) return "a schedule whose 'nextFireAt' is not a string";
  if (!isObject(body.links) || !isString(body.links.jobs)) return "a schedule without 'links'";
  return undefined;
}

function scheduleListProblem(body: unknown): string | undefined {
  if (!isObject(body) || !Array.isArray(body.schedules)) return "not a list of schedules (no 'schedules')";
  for (const schedule of body.schedules) {
    const problem = scheduleProblem(schedule);
    if (problem !== undefined) return `a list of schedules holding ${problem}`;
  }
  return undefined;
}

const ROUTES: { method: string; path: RegExp; check: Check }[] = [
  { method: 'POST', path: /^\/jobs$/, check: jobProblem },
  { method: 'GET', path: /^\/jobs$/, check: jobListProblem },
  { method: 'GET', path: /^\/jobs\/[^/]+$/, check: jobProblem },
  { method: 'POST', path: /^\/jobs\/[^/]+\/cancel$/, check: jobProblem },
  { method: 'GET', path: /^\/jobs\/[^/]+\/logs$/, check: logPageProblem },
  { method: 'POST', path: /^\/jobs\/[^/]+\/exec$/, check: execSessionProblem },
  { method: 'POST', path: /^\/schedules$/, check: scheduleProblem },
  { method: 'GET', path: /^\/schedules$/, check: scheduleListProblem },
  { method: 'GET', path: /^\/schedules\/[^/]+$/, check: scheduleProblem },
  { method: 'PATCH', path: /^\/schedules\/[^/]+$/, check: scheduleProblem },
];

/** What is wrong with a 2xx answer's `body` to `method path`; undefined when it is what the API promises (or the route is not checked). */
export function answerProblem(method: string, path: string, body: unknown): string | undefined {
  const route = ROUTES.find((candidate) => candidate.method === method && candidate.path.test(path));
  if (route === undefined) return undefined;
  if (isString(body)) return `${JSON.stringify(body.slice(0, 80))}${body.length > 80 ? '…' : ''} (not JSON)`;
  return route.check(body);
}
