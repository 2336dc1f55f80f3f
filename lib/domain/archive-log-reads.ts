/**
 * A job's log read from its archive once it has one (log-archive.ts), from the task's log stream
 * before: the stream while the job runs and until FinalizeJob has archived it, the archive after.
 * Positions in both are line numbers, so a client following the job across the switch loses and
 * repeats no line: its next stream cursor carries `line`, and the archive reads on from that line.
 *
 * What still goes to the stream once the job is archived (it is kept for the log group's retention,
 * 30 days), so that none of the cursors it handed out stops working:
 *   - a forward stream cursor without `line` (one from before cursors carried it, or the forward
 *     cursor of a tail that did not reach the log's first line): where it is in the log is known
 *     only to the stream's tokens;
 *   - a `before` that is not the archive's own (the stream's backward cursors never say their line).
 * An archive cursor for a job with no archive goes to the stream reader, which refuses it (400).
 */
import { beforeLineOf, lineOf } from './log-archive.ts';
import type { LogReader } from './ports.ts';

export function archiveLogReads(readers: { archive: LogReader; stream: LogReader }): LogReader {
  const { archive, stream } = readers;
  return {
    read(job, options) {
      const archived = job.logArchive !== undefined && (options.cursor === undefined || lineOf(options.cursor) !== undefined);
      return (archived ? archive : stream).read(job, options);
    },
    readBackward(job, options) {
      const archived = job.logArchive !== undefined && (options.before === undefined || beforeLineOf(options.before) !== undefined);
      return (archived ? archive : stream).readBackward(job, options);
    },
    tail: (job, count, options) => (job.logArchive ? archive.tail(job, count, options) : stream.tail(job, count, options)),
  };
}
