/**
 * Archived logs as the archiver writes them (lib/domain/log-archive.ts): gzip members of NDJSON one
 * after another, and the index of where each starts; and an S3 mock that serves them to GetObject as
 * S3 does, whole or a `Range: bytes=first-last` of them.
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, NoSuchKey, S3Client, type GetObjectCommandInput } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ARCHIVE_MEMBER_MAX_LINES, archiveIndexKey, archiveKey, type ArchiveIndex, type LogArchive } from '#lib/domain/log-archive.ts';
import type { LogLine } from '#lib/domain/ports.ts';

export interface BuiltArchive {
  /** The `.ndjson.gz` object. */
  body: Buffer;
  index: ArchiveIndex;
  /** What the job record keeps of it. */
  logArchive: LogArchive;
}

/** The archive of `lines`, cut into members of `memberLines` lines (the format's own size by default). */
export function buildArchive(jobId: string, lines: readonly LogLine[], options: { memberLines?: number; truncated?: boolean } = {}): BuiltArchive {
  const memberLines = options.memberLines ?? ARCHIVE_MEMBER_MAX_LINES;
  const members: Buffer[] = [];
  const index: ArchiveIndex = { version: 1, lines: lines.length, bytes: 0, truncated: options.truncated ?? false, members: [] };
  for (let line = 0; line < lines.length; line += memberLines) {
    const chunk = lines.slice(line, line + memberLines);
    const member = gzipSync(chunk.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    index.members.push({ line, lines: chunk.length, offset: index.bytes, bytes: member.length });
    index.bytes += member.length;
    members.push(member);
  }
  return {
    body: Buffer.concat(members),
    index,
    logArchive: { key: archiveKey(jobId), lines: lines.length, bytes: index.bytes, ...(index.truncated ? { truncated: true } : {}) },
  };
}

/** `count` lines of a job's log, numbered from `from`. */
export function logLines(count: number, from = 0): LogLine[] {
  return Array.from({ length: count }, (_unused, offset) => ({ timestamp: new Date(Date.UTC(2030, 0, 1) + from + offset).toISOString(), message: `line ${from + offset}` }));
}

export type S3Mock = ReturnType<typeof mockS3>;

export function mockS3() {
  return mockClient(S3Client);
}

/** Serves each job's archive and index from `bucket` (NoSuchKey for anything else), and counts the bytes sent. */
export function serveArchives(s3: S3Mock, bucket: string, archives: Record<string, BuiltArchive>): { bytesServed: () => number } {
  const objects = new Map<string, Buffer>();
  for (const [jobId, archive] of Object.entries(archives)) {
    objects.set(archiveKey(jobId), archive.body);
    objects.set(archiveIndexKey(jobId), Buffer.from(JSON.stringify(archive.index)));
  }
  let served = 0;
  s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    const object = input.Bucket === bucket && input.Key !== undefined ? objects.get(input.Key) : undefined;
    if (!object) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    const bytes = input.Range === undefined ? object : rangeOf(object, input.Range);
    served += bytes.length;
    return { Body: sdkStreamMixin(Readable.from([bytes])), ContentLength: bytes.length };
  });
  return { bytesServed: () => served };
}

function rangeOf(object: Buffer, range: string): Buffer {
  const match = /^bytes=(\d+)-(\d+)$/.exec(range);
  if (!match) throw new Error(`a Range this mock does not serve: ${range}`);
  return object.subarray(Number(match[1]), Number(match[2]) + 1);
}

/** The GetObject calls made, as (key, range) pairs. */
export function getObjectCalls(s3: S3Mock): Array<{ key: string | undefined; range: string | undefined }> {
  return s3.commandCalls(GetObjectCommand).map((call) => ({ key: call.args[0].input.Key, range: call.args[0].input.Range }));
}

/**
 * The API Gateway event of `GET /jobs/{id}/logs` (or `method`) with `query`, from a caller the
 * authorizer let through with `profiles` (every profile unless given).
 */
export function logsEvent(jobId: string, query: Record<string, string> = {}, options: { method?: string; profiles?: string } = {}): APIGatewayProxyEventV2 {
  const method = options.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: `${method} /jobs/{id}/logs`,
    rawPath: `/jobs/${jobId}/logs`,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    pathParameters: { id: jobId },
    isBase64Encoded: false,
    requestContext: { requestId: 'request-1', http: { method, path: `/jobs/${jobId}/logs` }, authorizer: { lambda: { caller: 'alice', profiles: options.profiles ?? '*' } } },
  } as unknown as APIGatewayProxyEventV2;
}
