/** Small pieces the views share: the status badge, labels, times and durations that keep counting. */
import type { Job, JobStatus } from './api-types.ts';
import { h } from './dom.ts';
import { formatDuration, formatShortTime, formatTime, jobDuration, statusBadge, visible } from './format.ts';

/** The status as a symbol and a word (the symbol hidden from screen readers: the word says it). */
export function badge(status: JobStatus): HTMLElement {
  const { symbol, label, tone } = statusBadge(status);
  return h('span', { class: `badge badge-${tone}`, 'data-status': status }, h('span', { class: 'badge-symbol', 'aria-hidden': 'true' }, symbol), ` ${label}`);
}

/** A time as the reader's locale writes it (`short`: the time alone if it was today), the full one in its title. */
export function time(iso: string | undefined, form: 'full' | 'short' = 'full'): HTMLElement {
  if (iso === undefined) return h('span', {}, '–');
  return h('time', { datetime: iso, title: formatTime(iso) }, form === 'short' ? formatShortTime(iso, new Date()) : formatTime(iso));
}

/**
 * A job's duration. While it runs, the element carries its start, and `tickDurations` (once a
 * second, no request) keeps it counting between the server's answers.
 */
export function duration(job: Job): HTMLElement {
  const milliseconds = jobDuration(job, Date.now());
  const running = job.startedAt !== undefined && job.stoppedAt === undefined && milliseconds !== undefined;
  return h('span', { class: 'duration', ...(running ? { 'data-since': job.startedAt } : {}) }, milliseconds === undefined ? '–' : formatDuration(milliseconds));
}

export function tickDurations(root: ParentNode, signal: AbortSignal): void {
  const timer = setInterval(() => {
    for (const element of root.querySelectorAll<HTMLElement>('[data-since]')) {
      element.textContent = formatDuration(Date.now() - Date.parse(element.dataset.since ?? ''));
    }
  }, 1000);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

export function labelList(labels: Record<string, string>): HTMLElement {
  const entries = Object.entries(labels);
  if (entries.length === 0) return h('span', { class: 'muted' }, 'none');
  return h('ul', { class: 'labels' }, ...entries.map(([key, value]) => h('li', { class: 'label' }, visible(`${key}=${value}`))));
}

export function exitCode(job: Job): string {
  return job.exitCode === null ? '–' : String(job.exitCode);
}

/** A message region for errors (role=alert) or news (role=status), empty and hidden until used. */
export function messageRegion(kind: 'alert' | 'status'): { element: HTMLElement; show(text: string | undefined): void } {
  const element = h('p', { class: kind === 'alert' ? 'message message-error' : 'message', role: kind, hidden: true });
  return {
    element,
    show(text) {
      element.textContent = text ?? '';
      element.hidden = text === undefined;
    },
  };
}
