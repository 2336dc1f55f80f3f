/**
 * The HTTP API's routes: one list for the local server, serverless.yml and docs/openapi.yaml
 * (tests keep all three in step). `handler` names the module in `handlers/http/`.
 */
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  handler: string;
  /** Every route needs a bearer token except these. */
  public?: true;
  /** Slack's routes: no token, Slack's request signature instead; not for browsers (no OPTIONS). */
  slack?: true;
}

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/jobs', handler: 'create-job' },
  { method: 'GET', path: '/jobs', handler: 'list-jobs' },
  { method: 'GET', path: '/jobs/{id}', handler: 'get-job' },
  // Cancelling is an action on a job that stays readable, so POST …/cancel is the documented way; DELETE is its older alias.
  { method: 'POST', path: '/jobs/{id}/cancel', handler: 'cancel-job' },
  { method: 'DELETE', path: '/jobs/{id}', handler: 'cancel-job' },
  { method: 'GET', path: '/jobs/{id}/logs', handler: 'get-job-logs' },
  // Opens a session into the running job's container (ECS Exec; locally a process in its work directory).
  { method: 'POST', path: '/jobs/{id}/exec', handler: 'exec-job' },
  // Schedules (EventBridge Scheduler on AWS, an in-process scheduler locally): one function for the five.
  { method: 'POST', path: '/schedules', handler: 'schedules' },
  { method: 'GET', path: '/schedules', handler: 'schedules' },
  { method: 'GET', path: '/schedules/{name}', handler: 'schedules' },
  { method: 'PATCH', path: '/schedules/{name}', handler: 'schedules' },
  { method: 'DELETE', path: '/schedules/{name}', handler: 'schedules' },
  // The caller's finished jobs' costs, summed by profile, label or submitter (a page of jobs at a time).
  { method: 'GET', path: '/costs', handler: 'get-costs' },
  // The profiles the token may use, with what a job of each may ask for (a job form's choices).
  { method: 'GET', path: '/profiles', handler: 'list-profiles' },
  { method: 'GET', path: '/health', handler: 'health', public: true },
  { method: 'POST', path: '/slack/commands', handler: 'slack-commands', public: true, slack: true },
  { method: 'POST', path: '/slack/interactions', handler: 'slack-interactions', public: true, slack: true },
  // The web console's static files (lib/http/console.ts): public, the page asks for the token and sends it to the API.
  { method: 'GET', path: '/', handler: 'console', public: true },
  { method: 'GET', path: '/assets/{file}', handler: 'console', public: true },
];

/** A route as deployed: one of ROUTES, the HEAD beside a GET, or the OPTIONS of a path. */
export interface DeployedRoute extends Omit<Route, 'method'> {
  method: Route['method'] | 'HEAD' | 'OPTIONS';
}

/** The handler module of every OPTIONS route: it needs no token and no ports. */
export const OPTIONS_HANDLER = 'options';

/**
 * Every route the API answers: each of ROUTES; a HEAD beside each GET, to the same handler with the
 * same authorization (health checkers use `HEAD /health`); and an OPTIONS on each path but Slack's, public,
 * answering 204 with the path's methods (an HTTP API routes OPTIONS only where a route matches).
 */
export const DEPLOYED_ROUTES: readonly DeployedRoute[] = [
  ...ROUTES.flatMap((route): DeployedRoute[] => (route.method === 'GET' ? [route, { ...route, method: 'HEAD' }] : [route])),
  ...[...new Set(ROUTES.filter((route) => !route.slack).map((route) => route.path))].map((path): DeployedRoute => ({ method: 'OPTIONS', path, handler: OPTIONS_HANDLER, public: true })),
];

export interface RouteMatch {
  route: DeployedRoute;
  pathParameters: Record<string, string>;
}

/** Finds the route for a path; `allowed` lists the methods the path has when the method is not one of them. */
export function matchRoute(method: string, path: string): { match?: RouteMatch; allowed: string[] } {
  const allowed: string[] = [];
  for (const route of DEPLOYED_ROUTES) {
    const pathParameters = matchPath(route.path, path);
    if (!pathParameters) continue;
    if (route.method === method) return { match: { route, pathParameters }, allowed: [] };
    allowed.push(route.method);
  }
  return { allowed };
}

/** The methods of a path template (`/jobs/{id}`), in the order of DEPLOYED_ROUTES; none for a template that is not a route's. */
export function methodsOf(template: string): string[] {
  return DEPLOYED_ROUTES.filter((route) => route.path === template).map((route) => route.method);
}

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const templateParts = template.split('/');
  const pathParts = path.split('/');
  if (templateParts.length !== pathParts.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [index, part] of templateParts.entries()) {
    const actual = pathParts[index] ?? '';
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) {
      if (actual === '') return undefined;
      parameters[name] = actual;
    } else if (part !== actual) {
      return undefined;
    }
  }
  return parameters;
}
