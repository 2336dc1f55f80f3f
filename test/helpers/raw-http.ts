/**
 * One HTTP request exactly as given, for what fetch will not send: another `Host`, HEAD and OPTIONS
 * answers read byte for byte, headers too large for a server to take.
 */
import { request as httpRequest } from 'node:http';

export interface RawRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export interface RawAnswer {
  status: number;
  /** Header names in lower case, values as one string. */
  headers: Record<string, string>;
  text: string;
}

export function rawRequest(url: string | URL, request: RawRequest): Promise<RawAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { hostname: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: request.method, headers: request.headers ?? {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, String(value)]));
          resolve({ status: response.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    // A server that answers before it has read the whole body may close while it is still sent.
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
