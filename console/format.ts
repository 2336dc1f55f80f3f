/** How the console words what the API says: statuses, durations, times, commands. DOM-free (tested in Node). */
import type { Job, JobCost, JobStatus } from './api-types.ts';

export const JOB_STATUSES: readonly JobStatus[] = ['QUEUED', 'PROVISIONING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
const TERMINAL: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL.includes(status);
}

/** Terminal and its stop recorded: nothing about the job changes any more (the API's "finalized"). */
export function isFinalized(job: Pick<Job, 'status' | 'stoppedAt'>): boolean {
  return isTerminal(job.status) && job.stoppedAt !== undefined;
}

/** A badge a reader without colour (or without sight) can read: a symbol beside the status word. */
export interface StatusBadge {
  symbol: string;
  label: string;
  /** The colour family in the stylesheet: `pending`, `running`, `ok`, `bad`, `stopped`. */
  tone: 'pending' | 'running' | 'ok' | 'bad' | 'stopped';
}

const BADGES: Record<JobStatus, StatusBadge> = {
  QUEUED: { symbol: '○', label: 'Queued', tone: 'pending' },
  PROVISIONING: { symbol: '◔', label: 'Provisioning', tone: 'pending' },
  RUNNING: { symbol: '▶', label: 'Running', tone: 'running' },
  SUCCEEDED: { symbol: '✓', label: 'Succeeded', tone: 'ok' },
  FAILED: { symbol: '✗', label: 'Failed', tone: 'bad' },
  TIMED_OUT: { symbol: '⌛', label: 'Timed out', tone: 'bad' },
  CANCELLED: { symbol: '⊘', label: 'Cancelled', tone: 'stopped' },
};

export function statusBadge(status: JobStatus): StatusBadge {
  return BADGES[status] ?? { symbol: '?', label: status, tone: 'pending' };
}

/** `850 ms`, `4.2 s`, `3 min 5 s`, `2 h 7 min`, `3 d 4 h`. */
export function formatDuration(milliseconds: number): string {
  if (!Number.isFinite(milliseconds) || milliseconds < 0) return '–';
  if (milliseconds < 1000) return `${Math.round(milliseconds)} ms`;
  const seconds = milliseconds / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.floor(seconds)} s`;
  const whole = Math.floor(seconds);
  const [days, hours, minutes, rest] = [Math.floor(whole / 86_400), Math.floor(whole / 3600) % 24, Math.floor(whole / 60) % 60, whole % 60];
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  return `${minutes} min ${rest} s`;
}

/** How long the job has run: start to stop, or start to `now` while it runs; undefined before it started. */
export function jobDuration(job: Pick<Job, 'startedAt' | 'stoppedAt' | 'status'>, now: number): number | undefined {
  if (job.startedAt === undefined) return undefined;
  const end = job.stoppedAt !== undefined ? Date.parse(job.stoppedAt) : isTerminal(job.status) ? undefined : now;
  return end === undefined ? undefined : end - Date.parse(job.startedAt);
}

/** A date-time as the reader's locale writes it, to the second. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** Shorter, for a table: the time alone on the day it happened, else the date and the minute. */
export function formatShortTime(iso: string, now: Date): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const today = date.toDateString() === now.toDateString();
  return date.toLocaleString(undefined, today ? { timeStyle: 'medium' } : { dateStyle: 'short', timeStyle: 'short' });
}

/** `1024` CPU units and `2048` MiB as `1 vCPU, 2 GiB`. */
/**
 * A finished job's cost: `$0.000395 (estimate: compute …, overhead …)`, or locally, where nothing is
 * billed, `$0.00 (on Fargate: $0.000395, an estimate)`.
 */
export function formatCost(cost: JobCost): string {
  if (cost.local) return `$0.00 (on Fargate: ${dollars(cost.fargateUsd ?? cost.computeUsd + cost.overheadUsd)}, an estimate)`;
  return `${dollars(cost.usd)} (estimate: compute ${dollars(cost.computeUsd)}, overhead ${dollars(cost.overheadUsd)})`;
}

/** Dollars to the cent, small sums (most jobs') to the millionth. */
function dollars(value: number): string {
  return value >= 0.01 ? `$${value.toFixed(2)}` : `$${value.toFixed(6)}`;
}

export function formatTaskSize(cpu: number | undefined, memory: number | undefined): string {
  const parts: string[] = [];
  if (cpu !== undefined) parts.push(`${trim(cpu / 1024)} vCPU`);
  if (memory !== undefined) parts.push(memory >= 1024 ? `${trim(memory / 1024)} GiB` : `${memory} MiB`);
  return parts.length > 0 ? parts.join(', ') : 'profile default';
}

function trim(value: number): string {
  return String(Number(value.toFixed(2)));
}

/**
 * An argv as a shell would need it typed: words with nothing special bare, the rest in single
 * quotes. For reading only: the console never runs it.
 */
export function formatCommand(argv: readonly string[]): string {
  return argv.map((word) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/**
 * Metadata a server sent (ids, commands, labels, messages) is text to read: a control character or a
 * bidirectional override in it is shown as an escape (`\x1b`, `\u202e`), as cli/sanitize.ts does for a
 * terminal, so that nothing reorders or hides what the reader sees.
 */
export function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (character) => {
    const code = character.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** `key=value` lines (env, labels) as a map; blank lines skipped, each other line must have a `=`. */
export function parseAssignments(text: string): { values: Record<string, string>; errors: string[] } {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const equals = line.indexOf('=');
    if (equals <= 0) errors.push(`line ${index + 1}: write name=value`);
    else values[line.slice(0, equals).trim()] = line.slice(equals + 1);
  });
  return { values, errors };
}

export function formatAssignments(values: Record<string, string> | undefined): string {
  return Object.entries(values ?? {})
    .map(([name, value]) => `${name}=${value}`)
    .join('\n');
}

/** One argument a line; a trailing newline does not make an empty last argument, an empty line inside does. */
export function parseArgvLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

export interface TimelineStep {
  status: JobStatus;
  /** When the job got there; absent for a step still to come. */
  at?: string;
}

/** The statuses the job has had (the server's `timeline`), with when, then those still to come. */
export function timelineOf(job: Pick<Job, 'status' | 'timeline'>): TimelineStep[] {
  const past: TimelineStep[] = job.timeline.map(({ status, at }) => ({ status, at }));
  if (isTerminal(job.status)) return past;
  // A job may skip PROVISIONING (local mode does): once it runs, that step is not "to come" any more.
  const reached = new Set(past.map((step) => step.status));
  const upcoming = (['PROVISIONING', 'RUNNING'] as const).filter((status) => !reached.has(status) && !(status === 'PROVISIONING' && reached.has('RUNNING')));
  return [...past, ...upcoming.map((status) => ({ status }))];
}
