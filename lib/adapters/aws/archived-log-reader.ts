/**
 * The LogReader port over a finished job's archived log (lib/domain/log-archive.ts): its index, then
 * one ranged GetObject of the gzip member(s) that hold the page's lines. A page reads at most
 * MAX_MEMBERS_PER_PAGE members (a short page is no end: `atEnd` says that), so it holds at most that
 * many members' lines.
 *
 * An archive is written once and never changes (a retried write writes the same bytes), so a reader
 * keeps what it has read: indexes, and members' decoded lines, each in a bounded least-recently-used
 * cache. A warm instance serving one client page after page then reads a log with one index GET and
 * one GET per member, where each page would otherwise cost two GETs and a whole member gunzipped
 * again. Only what decoded whole is kept: a failed GET, a member that does not gunzip or whose lines
 * are not the index's, is read again next time. Two reads of one member at once (a process serving
 * requests side by side; a Lambda instance serves one at a time) each GET it, and keep one copy.
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
/**
 * Indexes kept per reader. An index is one small entry per member: under 1 KB for most logs (a member
 * is up to 10,000 lines), about 300 KB for the largest archive the format allows (5 GiB in 1 MiB
 * members). 100 covers the archives a warm instance's clients read in turn.
 */
export const INDEX_CACHE_ENTRIES = 100;
/**
 * Decoded members kept per reader, counted in their NDJSON bytes: 16 members at the format's largest
 * (1 MiB), so a client's page and the next few members' stay warm while other clients read theirs.
 * Decoded lines take about 1.5× their NDJSON in heap: some 24 MiB of getJobLogs' 256 MB.
 */
export const MEMBER_CACHE_BYTES = 16 * 1024 ** 2;

export interface ArchivedLogReaderOptions {
  client: S3Client;
  bucket: string;
  /** INDEX_CACHE_ENTRIES unless given (0 keeps none). */
  indexCacheEntries?: number;
  /** MEMBER_CACHE_BYTES unless given (0 keeps none). */
  memberCacheBytes?: number;
}

export class ArchivedLogReader implements LogReader {
  readonly #client: S3Client;
  readonly #bucket: string;
  /** By index key. */
  readonly #indexes: LruCache<ArchiveIndex>;
  /** By archive key and member offset (memberKey): the member's lines (the pages share them: read, never changed), sized by its NDJSON bytes. */
  readonly #members: LruCache<LogLine[]>;

  constructor(options: ArchivedLogReaderOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#indexes = new LruCache(cacheBound('indexCacheEntries', options.indexCacheEntries ?? INDEX_CACHE_ENTRIES));
    this.#members = new LruCache(cacheBound('memberCacheBytes', options.memberCacheBytes ?? MEMBER_CACHE_BYTES));
  }

  async read(job: Job, options: { cursor?: string; limit: number }): Promise<LogPage> {
    const from = options.cursor === undefined ? 0 : decodeCursor(options.cursor, isLineCursor).line;
    const archive = archiveOf(job);
    const index = await this.#index(job);
    // A cursor past the archive's last line (a stream read on beyond where a cut archive ends) is at its end.
    if (from >= index.lines) return { lines: [], nextCursor: lineCursor(from), atEnd: true, truncated: index.truncated };
    const lines = await this.#lines(job.id, archive, index, from, Math.min(index.lines, from + options.limit), 'forward');
    const next = from + lines.length;
    return { lines, nextCursor: lineCursor(next), atEnd: next >= index.lines, truncated: index.truncated };
  }

  async readBackward(job: Job, options: { before?: string; limit: number }): Promise<BackwardLogPage> {
    const archive = archiveOf(job);
    const before = options.before === undefined ? undefined : decodeCursor(options.before, isBackwardLineCursor, 'before').beforeLine;
    const index = await this.#index(job);
    const end = Math.min(before ?? index.lines, index.lines);
    const lines = end === 0 ? [] : await this.#lines(job.id, archive, index, Math.max(0, end - options.limit), end, 'backward');
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

  /** Lines [from, to) as far as MAX_MEMBERS_PER_PAGE members hold them: from `from` on (forward), or back from `to` (backward). */
  async #lines(jobId: string, archive: LogArchive, index: ArchiveIndex, from: number, to: number, direction: 'forward' | 'backward'): Promise<LogLine[]> {
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
    const lines = (await this.#memberLines(jobId, archive.key, members)).flat();
    return lines.slice(start - first.line, end - first.line);
  }

  /**
   * The lines of each of `members` (consecutive ones): from the cache, and one ranged GET of those it
   * lacks (from the first missing to the last: consecutive members are consecutive bytes).
   */
  async #memberLines(jobId: string, key: string, members: ArchiveMember[]): Promise<LogLine[][]> {
    // Held here, not looked up again after the GET: keeping what it fetched may evict these.
    const cached = members.map((member) => this.#members.get(memberKey(key, member)));
    const firstMissing = cached.indexOf(undefined);
    if (firstMissing === -1) return cached as LogLine[][];
    const lastMissing = cached.lastIndexOf(undefined);
    const fetched = await this.#fetchMembers(jobId, key, members.slice(firstMissing, lastMissing + 1));
    return [...cached.slice(0, firstMissing), ...fetched, ...cached.slice(lastMissing + 1)] as LogLine[][];
  }

  /** Consecutive members' lines, with one ranged GET, kept once all of them have decoded. */
  async #fetchMembers(jobId: string, key: string, members: ArchiveMember[]): Promise<LogLine[][]> {
    const first = members[0] as ArchiveMember;
    const last = members.at(-1) as ArchiveMember;
    const range = `bytes=${first.offset}-${last.offset + last.bytes - 1}`;
    const response = await this.#get(jobId, { Key: key, Range: range });
    const body = await response.Body?.transformToByteArray();
    if (!body) throw new Error(`GetObject of ${key} (${range}) answered no body`);
    const decoded = await Promise.all(
      members.map((member) => decodeMember(body.subarray(member.offset - first.offset, member.offset - first.offset + member.bytes), member, key)),
    );
    for (const member of decoded) this.#members.set(memberKey(key, member.member), member.lines, member.ndjsonBytes);
    return decoded.map((member) => member.lines);
  }

  async #index(job: Job): Promise<ArchiveIndex> {
    const key = archiveIndexKey(job.id);
    const cached = this.#indexes.get(key);
    if (cached) return cached;
    const response = await this.#get(job.id, { Key: key });
    const index = JSON.parse((await response.Body?.transformToString('utf8')) ?? '') as ArchiveIndex;
    if (index.version !== 1 || !Array.isArray(index.members)) throw new Error(`${key} is not an archive index this reader knows (version ${String(index.version)})`);
    this.#indexes.set(key, index, 1);
    return index;
  }

  async #get(jobId: string, input: { Key: string; Range?: string }) {
    try {
      return await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, ...input }));
    } catch (error) {
      // The lifecycle rule removes archives after logArchiveDays; the job record stays. A reader that
      // kept the index finds that out from the archive itself.
      throw isNamed(error, 'NoSuchKey') ? new LogExpiredError(jobId) : error;
    }
  }
}

/**
 * A Map as a least-recently-used cache (a Map iterates in insertion order: a hit is moved to the end,
 * the first entries go first), bounded by the sum of its entries' sizes. An entry bigger than the
 * whole bound is not kept.
 */
class LruCache<V> {
  readonly #entries = new Map<string, { value: V; size: number }>();
  readonly #maxSize: number;
  #size = 0;

  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, size: number): void {
    // The same key set twice (two reads of it at once) counts once.
    const previous = this.#entries.get(key);
    if (previous) {
      this.#entries.delete(key);
      this.#size -= previous.size;
    }
    if (size > this.#maxSize) return;
    this.#entries.set(key, { value, size });
    this.#size += size;
    for (const [oldest, entry] of this.#entries) {
      if (this.#size <= this.#maxSize) break;
      this.#entries.delete(oldest);
      this.#size -= entry.size;
    }
  }
}

function cacheBound(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number, 0 or more (got ${String(value)})`);
  return value;
}

function memberKey(key: string, member: ArchiveMember): string {
  return `${key}@${member.offset}`;
}

/** One gzip member's lines, exactly as many as the index says it holds, or an error (and nothing kept). */
async function decodeMember(gzipped: Uint8Array, member: ArchiveMember, key: string): Promise<{ member: ArchiveMember; lines: LogLine[]; ndjsonBytes: number }> {
  const ndjson = await gunzipAsync(gzipped).catch((error: unknown) => {
    throw new Error(`the member of ${key} at byte ${member.offset} does not gunzip`, { cause: error });
  });
  const texts = ndjson.toString('utf8').split('\n');
  // NDJSON ends each line with a newline: what follows the last is empty.
  if (texts.pop() !== '' || texts.length !== member.lines) {
    throw new Error(`the member of ${key} at byte ${member.offset} does not hold the ${member.lines} lines its index says`);
  }
  return { member, lines: texts.map((text) => JSON.parse(text) as LogLine), ndjsonBytes: ndjson.length };
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && (error.name === name || (error as { Code?: unknown }).Code === name);
}

function archiveOf(job: Job): LogArchive {
  if (!job.logArchive) throw new Error(`job ${job.id} has no archived log to read`);
  return job.logArchive;
}
