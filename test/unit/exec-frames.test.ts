/**
 * The frames of the local exec stream (lib/domain/exec-frames.ts): what is encoded is decoded, in
 * whatever pieces the bytes arrive; no frame over the limit is written or read; a stream that is not
 * one of frames is told as such.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeExecSignal,
  decodeExit,
  encodeExit,
  encodeFrame,
  encodeFrames,
  FRAME,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FrameError,
  MAX_FRAME_PAYLOAD,
  type Frame,
} from '#lib/domain/exec-frames.ts';

/** The frames of `bytes`, pushed in pieces of `size` bytes. */
function decodeInPieces(bytes: Buffer, size: number): Frame[] {
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  for (let start = 0; start < bytes.length; start += size) frames.push(...decoder.push(bytes.subarray(start, start + size)));
  assert.equal(decoder.pending, 0);
  return frames;
}

const readable = (frames: Frame[]) => frames.map(({ type, payload }) => ({ type, text: payload.toString('utf8') }));

describe('exec stream frames', () => {
  it('encode a header of type, three zero bytes and the big-endian length, then the payload', () => {
    // Act
    const frame = encodeFrame(FRAME.STDERR, 'héllo');

    // Assess
    assert.deepEqual([...frame.subarray(0, FRAME_HEADER_BYTES)], [2, 0, 0, 0, 0, 0, 0, 6]);
    assert.equal(frame.subarray(FRAME_HEADER_BYTES).toString('utf8'), 'héllo');
  });

  it('decode what was encoded, whatever the pieces the bytes arrive in, empty frames included', () => {
    // Prepare
    const sent = [
      encodeFrame(FRAME.STDOUT, 'out\n'),
      encodeFrame(FRAME.STDIN),
      encodeFrame(FRAME.STDERR, 'ünïcode ✓'),
      encodeFrame(FRAME.SIGNAL, 'SIGINT'),
      encodeFrame(FRAME.ERROR, 'no such file or command: x'),
      encodeExit({ exitCode: 130 }),
    ];
    const bytes = Buffer.concat(sent);
    const expected = [
      { type: FRAME.STDOUT, text: 'out\n' },
      { type: FRAME.STDIN, text: '' },
      { type: FRAME.STDERR, text: 'ünïcode ✓' },
      { type: FRAME.SIGNAL, text: 'SIGINT' },
      { type: FRAME.ERROR, text: 'no such file or command: x' },
      { type: FRAME.EXIT, text: '{"exitCode":130}' },
    ];

    for (const size of [1, 2, 3, 7, 8, 9, 13, bytes.length - 1, bytes.length]) {
      // Act
      const frames = decodeInPieces(bytes, size);

      // Assess
      assert.deepEqual(readable(frames), expected, `in pieces of ${size} bytes`);
    }
  });

  it('keep the bytes of a frame begun and not finished as pending', () => {
    // Prepare
    const decoder = new FrameDecoder();
    const frame = encodeFrame(FRAME.STDOUT, 'abcdef');

    // Act
    const first = decoder.push(frame.subarray(0, 10));

    // Assess
    assert.deepEqual(first, []);
    assert.equal(decoder.pending, 10);
    assert.deepEqual(readable(decoder.push(frame.subarray(10))), [{ type: FRAME.STDOUT, text: 'abcdef' }]);
    assert.equal(decoder.pending, 0);
  });

  it('carry a frame of exactly the limit, and refuse to encode one byte more', () => {
    // Prepare
    const largest = Buffer.alloc(MAX_FRAME_PAYLOAD, 1);

    // Act
    const frames = decodeInPieces(encodeFrame(FRAME.STDIN, largest), 64 * 1024);

    // Assess
    assert.equal(frames.length, 1);
    assert.equal(frames[0]?.payload.length, MAX_FRAME_PAYLOAD);
    assert.throws(() => encodeFrame(FRAME.STDIN, Buffer.alloc(MAX_FRAME_PAYLOAD + 1)), RangeError);
  });

  it('split data over the limit into frames that put it back whole, and none for no data', () => {
    // Prepare
    const data = Buffer.alloc(2 * MAX_FRAME_PAYLOAD + 5);
    for (let index = 0; index < data.length; index += 1) data[index] = index % 251;

    // Act
    const frames = encodeFrames(FRAME.STDOUT, data);

    // Assess
    assert.deepEqual(frames.map((frame) => frame.length - FRAME_HEADER_BYTES), [MAX_FRAME_PAYLOAD, MAX_FRAME_PAYLOAD, 5]);
    const decoded = decodeInPieces(Buffer.concat(frames), 100_000);
    assert.ok(Buffer.concat(decoded.map((frame) => frame.payload)).equals(data));
    assert.deepEqual(encodeFrames(FRAME.STDOUT, Buffer.alloc(0)), []);
  });

  it('refuse a header announcing more than the limit as soon as the header is in, without waiting for the payload', () => {
    // Prepare
    const header = Buffer.from([FRAME.STDIN, 0, 0, 0, 0, 0, 0, 0]);
    header.writeUInt32BE(MAX_FRAME_PAYLOAD + 1, 4);

    // Act and assess
    assert.throws(() => new FrameDecoder().push(header), FrameError);
  });

  it('refuse an unknown frame type and a non-zero reserved byte, after the good frames before them', () => {
    // Prepare
    const good = encodeFrame(FRAME.STDOUT, 'fine');
    const unknownType = Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]);
    const reserved = Buffer.from([FRAME.STDOUT, 0, 1, 0, 0, 0, 0, 0]);
    const http = Buffer.from('GET / HTTP/1.1\r\n');

    // Act and assess
    for (const bad of [unknownType, reserved, http]) {
      const decoder = new FrameDecoder();
      assert.deepEqual(readable(decoder.push(good)), [{ type: FRAME.STDOUT, text: 'fine' }]);
      assert.throws(() => decoder.push(bad), (error: unknown) => error instanceof FrameError && error.name === 'FrameError');
    }
  });

  it('read an exit code from an EXIT frame, and nothing from a payload that is not one', () => {
    assert.deepEqual(decodeExit(Buffer.from('{"exitCode":3}')), { exitCode: 3 });
    for (const bad of ['', 'null', '3', '{"exitCode":"3"}', '{"exitCode":1.5}', '{']) {
      assert.equal(decodeExit(Buffer.from(bad)), undefined, bad);
    }
  });

  it('take the signals a person sends (Ctrl-C, Ctrl-\\, a resize, a hang-up, a stop) by name, and no other', () => {
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGWINCH']) assert.equal(decodeExecSignal(Buffer.from(name)), name);
    for (const name of ['SIGKILL', 'SIGSTOP', 'sigint', 'INT', '2', '', 'SIGINT\n']) assert.equal(decodeExecSignal(Buffer.from(name)), undefined, name);
  });
});
