/**
 * A fake S3 for end-to-end tests: one node:http server on 127.0.0.1 speaking S3's REST/XML protocol
 * to the real SDK v3 client (path-style only: `/<bucket>/<key>`, as s3Client makes it for an
 * endpoint), so the SDK's serializers, its checksums and lib-storage's multipart upload run for real.
 *
 * Objects live in memory. It answers PutObject, CreateMultipartUpload, UploadPart,
 * CompleteMultipartUpload, AbortMultipartUpload, GetObject (a `Range: bytes=…` → 206 with
 * Content-Range) and HeadObject; errors as S3's `<Error><Code/><Message/>…</Error>` with S3's status.
 * What S3 checks, it checks: an `aws-chunked` body is decoded (its length against
 * x-amz-decoded-content-length, its trailing checksum), Content-MD5, x-amz-content-sha256 and the
 * CRC32/SHA-1/SHA-256 checksums are verified (CRC32C/CRC64NVME are taken on trust), a multipart
 * upload's parts must be in order, known, at least 5 MiB but the last, and carry the checksum the
 * upload was created with. Signatures are not verified, but a request must be signed: an
 * Authorization header, or a presigned URL's X-Amz-Signature within its X-Amz-Expires.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { closeServer } from './http-server.ts';

export interface FakeS3Request {
  /** The S3 operation the fake took it for (`UploadPart`, `DeleteObject`, …). */
  operation: string;
  method: string;
  /** The path as sent (percent-encoded). */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface FakeS3 {
  url: string; // http://127.0.0.1:<port>
  /** Every request, in order, answered or refused. */
  requests: FakeS3Request[];
  object(bucket: string, key: string): Buffer | undefined;
  /** Removes an object as a lifecycle rule does: no request, and no trace in `requests`. */
  expire(bucket: string, key: string): void;
  /** Multipart uploads created and neither completed nor aborted (S3 bills their parts). */
  openUploads(): number;
  /**
   * AWS_ENDPOINT_URL_S3, AWS_REGION and dummy credentials: the SDK's environment for the fake. The
   * endpoint names the host `localhost`, as LocalStack's and MinIO's do: for an IP address the SDK
   * falls back to path-style by itself, so only a host name shows whether a client asks for it.
   */
  environment(): Record<string, string>;
  close(): Promise<void>;
}

/** S3's smallest part but the last (EntityTooSmall below it). */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
const CHECKSUMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
type Checksums = Partial<Record<(typeof CHECKSUMS)[number], string>>;

interface StoredObject { body: Buffer; etag: string; contentType: string; checksums: Checksums; lastModified: Date }
interface Part { body: Buffer; etag: string; checksums: Checksums }
interface Upload { bucket: string; key: string; contentType: string; algorithm: string | undefined; parts: Map<number, Part> }
interface State { buckets: Map<string, Map<string, StoredObject>>; uploads: Map<string, Upload> }
interface S3Call { req: IncomingMessage; query: Record<string, string>; bucket: string; key: string; body: Buffer }

class S3Error extends Error {
  readonly code: string;
  readonly status: number;
  readonly fields: Record<string, string>;
  constructor(code: string, status: number, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
}

export async function startFakeS3(options: { buckets: string[]; region?: string }): Promise<FakeS3> {
  const state: State = { buckets: new Map(options.buckets.map((bucket) => [bucket, new Map()])), uploads: new Map() };
  const requests: FakeS3Request[] = [];
  const server = createServer((req, res) => {
    serve(state, requests, req, res).catch((error: unknown) => {
      // A bug in the fake or a broken connection: the server must outlive it.
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    object: (bucket, key) => state.buckets.get(bucket)?.get(key)?.body,
    expire: (bucket, key) => void state.buckets.get(bucket)?.delete(key),
    openUploads: () => state.uploads.size,
    environment: () => ({
      AWS_ENDPOINT_URL_S3: url.replace('127.0.0.1', 'localhost'),
      AWS_REGION: options.region ?? 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'fake-access-key-id',
      AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key',
    }),
    close: () => closeServer(server),
  };
}

// --- Routing and wire format --------------------------------------------------------------------

async function serve(state: State, requests: FakeS3Request[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? '/', 'http://fake-s3');
  const query = Object.fromEntries(url.searchParams);
  const operation = operationOf(req.method ?? '', query, url.pathname);
  requests.push({ operation, method: req.method ?? '', path: url.pathname, query, headers: req.headers });
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
  const key = decodeURIComponent(rest.join('/'));
  const requestId = randomUUID();
  res.setHeader('x-amz-request-id', requestId);
  try {
    checkSigned(req.headers, query);
    const objects = state.buckets.get(bucket);
    if (!objects) throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket });
    const call: S3Call = { req, query, bucket, key, body: Buffer.concat(chunks) };
    const handler = OPERATIONS.get(operation);
    if (!handler || !key) throw new S3Error('NotImplemented', 501, `The fake S3 does not implement ${operation}.`);
    handler(state, objects, call, res);
  } catch (error) {
    const failure = error instanceof S3Error ? error : new S3Error('InternalError', 500, String(error));
    res.writeHead(failure.status, { 'content-type': 'application/xml' });
    if (req.method === 'HEAD') return void res.end();
    const fields = Object.entries({ ...failure.fields, RequestId: requestId }).map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`);
    // S3's errors are the one XML it answers without its namespace.
    res.end(`${XML_DECLARATION}<Error><Code>${failure.code}</Code><Message>${escapeXml(failure.message)}</Message>${fields.join('')}</Error>`);
  }
}

function operationOf(method: string, query: Record<string, string>, path: string): string {
  if (method === 'POST') return 'uploads' in query ? 'CreateMultipartUpload' : 'uploadId' in query ? 'CompleteMultipartUpload' : 'delete' in query ? 'DeleteObjects' : 'PostObject';
  if (method === 'PUT') return 'partNumber' in query ? 'UploadPart' : 'PutObject';
  if (method === 'DELETE') return 'uploadId' in query ? 'AbortMultipartUpload' : 'DeleteObject';
  if (method === 'GET') return path.split('/').length <= 2 ? 'ListObjects' : 'GetObject';
  return method === 'HEAD' ? 'HeadObject' : method;
}

/** S3 refuses an unsigned request and an expired presigned URL; what the signature says is not checked. */
function checkSigned(headers: IncomingHttpHeaders, query: Record<string, string>): void {
  if (query['X-Amz-Algorithm'] === undefined) {
    if (!headers.authorization?.startsWith('AWS4-HMAC-SHA256 ')) throw new S3Error('AccessDenied', 403, 'Access Denied');
    return;
  }
  const { 'X-Amz-Signature': signature, 'X-Amz-Expires': expires, 'X-Amz-Date': date = '' } = query;
  if (!signature || !expires || !/^\d+$/.test(expires)) {
    throw new S3Error('AuthorizationQueryParametersError', 400, 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
  }
  const signedAt = Date.parse(date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!(signedAt + Number(expires) * 1000 > Date.now())) throw new S3Error('AccessDenied', 403, 'Request has expired');
}

/** A result document, its root element in S3's namespace. */
function xml(body: string): string {
  return `${XML_DECLARATION}${body.replace(/^<(\w+)/, `<$1 xmlns="${XMLNS}"`)}`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

// --- Bodies and checksums -----------------------------------------------------------------------

/** The bytes a PUT carries, decoded from aws-chunked if sent so, and checked as S3 checks them; with the checksums given. */
function payload(call: S3Call): { body: Buffer; checksums: Checksums } {
  const headers = call.req.headers;
  const contentSha256 = header(headers, 'x-amz-content-sha256');
  const chunked = header(headers, 'content-encoding')?.includes('aws-chunked') || contentSha256?.startsWith('STREAMING-');
  const { body, trailers } = chunked ? decodeAwsChunked(call.body, headers) : { body: call.body, trailers: {} };
  if (contentSha256 && /^[0-9a-f]{64}$/.test(contentSha256) && contentSha256 !== createHash('sha256').update(body).digest('hex')) {
    throw new S3Error('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const md5 = headers['content-md5'];
  if (md5 && md5 !== createHash('md5').update(body).digest('base64')) throw new S3Error('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.');
  const checksums: Checksums = {};
  for (const name of CHECKSUMS) {
    const given = trailers[`x-amz-checksum-${name}`] ?? header(headers, `x-amz-checksum-${name}`);
    if (given === undefined) continue;
    const computed = checksumOf(name, body);
    if (computed !== undefined && computed !== given) {
      throw new S3Error('BadDigest', 400, `The ${name.toUpperCase()} you specified did not match the calculated checksum.`);
    }
    checksums[name] = given;
  }
  return { body, checksums };
}

function checksumOf(name: (typeof CHECKSUMS)[number], body: Buffer): string | undefined {
  if (name === 'crc32') return Buffer.from(new Uint32Array([crc32(body)]).buffer).reverse().toString('base64');
  if (name === 'sha1' || name === 'sha256') return createHash(name).update(body).digest('base64');
  return undefined;
}

/**
 * `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` … `0[;…]\r\n`, then trailers (`name:value\r\n`) and
 * `\r\n`: what the SDK sends for a body it checksums as it streams (content-encoding aws-chunked).
 */
function decodeAwsChunked(raw: Buffer, headers: IncomingHttpHeaders): { body: Buffer; trailers: Record<string, string> } {
  const incomplete = () => new S3Error('IncompleteBody', 400, 'The request body is not valid aws-chunked encoding.');
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = lineEnd < 0 ? NaN : parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || lineEnd + 2 + size > raw.length) throw incomplete();
    at = lineEnd + 2;
    if (size === 0) break;
    chunks.push(raw.subarray(at, at + size));
    at += size;
    if (raw.toString('latin1', at, at + 2) !== '\r\n') throw incomplete();
    at += 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of raw.subarray(at).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = Buffer.concat(chunks);
  const declared = headers['x-amz-decoded-content-length'];
  if (declared === undefined || Number(declared) !== body.length) {
    throw new S3Error('IncompleteBody', 400, `x-amz-decoded-content-length (${String(declared)}) is not the ${body.length} bytes decoded.`);
  }
  const trailer = header(headers, 'x-amz-trailer');
  if (trailer && trailers[trailer.toLowerCase()] === undefined) throw new S3Error('MalformedTrailerError', 400, `The ${trailer} trailer is missing.`);
  return { body, trailers };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

const quotedMd5 = (body: Buffer): string => `"${createHash('md5').update(body).digest('hex')}"`;
const checksumHeaders = (checksums: Checksums) => Object.fromEntries(Object.entries(checksums).map(([name, value]) => [`x-amz-checksum-${name}`, value]));

// --- Operations ---------------------------------------------------------------------------------

type Operation = (state: State, objects: Map<string, StoredObject>, call: S3Call, res: ServerResponse) => void;

const OPERATIONS = new Map<string, Operation>([
  ['PutObject', putObject],
  ['CreateMultipartUpload', createMultipartUpload],
  ['UploadPart', uploadPart],
  ['CompleteMultipartUpload', completeMultipartUpload],
  ['AbortMultipartUpload', abortMultipartUpload],
  ['GetObject', getObject],
  ['HeadObject', getObject],
]);

function putObject(_state: State, objects: Map<string, StoredObject>, call: S3Call, res: ServerResponse): void {
  const { body, checksums } = payload(call);
  const contentType = call.req.headers['content-type'] ?? 'binary/octet-stream';
  const stored = { body, etag: quotedMd5(body), contentType, checksums, lastModified: new Date() };
  objects.set(call.key, stored);
  res.writeHead(200, { etag: stored.etag, ...checksumHeaders(checksums) }).end();
}

function createMultipartUpload(state: State, _objects: Map<string, StoredObject>, call: S3Call, res: ServerResponse): void {
  const uploadId = randomUUID().replace(/-/g, '');
  const algorithm = header(call.req.headers, 'x-amz-checksum-algorithm')?.toLowerCase();
  const contentType = call.req.headers['content-type'] ?? 'binary/octet-stream';
  state.uploads.set(uploadId, { bucket: call.bucket, key: call.key, contentType, algorithm, parts: new Map() });
  const names = `<Bucket>${escapeXml(call.bucket)}</Bucket><Key>${escapeXml(call.key)}</Key>`;
  res.writeHead(200, { 'content-type': 'application/xml', ...(algorithm ? { 'x-amz-checksum-algorithm': algorithm.toUpperCase() } : {}) });
  res.end(xml(`<InitiateMultipartUploadResult>${names}<UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`));
}

function uploadOf(state: State, call: S3Call): Upload {
  const upload = state.uploads.get(call.query['uploadId'] ?? '');
  if (!upload || upload.bucket !== call.bucket || upload.key !== call.key) {
    throw new S3Error('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
  }
  return upload;
}

function uploadPart(state: State, _objects: Map<string, StoredObject>, call: S3Call, res: ServerResponse): void {
  const upload = uploadOf(state, call);
  const partNumber = Number(call.query['partNumber']);
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) throw new S3Error('InvalidArgument', 400, 'Part number must be an integer between 1 and 10000, inclusive');
  const { body, checksums } = payload(call);
  const part = { body, etag: quotedMd5(body), checksums };
  upload.parts.set(partNumber, part);
  res.writeHead(200, { etag: part.etag, ...checksumHeaders(checksums) }).end();
}

function completeMultipartUpload(state: State, objects: Map<string, StoredObject>, call: S3Call, res: ServerResponse): void {
  const upload = uploadOf(state, call);
  const listed = [...call.body.toString('utf8').matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part = '']) => {
    const field = (name: string) => { const value = new RegExp(`<${name}>([^<]*)</${name}>`).exec(part)?.[1]; return value === undefined ? undefined : unescapeXml(value); };
    return { number: Number(field('PartNumber')), etag: field('ETag'), checksum: upload.algorithm && field(`Checksum${upload.algorithm.toUpperCase()}`) };
  });
  if (listed.length === 0) throw new S3Error('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema');
  const parts = listed.map((entry, position) => {
    const part = upload.parts.get(entry.number);
    if (position > 0 && entry.number <= (listed[position - 1]?.number ?? 0)) throw new S3Error('InvalidPartOrder', 400, 'The list of parts was not in ascending order. Parts must be ordered by part number.');
    if (!part || part.etag !== entry.etag) throw new S3Error('InvalidPart', 400, 'One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.');
    if (upload.algorithm && entry.checksum !== part.checksums[upload.algorithm as keyof Checksums]) {
      throw new S3Error('InvalidRequest', 400, `The upload was created using a ${upload.algorithm} checksum. The complete request must include the checksum for each part. It was missing for part ${entry.number} in the request.`);
    }
    if (position < listed.length - 1 && part.body.length < MIN_PART_BYTES) throw new S3Error('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed object size.');
    return part;
  });
  const body = Buffer.concat(parts.map((part) => part.body));
  const etag = `"${createHash('md5').update(Buffer.concat(parts.map((part) => Buffer.from(part.etag.slice(1, -1), 'hex')))).digest('hex')}-${parts.length}"`;
  objects.set(call.key, { body, etag, contentType: upload.contentType, checksums: {}, lastModified: new Date() });
  state.uploads.delete(call.query['uploadId'] ?? '');
  const location = `<Location>http://${call.req.headers.host ?? ''}/${call.bucket}/${encodeURI(call.key)}</Location>`;
  res.writeHead(200, { 'content-type': 'application/xml' });
  res.end(xml(`<CompleteMultipartUploadResult>${location}<Bucket>${escapeXml(call.bucket)}</Bucket><Key>${escapeXml(call.key)}</Key><ETag>${escapeXml(etag)}</ETag></CompleteMultipartUploadResult>`));
}

function abortMultipartUpload(state: State, _objects: Map<string, StoredObject>, call: S3Call, res: ServerResponse): void {
  uploadOf(state, call);
  state.uploads.delete(call.query['uploadId'] ?? '');
  res.writeHead(204).end();
}

/** GetObject and HeadObject: the whole object, or the `Range: bytes=first-last` (`first-`, `-suffix`) of it as 206. */
function getObject(_state: State, objects: Map<string, StoredObject>, call: S3Call, res: ServerResponse): void {
  const object = objects.get(call.key);
  if (!object) throw new S3Error('NoSuchKey', 404, 'The specified key does not exist.', { Key: call.key });
  const total = object.body.length;
  const range = call.req.headers.range;
  const match = range === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(range);
  let [first, last] = [0, total - 1];
  if (match) {
    const [, from = '', to = ''] = match;
    [first, last] = from === '' ? [Math.max(0, total - Number(to)), total - 1] : [Number(from), to === '' ? total - 1 : Math.min(Number(to), total - 1)];
    if (first >= total || first > last) throw new S3Error('InvalidRange', 416, 'The requested range is not satisfiable', { RangeRequested: range ?? '', ActualObjectSize: String(total) });
  }
  const body = object.body.subarray(first, last + 1);
  const { query } = call;
  // A whole object's checksum, as S3 answers it to `x-amz-checksum-mode: ENABLED`; none for a range.
  const withChecksums = !match && call.req.headers['x-amz-checksum-mode'] === 'ENABLED';
  res.writeHead(match ? 206 : 200, {
    'content-length': body.length,
    'content-type': query['response-content-type'] ?? object.contentType,
    etag: object.etag,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    ...(match ? { 'content-range': `bytes ${first}-${last}/${total}` } : {}),
    ...(query['response-content-disposition'] ? { 'content-disposition': query['response-content-disposition'] } : {}),
    ...(withChecksums ? checksumHeaders(object.checksums) : {}),
  });
  res.end(call.req.method === 'HEAD' ? undefined : body);
}
