/**
 * A small client of the local exec stream (local/exec-attach.ts, lib/domain/exec-frames.ts) for
 * tests: it attaches to a session's streamUrl with the upgrade headers, sends STDIN and SIGNAL frames,
 * and collects what the server sends until it closes the connection.
 */
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { decodeExit, encodeFrame, encodeFrames, EXEC_UPGRADE_PROTOCOL, FRAME, FrameDecoder, type Frame, type FrameType } from '#lib/domain/exec-frames.ts';

export interface ExecSessionAnswer {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
  target: string;
  region: string;
}

export interface AttachOptions {
  /** The bearer token to send: the session's by default, `null` for none. */
  token?: string | null;
  /** Headers instead of (or besides) the upgrade headers, e.g. another Host or Upgrade. */
  headers?: Record<string, string>;
  method?: string;
}

/** What the server sent, so far or in all. */
export interface ExecOutput {
  stdout: string;
  stderr: string;
  errors: string[];
  /** From the EXIT frame; undefined without one. */
  exitCode: number | undefined;
  /** Frames after the EXIT frame (there must be none). */
  afterExit: number;
}

export interface AttachedExec {
  /** The bytes of stdin, as frames of at most the frame limit. */
  write(data: string | Buffer): void;
  /** An empty STDIN frame: the command's stdin ends. */
  endStdin(): void;
  signal(name: string): void;
  /** Any bytes, e.g. a malformed frame. */
  sendRaw(bytes: Buffer): void;
  output(): ExecOutput;
  /** Polls until `predicate` holds on the output so far. */
  until(what: string, predicate: (output: ExecOutput) => boolean): Promise<ExecOutput>;
  /** Resolves with everything the server sent once it has closed the connection. */
  finished: Promise<ExecOutput>;
  /** The client goes away without a word. */
  disconnect(): void;
}

/** An answer other than 101: the status, headers and JSON body. */
export interface RefusedAttach {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: { error?: { code?: string; message?: string } } | undefined;
}

const UNTIL_ATTEMPTS = 1500;
const UNTIL_INTERVAL_MS = 20;

export function attach(session: Pick<ExecSessionAnswer, 'streamUrl' | 'tokenValue'>, options: AttachOptions = {}): Promise<{ attached: AttachedExec } | { refused: RefusedAttach }> {
  const target = new URL(session.streamUrl);
  const token = options.token === undefined ? session.tokenValue : options.token;
  const headers: Record<string, string> = {
    connection: 'Upgrade',
    upgrade: EXEC_UPGRADE_PROTOCOL,
    ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ hostname: target.hostname, port: target.port, path: target.pathname, method: options.method ?? 'GET', headers });
    outgoing.on('upgrade', (_response, socket, head) => resolve({ attached: attached(socket, head) }));
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ refused: { status: response.statusCode ?? 0, headers: response.headers, json: parseJson(Buffer.concat(chunks).toString('utf8')) } }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Attaches, failing the test on a refusal. */
export async function attachOrFail(session: ExecSessionAnswer): Promise<AttachedExec> {
  const outcome = await attach(session);
  if ('refused' in outcome) throw new Error(`the attach was refused: ${outcome.refused.status} ${JSON.stringify(outcome.refused.json)}`);
  return outcome.attached;
}

function attached(socket: Socket, head: Buffer): AttachedExec {
  const output: ExecOutput = { stdout: '', stderr: '', errors: [], exitCode: undefined, afterExit: 0 };
  const decoder = new FrameDecoder();
  const take = (frame: Frame) => {
    if (output.exitCode !== undefined) output.afterExit += 1;
    else if (frame.type === FRAME.STDOUT) output.stdout += frame.payload.toString('utf8');
    else if (frame.type === FRAME.STDERR) output.stderr += frame.payload.toString('utf8');
    else if (frame.type === FRAME.ERROR) output.errors.push(frame.payload.toString('utf8'));
    else if (frame.type === FRAME.EXIT) output.exitCode = decodeExit(frame.payload)?.exitCode ?? Number.NaN;
  };
  const receive = (chunk: Buffer) => decoder.push(chunk).forEach(take);
  if (head.length > 0) receive(head);
  socket.on('data', receive);
  const finished = new Promise<ExecOutput>((resolve) => {
    socket.on('close', () => resolve({ ...output }));
  });
  socket.on('error', () => undefined);
  const send = (type: FrameType, payload: Buffer | string) => socket.write(encodeFrame(type, payload));
  return {
    write: (data) => {
      for (const frame of encodeFrames(FRAME.STDIN, Buffer.from(data))) socket.write(frame);
    },
    endStdin: () => send(FRAME.STDIN, ''),
    signal: (name) => send(FRAME.SIGNAL, name),
    sendRaw: (bytes) => socket.write(bytes),
    output: () => ({ ...output }),
    async until(what, predicate) {
      for (let attempt = 0; attempt < UNTIL_ATTEMPTS; attempt += 1) {
        if (predicate(output)) return { ...output };
        if (socket.closed) break;
        await delay(UNTIL_INTERVAL_MS);
      }
      if (predicate(output)) return { ...output };
      throw new Error(`gave up waiting for ${what}; the exec sent ${JSON.stringify(output)}`);
    },
    finished,
    disconnect: () => socket.destroy(),
  };
}

function parseJson(text: string): RefusedAttach['json'] {
  try {
    return JSON.parse(text) as RefusedAttach['json'];
  } catch {
    return undefined;
  }
}
