/**
 * A finished job's whole log, archived (on AWS, to the stage's log archive bucket) once it has
 * drained, so that it outlives the task log group's retention and reading it costs no GetLogEvents.
 *
 * The archive is `logs/<jobId>.ndjson.gz`: one JSON line per log line, the API's line shape
 * (LogLine: `{timestamp, message, stream?, attempt?}`), in the order the API reads them (attempt by
 * attempt). It is a series of gzip members, one after another (what `gunzip` reads as one file),
 * each of at most ARCHIVE_MEMBER_MAX_LINES lines and ARCHIVE_MEMBER_MAX_BYTES of NDJSON, so that a
 * reader can fetch the member holding a line with one ranged GET. Where each member starts is in
 * the index beside it, `logs/<jobId>.index.json` (ArchiveIndex).
 *
 * Positions in a job's log are line numbers from 0 (the lines before it), the same across the
 * switch from the task's log stream to the archive: a cursor that says where it is in those terms
 * reads on from the archive with no line lost or repeated.
 */
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { LogLine } from './ports.ts';

/** What the job record keeps of its archive (`logArchive`). */
export interface LogArchive {
  /** The archive's object key, `logs/<jobId>.ndjson.gz`. */
  key: string;
  /** Lines archived. */
  lines: number;
  /** Size of the archive object (gzip). */
  bytes: number;
  /** The log went over ARCHIVE_MAX_LINES or ARCHIVE_MAX_BYTES and was cut there. */
  truncated?: boolean;
}

/** One gzip member of the archive. */
export interface ArchiveMember {
  /** Its first line's number in the job's log (0-based). */
  line: number;
  /** Lines it holds. */
  lines: number;
  /** Where it starts in the archive object (bytes). */
  offset: number;
  /** Its size in the object (compressed bytes). */
  bytes: number;
}

/** `logs/<jobId>.index.json`: where the archive's members start. */
export interface ArchiveIndex {
  version: 1;
  lines: number;
  bytes: number;
  truncated: boolean;
  members: ArchiveMember[];
}

/** A line as the archive holds it: the API's shape. */
export type ArchivedLine = LogLine;

/** The most lines an archive keeps (the rest is cut, `truncated`), as the local log file does. */
export const ARCHIVE_MAX_LINES = 10_000_000;
/** The most NDJSON an archive keeps, before compression. */
export const ARCHIVE_MAX_BYTES = 5 * 1024 ** 3;
/** A member is closed after this many lines… */
export const ARCHIVE_MEMBER_MAX_LINES = 10_000;
/** …or once it holds this much NDJSON (before compression), whichever comes first. */
export const ARCHIVE_MEMBER_MAX_BYTES = 1024 * 1024;

export function archiveKey(jobId: string): string {
  return `logs/${jobId}.ndjson.gz`;
}

export function archiveIndexKey(jobId: string): string {
  return `logs/${jobId}.index.json`;
}

/** The member holding line `line`, or undefined past the archive's last line. */
export function memberOf(index: ArchiveIndex, line: number): ArchiveMember | undefined {
  let low = 0;
  let high = index.members.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const member = index.members[middle] as ArchiveMember;
    if (line < member.line) high = middle - 1;
    else if (line >= member.line + member.lines) low = middle + 1;
    else return member;
  }
  return undefined;
}

/** Where an archive is cut, and where its members are split (the constants above; lower ones in tests). */
export interface ArchiveLimits {
  maxLines: number;
  maxBytes: number;
  memberMaxLines: number;
  memberMaxBytes: number;
}

export const ARCHIVE_LIMITS: ArchiveLimits = {
  maxLines: ARCHIVE_MAX_LINES,
  maxBytes: ARCHIVE_MAX_BYTES,
  memberMaxLines: ARCHIVE_MEMBER_MAX_LINES,
  memberMaxBytes: ARCHIVE_MEMBER_MAX_BYTES,
};

/** What an archive holds so far: its lines and NDJSON bytes, and those of its open member. */
export interface ArchiveTally {
  lines: number;
  bytes: number;
  memberLines: number;
  memberBytes: number;
}

/**
 * Where the next line, of `lineBytes` NDJSON, goes: into the open member; into a new one (the open
 * one would pass a member's limits: a line bigger than a member's bytes gets a member of its own);
 * or nowhere, the archive being full (it would pass the archive's limits), which ends the archive.
 */
export function placeLine(tally: ArchiveTally, lineBytes: number, limits: ArchiveLimits): 'member' | 'next-member' | 'cut' {
  if (tally.lines + 1 > limits.maxLines || tally.bytes + lineBytes > limits.maxBytes) return 'cut';
  if (tally.memberLines === 0) return 'member';
  if (tally.memberLines + 1 > limits.memberMaxLines || tally.memberBytes + lineBytes > limits.memberMaxBytes) return 'next-member';
  return 'member';
}

/**
 * A line as the archive writes it: its JSON, keys in the API's order whatever order the reader built
 * it in (so that the same log always makes the same bytes), and a newline.
 */
export function archivedLine(line: LogLine): string {
  const shaped: ArchivedLine = {
    timestamp: line.timestamp,
    message: line.message,
    ...(line.stream === undefined ? {} : { stream: line.stream }),
    ...(line.attempt === undefined ? {} : { attempt: line.attempt }),
  };
  return `${JSON.stringify(shaped)}\n`;
}

/** A position in a job's log: a line number from 0. */
export function isLineNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * A forward cursor that says where it is in the job's log: the archive reader's own (`{line}`) and
 * the stream reader's where it knew (`{forwardToken, line}`). Either reads on from the archive.
 */
export interface LineCursor {
  line: number;
}

export function isLineCursor(value: unknown): value is LineCursor {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && isLineNumber((value as { line?: unknown }).line);
}

/** The archive reader's backward cursor: the lines before `beforeLine` come next. */
export interface BackwardLineCursor {
  beforeLine: number;
}

export function isBackwardLineCursor(value: unknown): value is BackwardLineCursor {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && isLineNumber((value as { beforeLine?: unknown }).beforeLine);
}

export function lineCursor(line: number): string {
  return encodeCursor({ line } satisfies LineCursor);
}

export function backwardLineCursor(beforeLine: number): string {
  return encodeCursor({ beforeLine } satisfies BackwardLineCursor);
}

/** The line a cursor says it is at, or undefined for a cursor that does not say (or is none: its reader answers 400). */
export function lineOf(cursor: string): number | undefined {
  try {
    return decodeCursor(cursor, isLineCursor).line;
  } catch {
    return undefined;
  }
}

/** Where the archive's own `before` reads back from, or undefined for any other `before` (its reader says whether it is one). */
export function beforeLineOf(before: string): number | undefined {
  try {
    return decodeCursor(before, isBackwardLineCursor, 'before').beforeLine;
  } catch {
    return undefined;
  }
}
