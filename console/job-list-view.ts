/**
 * The job list: newest first, filtered by status, profile and labels, a page at a time, and live:
 * once the server answers with an ETag, the next request waits (`wait` + `If-None-Match`) until the
 * page would change, so the table follows the jobs without asking on a timer. A server that sends
 * no ETag gets a Refresh button instead.
 */
import type { Job, JobPage, ListQuery, Profile } from './api-types.ts';
import { badge, duration, exitCode, messageRegion, tickDurations, time } from './components.ts';
import { fill, h, uniqueId } from './dom.ts';
import { formatCommand, JOB_STATUSES, statusBadge, visible } from './format.ts';
import { childController, describeError, follow, WAIT_SECONDS } from './live.ts';
import type { ViewContext } from './main.ts';
import { jobHash, listHash } from './router.ts';

const PAGE_SIZE = 25;
const COLUMNS = ['Status', 'Job', 'Profile', 'Command', 'Submitted by', 'Started', 'Duration', 'Exit code'] as const;

export function renderJobList(context: ViewContext, query: ListQuery): void {
  const { root, signal } = context;
  const body = h('tbody');
  const liveStatus = h('span', { class: 'live-status' });
  const trouble = messageRegion('alert');
  const refresh = h('button', { type: 'button', hidden: true, onclick: () => showPage() }, 'Refresh');
  const newer = h('button', { type: 'button', onclick: () => turnPage(cursors.length > 1 ? cursors.slice(0, -1) : cursors) }, '← Newer');
  const older = h('button', { type: 'button', onclick: () => nextCursor && turnPage([...cursors, nextCursor]) }, 'Older →');
  /** The cursor of each page up to this one: Newer goes back one. */
  let cursors: (string | undefined)[] = [undefined];
  let nextCursor: string | null = null;
  let pageController: AbortController | undefined;

  const filters = h('div', { class: 'filters-slot' });
  root.append(
    h('div', { class: 'heading-row' }, h('h1', { tabindex: '-1' }, 'Jobs'), h('a', { href: '#/new', class: 'button primary' }, 'New job')),
    filters,
    h('p', { class: 'toolbar' }, liveStatus, refresh),
    trouble.element,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'jobs' },
        h('caption', { class: 'visually-hidden' }, 'Jobs, newest first'),
        h('thead', {}, h('tr', {}, ...COLUMNS.map((column) => h('th', { scope: 'col' }, column)))),
        body,
      ),
    ),
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, older),
  );
  void context.profiles().then((profiles) => fill(filters, filterForm(query, profiles)));
  tickDurations(body, signal);
  showPage();

  function turnPage(to: (string | undefined)[]): void {
    cursors = to;
    showPage();
    body.closest('table')?.scrollIntoView({ block: 'start' });
  }

  function showPage(): void {
    pageController?.abort();
    pageController = childController(signal);
    const pageSignal = pageController.signal;
    const cursor = cursors.at(-1);
    disableKeepingFocus(newer, cursors.length === 1, older);
    refresh.hidden = true;
    let etag: string | undefined;
    void follow({
      signal: pageSignal,
      onTrouble: (error) => trouble.show(error && `Could not load the jobs: ${describeError(error)}`),
      step: async () => {
        const answer = await context.api.listJobs(
          { ...query, ...(cursor ? { cursor } : {}), limit: PAGE_SIZE },
          etag ? { etag, waitSeconds: WAIT_SECONDS, signal: pageSignal } : { signal: pageSignal },
        );
        if (answer.changed) {
          etag = answer.etag;
          showRows(answer.page);
        }
        const live = etag !== undefined;
        liveStatus.textContent = live ? '● Live: the list follows the jobs as they change.' : 'This server does not announce changes.';
        refresh.hidden = live;
        return live;
      },
    });
  }

  function showRows(page: JobPage): void {
    nextCursor = page.nextCursor;
    disableKeepingFocus(older, nextCursor === null, newer);
    // A re-render must not take the keyboard's place away: the focused link is found again by its key.
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.focusKey;
    if (page.jobs.length === 0) {
      const filtered = query.status || query.profile || query.labels;
      fill(body, h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'empty' }, filtered ? 'No jobs match these filters.' : 'No jobs yet.')));
    } else {
      fill(body, ...page.jobs.map(jobRow));
    }
    if (focusKey) body.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  }
}

/** A button disabled under the keyboard's focus would drop it on the page's body: it goes to `instead`. */
function disableKeepingFocus(button: HTMLButtonElement, disabled: boolean, instead: HTMLElement): void {
  const hadFocus = document.activeElement === button;
  button.disabled = disabled;
  if (disabled && hadFocus) instead.focus();
}

function jobRow(job: Job): HTMLTableRowElement {
  const command = visible(formatCommand(job.command));
  const cells: [string, Node | string][] = [
    ['Status', badge(job.status)],
    ['Job', h('a', { href: jobHash(job.id), class: 'job-id', 'data-focus-key': job.id, 'aria-label': `${visible(job.id)}, ${statusBadge(job.status).label}` }, visible(job.id))],
    ['Profile', visible(job.profile)],
    ['Command', h('code', { class: 'command', title: command }, command)],
    ['Submitted by', visible(job.submittedBy)],
    ['Started', time(job.startedAt, 'short')],
    ['Duration', duration(job)],
    ['Exit code', exitCode(job)],
  ];
  return h('tr', { 'data-job-id': job.id }, ...cells.map(([label, content]) => h('td', { 'data-label': label }, content)));
}

function filterForm(query: ListQuery, profiles: Profile[] | undefined): HTMLFormElement {
  const ids = { status: uniqueId('status'), profile: uniqueId('profile'), label: uniqueId('label'), labelHelp: uniqueId('label-help') };
  const status = h(
    'select',
    { id: ids.status, name: 'status' },
    h('option', { value: '' }, 'Any status'),
    ...JOB_STATUSES.map((value) => h('option', { value, selected: value === query.status }, statusBadge(value).label)),
  );
  const profile = profiles
    ? h(
        'select',
        { id: ids.profile, name: 'profile' },
        h('option', { value: '' }, 'Any profile'),
        ...profiles.map(({ name }) => h('option', { value: name, selected: name === query.profile }, name)),
      )
    : h('input', { id: ids.profile, name: 'profile', value: query.profile ?? '', placeholder: 'any', autocomplete: 'off' });
  const label = h('input', {
    id: ids.label,
    name: 'label',
    value: (query.labels ?? []).join(' '),
    placeholder: 'team=web',
    autocomplete: 'off',
    'aria-describedby': ids.labelHelp,
  });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter jobs' },
    h('div', { class: 'field' }, h('label', { for: ids.status }, 'Status'), status),
    h('div', { class: 'field' }, h('label', { for: ids.profile }, 'Profile'), profile),
    h('div', { class: 'field' }, h('label', { for: ids.label }, 'Labels'), label, h('span', { class: 'hint', id: ids.labelHelp }, 'key=value, several separated by spaces')),
    h('div', { class: 'field-actions' }, h('button', { type: 'submit' }, 'Apply'), h('a', { href: '#/', class: 'button' }, 'Clear')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const labels = label.value.split(/\s+/).filter((value) => value !== '');
    const next: ListQuery = { ...(status.value ? { status: status.value } : {}), ...(profile.value.trim() ? { profile: profile.value.trim() } : {}), ...(labels.length ? { labels } : {}) };
    location.hash = listHash(next);
  });
  return form;
}
