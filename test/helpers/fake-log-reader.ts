/**
 * A LogReader over a log made up as it is read: line `n` is `lineAt(n)`, `count` lines in all. Pages
 * are built on demand, so a test or bench can archive a log of a million lines without holding it.
 * Its cursors are line numbers; it reads forward only (what the archiver uses).
 */
import type { LogLine, LogPage, LogReader } from '#lib/domain/ports.ts';

export interface FakeLogReaderOptions {
  count: number;
  lineAt: (line: number) => LogLine;
  /** What its pages say of the log's own truncation. */
  truncated?: boolean;
  /** Throws this from the read that would start at line `failAt`. */
  failAt?: number;
  failure?: Error;
}

export interface FakeLogReader extends LogReader {
  /** Every `read` made, with its options. */
  readonly reads: Array<{ cursor?: string; limit: number }>;
}

export function fakeLogReader(options: FakeLogReaderOptions): FakeLogReader {
  const reads: Array<{ cursor?: string; limit: number }> = [];
  return {
    reads,
    async read(_job, { cursor, limit }): Promise<LogPage> {
      reads.push({ ...(cursor === undefined ? {} : { cursor }), limit });
      const start = cursor === undefined ? 0 : Number(cursor);
      if (options.failAt !== undefined && start >= options.failAt) throw options.failure ?? new Error('the log could not be read');
      const end = Math.min(options.count, start + limit);
      const lines = Array.from({ length: end - start }, (_unused, index) => options.lineAt(start + index));
      return { lines, nextCursor: String(end), atEnd: end >= options.count, truncated: options.truncated ?? false };
    },
    async readBackward() {
      throw new Error('the fake log reader reads forward only');
    },
    async tail() {
      throw new Error('the fake log reader reads forward only');
    },
  };
}

/** A plain line: `line <n>` on stdout, a second apart. */
export function plainLine(line: number): LogLine {
  return { timestamp: new Date(Date.UTC(2026, 11, 7, 12) + line * 1000).toISOString(), message: `line ${line}`, stream: 'stdout' };
}
