/**
 * An embedded DynamoDB-compatible store (dynalite, LevelDB on disk), so the tests run the very
 * DynamoDB adapter that runs on AWS, and local mode can read the `<data dir>/db` folder earlier
 * versions kept their records in (openEmbeddedDynamoDbPrivately: no TCP port at all).
 *
 * dynalite checks no credentials and answers any web page's `Origin` with CORS `*`: anyone on the
 * machine who finds its port (another user, any process, a page in a browser) could read every job
 * and token hash, or write a token of their own. So each start makes a random secret that every
 * request must carry in the STORE_SECRET_HEADER, requests from web pages (an `Origin` header, CORS
 * preflights) are refused whatever they carry, and a refused request never reaches dynalite.
 */
import { randomBytes } from 'node:crypto';
import { equalSecrets } from '#lib/domain/constant-time.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createConnection, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

const SECRET_BYTES = 32;

/** The header that carries the store's secret (lower case, as Node hands headers over). */
export const STORE_SECRET_HEADER = 'x-fargate-jobs-store-secret';

export interface EmbeddedDynamoDb {
  client: DynamoDBClient;
  endpoint: string;
  /** What a client of `endpoint` must send in STORE_SECRET_HEADER (64 hex digits, new each start). */
  secret: string;
  close(): Promise<void>;
}

/** Starts dynalite; with `path` its data persists there, without it lives in memory. */
export async function startEmbeddedDynamoDb(options: { path?: string } = {}): Promise<EmbeddedDynamoDb> {
  const secret = randomBytes(SECRET_BYTES).toString('hex');
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  guardRequests(server, secret);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = embeddedDynamoDbClient(endpoint, { secret });
  return {
    client,
    endpoint,
    secret,
    async close() {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * Opens the dynalite store in `path` for this process alone, reached through a Unix socket in a new
 * directory only its user may enter (0700, removed on close) rather than a TCP port, and still
 * behind a secret: for reading an earlier version's data once, not for serving.
 */
export async function openEmbeddedDynamoDbPrivately(path: string): Promise<Pick<EmbeddedDynamoDb, 'client' | 'close'>> {
  const secret = randomBytes(SECRET_BYTES).toString('hex');
  const socketDirectory = mkdtempSync(join(tmpdir(), 'fargate-jobs-store-'));
  const socketPath = join(socketDirectory, 'store.sock');
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  guardRequests(server, secret);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } catch (error) {
    rmSync(socketDirectory, { recursive: true, force: true });
    throw error;
  }
  const client = embeddedDynamoDbClient('http://localhost', { secret, requestHandler: { httpAgent: new UnixSocketAgent(socketPath) } });
  return {
    client,
    async close() {
      client.destroy();
      server.closeAllConnections?.();
      try {
        await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      } finally {
        rmSync(socketDirectory, { recursive: true, force: true });
      }
    },
  };
}

/** Connects every request to one Unix socket, whatever host its URL names. */
class UnixSocketAgent extends Agent {
  readonly #socketPath: string;

  constructor(socketPath: string) {
    super();
    this.#socketPath = socketPath;
  }

  override createConnection(): Socket {
    return createConnection(this.#socketPath);
  }
}

/** Puts the secret check in front of dynalite's own request listener(s). */
function guardRequests(server: Server, secret: string): void {
  const dynaliteListeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  const expected = Buffer.from(secret, 'utf8');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const refusal = refusalOf(request, expected);
    if (refusal !== undefined) {
      refuse(response, refusal);
      return;
    }
    for (const listener of dynaliteListeners) listener.call(server, request, response);
  });
}

/** Why a request may not reach the store, or undefined when it may. */
function refusalOf(request: IncomingMessage, expected: Buffer): string | undefined {
  // A browser sends Origin on every cross-origin request: a page must never reach the store, even
  // one that somehow learnt the secret.
  if (request.headers.origin !== undefined || request.method === 'OPTIONS') {
    return 'the fargate-jobs store refuses requests from web pages (Origin header or CORS preflight)';
  }
  const presented = request.headers[STORE_SECRET_HEADER];
  if (typeof presented !== 'string' || !equalSecrets(presented, expected)) {
    return `the fargate-jobs store needs the secret of its running server in the ${STORE_SECRET_HEADER} header (only the process that opened it has it)`;
  }
  return undefined;
}

/** A 403 as DynamoDB words one, so an SDK client throws AccessDeniedException with the message. */
function refuse(response: ServerResponse, message: string): void {
  const body = JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', message });
  // The request body is left unread: closing the connection discards it.
  response.writeHead(403, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body), connection: 'close' });
  response.end(body);
}

/**
 * A client of an embedded store at `endpoint`, sending its `secret` with every request (dynalite
 * itself takes any region and credentials).
 */
export function embeddedDynamoDbClient(endpoint: string, options: { secret: string; maxAttempts?: number; requestHandler?: { httpAgent: Agent } }): DynamoDBClient {
  const { secret, ...clientOptions } = options;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...clientOptions,
  });
  // At 'build', before signing: the header is part of every request, retries included.
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[STORE_SECRET_HEADER] = secret;
      return next(args);
    },
    { step: 'build', name: 'fargateJobsStoreSecret' },
  );
  return client;
}
