/**
 * The HTTP API's routes: one list for the local server, serverless.yml and docs/openapi.yaml
 * (tests keep all three in step). `handler` names the module in `handlers/http/`.
 */
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  handler: string;
  /** Every route needs a bearer token except these. */
  public?: true;
}

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/jobs', handler: 'create-job' },
  { method: 'GET', path: '/jobs', handler: 'list-jobs' },
  { method: 'GET', path: '/jobs/{id}', handler: 'get-job' },
  { method: 'DELETE', path: '/jobs/{id}', handler: 'cancel-job' },
  { method: 'GET', path: '/jobs/{id}/logs', handler: 'get-job-logs' },
  { method: 'GET', path: '/health', handler: 'health', public: true },
];

export interface RouteMatch {
  route: Route;
  pathParameters: Record<string, string>;
}

/** Finds the route for a path; `allowed` lists the methods the path has when the method is not one of them. */
export function matchRoute(method: string, path: string): { match?: RouteMatch; allowed: string[] } {
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const pathParameters = matchPath(route.path, path);
    if (!pathParameters) continue;
    if (route.method === method) return { match: { route, pathParameters }, allowed: [] };
    allowed.push(route.method);
  }
  return { allowed };
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
