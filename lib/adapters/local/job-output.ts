/**
 * A job's stdout and stderr into its log file: every line timestamped with its stream, up to a limit
 * on the bytes the job wrote. The limit counts the job's own bytes, not the stored JSON (about 60
 * bytes more a line, ten times the output of `seq`). Past it the output is still read (a full pipe
 * would block the job) but discarded, and the file's last line marks the cut.
 */
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { truncationLine } from './file-log-reader.ts';
import { PRIVATE_FILE_MODE } from './private-files.ts';

/** Lines longer than this are split, so one runaway line cannot exhaust memory. */
const MAX_LINE_LENGTH = 64 * 1024;
/** How long output already in the pipes may take to be read after the process exits. */
const STREAM_DRAIN_MS = 2000;

/** Opens (appends to) a job's log file: only the user may read it. */
export function openLogFile(path: string): WriteStream {
  return createWriteStream(path, { flags: 'a', mode: PRIVATE_FILE_MODE });
}

/**
 * Records each line of the child's output in `logFile`, telling `onWritten` once a line is in the
 * file (not merely buffered); resolves once the output has ended, or STREAM_DRAIN_MS after `exited`
 * (a background child may hold the pipes open), with the pipes closed and the file flushed. The lines
 * of a job's later attempts (`attempt` past 1) are appended to the same file, each with its attempt:
 * a line without one is the first attempt's. The limit counts each attempt's output on its own.
 */
export async function captureOutput(
  child: ChildProcess,
  logFile: WriteStream,
  options: { maxLogBytes: number; exited: Promise<unknown>; onWritten: () => void; attempt?: number },
): Promise<void> {
  const { maxLogBytes, onWritten } = options;
  const attempt = options.attempt !== undefined && options.attempt > 1 ? { attempt: options.attempt } : {};
  const written = (error?: Error | null) => {
    if (!error) onWritten();
  };
  let outputBytes = 0;
  let truncated = false;
  /** `bytes`: what the job wrote for this piece of a line, its newline included. */
  const record = (stream: 'stdout' | 'stderr', message: string, bytes: number) => {
    if (truncated) return;
    if (outputBytes + bytes > maxLogBytes) {
      truncated = true;
      logFile.write(truncationLine(new Date(), maxLogBytes), written);
      return;
    }
    outputBytes += bytes;
    logFile.write(`${JSON.stringify({ timestamp: new Date().toISOString(), stream, message, ...attempt })}\n`, written);
  };
  const streams = (['stdout', 'stderr'] as const).map(async (stream) => {
    const source = child[stream];
    if (!source) return;
    const lines = createInterface({ input: source, crlfDelay: Infinity });
    for await (const line of lines) {
      for (let offset = 0; offset === 0 || offset < line.length; offset += MAX_LINE_LENGTH) {
        const message = line.slice(offset, offset + MAX_LINE_LENGTH);
        const last = offset + MAX_LINE_LENGTH >= line.length;
        record(stream, message, Buffer.byteLength(message) + (last ? 1 : 0));
      }
    }
  });
  await options.exited;
  await Promise.race([Promise.all(streams), delay(STREAM_DRAIN_MS, undefined, { ref: false })]);
  child.stdout?.destroy();
  child.stderr?.destroy();
  await closeStream(logFile);
}

export async function closeStream(stream: WriteStream): Promise<void> {
  if (stream.closed) return;
  stream.end();
  await once(stream, 'close');
}
