/**
 * The console's addresses live in the fragment, so that the server serves one page for all of them
 * and a link to a job (`/#/jobs/job-…`) survives a reload: `#/` (with the list's filters as a query,
 * `#/?status=RUNNING&label=team=web`), `#/jobs/<id>`, `#/new` (`#/new?from=<id>` to rerun a job).
 * DOM-free (tested in Node).
 */
import type { ListQuery } from './api-types.ts';

export type Route =
  | { view: 'list'; query: ListQuery }
  | { view: 'job'; id: string }
  | { view: 'new'; from: string | undefined }
  | { view: 'unknown'; hash: string };

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2) as [string?, string?];
  const params = new URLSearchParams(search);
  if (path === '' || path === '/') return { view: 'list', query: listQueryOf(params) };
  if (path === '/new') return { view: 'new', from: params.get('from') ?? undefined };
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job?.[1]) return { view: 'job', id: decodeURIComponent(job[1]) };
  return { view: 'unknown', hash };
}

function listQueryOf(params: URLSearchParams): ListQuery {
  const query: ListQuery = {};
  const status = params.get('status');
  const profile = params.get('profile');
  const labels = params.getAll('label').filter((label) => label !== '');
  if (status) query.status = status;
  if (profile) query.profile = profile;
  if (labels.length > 0) query.labels = labels;
  return query;
}

/** The fragment of the list with these filters (no cursor: a page is not an address worth keeping). */
export function listHash(query: ListQuery): string {
  const params = new URLSearchParams();
  if (query.status) params.set('status', query.status);
  if (query.profile) params.set('profile', query.profile);
  for (const label of query.labels ?? []) params.append('label', label);
  const search = params.toString();
  return search === '' ? '#/' : `#/?${search}`;
}

export function jobHash(id: string): string {
  return `#/jobs/${encodeURIComponent(id)}`;
}
