/**
 * The CLI's side of a local exec stream (cli/local-exec.ts), against a stand-in server that speaks
 * the frames: what the user types reaches the command, its stdout and stderr come back apart, its
 * exit code is the answer, and the session's token goes nowhere but the API's own server.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { attachLocalExec } from '../../cli/local-exec.ts';
import { encodeExit, encodeFrame, EXEC_UPGRADE_PROTOCOL, FRAME, FrameDecoder, type Frame } from '../../lib/domain/exec-frames.ts';

type Session = (socket: Socket, frames: AsyncIterable<Frame>, request: IncomingMessage) => Promise<void>;

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A server that upgrades every request and runs `session` on it; refuses with `refusal` when given. */
async function standIn(session: Session, refusal?: { status: number; body: string }): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer();
  server.on('upgrade', (request: IncomingMessage, socket: Socket) => {
    requests.push(request);
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal.status} No\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(refusal.body)}\r\nconnection: close\r\n\r\n${refusal.body}`);
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${EXEC_UPGRADE_PROTOCOL}\r\nconnection: Upgrade\r\n\r\n`);
    void session(socket, framesOf(socket), request);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** The frames the client sends, as they come; leaving the loop early leaves the socket open (to answer on). */
function framesOf(socket: Socket): AsyncIterable<Frame> {
  const decoder = new FrameDecoder();
  const queued: Frame[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  socket.on('data', (chunk: Buffer) => {
    queued.push(...decoder.push(chunk));
    wake?.();
  });
  socket.on('close', () => {
    ended = true;
    wake?.();
  });
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const frame = queued.shift();
        if (frame) yield frame;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

function streams(input: string[] = []) {
  const stdin = new PassThrough();
  for (const piece of input) stdin.write(piece);
  stdin.end();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = (stream: PassThrough) => () => (stream.read() as Buffer | null)?.toString('utf8') ?? '';
  return { stdin, stdout, stderr, out: text(stdout), err: text(stderr) };
}

describe('attaching to a local exec session', () => {
  it('sends stdin to the command until its end, and answers with the exit code after the output', async () => {
    // Prepare: a `cat` that also says something on stderr and exits 3.
    const { url, requests } = await standIn(async (socket, frames) => {
      for await (const frame of frames) {
        if (frame.type !== FRAME.STDIN) continue;
        if (frame.payload.length === 0) break;
        socket.write(encodeFrame(FRAME.STDOUT, frame.payload));
      }
      socket.write(encodeFrame(FRAME.STDERR, 'bye\n'));
      socket.end(encodeExit({ exitCode: 3 }));
    });
    const io = streams(['hi\n', 'there\n']);

    // Act
    const code = await attachLocalExec({ streamUrl: `${url}/exec-sessions/s1`, tokenValue: 'session-token' }, { apiUrl: url, ...io });

    // Assess
    assert.equal(code, 3);
    assert.equal(io.out(), 'hi\nthere\n');
    assert.equal(io.err(), 'bye\n');
    assert.equal(requests[0]?.headers.authorization, 'Bearer session-token');
    assert.equal(requests[0]?.headers.upgrade, EXEC_UPGRADE_PROTOCOL);
    assert.equal(requests[0]?.url, '/exec-sessions/s1');
  });

  it("passes a Ctrl-C on to the command as a SIGNAL frame, and stays attached for the command's answer", async () => {
    // Prepare: the command exits 130 once it gets SIGINT.
    const { url } = await standIn(async (socket, frames) => {
      socket.write(encodeFrame(FRAME.STDOUT, 'ready\n'));
      for await (const frame of frames) {
        if (frame.type === FRAME.SIGNAL) {
          socket.end(encodeExit({ exitCode: frame.payload.toString() === 'SIGINT' ? 130 : 1 }));
          return;
        }
      }
    });
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
    io.stdout.once('data', () => process.emit('SIGINT'));

    // Act
    const code = await attachLocalExec({ streamUrl: `${url}/exec-sessions/s2`, tokenValue: 't' }, { apiUrl: url, ...io });

    // Assess
    assert.equal(code, 130);
    assert.equal(process.listenerCount('SIGINT'), 0, 'no signal listener is left behind');
  });

  it("shows the server's ERROR frame as a line of its own, with control characters made visible", async () => {
    const { url } = await standIn(async (socket) => {
      socket.write(encodeFrame(FRAME.ERROR, 'could not start \u001b]0;x\u0007nosuch: no such file or command'));
      socket.end(encodeExit({ exitCode: 127 }));
    });
    const io = streams();

    const code = await attachLocalExec({ streamUrl: `${url}/exec-sessions/s3`, tokenValue: 't' }, { apiUrl: url, ...io });

    assert.equal(code, 127);
    assert.equal(io.err(), 'fargate-jobs: could not start \\x1b]0;x\\x07nosuch: no such file or command\n');
  });

  it('refuses a stream on another server than the API, sending it nothing', async () => {
    const { url, requests } = await standIn(async (socket) => {
      socket.end(encodeExit({ exitCode: 0 }));
    });
    const io = streams();

    await assert.rejects(
      attachLocalExec({ streamUrl: `${url}/exec-sessions/s4`, tokenValue: 'secret' }, { apiUrl: 'http://127.0.0.1:1', ...io }),
      /is not on the server the session came from/,
    );
    assert.equal(requests.length, 0);
  });

  it("reports the server's refusal with its message", async () => {
    const body = JSON.stringify({ error: { code: 'EXEC_SESSION_NOT_FOUND', message: 'no such exec session (it was used, or it expired)' } });
    const { url } = await standIn(async () => undefined, { status: 404, body });
    const io = streams();

    await assert.rejects(
      attachLocalExec({ streamUrl: `${url}/exec-sessions/s5`, tokenValue: 't' }, { apiUrl: url, ...io }),
      /refused the exec stream: no such exec session \(it was used, or it expired\) \(404\)/,
    );
  });

  it('fails when the stream ends before the command exited', async () => {
    const { url } = await standIn(async (socket) => {
      socket.end(encodeFrame(FRAME.STDOUT, 'partial'));
    });
    const io = streams();

    await assert.rejects(attachLocalExec({ streamUrl: `${url}/exec-sessions/s6`, tokenValue: 't' }, { apiUrl: url, ...io }), /closed before the command exited/);
  });
});
