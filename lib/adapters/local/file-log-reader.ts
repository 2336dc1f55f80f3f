/**
 * The LogReader port in local mode: each job's output is a JSON-lines file written by the process
 * task runner. A forward cursor is the byte offset of the next unread line (`{offset}`), a backward
 * one the offset of the oldest line returned (`{before}`): each is refused where the other belongs,
 * as CloudWatch's tokens are. Backward reads go through the file in chunks from the end, so a tail
 * of a large log reads no more of it than its lines take. A log cut at its size limit
 * ends with one line marked `truncated` (truncationLine), written last: a look at the file's end
 * tells whether it was cut. That marker is the reader's, not the job's: it is reported as the page's
 * `truncated` and never returned as a line, so no client prints it as if the job had. A retried
 * job's attempts append to the same file, each line with its attempt, so reads in either direction
 * go through the attempts in order.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCursor, encodeCursor } from '#lib/domain/cursor.ts';
import { logAttempt } from '#lib/domain/job-attempts.ts';
import type { Job } from '#lib/domain/job.ts';
import type { BackwardLogPage, LogLine, LogPage, LogReader } from '#lib/domain/ports.ts';

const READ_CHUNK_BYTES = 64 * 1024;
/** More than the truncation line takes: a last line longer than this is the job's own. */
const TRUNCATION_WINDOW_BYTES = 1024;

export function logFilePath(dataDir: string, jobId: string): string {
  return join(dataDir, 'logs', `${jobId}.log`);
}

/** The marker that ends a log cut at `maxLogBytes` (for whoever reads the file itself; readers skip it). */
export function truncationLine(at: Date, maxLogBytes: number): string {
  const message = `… output truncated: the log reached FARGATE_JOBS_MAX_LOG_BYTES (${maxLogBytes} bytes)`;
  return `${JSON.stringify({ timestamp: at.toISOString(), message, truncated: true })}\n`;
}

interface FileCursor {
  offset: number;
}

function isFileCursor(value: unknown): value is FileCursor {
  return isOffset((value as FileCursor | null)?.offset);
}

interface BackwardFileCursor {
  /** Where the lines returned so far start: the lines before it come next. */
  before: number;
}

function isBackwardFileCursor(value: unknown): value is BackwardFileCursor {
  return isOffset((value as BackwardFileCursor | null)?.before);
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export class FileLogReader implements LogReader {
  readonly #dataDir: string;

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  async read(job: Job, options: { cursor?: string; limit: number }): Promise<LogPage> {
    const start = options.cursor ? decodeCursor(options.cursor, isFileCursor).offset : 0;
    const path = logFilePath(this.#dataDir, job.id);
    const size = await fileSize(path);
    if (size === undefined) return { lines: [], nextCursor: encodeCursor({ offset: 0 }), atEnd: true, truncated: false };
    const truncated = await endsWithTruncation(path, size);
    if (start >= size) return { lines: [], nextCursor: encodeCursor({ offset: Math.min(start, size) }), atEnd: true, truncated };

    const lines: LogLine[] = [];
    let offset = start;
    const file = await open(path, 'r');
    try {
      let pending = Buffer.alloc(0);
      let position = start;
      while (lines.length < options.limit && position < size) {
        const chunk = Buffer.alloc(Math.min(READ_CHUNK_BYTES, size - position));
        const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        pending = Buffer.concat([pending, chunk.subarray(0, bytesRead)]);
        let newline: number;
        while (lines.length < options.limit && (newline = pending.indexOf(0x0a)) !== -1) {
          const line = parseLine(pending.subarray(0, newline).toString('utf8'), job);
          if (line !== TRUNCATION_MARKER) lines.push(line);
          offset += newline + 1;
          pending = pending.subarray(newline + 1);
        }
      }
    } finally {
      await file.close();
    }
    // A partly written last line is left for the next read.
    return { lines, nextCursor: encodeCursor({ offset }), atEnd: offset >= size, truncated };
  }

  async readBackward(job: Job, options: { before?: string; limit: number }): Promise<BackwardLogPage> {
    const before = options.before === undefined ? undefined : decodeCursor(options.before, isBackwardFileCursor, 'before').before;
    const fromEnd = before === undefined;
    const path = logFilePath(this.#dataDir, job.id);
    const size = await fileSize(path);
    if (size === undefined) {
      return { lines: [], previousCursor: null, truncated: false, ...(fromEnd ? { forward: { nextCursor: encodeCursor({ offset: 0 }), atEnd: true } } : {}) };
    }
    const truncated = await endsWithTruncation(path, size);

    const newestFirst: LogLine[] = [];
    // Lines end with a newline: a complete line before `oldestStart` exists exactly when it is past 0.
    let oldestStart = 0;
    /** Where the newest complete line ends. */
    let completeEnd: number | undefined;
    const file = await open(path, 'r');
    try {
      for await (const { text, start } of linesBackward(file, Math.min(before ?? size, size))) {
        completeEnd ??= start + text.length + 1;
        const line = parseLine(text.toString('utf8'), job);
        if (line !== TRUNCATION_MARKER) newestFirst.push(line);
        oldestStart = start;
        if (newestFirst.length >= options.limit) break;
      }
    } finally {
      await file.close();
    }
    return {
      lines: newestFirst.reverse(),
      previousCursor: oldestStart > 0 ? encodeCursor({ before: oldestStart } satisfies BackwardFileCursor) : null,
      // A partly written last line is no line yet: reading forward starts at it.
      ...(fromEnd ? { forward: { nextCursor: encodeCursor({ offset: completeEnd ?? 0 } satisfies FileCursor), atEnd: (completeEnd ?? 0) >= size } } : {}),
      truncated,
    };
  }

  async tail(job: Job, count: number): Promise<string[]> {
    if (count <= 0) return [];
    const page = await this.readBackward(job, { limit: count });
    return page.lines.map((line) => line.message);
  }
}

/**
 * The complete lines of the file that end before `end`, newest first, each with the offset it starts
 * at (its newline left out), read a chunk at a time from `end` backward. The bytes after the last
 * newline before `end` are a line still being written, and no line.
 */
async function* linesBackward(file: FileHandle, end: number): AsyncGenerator<{ text: Buffer; start: number }> {
  let position = end;
  /** The start of the line being assembled, as far as it is read (from `position`); none before the first newline. */
  let carry: Buffer | undefined;
  while (position > 0) {
    const length = Math.min(READ_CHUNK_BYTES, position);
    position -= length;
    const chunk = Buffer.alloc(length);
    const { bytesRead } = await file.read(chunk, 0, length, position);
    if (bytesRead < length) throw new Error('a log file shrank while it was read');
    const buffer = carry === undefined ? chunk : Buffer.concat([chunk, carry]);
    let lineEnd = carry === undefined ? undefined : buffer.length;
    // The carried bytes hold no newline: only the chunk's are looked for.
    let searchFrom = length - 1;
    while (searchFrom >= 0) {
      const newline = buffer.lastIndexOf(0x0a, searchFrom);
      if (newline === -1) break;
      if (lineEnd !== undefined) yield { text: buffer.subarray(newline + 1, lineEnd), start: position + newline + 1 };
      lineEnd = newline;
      searchFrom = newline - 1;
    }
    carry = lineEnd === undefined ? undefined : buffer.subarray(0, lineEnd);
  }
  if (carry !== undefined) yield { text: carry, start: 0 };
}

/** Whether the last complete line of the file is the truncation line. */
async function endsWithTruncation(path: string, size: number): Promise<boolean> {
  if (size === 0) return false;
  const start = Math.max(0, size - TRUNCATION_WINDOW_BYTES);
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, start);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    if (!text.endsWith('\n')) return false;
    const lastLine = text.slice(text.lastIndexOf('\n', text.length - 2) + 1, -1);
    return (JSON.parse(lastLine) as { truncated?: unknown }).truncated === true;
  } catch {
    return false;
  } finally {
    await file.close();
  }
}

/** What parseLine answers for the truncation marker. */
const TRUNCATION_MARKER: LogLine = Object.freeze({ timestamp: new Date(0).toISOString(), message: '' });

/** A line of the file; a retried job's lines say which attempt wrote them (a line written without one is the first's). */
function parseLine(text: string, job: Pick<Job, 'attempts'>): LogLine {
  try {
    const line = JSON.parse(text) as LogLine & { truncated?: unknown };
    if (line.truncated === true) return TRUNCATION_MARKER;
    const attempt = typeof line.attempt === 'number' ? line.attempt : undefined;
    return { timestamp: line.timestamp, message: line.message, ...(line.stream ? { stream: line.stream } : {}), ...logAttempt(job, attempt) };
  } catch {
    return { timestamp: new Date(0).toISOString(), message: text };
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
