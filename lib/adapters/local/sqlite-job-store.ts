/**
 * The JobStore port on local mode's SQLite file (sqlite-database.ts), with the semantics of the
 * DynamoDB store (test/contract/job-store.contract.ts holds both to them). Every conditional write
 * is one statement or reads and writes inside BEGIN IMMEDIATE, so that of two writers racing, in
 * this process or another (the server and `npm run token` share the file), exactly one wins.
 */
import type { DatabaseSync } from 'node:sqlite';
import { decodeCursor, encodeCursor } from '#lib/domain/cursor.ts';
import { JobNotFoundError } from '#lib/domain/errors.ts';
import { ATTEMPT_FIELDS } from '#lib/domain/job-attempts.ts';
import { ACTIVE_STATUSES, canTransition, initialStatusTimes, isFinalized, isTerminal, MAX_EARLY_TASKS, MAX_EXECS, TERMINAL_STATUSES, type EarlyTaskState, type ExecRecord, type Job, type JobAttempt, type JobPatch, type JobStatus, type JobTaskState } from '#lib/domain/job.ts';
import type { CreateJobResult, JobPage, JobStore, ListJobsQuery, TransitionResult, UnfinishedJob } from '#lib/domain/ports.ts';
import { inImmediateTransaction } from './sqlite-database.ts';

/** Where a listing resumes: after the job of this list key. */
interface ListCursor {
  after: string;
}

/** What a change makes of the job as it is; undefined when its condition does not hold (nothing written). */
type Change = (current: Job) => Job | undefined;

export class SqliteJobStore implements JobStore {
  readonly #database: DatabaseSync;
  readonly #now: () => Date;

  constructor(options: { database: DatabaseSync; now?: () => Date }) {
    this.#database = options.database;
    this.#now = options.now ?? (() => new Date());
  }

  async create(given: Job): Promise<CreateJobResult> {
    const statusTimes = initialStatusTimes(given);
    const job: Job = statusTimes ? { ...given, statusTimes } : given;
    const inserted = this.#database
      .prepare(
        `INSERT INTO jobs (id, list_key, status, profile, submitted_by, unfinished, task_arn, document)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id`,
      )
      .get(job.id, listKey(job), ...indexedColumns(job), JSON.stringify(job));
    if (inserted !== undefined) return { created: true, job: fromDocument(JSON.stringify(job)) };
    const existing = this.#read(job.id);
    if (!existing) throw new Error(`job '${job.id}' was neither created nor found`);
    return { created: false, job: existing };
  }

  async get(jobId: string): Promise<Job | undefined> {
    return this.#read(jobId);
  }

  async transition(jobId: string, status: JobStatus, patch: JobPatch = {}): Promise<TransitionResult> {
    return this.#change(jobId, (current) => (canTransition(current.status, status) ? this.#patched(current, { ...patch, status }) : undefined));
  }

  async transitionOrUpdate(jobId: string, status: JobStatus, patch: JobPatch, otherwise: (current: Job) => JobPatch): Promise<TransitionResult> {
    let applied = false;
    const result = await this.#change(jobId, (current) => {
      if (canTransition(current.status, status)) {
        applied = true;
        return this.#patched(current, { ...patch, status });
      }
      const recorded = otherwise(current);
      return Object.values(recorded).some((value) => value !== undefined) ? this.#patched(current, recorded) : undefined;
    });
    return { applied, job: result.job };
  }

  async update(jobId: string, patch: JobPatch): Promise<Job> {
    return (await this.#change(jobId, (current) => this.#patched(current, patch))).job;
  }

  async recordTaskState(jobId: string, patch: JobPatch & { taskState: JobTaskState }): Promise<TransitionResult> {
    return this.#change(jobId, (current) =>
      current.taskState === undefined || current.taskState.version < patch.taskState.version ? this.#patched(current, patch) : undefined,
    );
  }

  async keepEarlyTaskState(jobId: string, taskArn: string, state: EarlyTaskState): Promise<TransitionResult> {
    return this.#change(jobId, (current) => {
      if (current.taskArn !== undefined) return undefined;
      const kept = current.earlyTaskStates ?? {};
      const previous = kept[taskArn];
      if (previous === undefined ? Object.keys(kept).length >= MAX_EARLY_TASKS : previous.version >= state.version) return undefined;
      // Kept aside, not a change of the job anyone sees: updatedAt stays (as on DynamoDB).
      return { ...current, earlyTaskStates: { ...kept, [taskArn]: state } };
    });
  }

  async recordExec(jobId: string, exec: ExecRecord): Promise<TransitionResult> {
    return this.#change(jobId, (current) => {
      const execs = current.execs ?? [];
      return current.status === 'RUNNING' && execs.length < MAX_EXECS ? this.#patched(current, { execs: [...execs, exec] }) : undefined;
    });
  }

  async endAttempt(jobId: string, ended: JobAttempt, patch: JobPatch): Promise<TransitionResult> {
    return this.#change(jobId, (current) => {
      if (isTerminal(current.status) || (current.attempts?.length ?? 0) !== ended.number - 1) return undefined;
      const next: Job = { ...this.#patched(current, patch), attempts: [...(current.attempts ?? []), ended] };
      for (const field of ATTEMPT_FIELDS) delete next[field];
      return next;
    });
  }

  async list(query: ListJobsQuery): Promise<JobPage> {
    if (query.profiles?.length === 0) return { jobs: [], nextCursor: null };
    const conditions: string[] = [];
    const parameters: string[] = [];
    const bound = (condition: string, ...values: string[]) => {
      conditions.push(condition);
      parameters.push(...values);
    };
    if (query.cursor !== undefined) bound('list_key < ?', decodeCursor(query.cursor, isListCursor).after);
    // The list key starts with the creation time, so `list_key < createdBefore` is "created before".
    if (query.createdBefore !== undefined) bound('list_key < ?', query.createdBefore);
    if (query.status !== undefined) bound('status = ?', query.status);
    if (query.profiles !== undefined) bound(`profile IN (${placeholders(query.profiles)})`, ...query.profiles);
    // json_each, not a JSON path: a label's key is matched as it is, whatever characters it holds.
    for (const [key, value] of Object.entries(query.labels ?? {})) {
      bound("EXISTS (SELECT 1 FROM json_each(document, '$.labels') AS label WHERE label.key = ? AND label.value = ?)", key, value);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    // One row more than asked tells whether there is a next page without ever returning an empty one.
    const rows = this.#database
      .prepare(`SELECT list_key, document FROM jobs ${where} ORDER BY list_key DESC LIMIT ?`)
      .all(...parameters, query.limit + 1) as Array<{ list_key: string; document: string }>;
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      jobs: page.map((row) => fromDocument(row.document)),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ after: last.list_key } satisfies ListCursor) : null,
    };
  }

  async unfinishedJobs(): Promise<UnfinishedJob[]> {
    const rows = this.#database.prepare('SELECT id, status, task_arn FROM jobs WHERE unfinished = 1').all() as Array<{
      id: string;
      status: JobStatus;
      task_arn: string | null;
    }>;
    return rows.map((row) => ({ id: row.id, status: row.status, ...(row.task_arn === null ? {} : { taskArn: row.task_arn }) }));
  }

  async countActive(submittedBy: string, atMost: number): Promise<number> {
    // `unfinished = 1` lets SQLite read the partial index; a cancelled job still in it counts no more.
    const row = this.#database
      .prepare(
        `SELECT count(*) AS count FROM (SELECT 1 FROM jobs
         WHERE submitted_by = ? AND unfinished = 1 AND status IN (${placeholders(ACTIVE_STATUSES)}) LIMIT ?)`,
      )
      .get(submittedBy, ...ACTIVE_STATUSES, atMost) as { count: number };
    return row.count;
  }

  async delete(jobId: string): Promise<boolean> {
    const deleted = this.#database
      .prepare(`DELETE FROM jobs WHERE id = ? AND status IN (${placeholders(TERMINAL_STATUSES)}) RETURNING id`)
      .get(jobId, ...TERMINAL_STATUSES);
    return deleted !== undefined;
  }

  #read(jobId: string): Job | undefined {
    const row = this.#database.prepare('SELECT document FROM jobs WHERE id = ?').get(jobId) as { document: string } | undefined;
    return row ? fromDocument(row.document) : undefined;
  }

  /**
   * `current` with the defined fields of `fields` set (as DynamoDB's SET: undefined removes nothing)
   * and a new updatedAt; a new status is recorded in statusTimes at that same time.
   */
  #patched(current: Job, fields: JobPatch & Pick<Job, 'execs'> & { status?: JobStatus }): Job {
    const defined = Object.entries(fields).filter(([, value]) => value !== undefined);
    const updatedAt = this.#now().toISOString();
    const reached = fields.status !== undefined && fields.status !== current.status ? { statusTimes: { ...current.statusTimes, [fields.status]: updatedAt } } : {};
    return { ...current, ...Object.fromEntries(defined), ...reached, updatedAt };
  }

  /**
   * Applies `change` to the job as it is, in one transaction holding the write lock: the job it
   * decides on is the job it writes over. Not applied: nothing written, the job as it is.
   */
  async #change(jobId: string, change: Change): Promise<TransitionResult> {
    return inImmediateTransaction(this.#database, () => {
      const current = this.#read(jobId);
      if (!current) throw new JobNotFoundError(jobId);
      const next = change(current);
      if (next === undefined) return { applied: false, job: current };
      const document = JSON.stringify(next);
      this.#database
        .prepare('UPDATE jobs SET status = ?, profile = ?, submitted_by = ?, unfinished = ?, task_arn = ?, document = ? WHERE id = ?')
        .run(...indexedColumns(next), document, jobId);
      return { applied: true, job: fromDocument(document) };
    });
  }
}

/** createdAt#id: newest first by creation time, then by id (the DynamoDB list index's sort key). */
function listKey(job: Pick<Job, 'id' | 'createdAt'>): string {
  return `${job.createdAt}#${job.id}`;
}

/** The columns of `job` that are looked up, counted and filtered on, in the order the statements name them. */
function indexedColumns(job: Job): [string, string, string, number, string | null] {
  return [job.status, job.profile, job.submittedBy, isFinalized(job) ? 0 : 1, job.taskArn ?? null];
}

/** A job as a reader gets it: parsed from its JSON, so no caller shares an object with the store. */
function fromDocument(document: string): Job {
  return JSON.parse(document) as Job;
}

function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

function isListCursor(value: unknown): value is ListCursor {
  const cursor = value as Partial<ListCursor> | null;
  return typeof cursor === 'object' && cursor !== null && Object.keys(cursor).length === 1 && typeof cursor.after === 'string' && cursor.after.includes('#');
}
