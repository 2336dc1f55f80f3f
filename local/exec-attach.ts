/**
 * The attach of a local exec session (design §10), as `docker exec` attaches: the client of
 * `POST /jobs/{id}/exec` calls the session's streamUrl (`/exec-sessions/<sessionId>`) with
 * `Connection: Upgrade`, `Upgrade: fargate-jobs-exec.v1` and `Authorization: Bearer <tokenValue>`.
 * Refused, it gets a plain HTTP answer in the API's error shape and the connection is closed: 421 for
 * another Host (as every route), 400 for another Upgrade, 401 without the session's token, 404 for a
 * session that does not exist, expired or was attached to already. Accepted, it gets
 * `101 Switching Protocols`, the session's command starts, and the connection carries its streams as
 * frames (lib/domain/exec-frames.ts) until the EXIT frame, after its last output.
 *
 * The command's stdin, stdout and stderr are pipes, never a terminal. The client ends stdin with an
 * empty STDIN frame; a client whose connection ends has gone, and its command is hung up (SIGHUP, then
 * SIGKILL after the runner's grace period).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { ExecAttachment, RunningExec } from '#lib/composition/local.ts';
import { decodeExecSignal, encodeExit, encodeFrame, encodeFrames, EXEC_SIGNALS, EXEC_UPGRADE_PROTOCOL, FRAME, FrameDecoder, type Frame, type FrameType } from '#lib/domain/exec-frames.ts';
import type { Logger } from '#lib/domain/logger.ts';
import { expectedHosts, isExpectedHost, LOOPBACK_HOST_NAMES, rawErrorAnswer } from './api-gateway.ts';

export type AttachExec = (sessionId: string, tokenValue: string) => Promise<ExecAttachment>;

export interface ExecAttachOptions {
  /** Claims a session and starts its command; absent where the runner has no local exec (FARGATE_JOBS_RUNNER=ecs). */
  attachExec?: AttachExec;
  /** The names a request's `Host` may give (see ApiGatewayOptions). */
  hostNames?: readonly string[];
  logger: Logger;
}

export interface ExecAttach {
  /** The server's `shouldUpgradeCallback`: only upgrades of the exec sessions' paths are ours; any other request is served as a request. */
  isExecUpgrade(request: IncomingMessage): boolean;
  /** The server's 'upgrade' listener. */
  onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends every attached command (SIGTERM, SIGKILL after the grace period) and resolves once their connections have closed. */
  close(): Promise<void>;
}

export const EXEC_SESSIONS_PATH = '/exec-sessions/';
const SESSION_PATH = /^\/exec-sessions\/([0-9a-f-]{36})$/;
/** How long the command's output may go quiet after it exited, while something outside its group holds the pipes open. */
const OUTPUT_DRAIN_MS = 2000;

interface Refusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

/** The commands attached to, each with its connection's end; `closing` once the server is. */
interface Attached {
  sessions: Map<RunningExec, Promise<void>>;
  closing: boolean;
}

export function execAttach(options: ExecAttachOptions): ExecAttach {
  const attached: Attached = { sessions: new Map(), closing: false };
  return {
    isExecUpgrade: (request) => (request.url ?? '').startsWith(EXEC_SESSIONS_PATH),
    onUpgrade(request, socket, head) {
      socket.on('error', () => undefined);
      upgrade(request, socket, head, options, attached).catch((error: unknown) => {
        options.logger.error('could not attach an exec session', { error: String(error) });
        socket.destroy();
      });
    },
    async close() {
      attached.closing = true;
      for (const exec of attached.sessions.keys()) exec.end('SIGTERM');
      await Promise.all(attached.sessions.values());
    },
  };
}

async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, options: ExecAttachOptions, attached: Attached): Promise<void> {
  const checked = checkRequest(request, options);
  if ('status' in checked) return refuse(socket, checked);
  if (!options.attachExec) return refuse(socket, notFound());
  const attachment = await options.attachExec(checked.sessionId, checked.tokenValue);
  if ('refused' in attachment) return refuse(socket, attachment.refused === 'unknown' ? notFound() : unauthorized('this is not the token of the exec session'));
  if ('failed' in attachment) {
    socket.write(switchingProtocols());
    socket.write(encodeFrame(FRAME.ERROR, attachment.failed.message));
    socket.end(encodeExit({ exitCode: attachment.failed.exitCode }), () => socket.destroy());
    return;
  }
  const exec = attachment.started;
  if (socket.destroyed) {
    // The client left while the command started.
    exec.end('SIGHUP');
    return;
  }
  socket.write(switchingProtocols());
  // Started while the server began to close: it ends as the others did, and its client is told.
  if (attached.closing) exec.end('SIGTERM');
  const carried = carry(socket, head, exec);
  attached.sessions.set(exec, carried);
  await carried;
  attached.sessions.delete(exec);
}

/** The session and its token, or why the request is refused before either is looked at. */
function checkRequest(request: IncomingMessage, options: ExecAttachOptions): { sessionId: string; tokenValue: string } | Refusal {
  const hostNames = options.hostNames ?? LOOPBACK_HOST_NAMES;
  if (!isExpectedHost(request, hostNames)) {
    return { status: 421, code: 'MISDIRECTED_REQUEST', message: `this server answers only requests for ${expectedHosts(request, hostNames).join(' or ')}` };
  }
  const sessionId = SESSION_PATH.exec(request.url ?? '')?.[1];
  if (sessionId === undefined) return notFound();
  if (request.method !== 'GET' && request.method !== 'POST') {
    return { status: 405, code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed on an exec session; use GET or POST`, headers: { allow: 'GET, POST' } };
  }
  if (request.headers.upgrade?.toLowerCase() !== EXEC_UPGRADE_PROTOCOL) {
    return { status: 400, code: 'UNSUPPORTED_UPGRADE', message: `an exec session is attached to with "Connection: Upgrade" and "Upgrade: ${EXEC_UPGRADE_PROTOCOL}"` };
  }
  const tokenValue = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (tokenValue === undefined) return unauthorized('send the tokenValue of POST /jobs/{id}/exec as "Authorization: Bearer <tokenValue>"');
  return { sessionId, tokenValue };
}

function notFound(): Refusal {
  return { status: 404, code: 'EXEC_SESSION_NOT_FOUND', message: 'no such exec session: it expired (a session is attached to within 60 s of POST /jobs/{id}/exec), was attached to already, or its job stopped; open another' };
}

function unauthorized(message: string): Refusal {
  return { status: 401, code: 'UNAUTHORIZED', message, headers: { 'www-authenticate': 'Bearer' } };
}

function refuse(socket: Duplex, refusal: Refusal): void {
  socket.end(rawErrorAnswer(refusal.status, refusal.code, refusal.message, refusal.headers ? { headers: refusal.headers } : {}), () => socket.destroy());
}

function switchingProtocols(): string {
  return `HTTP/1.1 101 Switching Protocols\r\nupgrade: ${EXEC_UPGRADE_PROTOCOL}\r\nconnection: Upgrade\r\n\r\n`;
}

/**
 * Carries the command's streams over the connection until it has exited and its output has been
 * sent, then sends its exit and closes the connection; resolves once the connection has closed.
 */
function carry(socket: Duplex, head: Buffer, exec: RunningExec): Promise<void> {
  let clientGone = false;
  let outputBytes = 0;
  const closed = new Promise<void>((resolve) => socket.once('close', resolve));
  /** The client has gone (or broke the protocol, told with `lastWords`): nothing more is sent, and the command is hung up. */
  const hangUp = (lastWords?: Buffer) => {
    if (clientGone) return;
    clientGone = true;
    if (lastWords) socket.end(lastWords, () => socket.destroy());
    else socket.destroy();
    exec.end('SIGHUP');
    // Its output goes nowhere now: read on, so that the command is not held up by a full pipe.
    exec.stdout.resume();
    exec.stderr.resume();
  };
  const forward = (source: Readable, type: FrameType) => {
    source.on('data', (chunk: Buffer) => {
      outputBytes += chunk.length;
      if (clientGone) return;
      let flowing = true;
      for (const frame of encodeFrames(type, chunk)) flowing = socket.write(frame);
      // The client reads slower than the command writes: the command waits on its full pipe.
      if (!flowing) {
        source.pause();
        socket.once('drain', () => source.resume());
      }
    });
  };
  forward(exec.stdout, FRAME.STDOUT);
  forward(exec.stderr, FRAME.STDERR);

  const decoder = new FrameDecoder();
  const receive = (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch (error) {
      hangUp(encodeFrame(FRAME.ERROR, `the exec stream from the client is malformed (${(error as Error).message}): the command was hung up`));
      return;
    }
    for (const frame of frames) receiveFrame(frame, socket, exec, (message) => clientGone || socket.write(encodeFrame(FRAME.ERROR, message)));
  };
  socket.on('data', receive);
  socket.once('end', () => hangUp());
  socket.once('close', () => hangUp());
  if (head.length > 0) receive(head);

  return exec.exit.then(async (exitCode) => {
    await outputSent([exec.stdout, exec.stderr], () => outputBytes);
    if (!clientGone) {
      clientGone = true;
      socket.end(encodeExit({ exitCode }), () => socket.destroy());
    }
    await closed;
  });
}

function receiveFrame(frame: Frame, socket: Duplex, exec: RunningExec, tell: (message: string) => void): void {
  if (frame.type === FRAME.STDIN) {
    const { stdin } = exec;
    if (stdin.writableEnded || stdin.destroyed) return;
    if (frame.payload.length === 0) {
      stdin.end();
    } else if (!stdin.write(frame.payload)) {
      // The command reads slower than the client writes: the client waits.
      socket.pause();
      const resume = () => {
        stdin.off('drain', resume);
        stdin.off('close', resume);
        socket.resume();
      };
      stdin.on('drain', resume);
      stdin.on('close', resume);
    }
  } else if (frame.type === FRAME.SIGNAL) {
    const signal = decodeExecSignal(frame.payload);
    if (signal) exec.signal(signal);
    else tell(`an exec takes the signals ${EXEC_SIGNALS.join(', ')}, not '${frame.payload.toString('utf8').slice(0, 32)}'`);
  } else {
    tell(`a client sends STDIN and SIGNAL frames, not frames of type ${frame.type}: ignored`);
  }
}

/**
 * Resolves once the streams have ended, or once their output has stalled for OUTPUT_DRAIN_MS while
 * the client was keeping up (a process that left the command's group may hold the pipes open);
 * they are then closed.
 */
async function outputSent(streams: Readable[], outputBytes: () => number): Promise<void> {
  let ended = false;
  const allEnded = Promise.all(streams.map((stream) => finished(stream, { writable: false }).catch(() => undefined))).then(() => {
    ended = true;
  });
  let seen = outputBytes();
  while (!ended) {
    await Promise.race([allEnded, delay(OUTPUT_DRAIN_MS, undefined, { ref: false })]);
    const stalled = outputBytes() === seen && !streams.some((stream) => stream.isPaused());
    if (ended || stalled) break;
    seen = outputBytes();
  }
  for (const stream of streams) stream.destroy();
}
