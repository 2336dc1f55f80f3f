/**
 * The LogReader port on AWS: the watched container logs through the awslogs driver, so a job's
 * lines are the stream `<logStreamPrefix>/<container>/<task id>` in its profile's log group. A
 * cursor wraps one of CloudWatch's tokens: a forward one (`read`), or a backward one (`readBackward`,
 * from the stream's end without one). Either way the stream's end (or start) is reached when the
 * token comes back unchanged.
 */
import { GetLogEventsCommand, type CloudWatchLogsClient, type OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { decodeCursor, encodeCursor } from '#lib/domain/cursor.ts';
import { ValidationError } from '#lib/domain/errors.ts';
import type { Job } from '#lib/domain/job.ts';
import type { BackwardLogPage, LogLine, LogPage, LogReader, TailOptions } from '#lib/domain/ports.ts';
import type { AwsTaskSettingsByProfile } from '#lib/domain/aws-profile.ts';

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

interface StreamCursor {
  /** CloudWatch's nextForwardToken; null reads from the head of the stream. */
  forwardToken: string | null;
}

function isStreamCursor(value: unknown): value is StreamCursor {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const { forwardToken } = value as { forwardToken?: unknown };
  return forwardToken === null || (typeof forwardToken === 'string' && forwardToken.length > 0);
}

interface BackwardStreamCursor {
  /** CloudWatch's nextBackwardToken: the events before the ones returned so far come next. */
  backwardToken: string;
}

function isBackwardStreamCursor(value: unknown): value is BackwardStreamCursor {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const { backwardToken } = value as { backwardToken?: unknown };
  return typeof backwardToken === 'string' && backwardToken.length > 0;
}

interface LogStream {
  logGroupName: string;
  logStreamName: string;
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
    const start = options.cursor ? decodeCursor(options.cursor, isStreamCursor) : { forwardToken: null };
    const nothingYet: LogPage = { lines: [], nextCursor: options.cursor ?? encodeCursor(start), atEnd: true, truncated: false };
    if (!job.taskArn) return nothingYet;
    const stream = this.#streamOf(job, job.taskArn);

    const lines: LogLine[] = [];
    let token = start.forwardToken;
    let atEnd = false;
    for (let call = 0; call < MAX_CALLS_PER_PAGE && lines.length < options.limit && !atEnd; call += 1) {
      let response;
      try {
        response = await this.#client.send(
          new GetLogEventsCommand({
            ...stream,
            startFromHead: true,
            // Never more than the page has room for: a forward token cannot point inside a response.
            limit: Math.min(options.limit - lines.length, MAX_EVENTS_PER_CALL),
            ...(token ? { nextToken: token } : {}),
          }),
        );
      } catch (error) {
        // The driver creates the stream when the container starts: until then there is nothing to read.
        if (isNamed(error, 'ResourceNotFoundException')) {
          if (lines.length === 0) return nothingYet;
          atEnd = true;
          break;
        }
        // Forward tokens expire after 24 hours; an old cursor is the client's to replace, not a 500.
        if (token !== null && token === start.forwardToken && isNamed(error, 'InvalidParameterException')) {
          throw expiredCursor('cursor');
        }
        throw error;
      }
      lines.push(...(response.events ?? []).map(toLogLine));
      const next = response.nextForwardToken;
      atEnd = next === undefined || next === token;
      token = next ?? token;
    }
    // CloudWatch Logs keeps what the task writes (its own quotas aside): nothing is cut here.
    return { lines, nextCursor: encodeCursor({ forwardToken: token } satisfies StreamCursor), atEnd, truncated: false };
  }

  /**
   * GetLogEvents from the stream's end (startFromHead false), without a token for the newest events,
   * with a backward token for those before it. The forward cursor of a read from the end is its first
   * call's nextForwardToken: it points after the newest event returned, so following it misses none.
   * A page full before the start was seen keeps a previousCursor, whose read may find nothing more.
   */
  async readBackward(job: Job, options: { before?: string; limit: number }): Promise<BackwardLogPage> {
    const start = options.before === undefined ? undefined : decodeCursor(options.before, isBackwardStreamCursor, 'before');
    const fromHead = encodeCursor({ forwardToken: null } satisfies StreamCursor);
    const nothing: BackwardLogPage = { lines: [], previousCursor: null, truncated: false, ...(start ? {} : { forward: { nextCursor: fromHead, atEnd: true } }) };
    if (!job.taskArn) return nothing;
    const stream = this.#streamOf(job, job.taskArn);

    const newestFirst: OutputLogEvent[][] = [];
    let count = 0;
    let token = start?.backwardToken;
    let forward: BackwardLogPage['forward'];
    let atStart = false;
    for (let call = 0; call < MAX_CALLS_PER_PAGE && count < options.limit && !atStart; call += 1) {
      let response;
      try {
        response = await this.#client.send(
          new GetLogEventsCommand({ ...stream, startFromHead: false, limit: Math.min(options.limit - count, MAX_EVENTS_PER_CALL), ...(token ? { nextToken: token } : {}) }),
        );
      } catch (error) {
        // No stream: the container has not started logging (or what it wrote is kept no longer).
        if (isNamed(error, 'ResourceNotFoundException')) {
          if (count === 0) return nothing;
          atStart = true;
          break;
        }
        // Backward tokens expire after 24 hours too.
        if (start !== undefined && token === start.backwardToken && isNamed(error, 'InvalidParameterException')) throw expiredCursor('before');
        throw error;
      }
      if (!start && call === 0) forward = { nextCursor: forwardCursorOf(response.nextForwardToken, job), atEnd: true };
      const events = response.events ?? [];
      newestFirst.push(events);
      count += events.length;
      atStart = response.nextBackwardToken === undefined || response.nextBackwardToken === token;
      token = response.nextBackwardToken ?? token;
    }
    return {
      lines: newestFirst.reverse().flat().map(toLogLine),
      previousCursor: atStart || token === undefined ? null : encodeCursor({ backwardToken: token } satisfies BackwardStreamCursor),
      ...(forward ? { forward } : {}),
      // CloudWatch Logs keeps what the task writes (its own quotas aside): nothing is cut here.
      truncated: false,
    };
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
    for (;;) {
      const events = await this.#latestEvents(stream, limit);
      const polledAt = this.#now();
      const signature = events === undefined ? 'no stream' : JSON.stringify(events.map(eventIdentity));
      if (signature !== seen) {
        seen = signature;
        changedAt = polledAt;
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

/** Reading on from a read from the end: never from the head again, which would repeat every line. */
function forwardCursorOf(nextForwardToken: string | undefined, job: Job): string {
  if (!nextForwardToken) throw new Error(`GetLogEvents answered a read from the end without a nextForwardToken (job ${job.id})`);
  return encodeCursor({ forwardToken: nextForwardToken } satisfies StreamCursor);
}

function toLogLine(event: OutputLogEvent): LogLine {
  return { timestamp: new Date(event.timestamp ?? 0).toISOString(), message: event.message ?? '' };
}

/** Timestamps tell the same event read twice from a new event that repeats an earlier message. */
function eventIdentity(event: OutputLogEvent): [number | undefined, number | undefined, string | undefined] {
  return [event.timestamp, event.ingestionTime, event.message];
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

function expiredCursor(parameter: 'cursor' | 'before'): ValidationError {
  const instead = parameter === 'cursor' ? 'read the logs again from the start (without a cursor)' : 'read the tail again (tail) and page back from its previousCursor';
  return new ValidationError(`${parameter} has expired: ${instead}`, [{ path: parameter, message: 'log cursors are valid for 24 hours' }]);
}
