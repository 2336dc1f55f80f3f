/**
 * The submit-time check on a job's `callbackUrl`, and the allow-list of exceptions that
 * `FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS` names (local mode, tests). Hostnames are not resolved here:
 * what a name points at is checked again when the webhook is sent (lib/notify/safe-post.ts).
 */
import { isIP } from 'node:net';
import { forbiddenAddressReason } from './address-policy.ts';

/** One allow-list entry: a host as WHATWG URL spells it (lower case, IPv6 in brackets); no port means any port. */
export interface AllowedHost {
  host: string;
  port?: number;
}

/** The callbackUrl cannot be used; the message is written for the person who submitted it. */
export class CallbackUrlError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CallbackUrlError';
  }
}

const MAX_URL_LENGTH = 2048;
/** The ports a callback may name unless its host is allow-listed; https's own (443) is the default. */
export const WEBHOOK_PORTS: readonly number[] = [443, 8443];
const ALLOW_HOSTS_VARIABLE = 'FARGATE_JOBS_WEBHOOK_ALLOW_HOSTS';
// `host`, `host:port`, `[ipv6]` or `[ipv6]:port`; a bare IPv6 address would make the port ambiguous.
const ALLOW_ENTRY = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/;
const HOST_CHARACTERS = /^[^\s/?#@\\%]+$/;

/**
 * The parsed URL when `raw` may be used as a callback; throws CallbackUrlError otherwise.
 * Allow-listed hosts may use plain http, any address and any port.
 */
export function checkCallbackUrl(raw: string, allowHosts: readonly AllowedHost[]): URL {
  if (raw.length > MAX_URL_LENGTH) {
    throw new CallbackUrlError(`callbackUrl must be at most ${MAX_URL_LENGTH} characters`);
  }
  const url = parseUrl(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CallbackUrlError('callbackUrl must use https');
  }
  // Credentials in the URL would be stored with the job and shown to everyone who can read it.
  if (url.username !== '' || url.password !== '') {
    throw new CallbackUrlError('callbackUrl must not contain a user name or password');
  }
  if (isAllowedHost(url, allowHosts)) {
    return url;
  }
  if (url.protocol !== 'https:') {
    throw new CallbackUrlError('callbackUrl must use https');
  }
  const host = withoutTrailingDot(unbracketed(url.hostname));
  if (isIP(host) !== 0) {
    const reason = forbiddenAddressReason(host);
    if (reason !== undefined) {
      throw new CallbackUrlError(`callbackUrl host ${reason}`);
    }
  }
  if (host === 'localhost' || host.endsWith('.localhost')) {
    throw new CallbackUrlError(`callbackUrl host ${host} is a loopback name`);
  }
  // Other ports would let a callback probe which services a host runs.
  if (url.port !== '' && !WEBHOOK_PORTS.includes(Number(url.port))) {
    throw new CallbackUrlError(`callbackUrl port must be ${WEBHOOK_PORTS.join(' or ')} (got ${url.port})`);
  }
  return url;
}

/** Whether the URL's host (and its port, when the entry names one) is on the allow-list. */
export function isAllowedHost(url: URL, allowHosts: readonly AllowedHost[]): boolean {
  const host = withoutTrailingDot(url.hostname);
  const port = url.port === '' ? defaultPort(url.protocol) : Number(url.port);
  return allowHosts.some((entry) => entry.host === host && (entry.port === undefined || entry.port === port));
}

/**
 * The allow-list from the variable's comma-separated `host` / `host:port` entries; throws an Error
 * naming the first bad entry so a misconfiguration stops the service at start rather than at send time.
 */
export function parseAllowHosts(value: string | undefined): AllowedHost[] {
  if (value === undefined) {
    return [];
  }
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map(parseAllowEntry);
}

function parseAllowEntry(entry: string): AllowedHost {
  const bad = (why: string, options?: ErrorOptions) => new Error(`${ALLOW_HOSTS_VARIABLE} entry '${entry}' ${why}`, options);
  const match = ALLOW_ENTRY.exec(entry);
  const [, rawHost = '', rawPort] = match ?? [];
  if (match === null || !HOST_CHARACTERS.test(rawHost)) {
    throw bad('is not host or host:port (write IPv6 addresses in brackets, e.g. [::1]:8080)');
  }
  let host: string;
  try {
    // Spelling the host as URL does (case, IPv6 compression, IPv4 forms) lets isAllowedHost compare strings.
    host = withoutTrailingDot(new URL(`http://${rawHost}/`).hostname);
  } catch (error) {
    throw bad('is not a valid host name', { cause: error });
  }
  if (rawPort === undefined) {
    return { host };
  }
  const port = Number(rawPort);
  if (port < 1 || port > 65535) {
    throw bad('has a port outside 1-65535');
  }
  return { host, port };
}

function parseUrl(raw: string): URL {
  try {
    return new URL(raw);
  } catch (error) {
    throw new CallbackUrlError('callbackUrl is not a valid URL', { cause: error });
  }
}

function defaultPort(protocol: string): number {
  return protocol === 'http:' ? 80 : 443;
}

function unbracketed(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

// `localhost.` and `hooks.test.` name the same hosts as without the root dot.
function withoutTrailingDot(hostname: string): string {
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}
