/**
 * One read of a job's log at a time per process, whoever asks: the waits that follow the same job
 * (two terminals on one job, the CLI's job wait beside its log wait) share one GetLogEvents instead of
 * each making its own, and reads of the same job from different cursors queue behind one another
 * rather than run side by side. For a log whose reads count against a rate (CloudWatch Logs:
 * GetLogEvents, 25 a second per account and region unless raised, shared with FinalizeJob).
 *
 * Where it helps: a process that serves many requests at once, such as local mode on ECS
 * (FARGATE_JOBS_RUNNER=ecs). A Lambda instance serves one request at a time, so there it shares
 * nothing: on AWS the reads are bounded by the waiting function's reserved concurrency
 * (pollConcurrency) and each wait's backoff (lib/domain/waiting.ts: logPollDelayMs).
 */
import type { Job } from './job.ts';
import type { LogPage, LogReader } from './ports.ts';

export function coalescedLogReads(reader: LogReader): LogReader {
  /** The read in flight for a job, stream and page: joined by whoever asks for the same page. */
  const inFlight = new Map<string, Promise<LogPage>>();
  /** The last read queued for each job, settled or not: the next read of the job starts after it. */
  const queues = new Map<string, Promise<void>>();

  return {
    read(job: Job, options: { cursor?: string; limit: number }): Promise<LogPage> {
      // The task is part of the key: a read begun before the job had one would find nothing.
      const key = JSON.stringify([job.id, job.taskArn ?? null, options.cursor ?? null, options.limit]);
      const joined = inFlight.get(key);
      if (joined) return joined;
      const page = (queues.get(job.id) ?? Promise.resolve()).then(() => reader.read(job, options));
      const settled = page.then(
        () => undefined,
        () => undefined,
      );
      inFlight.set(key, page);
      queues.set(job.id, settled);
      void settled.then(() => {
        if (inFlight.get(key) === page) inFlight.delete(key);
        if (queues.get(job.id) === settled) queues.delete(job.id);
      });
      return page;
    },
    // A tail or an earlier page is read once by whoever asks (a console opening the job), not followed.
    readBackward: (job, options) => reader.readBackward(job, options),
    tail: (job, count, options) => reader.tail(job, count, options),
  };
}
