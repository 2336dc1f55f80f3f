/**
 * The Slack messages of a job, as Block Kit: what the adapter posts with `chat.postMessage` and
 * `chat.update`. Every `text` is the fallback Slack shows in notifications and where blocks cannot be
 * shown. Pure: everything a message says comes from the job and the arguments.
 *
 * Whatever comes from a user or a task (command, log lines, failure messages) is escaped, so that a
 * log line cannot mention `<!channel>` or fake a link, and is cut to Slack's limits, never in the
 * middle of an entity, a surrogate pair or a code block.
 */
import { isTerminal, type Job, type JobStatus } from '#lib/domain/job.ts';

/** The longest text of a section block (Slack refuses the message beyond it). */
export const SECTION_TEXT_LIMIT = 3000;
/** The most blocks one message may have. */
export const MESSAGE_BLOCK_LIMIT = 50;
/** A message's top-level `text` is kept below 4000 characters, as Slack advises (it truncates beyond 40 000). */
export const MESSAGE_TEXT_LIMIT = 3999;
/** How much of a command a message shows: enough to recognise it, short enough to leave room for the rest. */
export const COMMAND_DISPLAY_LIMIT = 200;

/** The `action_id`s of the buttons; each button's `value` is the job id. */
export const SLACK_ACTIONS = { cancel: 'cancel_job', logs: 'job_logs', rerun: 'rerun_job' } as const;

export interface SlackText {
  type: 'mrkdwn' | 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface SlackButton {
  type: 'button';
  action_id: string;
  text: SlackText;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: SlackText; text: SlackText; confirm: SlackText; deny: SlackText };
}
export type SlackBlock =
  | { type: 'section'; text: SlackText }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'actions'; elements: SlackButton[] };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export const STATUS_EMOJI: Record<JobStatus, string> = {
  QUEUED: '⏳',
  PROVISIONING: '⚙️',
  RUNNING: '▶️',
  SUCCEEDED: '✅',
  FAILED: '❌',
  TIMED_OUT: '⏱️',
  CANCELLED: '🚫',
};

/** The three characters Slack asks to escape in any text it should not read as markup. */
export function escapeSlackText(text: string): string {
  return text.replace(/[&<>]/g, (char) => (char === '&' ? '&amp;' : char === '<' ? '&lt;' : '&gt;'));
}

/** "42s", "1m 05s", "2h 03m 04s". */
export function formatDuration(milliseconds: number): string {
  const total = Math.max(0, Math.round(milliseconds / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (value: number) => String(value).padStart(2, '0');
  if (hours > 0) return `${hours}h ${pad(minutes)}m ${pad(seconds)}s`;
  if (minutes > 0) return `${minutes}m ${pad(seconds)}s`;
  return `${seconds}s`;
}

/** From start to stop; undefined for a job that never started or has not stopped. */
export function jobDuration(job: Pick<Job, 'startedAt' | 'stoppedAt'>): string | undefined {
  if (job.startedAt === undefined || job.stoppedAt === undefined) return undefined;
  const milliseconds = Date.parse(job.stoppedAt) - Date.parse(job.startedAt);
  return Number.isNaN(milliseconds) ? undefined : formatDuration(milliseconds);
}

/** A word as a POSIX shell would need it typed to get it back: bare when safe, else quoted. */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  // Single quotes cannot show a newline or other control character legibly; $'…' can (bash, zsh, POSIX 2024).
  if (/[\x00-\x1F\x7F]/.test(word)) return `$'${word.replace(/[\\']/g, '\\$&').replace(/[\x00-\x1F\x7F]/g, controlEscape)}'`;
  return `'${word.replace(/'/g, "'\\''")}'`;
}

function controlEscape(char: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };
  return named[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** The command as one shell-quoted line, cut at `limit` characters (not escaped). */
export function formatCommand(argv: readonly string[], limit: number = COMMAND_DISPLAY_LIMIT): string {
  return cutPlain(argv.map(shellQuote).join(' '), limit);
}

/** Cuts unescaped text to `limit` characters, ending in "…" when cut, never between the halves of a surrogate pair. */
function cutPlain(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, backOffSurrogate(text, limit - 1))}…`;
}

/**
 * Cuts escaped text to `limit` characters, ending in "…" when cut. An entity is never cut in half:
 * every `&` of escaped text starts one, so a cut inside it moves to before that `&`.
 */
export function cutEscaped(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = Math.max(0, limit - 1);
  const ampersand = text.lastIndexOf('&', end - 1);
  if (ampersand !== -1 && text.indexOf(';', ampersand) >= end) end = ampersand;
  return `${text.slice(0, backOffSurrogate(text, end))}…`;
}

function backOffSurrogate(text: string, end: number): number {
  const code = text.charCodeAt(end - 1);
  return end > 0 && code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

/** Inline code: Slack has no escape for a backtick inside one, so it becomes the look-alike ˋ (U+02CB). */
export function inlineCode(plain: string): string {
  return `\`${escapeSlackText(plain).replace(/`/g, '\u02CB').replace(/\n/g, ' ')}\``;
}

function commandCode(job: Pick<Job, 'command'>): string {
  return inlineCode(formatCommand(job.command));
}

/** A user mention; the id is escaped so that a malformed one cannot break out of the `<@…>`. */
function mention(slackUserId: string): string {
  return `<@${escapeSlackText(slackUserId)}>`;
}

/** A link's URL inside `<url|label>`: `|` would end it, and `& < >` are escaped as in any text. */
function linkTo(url: string, label: string): string {
  return `<${escapeSlackText(url).replace(/\|/g, '%7C')}|${label}>`;
}

/** Slack shows the date in the reader's own time zone; the ISO text is the fallback. */
function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return Number.isNaN(seconds) ? escapeSlackText(iso) : `<!date^${seconds}^{date_short_pretty} {time_secs}|${escapeSlackText(iso)}>`;
}

export function section(mrkdwn: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: cutEscaped(mrkdwn, SECTION_TEXT_LIMIT) } };
}

function context(mrkdwn: string): SlackBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: cutEscaped(mrkdwn, SECTION_TEXT_LIMIT) }] };
}

export function message(text: string, blocks: SlackBlock[]): SlackMessage {
  return { text: cutEscaped(text, MESSAGE_TEXT_LIMIT), blocks: blocks.slice(0, MESSAGE_BLOCK_LIMIT) };
}

function plain(text: string): SlackText {
  return { type: 'plain_text', text, emoji: true };
}

function button(actionId: string, label: string, jobId: string, style?: 'primary' | 'danger'): SlackButton {
  return { type: 'button', action_id: actionId, text: plain(label), value: jobId, ...(style ? { style } : {}) };
}

function cancelButton(job: Pick<Job, 'id'>): SlackButton {
  return {
    ...button(SLACK_ACTIONS.cancel, 'Cancel', job.id, 'danger'),
    confirm: {
      title: plain('Cancel this job?'),
      text: { type: 'mrkdwn', text: `Job \`${escapeSlackText(job.id)}\` will be stopped.` },
      confirm: plain('Cancel job'),
      deny: plain('Keep it running'),
    },
  };
}

function actions(...buttons: SlackButton[]): SlackBlock {
  return { type: 'actions', elements: buttons };
}

/** "⏳ job `job-…`", the head of most messages. */
function jobHead(job: Pick<Job, 'id' | 'status'>): string {
  return `${STATUS_EMOJI[job.status]} job \`${escapeSlackText(job.id)}\``;
}

/** "exit code 1 · 1m 05s", or whatever of it is known. */
function outcome(job: Job): string {
  const parts = [job.exitCode === null ? undefined : `exit code ${job.exitCode}`, jobDuration(job)];
  return parts.filter((part) => part !== undefined).join(' · ');
}

/** The failure, cut so that a long stopped reason leaves room for the log lines. */
function failureText(job: Job): string | undefined {
  if (job.failure === undefined) return undefined;
  return `*${escapeSlackText(job.failure.category)}*: ${cutEscaped(escapeSlackText(job.failure.message), 500)}`;
}

function profileContext(job: Job): SlackBlock {
  return context(`profile \`${cutEscaped(escapeSlackText(job.profile), 100)}\` · times out after ${formatDuration(job.timeoutSeconds * 1000)}`);
}

/** The message posted when a job is accepted: it becomes the thread of the job's later messages. */
export function queuedMessage(job: Job, slackUserId: string): SlackMessage {
  const line = `${jobHead({ id: job.id, status: 'QUEUED' })} queued by ${mention(slackUserId)}: ${commandCode(job)}`;
  return message(line, [section(line), profileContext(job), actions(cancelButton(job), button(SLACK_ACTIONS.logs, 'Logs', job.id))]);
}

/** Where to reach a running job: its ssh hint and public IP, when it has them. */
function reachability(job: Job): string[] {
  const lines: string[] = [];
  if (job.connect?.ssh) lines.push(`connect with ${inlineCode(job.connect.ssh)}`);
  if (job.network?.publicIp) lines.push(`public IP ${inlineCode(job.network.publicIp)}`);
  return lines;
}

export function runningMessage(job: Job): SlackMessage {
  const head = `${jobHead({ id: job.id, status: 'RUNNING' })} running`;
  const ip = job.network?.publicIp ? ` at ${escapeSlackText(job.network.publicIp)}` : '';
  return message(`${head}${ip}`, [section([head, ...reachability(job)].join('\n'))]);
}

/** The result in the job's thread: outcome, failure, the last log lines, and Rerun and Logs. */
export function resultMessage(job: Job, options: { consoleUrl?: string } = {}): SlackMessage {
  const summary = [`${jobHead(job)} ${job.status}`, outcome(job)].filter((part) => part !== '').join(' · ');
  const failure = failureText(job);
  const blocks = [section([summary, failure].filter((part) => part !== undefined).join('\n')), logBlock(job.logTail, options.consoleUrl)];
  const text = [summary, failure].filter((part) => part !== undefined).join(': ');
  return message(text, [...blocks, actions(button(SLACK_ACTIONS.rerun, 'Rerun', job.id, 'primary'), button(SLACK_ACTIONS.logs, 'Logs', job.id))]);
}

/** The queued message once the job is over: same command and author, the final status, no Cancel. */
export function finalHeaderMessage(job: Job, slackUserId: string): SlackMessage {
  const line = `${jobHead(job)} ${job.status}, queued by ${mention(slackUserId)}: ${commandCode(job)}`;
  const details = outcome(job);
  return message(line, [
    section(details === '' ? line : `${line}\n${details}`),
    profileContext(job),
    actions(button(SLACK_ACTIONS.rerun, 'Rerun', job.id, 'primary'), button(SLACK_ACTIONS.logs, 'Logs', job.id)),
  ]);
}

/** The Logs button's and `/run logs`' answer: as many of the last lines as one block holds. */
export function logsMessage(job: Job, lines: readonly string[], options: { consoleUrl?: string } = {}): SlackMessage {
  const head = `📜 log of ${jobHead(job)} (${job.status})`;
  return message(head, [section(head), logBlock(lines, options.consoleUrl)]);
}

/** `/run status`: everything a person asks about a job, and the buttons that apply to it now. */
export function statusMessage(job: Job): SlackMessage {
  const head = [`${jobHead(job)} ${job.status}`, outcome(job)].filter((part) => part !== '').join(' · ');
  const failure = failureText(job);
  const running = job.status === 'RUNNING' ? reachability(job) : [];
  const about = `${commandCode(job)}\nsubmitted by ${escapeSlackText(job.submittedBy)} on ${slackDate(job.createdAt)}`;
  const buttons = isTerminal(job.status)
    ? [button(SLACK_ACTIONS.rerun, 'Rerun', job.id, 'primary'), button(SLACK_ACTIONS.logs, 'Logs', job.id)]
    : [cancelButton(job), button(SLACK_ACTIONS.logs, 'Logs', job.id)];
  return message(head, [
    section([head, failure, ...running].filter((part) => part !== undefined).join('\n')),
    section(about),
    profileContext(job),
    actions(...buttons),
  ]);
}

/** `/run list`: one line a job, packed into as few sections as Slack's limits allow. */
export function listMessage(jobs: readonly Job[]): SlackMessage {
  if (jobs.length === 0) return message('No jobs yet', [section('No jobs yet. Start one with `/run default echo hello`.')]);
  const head = `${jobs.length} job${jobs.length === 1 ? '' : 's'}`;
  const lines = jobs.map(
    (job) => `${jobHead(job)} ${job.status} · \`${cutEscaped(escapeSlackText(job.profile), 64)}\` · ${inlineCode(formatCommand(job.command, 80))}`,
  );
  return message(head, [section(`*${head}*`), ...packLines(lines, MESSAGE_BLOCK_LIMIT - 1, 'job')]);
}

/**
 * Lines into at most `maxBlocks` sections of whole lines. What does not fit is counted in a last
 * line, "…and N more jobs", for which every section keeps room.
 */
export function packLines(lines: readonly string[], maxBlocks: number, noun: string): SlackBlock[] {
  const limit = SECTION_TEXT_LIMIT - (`…and ${lines.length} more ${noun}s`.length + 1);
  const packed: string[][] = [];
  let current: string[] | undefined;
  let used = 0;
  for (const line of lines) {
    if (current === undefined || used + 1 + line.length > limit) {
      if (packed.length === maxBlocks || line.length > limit) break;
      current = [];
      packed.push(current);
      used = -1;
    }
    current.push(line);
    used += 1 + line.length;
  }
  const left = lines.length - packed.reduce((count, block) => count + block.length, 0);
  if (left > 0) {
    if (packed.length === 0) packed.push([]);
    packed[packed.length - 1]?.push(`…and ${left} more ${noun}${left === 1 ? '' : 's'}`);
  }
  return packed.map((block) => ({ type: 'section', text: { type: 'mrkdwn', text: block.join('\n') } }));
}

/** The log lines as a code block: the last ones that fit, after a note of how many are left out. */
function logBlock(lines: readonly string[], consoleUrl: string | undefined): SlackBlock {
  if (lines.length === 0) return context(consoleUrl === undefined ? '_no log output_' : `_no log output yet_ · ${linkTo(consoleUrl, 'full log')}`);
  return { type: 'section', text: { type: 'mrkdwn', text: fitLogLines(lines, SECTION_TEXT_LIMIT, consoleUrl) } };
}

const FENCE = '```';

/**
 * The last log lines that fit in `limit` characters, escaped, as a closed code block, preceded by
 * "…N more lines" when some did not fit (and the link to the job's page in the console, with the
 * whole log, when there is one).
 */
export function fitLogLines(lines: readonly string[], limit: number, consoleUrl?: string): string {
  const escaped = lines.map((line) => breakFences(escapeSlackText(cleanLogLine(line))));
  // A link too long to leave room for the lines is left out rather than the lines.
  const link = consoleUrl === undefined || consoleUrl.length > limit / 4 ? '' : linkTo(consoleUrl, 'full log');
  // Room for the longest note there could be, so that a shorter count can only fit better.
  let room = limit - (FENCE.length * 2 + 2) - (omittedNote(lines.length, link).length + 1);
  const kept: string[] = [];
  for (let index = escaped.length - 1; index >= 0; index -= 1) {
    const line = escaped[index] ?? '';
    const cost = line.length + (kept.length > 0 ? 1 : 0);
    if (cost > room) {
      // A single line longer than the block: its beginning is better than nothing.
      if (kept.length === 0) kept.push(cutEscaped(line, room));
      break;
    }
    kept.push(line);
    room -= cost;
  }
  const omitted = lines.length - kept.length;
  const note = omitted > 0 ? omittedNote(omitted, link) : link;
  return `${note === '' ? '' : `${note}\n`}${FENCE}\n${kept.reverse().join('\n')}\n${FENCE}`;
}

function omittedNote(count: number, link: string): string {
  const note = `…${count} more line${count === 1 ? '' : 's'}`;
  return link === '' ? note : `${note} · ${link}`;
}

/** What a terminal would show of the line: the text after its last carriage return, without colour codes or other control characters. */
function cleanLogLine(line: string): string {
  const withoutColours = line.replace(/\x1B\[[0-?]*[ -/]*[@-~]/g, '');
  const lastRedraw = withoutColours.replace(/\r+$/, '').split('\r').pop() ?? '';
  return lastRedraw.replace(/[\x00-\x08\x0A-\x1F\x7F]/g, '');
}

/** A backtick run of three inside a code block would close it; a zero-width space between backticks looks the same and does not. */
function breakFences(line: string): string {
  return line.replace(/`(?=`)/g, '`\u200B');
}
