/**
 * `npm run bench:archive`: archiving a finished job's log of a million lines as FinalizeJob does
 * (lib/composition/log-archive.ts's archiver: the S3 client, lib-storage's multipart upload), from a
 * LogReader that makes its pages up as they are read, to a stand-in S3 on 127.0.0.1 that answers the
 * multipart calls and counts the bytes it is sent without keeping them. Reports the time, the peak
 * RSS and heap of the process, the NDJSON and object sizes, the members and parts. Nothing here
 * calls AWS.
 *
 *   npm run bench:archive -- --lines 1000000
 *   npm run bench:archive -- --quick     (20,000 lines: checks the bench runs)
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logArchiver } from '#lib/composition/log-archive.ts';
import type { LogLine } from '#lib/domain/ports.ts';
import { archivedLine, type ArchiveIndex } from '#lib/domain/log-archive.ts';
import { fakeLogReader } from '../test/helpers/fake-log-reader.ts';
import { aJob } from '../test/helpers/jobs.ts';
import { benchOptions } from './options.ts';

const { values } = benchOptions({ lines: '1000000' }, { lines: '20000' });
const lineCount = Number(values.lines);

const BUCKET = 'bench-log-archive';
const MB = 1024 * 1024;

/** What the stand-in S3 was sent. */
interface Received {
  requests: number;
  parts: number;
  puts: number;
  bytes: number;
  objectBytes: number;
  /** The index, the one body kept (it is small). */
  index: string;
}

/** A job's output as a build or a batch job writes it: mostly alike, a number and a hash apart. */
function benchLine(line: number): LogLine {
  const digest = createHash('sha1').update(String(line)).digest('hex').slice(0, 12);
  return {
    timestamp: new Date(Date.UTC(2026, 11, 7, 12) + line * 7).toISOString(),
    message: `[worker-${line % 8}] record ${line} (${digest}) processed in ${(line * 37) % 997} ms, status=ok`,
    ...(line % 50 === 0 ? { stream: 'stderr' as const } : { stream: 'stdout' as const }),
  };
}

/** S3's answers to the calls lib-storage makes; every body read to its end and dropped. */
function standInS3(received: Received) {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    let bytes = 0;
    const kept: Buffer[] = [];
    const keep = (request.url ?? '').includes('.index.json');
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (keep) kept.push(chunk);
    });
    request.on('end', () => {
      received.requests += 1;
      received.bytes += bytes;
      const url = new URL(request.url ?? '/', 'http://s3');
      const key = url.pathname.split('/').slice(2).join('/');
      if (request.method === 'POST' && url.searchParams.has('uploads')) {
        xml(response, `<InitiateMultipartUploadResult><Bucket>${BUCKET}</Bucket><Key>${key}</Key><UploadId>bench-upload</UploadId></InitiateMultipartUploadResult>`);
      } else if (request.method === 'POST' && url.searchParams.has('uploadId')) {
        xml(response, `<CompleteMultipartUploadResult><Bucket>${BUCKET}</Bucket><Key>${key}</Key><ETag>"bench"</ETag></CompleteMultipartUploadResult>`);
      } else if (request.method === 'PUT') {
        if (url.searchParams.has('partNumber')) received.parts += 1;
        else received.puts += 1;
        if (key.endsWith('.ndjson.gz')) received.objectBytes += bytes;
        if (keep) received.index = Buffer.concat(kept).toString('utf8');
        response.writeHead(200, { ETag: `"${received.requests}"` }).end();
      } else {
        response.writeHead(400).end();
      }
    });
  });
}

function xml(response: ServerResponse, body: string): void {
  response.writeHead(200, { 'Content-Type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

const received: Received = { requests: 0, parts: 0, puts: 0, bytes: 0, objectBytes: 0, index: '' };
const server = standInS3(received);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDBENCH', AWS_SECRET_ACCESS_KEY: 'bench', AWS_ENDPOINT_URL_S3: endpoint });

const reader = fakeLogReader({ count: lineCount, lineAt: benchLine });
const { logArchiver: archiver } = logArchiver(reader, { ...process.env, LOG_ARCHIVE_BUCKET: BUCKET });
if (!archiver) throw new Error('no archiver: LOG_ARCHIVE_BUCKET is not set');
const job = aJob({ status: 'SUCCEEDED', stoppedAt: new Date().toISOString() });

const ndjsonBytes = Array.from({ length: Math.min(lineCount, 1000) }, (_unused, line) => Buffer.byteLength(archivedLine(benchLine(line)))).reduce((sum, size) => sum + size, 0);
const baseline = process.memoryUsage();
let peakHeap = baseline.heapUsed;
let peakBuffers = baseline.arrayBuffers;
const sample = () => {
  const usage = process.memoryUsage();
  peakHeap = Math.max(peakHeap, usage.heapUsed);
  peakBuffers = Math.max(peakBuffers, usage.arrayBuffers);
};
const sampler = setInterval(sample, 20);
const started = performance.now();
const archive = await archiver.archive(job);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
sample();
const peakRss = process.resourceUsage().maxRSS * 1024;
server.close();

const members = (JSON.parse(received.index) as ArchiveIndex).members.length;
const estimatedNdjson = (ndjsonBytes / Math.min(lineCount, 1000)) * lineCount;
const figure = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
console.log(`fargate-jobs log archive benchmark — ${new Date().toISOString()}, node ${process.version}
${lineCount.toLocaleString('en')} lines (~${Math.round(ndjsonBytes / Math.min(lineCount, 1000))} B of NDJSON each) read 10,000 a page from an in-memory LogReader,
archived through the S3 client and lib-storage's Upload (5 MiB parts, 4 at once) to a stand-in S3 on 127.0.0.1 that drops the bytes.
Before the archive: RSS ${figure(baseline.rss)}, heap ${figure(baseline.heapUsed)}, buffers ${figure(baseline.arrayBuffers)}. Peaks sampled every 20 ms (heap: garbage included).

| lines | NDJSON | object (gzip) | members | parts | duration | lines per second | peak RSS | peak heap | peak buffers |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| ${archive.lines.toLocaleString('en')} | ~${figure(estimatedNdjson)} | ${figure(archive.bytes)} | ${members} | ${received.parts || 1} | ${seconds.toFixed(1)} s | ${Math.round(archive.lines / seconds).toLocaleString('en')} | ${figure(peakRss)} | ${figure(peakHeap)} | ${figure(peakBuffers)} |

The stand-in S3 got ${received.requests} requests, ${figure(received.bytes)} in all (the archive ${figure(received.objectBytes)}, its index the rest); reads of the log: ${reader.reads.length}.`);
if (received.objectBytes !== archive.bytes) throw new Error(`S3 got ${received.objectBytes} bytes of the archive, the archiver reports ${archive.bytes}`);
