/**
 * What the CLI writes besides the job's own output: progress on stderr only, as one line rewritten
 * in place on a terminal and as a plain line per status change elsewhere (CI logs), and colour only
 * on a terminal without NO_COLOR.
 */
import type { LogLine } from '#lib/domain/ports.ts';
import type { JobDocument } from '#lib/http/job-document.ts';
import { jobOutputFor, sanitizeMetadata } from './sanitize.ts';

export interface Output {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

const STATUS_COLOURS: Record<string, string> = { SUCCEEDED: '32', RUNNING: '36', FAILED: '31', TIMED_OUT: '31', CANCELLED: '33' };

/** `1m05s`, `42s`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** The one line of progress: `job-01… RUNNING 12s 203.0.113.7 (ssh -p 2222 jobs@203.0.113.7)`; what the server sent, sanitized. */
export function describeProgress(job: JobDocument, elapsedMs: number, colour: boolean): string {
  const shownStatus = sanitizeMetadata(job.status);
  const status = colour ? `\x1b[${STATUS_COLOURS[job.status] ?? '2'}m${shownStatus}\x1b[0m` : shownStatus;
  const address = job.network?.publicIp ?? undefined;
  const where = job.connect?.ssh ? `  ${job.connect.ssh}` : address ? `  ${address}` : '';
  return `${sanitizeMetadata(job.id)} ${status} ${formatElapsed(elapsedMs)}${sanitizeMetadata(where)}`;
}

/** Since the job was submitted, until it stopped. */
function elapsedOf(job: JobDocument): number {
  const end = job.stoppedAt === undefined ? Date.now() : Date.parse(job.stoppedAt);
  return end - Date.parse(job.createdAt);
}

export class StatusLine {
  readonly #out: Output;
  readonly #tty: boolean;
  readonly #colour: boolean;
  #job: JobDocument | undefined;
  #shown = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: Output) {
    this.#out = out;
    this.#tty = out.stderr.isTTY === true;
    this.#colour = colourEnabled(out.stderr, out.env);
    if (this.#tty) {
      this.#timer = setInterval(() => this.#draw(), 1000);
      this.#timer.unref();
    }
  }

  update(job: JobDocument): void {
    const changed = this.#job?.status !== job.status || this.#job?.connect?.ssh !== job.connect?.ssh || this.#job?.network?.publicIp !== job.network?.publicIp;
    this.#job = job;
    if (this.#tty) this.#draw();
    else if (changed) this.#out.stderr.write(`fargate-jobs: ${describeProgress(job, elapsedOf(job), false)}\n`);
  }

  /**
   * Writes the job's lines in order, each on its stream, with the status line out of their way;
   * filtered for a terminal unless `raw` (sanitize.ts).
   */
  printLines(lines: readonly LogLine[], raw = false): void {
    this.#erase();
    let index = 0;
    while (index < lines.length) {
      const stream = lines[index]!.stream === 'stderr' ? 'stderr' : 'stdout';
      const shown = jobOutputFor(this.#out[stream], raw);
      let text = '';
      // One write per run of lines of the same stream: 5,000 lines are a few writes, not 5,000.
      for (; index < lines.length && (lines[index]!.stream === 'stderr' ? 'stderr' : 'stdout') === stream; index += 1) text += `${shown(lines[index]!.message)}\n`;
      this.#out[stream].write(text);
    }
    this.#draw();
  }

  /** A message of the CLI's own (which may quote the server: sanitized), on its own line. */
  say(message: string): void {
    this.#erase();
    this.#out.stderr.write(`fargate-jobs: ${sanitizeMetadata(message)}\n`);
    this.#draw();
  }

  /** Shows the job's final status: left on the terminal as the last line, or a plain line elsewhere. */
  finish(job: JobDocument): void {
    this.update(job);
    clearInterval(this.#timer);
    if (this.#shown) this.#out.stderr.write('\n');
    this.#shown = false;
    this.#job = undefined;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#erase();
    this.#job = undefined;
  }

  #draw(): void {
    if (!this.#tty || this.#job === undefined) return;
    this.#out.stderr.write(`\r\x1b[K${describeProgress(this.#job, elapsedOf(this.#job), this.#colour)}`);
    this.#shown = true;
  }

  #erase(): void {
    if (!this.#shown) return;
    this.#out.stderr.write('\r\x1b[K');
    this.#shown = false;
  }
}
