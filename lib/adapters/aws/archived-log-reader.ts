/**
 * The LogReader port over a finished job's archived log (lib/domain/log-archive.ts): its index read
 * once per request, then one ranged GetObject of the gzip member(s) that hold the page's lines. A
 * page reads at most MAX_MEMBERS_PER_PAGE members (a short page is no end: `atEnd` says that), so a
 * page costs two GETs however long the log, and holds at most that many members' NDJSON.
 *
 * Positions are line numbers: a forward cursor is `{line}` (and a stream reader's cursor that carries
 * its `line` reads on from there), a backward one `{beforeLine}`. Which reader a cursor goes to is
 * archive-log-reads.ts's choice.
 */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { decodeCursor } from '#lib/domain/cursor.ts';
import { LogExpiredError } from '#lib/domain/errors.ts';
import type { Job } from '#lib/domain/job.ts';
import {
  archiveIndexKey,
  backwardLineCursor,
  isBackwardLineCursor,
  isLineCursor,
  lineCursor,
  memberOf,
  type ArchiveIndex,
  type ArchiveMember,
  type LogArchive,
} from '#lib/domain/log-archive.ts';
import type { BackwardLogPage, LogLine, LogPage, LogReader } from '#lib/domain/ports.ts';

const gunzipAsync = promisify(gunzip);

/** The members one page reads at most: the one holding its first line and the next. */
const MAX_MEMBERS_PER_PAGE = 2;

export interface ArchivedLogReaderOptions {
  client: S3Client;
  bucket: string;
}

export class ArchivedLogReader implements LogReader {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: ArchivedLogReaderOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  async read(job: Job, options: { cursor?: string; limit: number }): Promise<LogPage> {
    const from = options.cursor === undefined ? 0 : decodeCursor(options.cursor, isLineCursor).line;
    const archive = archiveOf(job);
    const index = await this.#index(job);
    // A cursor past the archive's last line (a stream read on beyond where a cut archive ends) is at its end.
    if (from >= index.lines) return { lines: [], nextCursor: lineCursor(from), atEnd: true, truncated: index.truncated };
    const lines = await this.#lines(archive, index, from, Math.min(index.lines, from + options.limit), 'forward');
    const next = from + lines.length;
    return { lines, nextCursor: lineCursor(next), atEnd: next >= index.lines, truncated: index.truncated };
  }

  async readBackward(job: Job, options: { before?: string; limit: number }): Promise<BackwardLogPage> {
    const archive = archiveOf(job);
    const before = options.before === undefined ? undefined : decodeCursor(options.before, isBackwardLineCursor, 'before').beforeLine;
    const index = await this.#index(job);
    const end = Math.min(before ?? index.lines, index.lines);
    const lines = end === 0 ? [] : await this.#lines(archive, index, Math.max(0, end - options.limit), end, 'backward');
    const first = end - lines.length;
    return {
      lines,
      previousCursor: first > 0 ? backwardLineCursor(first) : null,
      ...(before === undefined ? { forward: { nextCursor: lineCursor(index.lines), atEnd: true } } : {}),
      truncated: index.truncated,
    };
  }

  async tail(job: Job, count: number): Promise<string[]> {
    if (count <= 0) return [];
    const page = await this.readBackward(job, { limit: count });
    return page.lines.map((line) => line.message);
  }

  /**
   * Lines [from, to) as far as MAX_MEMBERS_PER_PAGE members hold them: from `from` on (forward), or
   * back from `to` (backward). Consecutive members are consecutive bytes: one ranged GET reads them,
   * and gunzip reads a series of members as one stream.
   */
  async #lines(archive: LogArchive, index: ArchiveIndex, from: number, to: number, direction: 'forward' | 'backward'): Promise<LogLine[]> {
    const anchor = memberOf(index, direction === 'forward' ? from : to - 1);
    if (!anchor) throw new Error(`the archive index of ${archive.key} has no member holding line ${direction === 'forward' ? from : to - 1}`);
    const position = index.members.indexOf(anchor);
    const members =
      direction === 'forward'
        ? index.members.slice(position, position + MAX_MEMBERS_PER_PAGE).filter((member) => member.line < to)
        : index.members.slice(Math.max(0, position - MAX_MEMBERS_PER_PAGE + 1), position + 1).filter((member) => member.line + member.lines > from);
    const first = members[0] as ArchiveMember;
    const last = members.at(-1) as ArchiveMember;
    const start = Math.max(from, first.line);
    const end = Math.min(to, last.line + last.lines);
    const text = await this.#range(archive.key, first.offset, last.offset + last.bytes - 1);
    return parseLines(text, start - first.line, end - first.line, archive.key);
  }

  async #index(job: Job): Promise<ArchiveIndex> {
    const key = archiveIndexKey(job.id);
    let response;
    try {
      response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      // The lifecycle rule removes archives after logArchiveDays; the job record stays.
      throw isNamed(error, 'NoSuchKey') ? new LogExpiredError(job.id) : error;
    }
    const index = JSON.parse((await response.Body?.transformToString('utf8')) ?? '') as ArchiveIndex;
    if (index.version !== 1 || !Array.isArray(index.members)) throw new Error(`${key} is not an archive index this reader knows (version ${String(index.version)})`);
    return index;
  }

  /** The NDJSON of the members in bytes [first, last] of the archive. */
  async #range(key: string, first: number, last: number): Promise<string> {
    const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key, Range: `bytes=${first}-${last}` }));
    const body = await response.Body?.transformToByteArray();
    if (!body) throw new Error(`GetObject of ${key} (bytes ${first}-${last}) answered no body`);
    return (await gunzipAsync(body)).toString('utf8');
  }
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && (error.name === name || (error as { Code?: unknown }).Code === name);
}

function archiveOf(job: Job): LogArchive {
  if (!job.logArchive) throw new Error(`job ${job.id} has no archived log to read`);
  return job.logArchive;
}

/** Lines [from, to) of NDJSON text, counted from its first line. */
function parseLines(text: string, from: number, to: number, key: string): LogLine[] {
  const lines: LogLine[] = [];
  let start = 0;
  for (let number = 0; number < to; number += 1) {
    const end = text.indexOf('\n', start);
    if (end === -1) throw new Error(`${key} has fewer lines than its index says (line ${number} of a page's members is missing)`);
    if (number >= from) lines.push(JSON.parse(text.slice(start, end)) as LogLine);
    start = end + 1;
  }
  return lines;
}
