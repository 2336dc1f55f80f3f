/**
 * The LogReader port in local mode: each job's output is a JSON-lines file written by the process
 * task runner. The cursor is the byte offset of the next unread line. A log cut at its size limit
 * ends with one line marked `truncated` (truncationLine), written last: a look at the file's end
 * tells whether it was cut. That marker is the reader's, not the job's: it is reported as the page's
 * `truncated` and never returned as a line, so no client prints it as if the job had.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCursor, encodeCursor } from '#lib/domain/cursor.ts';
import type { Job } from '#lib/domain/job.ts';
import type { LogLine, LogPage, LogReader } from '#lib/domain/ports.ts';

const READ_CHUNK_BYTES = 64 * 1024;
const TAIL_WINDOW_BYTES = 256 * 1024;
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
  const offset = (value as FileCursor | null)?.offset;
  return typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0;
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
          const line = parseLine(pending.subarray(0, newline).toString('utf8'));
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

  async tail(job: Job, count: number): Promise<string[]> {
    const path = logFilePath(this.#dataDir, job.id);
    const size = await fileSize(path);
    if (!size || count <= 0) return [];
    const start = Math.max(0, size - TAIL_WINDOW_BYTES);
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(size - start);
      await file.read(buffer, 0, buffer.length, start);
      const text = buffer.toString('utf8');
      // When the window starts mid-file, its first line is probably cut: drop it.
      const complete = (start > 0 ? text.slice(text.indexOf('\n') + 1) : text).split('\n').filter(Boolean);
      const output = complete.map(parseLine).filter((line) => line !== TRUNCATION_MARKER);
      return output.slice(-count).map((line) => line.message);
    } finally {
      await file.close();
    }
  }
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

function parseLine(text: string): LogLine {
  try {
    const line = JSON.parse(text) as LogLine & { truncated?: unknown };
    if (line.truncated === true) return TRUNCATION_MARKER;
    return { timestamp: line.timestamp, message: line.message, ...(line.stream ? { stream: line.stream } : {}) };
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
