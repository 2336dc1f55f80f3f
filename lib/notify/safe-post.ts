/**
 * One webhook delivery that cannot be steered into the runner's own network: the host is resolved
 * once, every answer is checked, and the connection goes to the checked address (a second lookup
 * could be answered differently: DNS rebinding). Redirects are not followed, since their target was
 * never checked; a 3xx is simply the delivery's status.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { forbiddenAddressReason } from './address-policy.ts';
import { checkCallbackUrl, isAllowedHost, type AllowedHost } from './callback-url.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export interface SafePostOptions {
  allowHosts: readonly AllowedHost[];
  /** Resolves a hostname to every address it has; dns.promises.lookup unless given. */
  resolve?: Resolver;
  /** Budget for resolution, connection and response headers together. */
  timeoutMs?: number;
  /** How much of the response body is read before the connection is dropped. */
  maxResponseBytes?: number;
}

/** The delivery did not produce a status code; the message says why (refused, timed out, connection failed). */
export class WebhookDeliveryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebhookDeliveryError';
  }
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'user-agent', 'host']);

export async function safePost(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: SafePostOptions,
): Promise<{ statusCode: number }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const checkedUrl = recheckUrl(url, options.allowHosts);
  const target = await withDeadline(
    resolveTarget(checkedUrl, options.allowHosts, options.resolve ?? defaultResolve),
    deadline,
    timeoutMs,
  );
  const requestOptions: RequestOptions = {
    method: 'POST',
    host: target.host,
    port: checkedUrl.port === '' ? undefined : Number(checkedUrl.port),
    path: `${checkedUrl.pathname}${checkedUrl.search}`,
    headers: deliveryHeaders(headers, body),
    lookup: pinnedLookup(target.address),
    // A pooled socket could have been opened to another address; every delivery gets its own.
    agent: false,
    signal: deadline,
  };
  return send(checkedUrl.protocol === 'https:', requestOptions, body, {
    timeoutMs,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    deadline,
  });
}

// A URL stored when the job was submitted may no longer pass: the allow-list may have changed since.
function recheckUrl(url: URL, allowHosts: readonly AllowedHost[]): URL {
  try {
    return checkCallbackUrl(url.href, allowHosts);
  } catch (error) {
    throw new WebhookDeliveryError(`refused: ${(error as Error).message}`, { cause: error });
  }
}

async function resolveTarget(url: URL, allowHosts: readonly AllowedHost[], resolve: Resolver): Promise<ResolvedAddress & { host: string }> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(host);
  const addresses = literal === 0 ? await resolveHost(host, resolve) : [{ address: host, family: literal as 4 | 6 }];
  const first = addresses[0];
  if (first === undefined) {
    throw new WebhookDeliveryError(`could not resolve ${host}: no addresses`);
  }
  if (!isAllowedHost(url, allowHosts)) {
    // One bad answer is enough to refuse: the client library might have picked it.
    const reasons = addresses.map(({ address }) => forbiddenAddressReason(address)).filter((reason) => reason !== undefined);
    if (reasons.length > 0) {
      throw new WebhookDeliveryError(`refused: ${host} resolves to a forbidden address: ${reasons.join('; ')}`);
    }
  }
  return { host, ...first };
}

async function resolveHost(host: string, resolve: Resolver): Promise<ResolvedAddress[]> {
  try {
    return await resolve(host);
  } catch (error) {
    throw new WebhookDeliveryError(`could not resolve ${host}: ${(error as Error).message}`, { cause: error });
  }
}

async function defaultResolve(host: string): Promise<ResolvedAddress[]> {
  const answers = await dnsLookup(host, { all: true, verbatim: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

function withDeadline<T>(work: Promise<T>, deadline: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new WebhookDeliveryError(`timed out after ${timeoutMs} ms`));
    if (deadline.aborted) {
      onAbort();
      return;
    }
    deadline.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => deadline.removeEventListener('abort', onAbort));
  });
}

/** Answers every lookup with the checked address, in whichever shape net.connect asks for. */
function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return (_hostname, lookupOptions, callback) => {
    // With autoSelectFamily (the default since Node 20) net asks for `all` and expects a list.
    if (lookupOptions.all === true) {
      (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    } else {
      callback(null, address, family);
    }
  };
}

function deliveryHeaders(headers: Record<string, string>, body: string): Record<string, string> {
  const kept = Object.entries(headers).filter(([name]) => !RESERVED_HEADERS.has(name.toLowerCase()));
  return {
    ...Object.fromEntries(kept),
    'Content-Type': 'application/json',
    'User-Agent': 'fargate-jobs-webhook',
    'Content-Length': String(Buffer.byteLength(body, 'utf8')),
  };
}

interface SendLimits {
  timeoutMs: number;
  maxResponseBytes: number;
  deadline: AbortSignal;
}

function send(secure: boolean, requestOptions: RequestOptions, body: string, limits: SendLimits): Promise<{ statusCode: number }> {
  const host = requestOptions.host ?? '';
  // TLS must still see the name for SNI and the certificate check, although it connects to an address.
  const options = secure && isIP(host) === 0 ? { ...requestOptions, servername: host } : requestOptions;
  return new Promise((resolve, reject) => {
    let statusCode: number | undefined;
    const request = (secure ? httpsRequest : httpRequest)(options, (response) => {
      statusCode = response.statusCode ?? 0;
      drain(response, limits, () => resolve({ statusCode: statusCode ?? 0 }));
    });
    request.on('error', (error) => {
      // Dropping the connection after the status arrived is ours to do, not a failed delivery.
      if (statusCode !== undefined) {
        return;
      }
      const message = limits.deadline.aborted
        ? `timed out after ${limits.timeoutMs} ms`
        : `connection to ${host} failed: ${error.message}`;
      reject(new WebhookDeliveryError(message, { cause: error }));
    });
    request.end(body);
  });
}

/**
 * Reads at most maxResponseBytes and then drops the connection: a receiver that streams forever
 * must not hold the sender. Once the status is known a slow body does not fail the delivery.
 */
function drain(response: IncomingMessage, limits: SendLimits, done: () => void): void {
  let received = 0;
  let finished = false;
  const finish = () => {
    if (finished) {
      return;
    }
    finished = true;
    limits.deadline.removeEventListener('abort', finish);
    response.destroy();
    done();
  };
  limits.deadline.addEventListener('abort', finish, { once: true });
  response.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received >= limits.maxResponseBytes) {
      finish();
    }
  });
  response.on('end', finish);
  response.on('error', finish);
  response.on('close', finish);
}
