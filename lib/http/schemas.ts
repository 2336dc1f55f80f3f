/** What the API accepts. Unknown fields are refused, not ignored: a typo must not silently change a job. */
import * as z from 'zod/mini';
import { CALLBACK_EVENTS, JOB_STATUSES, TERMINAL_STATUSES, type CallbackEvent } from '#lib/domain/job.ts';
import { JOB_ID_PATTERN } from '#lib/domain/ids.ts';
import { EXIT_CODE_PATTERN, MAX_RETRY_ATTEMPTS, MAX_RETRY_PATTERN_LENGTH, MAX_RETRY_RULES, REASON_PATTERN, type RetryAction } from '#lib/domain/retry.ts';
import { MAX_WAIT_SECONDS } from '#lib/domain/waiting.ts';
import { OVERLAP_POLICIES, SCHEDULE_NAME } from '#lib/domain/schedule.ts';

const MAX_ARGUMENT_LENGTH = 8192;
const MAX_ARGUMENTS = 1000;
const noNul = (value: string) => !value.includes('\u0000');
const text = (max: number) =>
  z.string().check(z.maxLength(max), z.refine(noNul, { message: 'must not contain NUL characters' }));

export const PROFILE_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}$/;
/** One OpenSSH public key line: type, base64 body, optional comment. */
const SSH_PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n\u0000]{0,256})?$/;
/** A label's key and value: in a job's labels (POST /jobs) and in a listing's `label` filter (GET /jobs) alike. */
export const labelKey = z.string().check(z.regex(LABEL_KEY));
export const labelValue = text(256);
/** In the body or the Idempotency-Key header alike. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The webhook events a job may ask for: by event name, or by the status that causes it. */
const CALLBACK_EVENT_NAMES = [...CALLBACK_EVENTS, 'RUNNING', ...TERMINAL_STATUSES] as const;

/** A command: argv, or a string where the profile allows a shell (checked by the domain, which knows the profile). */
function commandOf() {
  return z.union(
    [
      z.array(text(MAX_ARGUMENT_LENGTH)).check(
        z.minLength(1, { message: 'must have at least one element' }),
        z.maxLength(MAX_ARGUMENTS, { error: (issue) => `command has ${lengthOf(issue.input)} items; at most ${MAX_ARGUMENTS}` }),
      ),
      text(MAX_ARGUMENT_LENGTH).check(z.minLength(1, { message: 'must not be empty' })),
    ],
    { error: 'must be an array of strings (argv), or a string where the profile allows a shell' },
  );
}

/** One of evaluateOnExit's patterns: Batch's characters, up to 512 of them, a `*` only at the end. */
const retryPattern = (pattern: RegExp, characters: string) =>
  z.optional(
    z.string().check(
      z.minLength(1),
      z.maxLength(MAX_RETRY_PATTERN_LENGTH),
      z.regex(pattern, { message: `must be ${characters}, and may end with * (a prefix match)` }),
    ),
  );

/** AWS Batch's retryStrategy: `attempts` in all, and up to five rules, the first that matches deciding. */
const retryStrategy = z.strictObject({
  attempts: z.int().check(z.minimum(1), z.maximum(MAX_RETRY_ATTEMPTS)),
  evaluateOnExit: z.optional(
    z
      .array(
        z.strictObject({
          onExitCode: retryPattern(EXIT_CODE_PATTERN, 'digits'),
          onStatusReason: retryPattern(REASON_PATTERN, 'letters, digits, periods, colons, spaces and tabs'),
          onReason: retryPattern(REASON_PATTERN, 'letters, digits, periods, colons, spaces and tabs'),
          // Any case, as Batch takes it; the job keeps it upper case.
          action: z.pipe(
            z.string().check(z.regex(/^(retry|exit)$/i, { message: 'must be RETRY or EXIT' })),
            z.transform((action) => action.toUpperCase() as RetryAction),
          ),
        }),
      )
      .check(z.maxLength(MAX_RETRY_RULES, { message: `at most ${MAX_RETRY_RULES} rules` })),
  ),
});

export const createJobBody = z.strictObject({
  profile: z.optional(z.string().check(z.regex(PROFILE_NAME, { message: 'must be a profile name (a-z, 0-9, -)' }))),
  command: z.optional(commandOf()),
  /** A job to exec into: it runs the profile's interactiveHold, and `command` is absent. */
  hold: z.optional(z.boolean()),
  /** A rerun of this job (lib/domain/rerun.ts): with `env` (its secrets' values) and `idempotencyKey` only. */
  rerunOf: z.optional(z.string().check(z.regex(JOB_ID_PATTERN, { message: 'must be a job id (job-…)' }))),
  env: z.optional(
    z.record(z.string().check(z.regex(ENV_NAME)), text(MAX_ARGUMENT_LENGTH)).check(
      z.refine((env) => Object.keys(env).length <= 100, { message: 'at most 100 variables' }),
    ),
  ),
  cpu: z.optional(taskSize()),
  memory: z.optional(taskSize()),
  timeoutSeconds: z.optional(z.int().check(z.minimum(1), z.maximum(86_400))),
  publicIp: z.optional(z.boolean()),
  sshPublicKey: z.optional(
    z.string().check(z.maxLength(16_384), z.regex(SSH_PUBLIC_KEY, { message: 'must be one OpenSSH public key line (ssh-ed25519 AAAA… comment)' })),
  ),
  labels: z.optional(
    z.record(labelKey, labelValue).check(
      z.refine((labels) => Object.keys(labels).length <= 50, { message: 'at most 50 labels' }),
    ),
  ),
  idempotencyKey: z.optional(z.string().check(z.regex(IDEMPOTENCY_KEY, { message: 'must be 1 to 255 printable ASCII characters without spaces' }))),
  callbackUrl: z.optional(text(2048).check(z.minLength(1, { message: 'must not be empty' }))),
  callbackEvents: z.optional(
    z.array(z.enum(CALLBACK_EVENT_NAMES, { error: `must be one of ${CALLBACK_EVENT_NAMES.join(', ')}` })).check(z.maxLength(CALLBACK_EVENT_NAMES.length)),
  ),
  /** Whether and when the job is tried again (AWS Batch's retryStrategy); the profile's default when absent. */
  retry: z.optional(retryStrategy),
});

/** A POST /jobs body as the schema leaves it. */
export type CreateJobBody = z.infer<typeof createJobBody>;

/** POST /jobs/{id}/exec: what to run in the job's container (its profile's execShell when absent). */
export const execJobBody = z.strictObject({
  command: z.optional(commandOf()),
});

/** `RUNNING` means `job.running`, a terminal status `job.finished`; each once. */
export function callbackEventsOf(names: readonly (typeof CALLBACK_EVENT_NAMES)[number][]): CallbackEvent[] {
  const events = names.map((name): CallbackEvent => (name === 'RUNNING' || name === 'job.running' ? 'job.running' : 'job.finished'));
  return [...new Set(events)];
}

/**
 * A whole number of CPU units or MiB. Not `z.int()`: it stops at 2^53 with a message about
 * JavaScript's numbers, while any size past Fargate's largest is the domain's INVALID_TASK_SIZE with
 * the sizes that would do. The JSON Schema says integer, as the refinement enforces.
 */
function taskSize() {
  return z.number().check(z.refine(Number.isInteger, { message: 'must be a whole number' }), z.positive(), z.meta({ type: 'integer' }));
}

function lengthOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

/** A page size: one check, whose message says the whole range (a caller told "at most 100" may still send 0). */
const limit = (max: number) =>
  z.optional(z.string().check(z.refine((value) => /^[1-9][0-9]*$/.test(value) && Number(value) <= max, { message: `must be a whole number from 1 to ${max}` })));

/** Whole seconds a request may wait for what it asks about (docs/openapi.yaml's Wait). */
const wait = z.optional(
  z.string().check(
    z.regex(/^[0-9]+$/, { message: `must be a whole number of seconds, 0 to ${MAX_WAIT_SECONDS}` }),
    z.refine((value) => Number(value) <= MAX_WAIT_SECONDS, { message: `must be at most ${MAX_WAIT_SECONDS} (seconds)` }),
  ),
);

export const listJobsQuery = z.strictObject({
  status: z.optional(z.enum(JOB_STATUSES)),
  profile: z.optional(z.string().check(z.regex(PROFILE_NAME))),
  /** `key=value`, repeatable: API Gateway joins the repeats with commas here, so each is read from the raw query (label-filters.ts). */
  label: z.optional(z.string()),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  limit: limit(100),
  /** With If-None-Match: how long to wait for a page that differs from the client's. */
  wait,
});

export const getJobQuery = z.strictObject({
  wait,
  ifStatus: z.optional(z.enum(JOB_STATUSES)),
});

/**
 * A read of a job's log goes one way: on from `cursor` (from the first line without one, and the
 * only read that waits), the last `tail` lines, or the `limit` lines `before` a previousCursor.
 */
export const jobLogsQuery = z
  .strictObject({
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
    limit: limit(10_000),
    wait,
    tail: limit(10_000),
    before: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
    /** `1`: the whole log in one download (a link to its archive on AWS). */
    download: z.optional(z.literal('1', { message: 'must be 1 (the whole log in one download)' })),
  })
  .check(
    z.superRefine((query, context) => {
      const refuse = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message, input: query });
      const backward = query.tail !== undefined || query.before !== undefined;
      const paging = ['cursor', 'limit', 'wait', 'tail', 'before'] as const;
      if (query.download !== undefined && paging.some((name) => query[name] !== undefined)) refuse('download', 'downloads the whole log: give it alone, without cursor, limit, wait, tail or before');
      if (query.tail !== undefined && query.cursor !== undefined) refuse('tail', 'reads the last lines: give it without cursor (read on from its nextCursor)');
      if (query.before !== undefined && (query.cursor !== undefined || query.tail !== undefined)) refuse('before', 'reads the lines before a previousCursor: give it without cursor or tail');
      if (query.tail !== undefined && query.limit !== undefined) refuse('limit', 'tail is the number of lines: give no limit with it');
      if (backward && Number(query.wait ?? 0) > 0) refuse('wait', 'only a read on from a cursor waits: a tail or a page before answers at once');
    }),
  );

/** A schedule's expression: its form is the domain's to check (schedule-expression.ts), with messages that say which part is wrong. */
const scheduleExpression = text(256).check(z.minLength(1, { message: 'must not be empty' }));
const timezone = z.string().check(z.minLength(1, { message: 'must not be empty' }), z.maxLength(64));

/** POST /schedules: a name, when, and the POST /jobs body each fire submits. */
export const createScheduleBody = z.strictObject({
  name: z.string().check(z.regex(SCHEDULE_NAME, { message: 'must be 1 to 64 of a-z, 0-9 and -, starting with a letter or digit' })),
  schedule: scheduleExpression,
  timezone: z.optional(timezone),
  job: createJobBody,
  overlap: z.optional(z.enum(OVERLAP_POLICIES, { error: `must be one of ${OVERLAP_POLICIES.join(', ')}` })),
  enabled: z.optional(z.boolean()),
});

/** PATCH /schedules/{name}: any of these, at least one; `job` replaces the whole job request. */
export const updateScheduleBody = z
  .strictObject({
    schedule: z.optional(scheduleExpression),
    timezone: z.optional(timezone),
    job: z.optional(createJobBody),
    overlap: z.optional(z.enum(OVERLAP_POLICIES, { error: `must be one of ${OVERLAP_POLICIES.join(', ')}` })),
    enabled: z.optional(z.boolean()),
  })
  .check(z.refine((body) => Object.values(body).some((value) => value !== undefined), { message: 'give at least one of schedule, timezone, job, overlap, enabled' }));

/** The schedules' GETs take no query parameter: one given is a mistake to name. */
export const noQuery = z.strictObject({});

/** An ISO 8601 date (`2026-12-01`) or date-time with its offset (`2026-12-01T12:00:00Z`). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const isoTime = z.optional(
  z.string().check(z.refine((value) => ISO_TIME.test(value) && !Number.isNaN(Date.parse(value)), { message: 'must be an ISO 8601 date or date-time (2026-12-01, 2026-12-01T12:00:00Z)' })),
);

export const costsQuery = z.strictObject({
  since: isoTime,
  until: isoTime,
  groupBy: z.optional(
    z.string().check(z.refine((value) => value === 'profile' || value === 'submitter' || /^label:[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}$/.test(value), { message: 'must be profile, submitter or label:<key>' })),
  ),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  limit: limit(1000),
});
