/**
 * A job's command has no stdin (only an exec into a job has one: `run -i`, design §10), so
 * `echo hi | fargate-jobs run -- cat` printed nothing and exited 0, as if `cat` had read an empty
 * input. `run` says so once on stderr, pointing at `run -i`, when its stdin holds something the job
 * will not get:
 *
 * - a regular file (`< data.csv`): when it is not empty, which its size tells without reading it;
 * - a pipe or socket (`echo hi |`): nothing tells what a pipe holds without reading it (on Linux
 *   fstat gives 0 and FIONREAD is out of Node's reach), so the CLI reads it in the background for
 *   as long as it runs: the first data, whenever it comes, brings the notice and ends the reading.
 *   It never blocks and never keeps the CLI alive (the stream is unref'd; a silent, open pipe, as
 *   some CI runners give, is simply never heard from). What it read is lost, as with ssh: a
 *   `… | while read x; do fargate-jobs run …; done` loop ends early and says why. `</dev/null`
 *   (what `ssh -n` does) keeps its stdin for the loop and the notice away;
 * - a terminal, /dev/null or another device, an empty file, a pipe closed with nothing in it, or no
 *   stdin at all: nothing to say.
 */
import { fstatSync, type Stats } from 'node:fs';

export const STDIN_NOTICE = 'stdin is not forwarded to the job: it was ignored (run -i forwards it to the command); </dev/null runs without this notice';

/** `file-with-data`: say it now; `stream`: say it if data comes; `nothing`: never. */
export type StdinKind = 'file-with-data' | 'stream' | 'nothing';

/** What stdin is, from fstat alone: nothing is read. */
export function stdinKind(stat: () => Stats = () => fstatSync(0)): StdinKind {
  let stats: Stats;
  try {
    stats = stat();
  } catch {
    // Started with fd 0 closed.
    return 'nothing';
  }
  if (stats.isFile()) return stats.size > 0 ? 'file-with-data' : 'nothing';
  return stats.isFIFO() || stats.isSocket() ? 'stream' : 'nothing';
}

type Stdin = NodeJS.ReadableStream & { unref?(): unknown };

/** Calls `say` with STDIN_NOTICE once stdin is known to hold data (at once, later or never). */
export function noticeIgnoredStdin(say: (message: string) => void, kind: StdinKind = stdinKind(), stdin: () => Stdin = () => process.stdin): void {
  if (kind === 'file-with-data') say(STDIN_NOTICE);
  if (kind !== 'stream') return;
  const input = stdin();
  input.once('data', () => {
    input.pause();
    say(STDIN_NOTICE);
  });
  // A stdin that cannot be read holds nothing to speak of.
  input.on('error', () => undefined);
  input.unref?.();
}
