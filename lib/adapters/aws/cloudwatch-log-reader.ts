/**
 * The LogReader port on AWS: the watched container logs through the awslogs driver, so a job's
 * lines are the stream `<logStreamPrefix>/<container>/<task id>` in its profile's log group. A
 * cursor wraps one of CloudWatch's tokens: a forward one (`read`), or a backward one (`readBackward`,
 * from the stream's end without one). Either way the stream's end (or start) is reached when the
 * token comes back unchanged.
 *
 * A retried job has a stream per attempt whose task started (each task its own): reads go through
 * them in order, forward from the first attempt's to the current one's, backward from the current
 * one's end to the first's start, and each cursor says which attempt's stream its token belongs to
 * (none: the first's, as every cursor from before retries). An ended attempt's stream was drained
 * before the next attempt started (FinalizeJob), so a forward read moves on at its end. `tail` (the
 * job's stored log tail) reads the current attempt's stream only.
 *
 * A forward cursor carries its `line` (the lines of every attempt before its position) wherever the
 * reader knows it: from the head always, from the end only for a page that reached the first line.
 */
import { GetLogEventsCommand, type CloudWatchLogsClient, type OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { decodeCursor, encodeCursor } from '#lib/domain/cursor.ts';
import { currentAttempt, logAttempt } from '#lib/domain/job-attempts.ts';
import type { Job } from '#lib/domain/job.ts';
import type { BackwardLogPage, LogLine, LogPage, LogReader, TailOptions } from '#lib/domain/ports.ts';
import type { AwsTaskSettingsByProfile } from '#lib/domain/aws-profile.ts';
import { backwardCursor, expiredCursor, forwardCursor, isBackwardStreamCursor, isStreamCursor, type BackwardStreamCursor, type StreamCursor } from './cloudwatch-log-cursors.ts';

/** GetLogEvents may return short or empty pages before the end; this bounds the calls one page makes. */
const MAX_CALLS_PER_PAGE = 5;
/** The most events one GetLogEvents call returns. */
const MAX_EVENTS_PER_CALL = 10_000;

const DEFAULT_QUIET_MS = 10_000;
const DEFAULT_MAX_DRAIN_MS = 60_000;
const DEFAULT_POLL_MS = 2_000;

export interface CloudWatchLogReaderOptions {
  client: CloudWatchLogsClient;
  settings: AwsTaskSettingsByProfile;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** How long the stream must stay unchanged before `tail` trusts that the driver has flushed. */
  quietMs?: number;
  /** How long `tail` waits at most for the stream to go quiet. */
  maxDrainMs?: number;
  /** How often `tail` looks at the stream while waiting. */
  pollMs?: number;
}

interface LogStream {
  logGroupName: string;
  logStreamName: string;
}

/** The stream of one attempt's task. */
interface AttemptStream {
  attempt: number;
  stream: LogStream;
}

/** What reading one stream forward came to. */
interface ForwardRun {
  events: OutputLogEvent[];
  token: string | null;
  atEnd: boolean;
  /** The stream does not exist (yet). */
  missing: boolean;
  calls: number;
}

export class CloudWatchLogReader implements LogReader {
  readonly #client: CloudWatchLogsClient;
  readonly #settings: AwsTaskSettingsByProfile;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #quietMs: number;
  readonly #maxDrainMs: number;
  readonly #pollMs: number;

  constructor(options: CloudWatchLogReaderOptions) {
    this.#client = options.client;
    this.#settings = options.settings;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? Date.now;
    this.#quietMs = options.quietMs ?? DEFAULT_QUIET_MS;
    this.#maxDrainMs = options.maxDrainMs ?? DEFAULT_MAX_DRAIN_MS;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  async read(job: Job, options: { cursor?: string; limit: number }): Promise<LogPage> {
    const start: StreamCursor = options.cursor ? decodeCursor(options.cursor, isStreamCursor) : { forwardToken: null, line: 0 };
    const lineAfter = (lines: number) => (start.line === undefined ? undefined : start.line + lines);
    const nothingYet: LogPage = { lines: [], nextCursor: options.cursor ?? encodeCursor(start), atEnd: true, truncated: false };
    const streams = this.#streamsOf(job);
    // The cursor's attempt, or the first after it with a stream (its own task never started).
    let index = streams.findIndex((candidate) => candidate.attempt >= (start.attempt ?? 1));
    if (index === -1) return nothingYet;
    let token = streams[index]?.attempt === (start.attempt ?? 1) ? start.forwardToken : null;

    const lines: LogLine[] = [];
    let calls = 0;
    for (;;) {
      const { attempt, stream } = streams[index]!;
      const run = await this.#readForward(stream, token, options.limit - lines.length, MAX_CALLS_PER_PAGE - calls, token === start.forwardToken);
      calls += run.calls;
      // The driver creates the stream when the container starts: until then there is nothing to read.
      if (run.missing && lines.length === 0 && index === streams.length - 1) return { ...nothingYet, nextCursor: forwardCursor(token, attempt, start.line) };
      lines.push(...run.events.map((event) => toLogLine(event, job, attempt)));
      token = run.token;
      // An ended attempt's stream, read to its end: the next attempt's follows from its head.
      const last = index === streams.length - 1;
      if (!run.atEnd || last || lines.length >= options.limit || calls >= MAX_CALLS_PER_PAGE) {
        // CloudWatch Logs keeps what the task writes (its own quotas aside): nothing is cut here.
        return { lines, nextCursor: forwardCursor(token, attempt, lineAfter(lines.length)), atEnd: run.atEnd && last, truncated: false };
      }
      index += 1;
      token = null;
    }
  }

  /** GetLogEvents forward through one stream from `token`, until `limit` events, its end or `calls` calls. */
  async #readForward(stream: LogStream, from: string | null, limit: number, calls: number, fromCursor: boolean): Promise<ForwardRun> {
    const events: OutputLogEvent[] = [];
    let token = from;
    let atEnd = false;
    let made = 0;
    for (; made < calls && events.length < limit && !atEnd; made += 1) {
      let response;
      try {
        response = await this.#client.send(
          new GetLogEventsCommand({
            ...stream,
            startFromHead: true,
            // Never more than the page has room for: a forward token cannot point inside a response.
            limit: Math.min(limit - events.length, MAX_EVENTS_PER_CALL),
            ...(token ? { nextToken: token } : {}),
          }),
        );
      } catch (error) {
        if (isNamed(error, 'ResourceNotFoundException')) return { events, token, atEnd: true, missing: events.length === 0, calls: made + 1 };
        // Forward tokens expire after 24 hours; an old cursor is the client's to replace, not a 500.
        if (fromCursor && token !== null && token === from && isNamed(error, 'InvalidParameterException')) throw expiredCursor('cursor');
        throw error;
      }
      events.push(...(response.events ?? []));
      const next = response.nextForwardToken;
      atEnd = next === undefined || next === token;
      token = next ?? token;
    }
    return { events, token, atEnd, missing: false, calls: made };
  }

  /**
   * GetLogEvents from the stream's end (startFromHead false), without a token for the newest events,
   * with a backward token for those before it. The forward cursor of a read from the end is its first
   * call's nextForwardToken: it points after the newest event returned, so following it misses none.
   * A page full before the start was seen keeps a previousCursor, whose read may find nothing more.
   * A retried job's page goes on into the earlier attempts' streams, each from its end.
   */
  async readBackward(job: Job, options: { before?: string; limit: number }): Promise<BackwardLogPage> {
    const start = options.before === undefined ? undefined : decodeCursor(options.before, isBackwardStreamCursor, 'before');
    const streams = this.#streamsOf(job);
    const newest = streams.at(-1);
    // Without a `before`, nothing to read means no stream at all: the log is empty so far.
    const fromHead = forwardCursor(null, newest?.attempt ?? 1, 0);
    const nothing: BackwardLogPage = { lines: [], previousCursor: null, truncated: false, ...(start ? {} : { forward: { nextCursor: fromHead, atEnd: true } }) };
    // The cursor's attempt, or the last before it with a stream.
    let index = start ? streams.findLastIndex((candidate) => candidate.attempt <= (start.attempt ?? 1)) : streams.length - 1;
    if (index === -1) return nothing;
    let token = start && streams[index]?.attempt === (start.attempt ?? 1) ? start.backwardToken : undefined;

    const pages: LogLine[][] = [];
    let count = 0;
    let calls = 0;
    /** Where a read from the end goes on: the newest stream's token and attempt (none: from its head). */
    let forwardFrom: { token: string | null; attempt: number } | undefined = start ? undefined : { token: null, attempt: newest?.attempt ?? 1 };
    let previousCursor: string | null = null;
    for (;;) {
      const { attempt, stream } = streams[index]!;
      const newestRead = !start && index === streams.length - 1 && token === undefined;
      const run = await this.#readBackwardRun(stream, token, options.limit - count, MAX_CALLS_PER_PAGE - calls, start !== undefined && token === start.backwardToken, job);
      calls += run.calls;
      if (newestRead && run.forwardToken !== undefined) forwardFrom = { token: run.forwardToken, attempt };
      pages.push(run.events.map((event) => toLogLine(event, job, attempt)));
      count += run.events.length;
      token = run.token;
      if (!run.atStart) {
        previousCursor = token === undefined ? null : backwardCursor(token, attempt);
        break;
      }
      if (index === 0) break;
      // At the start of this attempt's stream: the earlier attempt's, from its end.
      const earlier = streams[index - 1]!.attempt;
      if (count >= options.limit || calls >= MAX_CALLS_PER_PAGE) {
        previousCursor = encodeCursor({ attempt: earlier } satisfies BackwardStreamCursor);
        break;
      }
      index -= 1;
      token = undefined;
    }
    // A page from the end that reached the log's first line knows how many lines come before its forward cursor: all of them.
    const forward = forwardFrom && { nextCursor: forwardCursor(forwardFrom.token, forwardFrom.attempt, previousCursor === null ? count : undefined), atEnd: true };
    return {
      lines: pages.reverse().flat(),
      previousCursor,
      ...(forward ? { forward } : {}),
      // CloudWatch Logs keeps what the task writes (its own quotas aside): nothing is cut here.
      truncated: false,
    };
  }

  /** GetLogEvents backward through one stream from `token` (its end without one), until `limit` events, its start or `calls` calls. */
  async #readBackwardRun(stream: LogStream, from: string | undefined, limit: number, calls: number, fromCursor: boolean, job: Job) {
    const newestFirst: OutputLogEvent[][] = [];
    let count = 0;
    let token = from;
    let forwardToken: string | undefined;
    let atStart = false;
    let made = 0;
    for (; made < calls && count < limit && !atStart; made += 1) {
      let response;
      try {
        response = await this.#client.send(
          new GetLogEventsCommand({ ...stream, startFromHead: false, limit: Math.min(limit - count, MAX_EVENTS_PER_CALL), ...(token ? { nextToken: token } : {}) }),
        );
      } catch (error) {
        // No stream: the container has not started logging (or what it wrote is kept no longer).
        if (isNamed(error, 'ResourceNotFoundException')) return { events: newestFirst.reverse().flat(), token, forwardToken, atStart: true, missing: count === 0, calls: made + 1 };
        // Backward tokens expire after 24 hours too.
        if (fromCursor && token === from && isNamed(error, 'InvalidParameterException')) throw expiredCursor('before');
        throw error;
      }
      if (made === 0 && from === undefined) {
        forwardToken = response.nextForwardToken;
        if (!forwardToken) throw new Error(`GetLogEvents answered a read from the end without a nextForwardToken (job ${job.id})`);
      }
      const events = response.events ?? [];
      newestFirst.push(events);
      count += events.length;
      atStart = response.nextBackwardToken === undefined || response.nextBackwardToken === token;
      token = response.nextBackwardToken ?? token;
    }
    return { events: newestFirst.reverse().flat(), token, forwardToken, atStart, missing: false, calls: made };
  }

  /**
   * Called once the task has STOPPED, while the awslogs driver may still be flushing: watches the
   * last `count` events until they have not changed for quietMs (at most maxDrainMs), so the stored
   * tail holds the container's last words. Without `waitForFlush`, one look: the events there now.
   */
  async tail(job: Job, count: number, options: TailOptions = {}): Promise<string[]> {
    if (!job.taskArn || count <= 0) return [];
    const stream = this.#streamOf(job, job.taskArn);
    const limit = Math.min(count, MAX_EVENTS_PER_CALL);
    if (options.waitForFlush === false) return ((await this.#latestEvents(stream, limit)) ?? []).map((event) => event.message ?? '');

    const startedAt = this.#now();
    let changedAt = startedAt;
    let seen: string | undefined;
    let messages: string[] = [];
    for (let looks = 1; ; looks += 1) {
      const events = await this.#latestEvents(stream, limit);
      const polledAt = this.#now();
      const signature = events === undefined ? 'no stream' : JSON.stringify(events.map(eventIdentity));
      if (signature !== seen) {
        seen = signature;
        // At the first look the stream's own clock says how long it has been quiet: a task reaches
        // STOPPED well after its container's last line (its interface is detached first), so a
        // stream whose newest line was ingested quietMs ago has drained, and nothing is waited for.
        changedAt = looks === 1 ? Math.min(polledAt, newestIngestion(events) ?? polledAt) : polledAt;
        messages = (events ?? []).map((event) => event.message ?? '');
      }
      const drainEndsAt = startedAt + this.#maxDrainMs;
      if (polledAt - changedAt >= this.#quietMs || polledAt >= drainEndsAt) return messages;
      await this.#sleep(Math.min(this.#pollMs, drainEndsAt - polledAt));
    }
  }

  /** The newest `limit` events, oldest first; undefined while the stream does not exist. */
  async #latestEvents(stream: LogStream, limit: number): Promise<OutputLogEvent[] | undefined> {
    try {
      const response = await this.#client.send(new GetLogEventsCommand({ ...stream, startFromHead: false, limit }));
      return response.events ?? [];
    } catch (error) {
      if (isNamed(error, 'ResourceNotFoundException')) return undefined;
      throw error;
    }
  }

  /** The streams of the job's attempts whose task started, oldest first: the ended ones', then the current one's. */
  #streamsOf(job: Job): AttemptStream[] {
    const tasks: Array<[number, string | undefined]> = [...(job.attempts ?? []).map((attempt): [number, string | undefined] => [attempt.number, attempt.taskArn]), [currentAttempt(job), job.taskArn]];
    return tasks.flatMap(([attempt, taskArn]) => (taskArn === undefined ? [] : [{ attempt, stream: this.#streamOf(job, taskArn) }]));
  }

  #streamOf(job: Job, taskArn: string): LogStream {
    const settings = this.#settings.get(job.profile);
    if (!settings) throw new Error(`no AWS task settings for profile '${job.profile}' (job ${job.id})`);
    const taskId = taskArn.slice(taskArn.lastIndexOf('/') + 1);
    return {
      logGroupName: settings.logGroup,
      logStreamName: `${settings.logStreamPrefix}/${settings.container}/${taskId}`,
    };
  }
}

function toLogLine(event: OutputLogEvent, job: Job, attempt: number): LogLine {
  return { timestamp: new Date(event.timestamp ?? 0).toISOString(), message: event.message ?? '', ...logAttempt(job, attempt) };
}

/** When CloudWatch ingested the newest of `events`, where it says (ms since the epoch). */
function newestIngestion(events: OutputLogEvent[] | undefined): number | undefined {
  const times = (events ?? []).flatMap((event) => (event.ingestionTime === undefined ? [] : [event.ingestionTime]));
  return times.length > 0 ? Math.max(...times) : undefined;
}

/** Timestamps tell the same event read twice from a new event that repeats an earlier message. */
function eventIdentity(event: OutputLogEvent): [number | undefined, number | undefined, string | undefined] {
  return [event.timestamp, event.ingestionTime, event.message];
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
