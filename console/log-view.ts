/**
 * A job's log: the last 1,000 lines first, older ones on demand, then following the job's output
 * with long polls until the log is `complete`. New lines scroll the view only when the reader is
 * already at the bottom (someone reading further up is left in peace, with a button to jump down).
 * Every line is text: colours become classes (ansi.ts), nothing in a line is ever parsed as markup.
 */
import type { LogLine, LogPage } from './api-types.ts';
import { parseAnsi } from './ansi.ts';
import { messageRegion } from './components.ts';
import { h } from './dom.ts';
import { describeError, follow, WAIT_SECONDS } from './live.ts';
import type { ViewContext } from './main.ts';

const TAIL_LINES = 1000;
const OLDER_LINES = 1000;
const DOWNLOAD_PAGE = 10_000;
/** Within this many pixels of the end counts as "at the bottom" (zoom and rounding). */
const BOTTOM_SLACK_PX = 8;

export function renderLog(context: ViewContext, jobId: string): HTMLElement {
  const { api, signal } = context;
  const lines = h('div', { class: 'log', id: 'log', tabindex: '0', role: 'region', 'aria-label': 'Log lines', 'aria-busy': 'true' });
  const state = h('p', { class: 'log-state', role: 'status' }, 'Loading the log…');
  const trouble = messageRegion('alert');
  const older = h('button', { type: 'button', hidden: true, onclick: () => void showOlder() }, 'Show older lines');
  const jump = h('button', { type: 'button', class: 'jump', hidden: true, onclick: () => scrollToEnd() }, 'New lines below ↓');
  const download = h('button', { type: 'button', onclick: () => void downloadLog() }, 'Download the whole log');
  let previousCursor: string | null = null;

  lines.addEventListener('scroll', () => {
    if (atBottom()) jump.hidden = true;
  });
  void start();
  return h('section', { class: 'log-section', 'aria-labelledby': 'log-heading' },
    h('div', { class: 'heading-row' }, h('h2', { id: 'log-heading' }, 'Log'), download),
    state, trouble.element, older, lines, jump);

  async function start(): Promise<void> {
    let page: LogPage;
    try {
      page = await api.getLogs(jobId, { tail: TAIL_LINES }, signal);
    } catch (error) {
      if (!signal.aborted) trouble.show(`Could not read the log: ${describeError(error)}`);
      return;
    }
    previousCursor = page.previousCursor ?? null;
    older.hidden = previousCursor === null;
    lines.append(...page.lines.map(lineElement));
    lines.removeAttribute('aria-busy');
    scrollToEnd();
    let cursor = page.nextCursor;
    let complete = page.complete;
    showState(complete, page.truncated);
    if (complete) return;
    await follow({
      signal,
      onTrouble: (error) => trouble.show(error && `The log stopped following: ${describeError(error)}`),
      step: async () => {
        const next = await api.getLogs(jobId, { cursor, wait: WAIT_SECONDS, limit: TAIL_LINES }, signal);
        appendLines(next.lines);
        cursor = next.nextCursor;
        complete = next.complete;
        showState(complete, next.truncated);
        return !complete;
      },
    });
  }

  function showState(complete: boolean, truncated: boolean): void {
    const cut = truncated ? ' The job wrote more than the server keeps: the rest of its output was dropped.' : '';
    const text = complete ? `End of the log.${cut}` : `Following the job’s output as it comes…${cut}`;
    // A live region says what changes: the same words set again after every poll would be said again.
    if (state.textContent !== text) state.textContent = text;
    state.classList.toggle('following', !complete);
  }

  function appendLines(newLines: LogLine[]): void {
    if (newLines.length === 0) return;
    const follow = atBottom();
    lines.append(...newLines.map(lineElement));
    if (follow) scrollToEnd();
    else jump.hidden = false;
  }

  async function showOlder(): Promise<void> {
    if (previousCursor === null) return;
    const hadFocus = document.activeElement === older;
    older.disabled = true;
    try {
      const page = await api.getLogs(jobId, { before: previousCursor, limit: OLDER_LINES }, signal);
      // Keep what the reader looks at in place while lines are added above it.
      const fromEnd = lines.scrollHeight - lines.scrollTop;
      lines.prepend(...page.lines.map(lineElement));
      lines.scrollTop = lines.scrollHeight - fromEnd;
      previousCursor = page.previousCursor ?? null;
      older.hidden = previousCursor === null;
      trouble.show(undefined);
    } catch (error) {
      if (!signal.aborted) trouble.show(`Could not read older lines: ${describeError(error)}`);
    } finally {
      older.disabled = false;
      // Disabled, the button lost the keyboard's focus: it goes back, or to the lines once none are older.
      if (hadFocus) (older.hidden ? lines : older).focus();
    }
  }

  async function downloadLog(): Promise<void> {
    const hadFocus = document.activeElement === download;
    download.disabled = true;
    const label = download.textContent;
    const messages: string[] = [];
    try {
      let cursor: string | undefined;
      for (;;) {
        const page = await api.getLogs(jobId, { cursor, limit: DOWNLOAD_PAGE }, signal);
        messages.push(...page.lines.map((line) => line.message));
        download.textContent = `Downloading… ${messages.length.toLocaleString()} lines`;
        cursor = page.nextCursor;
        if (page.complete || page.lines.length === 0) break;
      }
      saveText(`${jobId}.log`, messages.length > 0 ? `${messages.join('\n')}\n` : '');
      context.announce(`Downloaded ${messages.length} lines.`);
    } catch (error) {
      if (!signal.aborted) trouble.show(`Could not download the log: ${describeError(error)}`);
    } finally {
      download.textContent = label;
      download.disabled = false;
      if (hadFocus) download.focus();
    }
  }

  function atBottom(): boolean {
    return lines.scrollHeight - lines.scrollTop - lines.clientHeight <= BOTTOM_SLACK_PX;
  }

  function scrollToEnd(): void {
    lines.scrollTop = lines.scrollHeight;
    jump.hidden = true;
  }
}

/** One line: its text in spans whose classes carry its colours, never markup. */
function lineElement(line: LogLine): HTMLElement {
  const segments = parseAnsi(line.message).map((segment) => (segment.classes.length > 0 ? h('span', { class: segment.classes.join(' ') }, segment.text) : segment.text));
  return h('div', { class: line.stream === 'stderr' ? 'log-line stderr' : 'log-line', title: line.timestamp }, ...segments);
}

/** The log as a file: a link to a blob of our own, clicked and let go. */
function saveText(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = h('a', { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
