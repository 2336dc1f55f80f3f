/**
 * Attaching to a local-mode exec session (`target: local:<job id>`): the session's stream is an
 * upgraded HTTP connection to the local server (`Upgrade: fargate-jobs-exec.v1`, the session's token
 * as the bearer), carrying frames (lib/domain/exec-frames.ts): our stdin to the command, its stdout
 * and stderr to ours, then its exit code. Signals the CLI gets while attached (Ctrl-C, a hang-up) go
 * to the command, which decides what they mean, as a program run here would.
 *
 * The command's output goes through byte for byte, as ssh and `docker exec` pass it: the user runs it
 * interactively, and sees what it writes as they would on the machine. Nothing is a terminal on the
 * other side (pipes, no PTY): docs/local-mode.md says what that means.
 *
 * The session's token goes only to the server the CLI already trusts with its API token: a stream URL
 * on another origin is refused before anything is sent.
 */
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { decodeExit, encodeFrame, encodeFrames, EXEC_UPGRADE_PROTOCOL, FRAME, FrameDecoder, type Frame } from '#lib/domain/exec-frames.ts';
import { sanitizeMetadata } from './sanitize.ts';

export interface LocalExecSession {
  streamUrl: string;
  tokenValue: string;
}

export interface LocalExecOptions {
  /** The API the session came from: the stream must be on the same server. */
  apiUrl: string;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The signals passed on to the command while attached (the server allows these and a few more). */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** Attaches to the session; resolves to the command's exit code. Throws for a stream it cannot open, or one cut before the exit. */
export async function attachLocalExec(session: LocalExecSession, options: LocalExecOptions): Promise<number> {
  const url = streamUrlOf(session, options.apiUrl);
  const socket = await openStream(url, session.tokenValue);
  return carry(socket, options);
}

function streamUrlOf(session: LocalExecSession, apiUrl: string): URL {
  const stream = new URL(session.streamUrl);
  const api = new URL(apiUrl);
  if (stream.protocol !== 'http:' || stream.origin !== api.origin) {
    throw new Error(`the exec session's stream (${sanitizeMetadata(stream.origin)}) is not on the server the session came from (${api.origin}): not attaching`);
  }
  return stream;
}

/** The upgraded connection, or the server's refusal as an Error with its message. */
function openStream(url: URL, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const upgrade = request(url, {
      method: 'GET',
      headers: { connection: 'Upgrade', upgrade: EXEC_UPGRADE_PROTOCOL, authorization: `Bearer ${token}` },
    });
    upgrade.on('upgrade', (_response, socket, head) => {
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    upgrade.on('response', (response) => {
      refusalOf(response).then(reject, reject);
    });
    upgrade.on('error', (error) => reject(new Error(`could not open the exec stream at ${url.origin}: ${error.message}`)));
    upgrade.end();
  });
}

async function refusalOf(response: IncomingMessage): Promise<Error> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  let message = `${response.statusCode} ${response.statusMessage ?? ''}`.trim();
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') message = `${body.error.message} (${response.statusCode})`;
  } catch {
    // Not the API's error shape: the status says it.
  }
  return new Error(`the local server refused the exec stream: ${sanitizeMetadata(message)}`);
}

/** Carries stdin, signals, stdout and stderr until the EXIT frame (or the stream's end). */
function carry(socket: Socket, options: LocalExecOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder();
    let exitCode: number | undefined;
    const detach = [sendStdin(socket, options.stdin), forwardSignals(socket)];
    const finish = (error?: Error) => {
      for (const stop of detach) stop();
      socket.destroy();
      if (exitCode !== undefined) resolve(exitCode);
      else reject(error ?? new Error('the exec stream closed before the command exited'));
    };
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        finish(error as Error);
        return;
      }
      for (const frame of frames) {
        const exit = deliver(frame, socket, options);
        if (exit !== undefined) exitCode = exit;
      }
      if (exitCode !== undefined) finish();
    });
    socket.on('end', () => finish());
    socket.on('error', (error) => finish(new Error(`the exec stream failed: ${error.message}`)));
  });
}

/** Writes a frame's bytes where they go (holding the stream while a slow stdout catches up); the exit code for EXIT. */
function deliver(frame: Frame, socket: Socket, options: LocalExecOptions): number | undefined {
  switch (frame.type) {
    case FRAME.STDOUT:
    case FRAME.STDERR: {
      const target = frame.type === FRAME.STDOUT ? options.stdout : options.stderr;
      if (!target.write(frame.payload)) {
        socket.pause();
        target.once('drain', () => socket.resume());
      }
      return undefined;
    }
    case FRAME.ERROR:
      options.stderr.write(`fargate-jobs: ${sanitizeMetadata(frame.payload.toString('utf8'))}\n`);
      return undefined;
    case FRAME.EXIT:
      return decodeExit(frame.payload)?.exitCode ?? 1;
    default:
      return undefined;
  }
}

/** Our stdin as STDIN frames, then the empty one that closes the command's; returns what stops it. */
function sendStdin(socket: Socket, stdin: NodeJS.ReadableStream): () => void {
  const onData = (chunk: Buffer | string) => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let flowing = true;
    for (const frame of encodeFrames(FRAME.STDIN, data)) flowing = socket.write(frame) && flowing;
    if (!flowing) {
      stdin.pause();
      socket.once('drain', () => stdin.resume());
    }
  };
  const onEnd = () => {
    if (socket.writable) socket.write(encodeFrame(FRAME.STDIN));
  };
  // A stdin that cannot be read is one that has nothing to give.
  const onError = () => onEnd();
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  stdin.on('error', onError);
  return () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.off('error', onError);
    stdin.pause();
  };
}

function forwardSignals(socket: Socket): () => void {
  const listeners = FORWARDED_SIGNALS.map((signal) => {
    const listener = () => {
      if (socket.writable) socket.write(encodeFrame(FRAME.SIGNAL, signal));
    };
    process.on(signal, listener);
    return () => process.off(signal, listener);
  });
  return () => {
    for (const stop of listeners) stop();
  };
}
