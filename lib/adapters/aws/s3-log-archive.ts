/**
 * The LogArchiver port on S3: a finished job's whole log, read through the LogReader from its first
 * line to its end, written to the stage's log archive bucket as lib/domain/log-archive.ts describes
 * (gzip members of NDJSON lines, then the index beside them). The archive is streamed into a
 * multipart upload (lib-storage's Upload) member by member, so what is in memory at once is a page
 * of lines, the open member and the parts in flight, whatever the size of the log.
 *
 * The same finished log always makes the same bytes (lines in a fixed shape, gzip with fixed options
 * and no time in its header: Node writes mtime 0), so a retried step overwrites both objects with
 * themselves. An empty log makes one empty gzip member (20 bytes: the object gunzips to nothing, where
 * an empty object would fail as a gzip file) and an index with no members.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { constants, gzip, type ZlibOptions } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Job } from '#lib/domain/job.ts';
import {
  ARCHIVE_LIMITS,
  archivedLine,
  archiveIndexKey,
  archiveKey,
  placeLine,
  type ArchiveIndex,
  type ArchiveLimits,
  type ArchiveMember,
  type ArchiveTally,
  type LogArchive,
} from '#lib/domain/log-archive.ts';
import type { LogArchiver, LogLine, LogReader } from '#lib/domain/ports.ts';

const compress = promisify(gzip);

/** Fixed, so that the same member always compresses to the same bytes. */
const GZIP_OPTIONS: ZlibOptions = { level: 6, memLevel: 8, windowBits: 15, strategy: constants.Z_DEFAULT_STRATEGY };

/** Lines asked of the LogReader at a time. */
const ARCHIVE_PAGE_LINES = 10_000;

/** lib-storage's smallest part (its Upload.MIN_PART_SIZE, private in its types). */
const MIN_PART_SIZE = 5 * 1024 * 1024;

/** Parts uploaded at once: with 5 MiB parts, at most 20 MiB in flight. */
const UPLOAD_QUEUE_SIZE = 4;

export interface S3LogArchiveOptions {
  client: S3Client;
  bucket: string;
  logReader: LogReader;
  /** Lower limits than the archive's (tests); the rest are ARCHIVE_LIMITS. */
  limits?: Partial<ArchiveLimits>;
  /** Bytes per uploaded part; lib-storage's minimum (5 MiB) unless given. */
  partSize?: number;
}

/** Where compressed members go, in order: it waits while the upload is behind. */
interface Sink {
  write(chunk: Buffer): Promise<void>;
}

export class S3LogArchive implements LogArchiver {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #logReader: LogReader;
  readonly #limits: ArchiveLimits;
  readonly #partSize: number;

  constructor(options: S3LogArchiveOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#logReader = options.logReader;
    this.#limits = { ...ARCHIVE_LIMITS, ...options.limits };
    this.#partSize = options.partSize ?? MIN_PART_SIZE;
  }

  async archive(job: Job): Promise<LogArchive> {
    const key = archiveKey(job.id);
    const index = await this.#upload(key, (sink) => writeArchive(this.#logReader, job, this.#limits, sink));
    await this.#client.send(
      new PutObjectCommand({ Bucket: this.#bucket, Key: archiveIndexKey(job.id), Body: JSON.stringify(index), ContentType: 'application/json' }),
    );
    return { key, lines: index.lines, bytes: index.bytes, ...(index.truncated ? { truncated: true } : {}) };
  }

  /**
   * Uploads what `write` writes to the sink as the object `key`. A failure on either side ends both:
   * a failed read aborts the upload (lib-storage aborts a multipart upload it started), a failed
   * upload fails the write waiting for it.
   */
  async #upload<T>(key: string, write: (sink: Sink) => Promise<T>): Promise<T> {
    const body = new PassThrough();
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: key, Body: body, ContentType: 'application/gzip' },
      partSize: this.#partSize,
      queueSize: UPLOAD_QUEUE_SIZE,
    });
    const done = upload.done();
    // Awaited below; until then a failure must not count as unhandled.
    done.catch(() => undefined);
    const sink: Sink = {
      async write(chunk) {
        if (!body.write(chunk)) await Promise.race([once(body, 'drain'), done]);
      },
    };
    try {
      const written = await write(sink);
      body.end();
      await done;
      return written;
    } catch (error) {
      body.destroy(error instanceof Error ? error : new Error(String(error)));
      await done.catch(() => undefined);
      throw error;
    }
  }
}

/** Reads the job's log page by page into the archive's members; its index once the log (or the archive) has ended. */
async function writeArchive(logReader: LogReader, job: Job, limits: ArchiveLimits, sink: Sink): Promise<ArchiveIndex> {
  const archive = new ArchiveWriter(sink, limits);
  let cursor: string | undefined;
  let truncated = false;
  for (;;) {
    const page = await logReader.read(job, { ...(cursor === undefined ? {} : { cursor }), limit: ARCHIVE_PAGE_LINES });
    truncated ||= page.truncated;
    if (!(await archive.addAll(page.lines))) return archive.finish(true);
    // A page that moved nothing on is the end too: a finished log does not grow.
    if (page.atEnd || (page.lines.length === 0 && page.nextCursor === cursor)) return archive.finish(truncated);
    cursor = page.nextCursor;
  }
}

/** The archive being written: its open member, and where each closed one went in the object. */
class ArchiveWriter {
  readonly #sink: Sink;
  readonly #limits: ArchiveLimits;
  readonly #tally: ArchiveTally = { lines: 0, bytes: 0, memberLines: 0, memberBytes: 0 };
  readonly #members: ArchiveMember[] = [];
  #open: string[] = [];
  #offset = 0;

  constructor(sink: Sink, limits: ArchiveLimits) {
    this.#sink = sink;
    this.#limits = limits;
  }

  /** false when a line did not fit: the archive is cut before it. */
  async addAll(lines: readonly LogLine[]): Promise<boolean> {
    for (const line of lines) {
      const text = archivedLine(line);
      const size = Buffer.byteLength(text);
      const place = placeLine(this.#tally, size, this.#limits);
      if (place === 'cut') return false;
      if (place === 'next-member') await this.#close();
      this.#open.push(text);
      this.#tally.lines += 1;
      this.#tally.bytes += size;
      this.#tally.memberLines += 1;
      this.#tally.memberBytes += size;
    }
    return true;
  }

  async finish(truncated: boolean): Promise<ArchiveIndex> {
    if (this.#tally.memberLines > 0) await this.#close();
    else if (this.#members.length === 0) await this.#emit(await compress(Buffer.alloc(0), GZIP_OPTIONS));
    return { version: 1, lines: this.#tally.lines, bytes: this.#offset, truncated, members: this.#members };
  }

  async #close(): Promise<void> {
    const compressed = await compress(this.#open.join(''), GZIP_OPTIONS);
    const { lines, memberLines } = this.#tally;
    this.#members.push({ line: lines - memberLines, lines: memberLines, offset: this.#offset, bytes: compressed.length });
    await this.#emit(compressed);
    this.#open = [];
    this.#tally.memberLines = 0;
    this.#tally.memberBytes = 0;
  }

  async #emit(compressed: Buffer): Promise<void> {
    this.#offset += compressed.length;
    await this.#sink.write(compressed);
  }
}
