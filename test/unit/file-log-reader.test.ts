/**
 * The local log reader on JSON-lines files as the process task runner writes them
 * (`<dataDir>/logs/<jobId>.log`, one {"timestamp","stream","message"} per line).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileLogReader, logFilePath, truncationLine } from '#lib/adapters/local/file-log-reader.ts';
import { encodeCursor } from '#lib/domain/cursor.ts';
import { ValidationError } from '#lib/domain/errors.ts';
import type { Job } from '#lib/domain/job.ts';
import type { BackwardLogPage, LogLine, LogPage } from '#lib/domain/ports.ts';
import { aJob } from '../helpers/jobs.ts';
import { httpStatusOf } from '#lib/http/error-status.ts';

const TAIL_WINDOW_BYTES = 256 * 1024;
/** How much of a log file the reader reads at once. */
const READ_CHUNK_BYTES = 64 * 1024;

function logLine(index: number, message = `line ${index}`): LogLine & { stream: 'stdout' | 'stderr' } {
  return {
    timestamp: new Date(Date.UTC(2024, 0, 1) + index).toISOString(),
    stream: index % 3 === 0 ? 'stderr' : 'stdout',
    message,
  };
}

function serialize(lines: LogLine[]): string {
  return lines.map((line) => `${JSON.stringify(line)}\n`).join('');
}

describe('FileLogReader', () => {
  let dataDir: string;
  let reader: FileLogReader;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fargate-jobs-logs-'));
    await mkdir(join(dataDir, 'logs'), { recursive: true });
    reader = new FileLogReader(dataDir);
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A job whose log file holds `lines` (as the task runner writes them). */
  async function jobWithLog(lines: LogLine[]): Promise<Job> {
    const job = aJob();
    await writeFile(logFilePath(dataDir, job.id), serialize(lines));
    return job;
  }

  /** Reads page after page from the start until atEnd; returns every page. */
  async function readAll(job: Job, limit: number): Promise<LogPage[]> {
    const pages: LogPage[] = [];
    let cursor: string | undefined;
    for (let attempt = 0; attempt < 10_000; attempt += 1) {
      const page = await reader.read(job, { limit, ...(cursor ? { cursor } : {}) });
      pages.push(page);
      if (page.atEnd) return pages;
      cursor = page.nextCursor;
    }
    throw new Error('the log never reached its end');
  }

  describe('read', () => {
    it('pages through 2,500 lines in order with no loss or duplication; atEnd only on the last page', async () => {
      // Prepare: some multi-byte messages, so byte offsets and chunk boundaries are exercised.
      const written = Array.from({ length: 2500 }, (_unused, index) =>
        logLine(index, index % 7 === 0 ? `línea ${index} — ✓ 🚀` : `line ${index}`),
      );
      const job = await jobWithLog(written);

      // Act
      const pages = await readAll(job, 300);

      // Assess
      assert.deepEqual(
        pages.map((page) => page.lines.length),
        [300, 300, 300, 300, 300, 300, 300, 300, 100],
      );
      assert.deepEqual(
        pages.map((page) => page.atEnd),
        [false, false, false, false, false, false, false, false, true],
      );
      assert.deepEqual(
        pages.flatMap((page) => page.lines),
        written,
      );
    });

    it('returns each line with its timestamp, stream and message', async () => {
      // Prepare
      const job = await jobWithLog([
        { timestamp: '2024-05-01T10:00:00.000Z', stream: 'stdout', message: 'hello' },
        { timestamp: '2024-05-01T10:00:01.000Z', stream: 'stderr', message: 'oops: {"not":"json"}' },
      ]);

      // Act
      const page = await reader.read(job, { limit: 10 });

      // Assess
      assert.deepEqual(page.lines, [
        { timestamp: '2024-05-01T10:00:00.000Z', stream: 'stdout', message: 'hello' },
        { timestamp: '2024-05-01T10:00:01.000Z', stream: 'stderr', message: 'oops: {"not":"json"}' },
      ]);
      assert.equal(page.atEnd, true);
    });

    it('reports atEnd when the last page ends exactly at the end of the file', async () => {
      // Prepare
      const written = Array.from({ length: 10 }, (_unused, index) => logLine(index));
      const job = await jobWithLog(written);

      // Act
      const first = await reader.read(job, { limit: 5 });
      const second = await reader.read(job, { limit: 5, cursor: first.nextCursor });

      // Assess
      assert.equal(first.atEnd, false);
      assert.equal(second.atEnd, true);
      assert.deepEqual([...first.lines, ...second.lines], written);
    });

    it('returns lines appended after the end when read again with the last cursor', async () => {
      // Prepare
      const job = await jobWithLog([logLine(0), logLine(1)]);
      const drained = await reader.read(job, { limit: 10 });
      const empty = await reader.read(job, { limit: 10, cursor: drained.nextCursor });

      // Act
      await appendFile(logFilePath(dataDir, job.id), serialize([logLine(2), logLine(3)]));
      const more = await reader.read(job, { limit: 10, cursor: empty.nextCursor });

      // Assess
      assert.deepEqual(empty.lines, []);
      assert.equal(empty.atEnd, true);
      assert.deepEqual(more.lines, [logLine(2), logLine(3)]);
      assert.equal(more.atEnd, true);
    });

    it('returns no lines and atEnd for a job that has no log file yet', async () => {
      // Prepare
      const job = aJob();

      // Act
      const page = await reader.read(job, { limit: 10 });

      // Assess
      assert.deepEqual(page.lines, []);
      assert.equal(page.atEnd, true);
    });

    it('keeps a partly written last line back until it is complete, then returns it once', async () => {
      // Prepare
      const complete = [logLine(0), logLine(1)];
      const partial = logLine(2, 'written in two parts');
      const partialText = JSON.stringify(partial);
      const job = await jobWithLog(complete);
      await appendFile(logFilePath(dataDir, job.id), partialText.slice(0, 30));

      // Act
      const before = await reader.read(job, { limit: 10 });
      await appendFile(logFilePath(dataDir, job.id), `${partialText.slice(30)}\n`);
      const afterCompletion = await reader.read(job, { limit: 10, cursor: before.nextCursor });

      // Assess
      assert.deepEqual(before.lines, complete);
      assert.deepEqual(afterCompletion.lines, [partial]);
      assert.equal(afterCompletion.atEnd, true);
    });

    it('rejects a cursor that is random text with a ValidationError (400)', async () => {
      // Prepare
      const job = await jobWithLog([logLine(0)]);

      // Act and assess
      await assert.rejects(reader.read(job, { limit: 10, cursor: 'not a cursor!' }), (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.equal(httpStatusOf(error), 400);
        return true;
      });
    });

    it('rejects a cursor that is valid base64 of the wrong JSON with a ValidationError (400)', async () => {
      // Prepare
      const job = await jobWithLog([logLine(0)]);
      const wrongShapes = [
        encodeCursor({ offset: -1 }),
        encodeCursor({ offset: 1.5 }),
        encodeCursor({ offset: '10' }),
        encodeCursor({ pk: 'JOB#x' }),
        encodeCursor(null),
      ];

      // Act and assess
      for (const cursor of wrongShapes) {
        await assert.rejects(reader.read(job, { limit: 10, cursor }), (error: unknown) => {
          assert.ok(error instanceof ValidationError, `cursor ${cursor}`);
          assert.equal(httpStatusOf(error), 400);
          return true;
        });
      }
    });
  });

  /** Reads the tail, then page after page backward until previousCursor is null; newest page first. */
  async function readBackToStart(job: Job, limit: number): Promise<BackwardLogPage[]> {
    const pages = [await reader.readBackward(job, { limit })];
    for (let attempt = 0; attempt < 10_000; attempt += 1) {
      const before = pages.at(-1)?.previousCursor;
      if (!before) return pages;
      pages.push(await reader.readBackward(job, { before, limit }));
    }
    throw new Error('the log never reached its start');
  }

  describe('readBackward', () => {
    it('reads the tail of a log many read chunks long: the last lines in order, and a forward cursor right after them', async () => {
      // Prepare
      const written = Array.from({ length: 5000 }, (_unused, index) => logLine(index, `message number ${index} ${'x'.repeat(40)}`));
      const job = await jobWithLog(written);
      assert.ok(Buffer.byteLength(serialize(written)) > 4 * READ_CHUNK_BYTES);

      // Act
      const tail = await reader.readBackward(job, { limit: 1000 });
      await appendFile(logFilePath(dataDir, job.id), serialize([logLine(5000), logLine(5001)]));
      const followed = await reader.read(job, { limit: 100, cursor: tail.forward?.nextCursor ?? '' });

      // Assess
      assert.deepEqual(tail.lines, written.slice(-1000));
      assert.notEqual(tail.previousCursor, null);
      assert.equal(tail.forward?.atEnd, true);
      assert.equal(tail.truncated, false);
      assert.deepEqual(followed.lines, [logLine(5000), logLine(5001)]);
    });

    it('pages back from the tail to the first line, lines split across chunks included, each line once and previousCursor null only at the start', async () => {
      // Prepare
      const written = Array.from({ length: 2500 }, (_unused, index) => logLine(index, index % 7 === 0 ? `línea ${index} — ✓ 🚀 ${'y'.repeat(index % 97)}` : `line ${index}`));
      const job = await jobWithLog(written);
      assert.ok(Buffer.byteLength(serialize(written)) > 2 * READ_CHUNK_BYTES);

      // Act
      const pages = await readBackToStart(job, 300);

      // Assess
      assert.deepEqual(
        pages.map((page) => page.lines.length),
        [300, 300, 300, 300, 300, 300, 300, 300, 100],
      );
      assert.deepEqual(
        pages.map((page) => page.previousCursor === null),
        [false, false, false, false, false, false, false, false, true],
      );
      assert.ok(pages.slice(1).every((page) => page.forward === undefined), 'only a read from the end has a forward cursor');
      assert.deepEqual(
        pages.reverse().flatMap((page) => page.lines),
        written,
      );
    });

    it('decodes a line whose multi-byte characters straddle a read chunk boundary', async () => {
      // Prepare: lines mostly of 4-byte characters, and a last line whose length puts the boundary of
      // the first chunk read (a chunk from the end) inside one of them.
      const written = Array.from({ length: 400 }, (_unused, index) => logLine(index, `${index} ${'🚀'.repeat(100)}`));
      let job: Job | undefined;
      for (let padding = 0; padding < 64 && !job; padding += 1) {
        const lines = [...written, logLine(400, 'z'.repeat(padding))];
        const bytes = Buffer.from(serialize(lines));
        const boundaryByte = bytes[bytes.length - READ_CHUNK_BYTES] ?? 0;
        if ((boundaryByte & 0xc0) === 0x80) job = await jobWithLog(lines);
      }
      assert.ok(job, 'no padding put a chunk boundary inside a character');

      // Act
      const pages = await readBackToStart(job, 150);

      // Assess
      const lines = pages.reverse().flatMap((page) => page.lines);
      assert.deepEqual(lines.slice(0, -1), written);
      assert.ok(!lines.some((line) => line.message.includes('\uFFFD')), 'a character was cut in two');
    });

    it('says previousCursor null when the tail holds exactly every line', async () => {
      // Prepare
      const written = Array.from({ length: 10 }, (_unused, index) => logLine(index));
      const job = await jobWithLog(written);

      // Act
      const tail = await reader.readBackward(job, { limit: 10 });

      // Assess
      assert.deepEqual(tail.lines, written);
      assert.equal(tail.previousCursor, null);
    });

    it('leaves a partly written last line out of the tail, and to the forward cursor, which returns it once complete', async () => {
      // Prepare
      const complete = [logLine(0), logLine(1), logLine(2)];
      const partial = logLine(3, 'written in two parts');
      const partialText = JSON.stringify(partial);
      const job = await jobWithLog(complete);
      await appendFile(logFilePath(dataDir, job.id), partialText.slice(0, 25));

      // Act
      const tail = await reader.readBackward(job, { limit: 2 });
      await appendFile(logFilePath(dataDir, job.id), `${partialText.slice(25)}\n`);
      const followed = await reader.read(job, { limit: 10, cursor: tail.forward?.nextCursor ?? '' });

      // Assess
      assert.deepEqual(tail.lines, [logLine(1), logLine(2)]);
      assert.equal(tail.forward?.atEnd, false);
      assert.deepEqual(followed.lines, [partial]);
    });

    it('never returns the truncation marker as a line: the tail of a cut log is its last lines, truncated on every page', async () => {
      // Prepare
      const written = Array.from({ length: 30 }, (_unused, index) => logLine(index));
      const job = await jobWithLog(written);
      await appendFile(logFilePath(dataDir, job.id), truncationLine(new Date(Date.UTC(2024, 0, 1, 0, 1)), 2000));

      // Act
      const pages = await readBackToStart(job, 10);
      const followed = await reader.read(job, { limit: 10, cursor: pages[0]?.forward?.nextCursor ?? '' });

      // Assess
      assert.deepEqual(pages[0]?.lines, written.slice(-10));
      assert.deepEqual(
        pages.reverse().flatMap((page) => page.lines),
        written,
      );
      assert.ok(pages.every((page) => page.truncated), 'every page says truncated');
      assert.deepEqual(followed.lines, []);
      assert.equal(followed.atEnd, true);
    });

    for (const [label, contents] of [
      ['a missing log', undefined],
      ['an empty log', ''],
    ] as const) {
      it(`reads no lines of ${label}, at the start, with a forward cursor that reads the log from its first line`, async () => {
        // Prepare
        const job = aJob();
        if (contents !== undefined) await writeFile(logFilePath(dataDir, job.id), contents);

        // Act
        const tail = await reader.readBackward(job, { limit: 100 });
        await appendFile(logFilePath(dataDir, job.id), serialize([logLine(0)]));
        const followed = await reader.read(job, { limit: 10, cursor: tail.forward?.nextCursor ?? '' });

        // Assess
        assert.deepEqual(tail.lines, []);
        assert.equal(tail.previousCursor, null);
        assert.equal(tail.forward?.atEnd, true);
        assert.deepEqual(followed.lines, [logLine(0)]);
      });
    }

    it('refuses a forward cursor as before, and a previousCursor as cursor, each with a 400 naming its parameter', async () => {
      // Prepare
      const job = await jobWithLog(Array.from({ length: 20 }, (_unused, index) => logLine(index)));
      const tail = await reader.readBackward(job, { limit: 5 });

      // Act
      const backwardFromForward = reader.readBackward(job, { before: tail.forward?.nextCursor ?? '', limit: 5 });
      const forwardFromBackward = reader.read(job, { cursor: tail.previousCursor ?? '', limit: 5 });
      const garbage = reader.readBackward(job, { before: encodeCursor({ before: -3 }), limit: 5 });

      // Assess
      for (const [reading, parameter] of [[backwardFromForward, 'before'], [forwardFromBackward, 'cursor'], [garbage, 'before']] as const) {
        await assert.rejects(reading, (error: unknown) => error instanceof ValidationError && httpStatusOf(error) === 400 && error.details?.[0]?.path === parameter);
      }
    });
  });

  describe('a log cut at its size limit', () => {
    const cutAt = new Date(Date.UTC(2024, 0, 1, 0, 1));

    it('says truncated on every page, from the first to the last, and never returns the truncation marker as a line of output', async () => {
      // Prepare
      const written = Array.from({ length: 30 }, (_unused, index) => logLine(index));
      const job = await jobWithLog(written);
      await appendFile(logFilePath(dataDir, job.id), truncationLine(cutAt, 2000));

      // Act
      const pages = await readAll(job, 10);

      // Assess
      assert.ok(pages.every((page) => page.truncated), 'every page says truncated');
      assert.deepEqual(
        pages.flatMap((page) => page.lines),
        written,
      );
      assert.deepEqual(await reader.tail(job, 2), ['line 28', 'line 29']);
    });

    it('says not truncated for a complete log, one without a file, and one whose output merely mentions truncation', async () => {
      // Prepare
      const complete = await jobWithLog([logLine(1), logLine(2)]);
      const noFile = aJob();
      const lookalike = await jobWithLog([logLine(1, '… output truncated: the log reached FARGATE_JOBS_MAX_LOG_BYTES (2000 bytes)')]);

      // Act
      const pages = await Promise.all([complete, noFile, lookalike].map((job) => reader.read(job, { limit: 10 })));

      // Assess
      assert.deepEqual(pages.map((page) => page.truncated), [false, false, false]);
    });
  });

  describe('tail', () => {
    it('returns the last n messages in order', async () => {
      // Prepare
      const job = await jobWithLog(Array.from({ length: 20 }, (_unused, index) => logLine(index)));

      // Act
      const tail = await reader.tail(job, 3);

      // Assess
      assert.deepEqual(tail, ['line 17', 'line 18', 'line 19']);
    });

    it('returns every message when the log is shorter than n', async () => {
      // Prepare
      const job = await jobWithLog([logLine(0), logLine(1)]);

      // Act
      const tail = await reader.tail(job, 10);

      // Assess
      assert.deepEqual(tail, ['line 0', 'line 1']);
    });

    it('returns the last n messages of a log larger than the tail window', async () => {
      // Prepare
      const written = Array.from({ length: 10_000 }, (_unused, index) => logLine(index, `message number ${index} ${'x'.repeat(40)}`));
      const job = await jobWithLog(written);
      assert.ok(Buffer.byteLength(serialize(written)) > 3 * TAIL_WINDOW_BYTES);

      // Act
      const tail = await reader.tail(job, 25);

      // Assess
      assert.deepEqual(
        tail,
        written.slice(-25).map((line) => line.message),
      );
    });

    it('returns nothing for a job without a log file', async () => {
      // Act
      const tail = await reader.tail(aJob(), 5);

      // Assess
      assert.deepEqual(tail, []);
    });
  });
});
