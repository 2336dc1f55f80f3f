/**
 * How a local exec session's streams share one connection (the local server's upgraded HTTP
 * connection, design §10): frames with the 8-byte header Docker's attach API uses
 * (`[type, 0, 0, 0, length as 4 bytes big-endian]`, then `length` bytes), so that stdout and stderr
 * stay apart and the exit code comes after the last byte of output.
 *
 * Client to server: STDIN (an empty one closes the command's stdin) and SIGNAL (a signal's name, sent
 * to the command's process group). Server to client: STDOUT, STDERR, ERROR (a message for the
 * person, e.g. the command could not start) and EXIT (`{"exitCode": n}`), the last frame.
 * A client ends the command's stdin with an empty STDIN frame, never by half-closing the connection:
 * a connection that ends means its client has gone, and the command is hung up.
 */

export const FRAME = { STDIN: 0, STDOUT: 1, STDERR: 2, EXIT: 3, SIGNAL: 4, ERROR: 5 } as const;
export type FrameType = (typeof FRAME)[keyof typeof FRAME];

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

export const FRAME_HEADER_BYTES = 8;
/** The most one frame carries: a reader never holds more than this of a frame it has not finished. */
export const MAX_FRAME_PAYLOAD = 1024 * 1024;

/** The `Upgrade` token of a local exec stream. */
export const EXEC_UPGRADE_PROTOCOL = 'fargate-jobs-exec.v1';

/** What an EXIT frame carries: the command's exit code (128 + the signal's number for a signal death, as a shell says it). */
export interface ExecExit {
  exitCode: number;
}

const TYPES = new Set<number>(Object.values(FRAME));

export function encodeFrame(type: FrameType, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (body.length > MAX_FRAME_PAYLOAD) throw new RangeError(`a frame carries at most ${MAX_FRAME_PAYLOAD} bytes, not ${body.length}`);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** `data` as frames of `type`, none over MAX_FRAME_PAYLOAD. */
export function encodeFrames(type: FrameType, data: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let start = 0; start < data.length; start += MAX_FRAME_PAYLOAD) frames.push(encodeFrame(type, data.subarray(start, start + MAX_FRAME_PAYLOAD)));
  return frames;
}

export function encodeExit(exit: ExecExit): Buffer {
  return encodeFrame(FRAME.EXIT, JSON.stringify(exit));
}

/** The exit an EXIT frame tells; undefined for a payload that is not one. */
export function decodeExit(payload: Buffer): ExecExit | undefined {
  try {
    const value = JSON.parse(payload.toString('utf8')) as Partial<ExecExit>;
    return typeof value.exitCode === 'number' && Number.isInteger(value.exitCode) ? { exitCode: value.exitCode } : undefined;
  } catch {
    return undefined;
  }
}

/** A malformed stream: an unknown frame type, a non-zero reserved byte, or a frame over the limit. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/** Reads frames out of a byte stream that arrives in pieces of any size. */
export class FrameDecoder {
  #buffered: Buffer = Buffer.alloc(0);

  /** The frames `chunk` completes, in order; throws FrameError on a malformed stream. */
  push(chunk: Buffer): Frame[] {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const frames: Frame[] = [];
    while (this.#buffered.length >= FRAME_HEADER_BYTES) {
      const type = this.#buffered[0] ?? -1;
      if (!TYPES.has(type) || this.#buffered.readUIntBE(1, 3) !== 0) throw new FrameError(`not an exec stream frame (type ${type})`);
      const length = this.#buffered.readUInt32BE(4);
      if (length > MAX_FRAME_PAYLOAD) throw new FrameError(`a frame of ${length} bytes is over the limit of ${MAX_FRAME_PAYLOAD}`);
      if (this.#buffered.length < FRAME_HEADER_BYTES + length) break;
      frames.push({ type: type as FrameType, payload: this.#buffered.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length) });
      this.#buffered = this.#buffered.subarray(FRAME_HEADER_BYTES + length);
    }
    return frames;
  }

  /** Bytes of a frame begun and not finished (a stream that ends with some was cut). */
  get pending(): number {
    return this.#buffered.length;
  }
}

/**
 * The signals a SIGNAL frame may carry (its payload is the name): those a person at a terminal sends
 * (Ctrl-C, Ctrl-\, a resize, a hang-up) and a polite stop. SIGKILL is the server's own, after a grace.
 */
export const EXEC_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGWINCH'] as const;
export type ExecSignal = (typeof EXEC_SIGNALS)[number];

/** The signal a SIGNAL frame names, if it is one an exec takes. */
export function decodeExecSignal(payload: Buffer): ExecSignal | undefined {
  const name = payload.toString('utf8');
  return EXEC_SIGNALS.find((signal) => signal === name);
}
