/**
 * A job's page: what it is and how it went (status timeline, exit code, failure, duration, size,
 * labels, how to get in, its attempts, notifications), its log, and what one can do with it (cancel, rerun).
 * The job is followed with long polls (`ifStatus` + `wait`) until it is finalized; each change of
 * status is said to screen readers.
 */
import { ApiError } from './api.ts';
import type { Job } from './api-types.ts';
import { confirmCancel } from './cancel-dialog.ts';
import { badge, duration, exitCode, labelList, messageRegion, tickDurations, time } from './components.ts';
import { fill, h, type Child } from './dom.ts';
import { formatCommand, formatCost, formatTaskSize, isFinalized, isTerminal, statusBadge, timelineOf, visible } from './format.ts';
import { describeError, follow, WAIT_SECONDS } from './live.ts';
import { renderLog } from './log-view.ts';
import type { ViewContext } from './main.ts';
import { openRerunDialog } from './rerun-dialog.ts';
import { jobHash } from './router.ts';

export function renderJobPage(context: ViewContext, jobId: string): void {
  const { api, root, signal } = context;
  const heading = h('h1', { tabindex: '-1' }, 'Job ', h('code', {}, visible(jobId)));
  const status = h('span', { class: 'heading-badge' });
  const trouble = messageRegion('alert');
  const cancel = h('button', { type: 'button', class: 'danger', hidden: true, onclick: () => void cancelJob() }, 'Cancel job');
  const rerun = h('button', { type: 'button', disabled: true, onclick: () => job && openRerunDialog(context, job, rerun) }, 'Rerun…');
  const edit = h('a', { href: `#/new?from=${encodeURIComponent(jobId)}`, class: 'button' }, 'Edit as a new job');
  const summary = h('dl', { class: 'summary' });
  const timeline = h('ol', { class: 'timeline' });
  const logSlot = h('div');
  const extras = h('div');
  root.append(
    h('div', { class: 'heading-row' }, heading, status),
    h('div', { class: 'actions' }, cancel, rerun, edit),
    trouble.element,
    h('section', { 'aria-labelledby': 'timeline-heading' }, h('h2', { id: 'timeline-heading' }, 'Timeline'), timeline),
    h('section', { 'aria-labelledby': 'summary-heading' }, h('h2', { id: 'summary-heading' }, 'Details'), summary),
    logSlot,
    extras,
  );
  tickDurations(summary, signal);
  let job: Job | undefined;
  void start();

  async function start(): Promise<void> {
    try {
      show(await api.getJob(jobId, { signal }));
    } catch (error) {
      if (signal.aborted) return;
      trouble.show(error instanceof ApiError && error.status === 404 ? `There is no job ${visible(jobId)} (or this token may not see it).` : `Could not load the job: ${describeError(error)}`);
      return;
    }
    logSlot.append(renderLog(context, jobId));
    await follow({
      signal,
      onTrouble: (error) => trouble.show(error && `Stopped following the job: ${describeError(error)}`),
      step: async () => {
        const current = job;
        if (!current || isFinalized(current)) return false;
        show(await api.getJob(jobId, { ifStatus: current.status, waitSeconds: WAIT_SECONDS, signal }));
        return true;
      },
    });
  }

  function show(next: Job): void {
    const previous = job;
    job = next;
    rerun.disabled = false;
    if (previous && previous.status !== next.status) context.announce(`The job is now ${statusBadge(next.status).label.toLowerCase()}.`);
    fill(status, badge(next.status));
    const cancelHadFocus = document.activeElement === cancel;
    cancel.hidden = isTerminal(next.status);
    if (cancelHadFocus && cancel.hidden) rerun.focus();
    fill(timeline, ...timelineItems(next));
    fill(summary, ...summaryItems(next));
    fill(extras, attemptsSection(next), notificationsSection(next), execsSection(next));
  }

  async function cancelJob(): Promise<void> {
    if (!(await confirmCancel(jobId, cancel, signal))) return;
    try {
      show(await api.cancelJob(jobId));
      trouble.show(undefined);
    } catch (error) {
      if (signal.aborted) return;
      trouble.show(error instanceof ApiError && error.code === 'JOB_ALREADY_FINISHED' ? 'The job had already finished.' : `Could not cancel the job: ${describeError(error)}`);
    }
  }
}

function timelineItems(job: Job): HTMLElement[] {
  const steps = timelineOf(job);
  const current = steps.findLastIndex((step) => step.at !== undefined);
  return steps.map((step, index) => {
    const { symbol, label } = statusBadge(step.status);
    const state = index < current ? 'done' : index === current ? 'current' : 'upcoming';
    return h(
      'li',
      { class: `step step-${state}`, ...(state === 'current' ? { 'aria-current': 'step' } : {}) },
      h('span', { class: 'step-label' }, h('span', { 'aria-hidden': 'true' }, `${state === 'upcoming' ? '…' : symbol} `), label),
      step.at === undefined ? h('span', { class: 'muted' }, 'not yet') : time(step.at),
    );
  });
}

function summaryItems(job: Job): Node[] {
  const items: [string, Child][] = [
    ['Command', h('code', { class: 'command' }, visible(formatCommand(job.command)))],
    ['Failure', job.failure ? h('span', {}, h('strong', {}, visible(job.failure.category)), ': ', visible(job.failure.message)) : null],
    ['Exit code', exitCode(job)],
    ['Duration', duration(job)],
    ['Profile', visible(job.profile)],
    ['Created', time(job.createdAt)],
    ['Started', time(job.startedAt)],
    ['Stopped', time(job.stoppedAt)],
    ['Timeout', `${job.timeoutSeconds.toLocaleString()} s`],
    ['Task size', formatTaskSize(job.cpu, job.memory)],
    ['Cost', job.cost ? formatCost(job.cost) : null],
    ['Submitted by', visible(job.submittedBy)],
    ['Labels', labelList(job.labels)],
    ['Connect', connectHint(job)],
    ['Rerun of', job.rerunOf ? h('a', { href: jobHash(job.rerunOf) }, h('code', {}, visible(job.rerunOf))) : null],
    ['Exec', execHint(job)],
  ];
  // Long values get a row of their own; the rest share rows.
  const wide = new Set(['Command', 'Failure', 'Connect', 'Exec']);
  return items
    .filter(([, value]) => value !== null)
    .map(([term, value]) => h('div', { class: wide.has(term) ? 'item wide' : 'item' }, h('dt', {}, term), h('dd', {}, value)));
}

function connectHint(job: Job): Child {
  if (!job.connect) return null;
  if (job.connect.ssh) return h('code', {}, visible(job.connect.ssh));
  return h('span', { class: 'muted' }, 'ssh, once the task has its public IP', job.connect.port ? ` (port ${job.connect.port}, user ${visible(job.connect.user ?? '?')})` : '');
}

function execHint(job: Job): Child {
  // A finished job cannot be exec'ed into: nothing to say.
  if (!job.exec || isTerminal(job.status)) return null;
  if (job.exec.ready) return h('span', {}, 'Ready: ', h('code', {}, `fargate-jobs exec ${visible(job.id)}`));
  return h('span', { class: 'muted' }, 'Not ready yet: the job must be running, its exec agent started.');
}

function notificationsSection(job: Job): Child {
  const attempts = job.notifications ?? [];
  if (attempts.length === 0) return null;
  return h(
    'section',
    { 'aria-labelledby': 'notifications-heading' },
    h('h2', { id: 'notifications-heading' }, 'Notifications'),
    h(
      'ul',
      { class: 'plain-list' },
      ...attempts.map((attempt) =>
        h(
          'li',
          {},
          h('span', { class: attempt.delivered ? 'ok' : 'bad' }, attempt.delivered ? '✓ delivered' : '✗ not delivered'),
          ` · ${attempt.channel} · ${attempt.event} · attempt ${attempt.attempt} · `,
          time(attempt.time),
          attempt.error ? ` · ${visible(attempt.error)}` : '',
        ),
      ),
    ),
  );
}

/** A job its retry rules tried again: each attempt and how it ended, and the one about to start. */
function attemptsSection(job: Job): Child {
  const attempts = job.attempts ?? [];
  if (attempts.length < 2 && !job.retrying) return null;
  const columns = ['Attempt', 'Capacity', 'Started', 'Stopped', 'Exit code', 'Failure'];
  return h(
    'section',
    { 'aria-labelledby': 'attempts-heading' },
    h('h2', { id: 'attempts-heading' }, 'Attempts'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'attempts' },
        h('caption', { class: 'visually-hidden' }, 'Attempts, oldest first'),
        h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { scope: 'col' }, column)))),
        h(
          'tbody',
          {},
          ...attempts.map((attempt) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, String(attempt.number)),
              h('td', {}, visible(attempt.capacity ?? '–')),
              h('td', {}, time(attempt.startedAt, 'short')),
              h('td', {}, time(attempt.stoppedAt, 'short')),
              h('td', {}, attempt.exitCode === null ? '–' : String(attempt.exitCode)),
              h('td', {}, attempt.failure ? h('span', {}, h('strong', {}, visible(attempt.failure.category)), ': ', visible(attempt.failure.message)) : '–'),
            ),
          ),
        ),
      ),
    ),
    job.retrying && job.nextAttempt !== undefined ? h('p', { class: 'muted' }, `Attempt ${job.nextAttempt} starts next.`) : null,
  );
}

function execsSection(job: Job): Child {
  const execs = job.execs ?? [];
  if (execs.length === 0) return null;
  return h(
    'section',
    { 'aria-labelledby': 'execs-heading' },
    h('h2', { id: 'execs-heading' }, 'Execs'),
    h('ul', { class: 'plain-list' }, ...execs.map((exec) => h('li', {}, time(exec.at), ` · ${visible(exec.by)} · `, h('code', {}, visible(formatCommand(exec.command)))))),
  );
}
