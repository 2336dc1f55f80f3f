/**
 * The JobStore port on DynamoDB (single table). Used on AWS and, through dynalite, in local mode and
 * the tests: one code path. dynalite has no transactions and ignores
 * ReturnValuesOnConditionCheckFailure, so every guarded write is a single conditional write followed,
 * when the condition fails, by a consistent read.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from '#lib/domain/cursor.ts';
import { JobNotFoundError } from '#lib/domain/errors.ts';
import { ATTEMPT_FIELDS } from '#lib/domain/job-attempts.ts';
import { ACTIVE_STATUSES, canTransition, initialStatusTimes, isFinalized, isTerminal, MAX_EARLY_TASKS, MAX_EXECS, statusesThatMayBecome, TERMINAL_STATUSES, type EarlyTaskState, type ExecRecord, type Job, type JobAttempt, type JobPatch, type JobStatus, type JobTaskState } from '#lib/domain/job.ts';
import type { CreateJobResult, JobPage, JobStore, ListJobsQuery, TransitionResult, UnfinishedJob } from '#lib/domain/ports.ts';
import {
  ACTIVE_INDEX,
  ACTIVE_SUBMITTER,
  JOB_KEY_PREFIX,
  JOB_LIST_PARTITION,
  JOB_SORT_KEY,
  jobKey,
  LIST_INDEX,
  listedJobKey,
  type ListedKey,
} from './dynamodb-table.ts';

/** How many items one Query reads when a filter may discard some of them. */
const FILTERED_QUERY_PAGE = 100;

/** A part of an expression with the placeholders it uses. */
interface ExpressionPart {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

interface JobItem extends Job, ListedKey {
  [ACTIVE_SUBMITTER]?: string;
}

export class DynamoDbJobStore implements JobStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;

  constructor(options: { client: DynamoDBClient; tableName: string; now?: () => Date }) {
    this.#documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
  }

  async create(given: Job): Promise<CreateJobResult> {
    const statusTimes = initialStatusTimes(given);
    const job: Job = statusTimes ? { ...given, statusTimes } : given;
    const item: JobItem = { ...job, ...listedJobKey(job), ...(isFinalized(job) ? {} : { [ACTIVE_SUBMITTER]: job.submittedBy }) };
    try {
      await this.#documents.send(
        new PutCommand({ TableName: this.#tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return { created: true, job };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(job.id);
      if (!existing) throw error;
      return { created: false, job: existing };
    }
  }

  async get(jobId: string): Promise<Job | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: jobKey(jobId), ConsistentRead: true }),
    );
    return Item ? toJob(Item as JobItem) : undefined;
  }

  async transition(jobId: string, status: JobStatus, patch: JobPatch = {}): Promise<TransitionResult> {
    const allowedFrom = statusesThatMayBecome(status);
    if (allowedFrom.length === 0) return this.#refused(jobId);
    const fromValues = Object.fromEntries(allowedFrom.map((from, index) => [`:from${index}`, from]));
    const removed = isTerminal(status) ? leavesUnfinished(patch) : [];
    // The time goes into the record's map of status times in the same write; a record from before
    // it kept them has no map, and an entry can be set only in a map that is there: such a record
    // gets a new map instead (each form conditional on the other not applying). The map is made
    // once and never removed, so a write that lost to that is tried again once at most.
    let intoExistingMap = true;
    for (let attempt = 1; ; attempt += 1) {
      const times = intoExistingMap ? 'attribute_exists(#statusTimes)' : 'attribute_not_exists(#statusTimes)';
      const condition = { expression: `#status IN (${Object.keys(fromValues).join(', ')}) AND ${times}`, names: { '#status': 'status', '#statusTimes': 'statusTimes' }, values: fromValues };
      try {
        return { applied: true, job: await this.#updateItem(jobId, { ...patch, status }, condition, removed, { status, intoExistingMap }) };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      const current = await this.get(jobId);
      if (!current) throw new JobNotFoundError(jobId);
      if (!canTransition(current.status, status) || attempt === 3) return { applied: false, job: current };
      intoExistingMap = current.statusTimes !== undefined;
    }
  }

  async transitionOrUpdate(jobId: string, status: JobStatus, patch: JobPatch, otherwise: (current: Job) => JobPatch): Promise<TransitionResult> {
    const result = await this.transition(jobId, status, patch);
    if (result.applied) return result;
    const recorded = otherwise(result.job);
    const changes = Object.values(recorded).some((value) => value !== undefined);
    return { applied: false, job: changes ? await this.update(jobId, recorded) : result.job };
  }

  /** A transition the job's status did not allow: nothing written, the job as it is. */
  async #refused(jobId: string): Promise<TransitionResult> {
    const current = await this.get(jobId);
    if (!current) throw new JobNotFoundError(jobId);
    return { applied: false, job: current };
  }

  async update(jobId: string, patch: JobPatch): Promise<Job> {
    try {
      return await this.#updateItem(jobId, patch, undefined, leavesUnfinished(patch));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new JobNotFoundError(jobId);
      throw error;
    }
  }

  async recordTaskState(jobId: string, patch: JobPatch & { taskState: JobTaskState }): Promise<TransitionResult> {
    try {
      const job = await this.#updateItem(jobId, patch, {
        expression: '(attribute_not_exists(#task) OR #task.#version < :version)',
        names: { '#task': 'taskState', '#version': 'version' },
        values: { ':version': patch.taskState.version },
      });
      return { applied: true, job };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return this.#refused(jobId);
    }
  }

  async keepEarlyTaskState(jobId: string, taskArn: string, state: EarlyTaskState): Promise<TransitionResult> {
    const names = { '#early': 'earlyTaskStates', '#taskArn': 'taskArn' };
    const noTaskYet = 'attribute_exists(pk) AND attribute_not_exists(#taskArn)';
    try {
      // An entry of a map can be set only once the map is there: made empty first.
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: jobKey(jobId),
          UpdateExpression: 'SET #early = if_not_exists(#early, :empty)',
          ConditionExpression: noTaskYet,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':empty': {} },
        }),
      );
      // Newest by version per task, so that no other task's events can hold back those of the job's own.
      const { Attributes } = await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: jobKey(jobId),
          UpdateExpression: 'SET #early.#task = :state',
          ConditionExpression: `${noTaskYet} AND (attribute_not_exists(#early.#task) OR #early.#task.#version < :version) AND (attribute_exists(#early.#task) OR size(#early) < :most)`,
          ExpressionAttributeNames: { ...names, '#task': taskArn, '#version': 'version' },
          ExpressionAttributeValues: { ':state': state, ':version': state.version, ':most': MAX_EARLY_TASKS },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { applied: true, job: toJob(Attributes as JobItem) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return this.#refused(jobId);
    }
  }

  async recordExec(jobId: string, exec: ExecRecord): Promise<TransitionResult> {
    try {
      // list_append in one conditional write: two execs at once both land, and none past MAX_EXECS.
      const { Attributes } = await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: jobKey(jobId),
          UpdateExpression: 'SET #execs = list_append(if_not_exists(#execs, :none), :exec), #updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND #status = :running AND (attribute_not_exists(#execs) OR size(#execs) < :most)',
          ExpressionAttributeNames: { '#execs': 'execs', '#status': 'status', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':none': [], ':exec': [exec], ':now': this.#now().toISOString(), ':running': 'RUNNING', ':most': MAX_EXECS },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { applied: true, job: toJob(Attributes as JobItem) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return this.#refused(jobId);
    }
  }

  async endAttempt(jobId: string, ended: JobAttempt, patch: JobPatch): Promise<TransitionResult> {
    const active = Object.fromEntries(ACTIVE_STATUSES.map((status, index) => [`:active${index}`, status]));
    const recorded = ended.number === 1 ? 'attribute_not_exists(#attempts)' : 'size(#attempts) = :recorded';
    const names = { '#status': 'status', '#attempts': 'attempts' };
    const append: ExpressionPart = { expression: '#attempts = list_append(if_not_exists(#attempts, :none), :ended)', names, values: { ':none': [], ':ended': [ended] } };
    const condition: ExpressionPart = {
      expression: `#status IN (${Object.keys(active).join(', ')}) AND ${recorded}`,
      names,
      values: { ...active, ...(ended.number === 1 ? {} : { ':recorded': ended.number - 1 }) },
    };
    try {
      return { applied: true, job: await this.#updateItem(jobId, patch, condition, ATTEMPT_FIELDS, undefined, append) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return this.#refused(jobId);
    }
  }

  /**
   * Sets `fields` (and updatedAt) and removes `removed` on an existing job, if `condition` holds;
   * returns the new job. With `reached`, records the status reached at the time of updatedAt: an
   * entry of the job's statusTimes map, or the map itself where the job has none; else `also`, a
   * clause of its own (with its placeholders).
   */
  async #updateItem(
    jobId: string,
    fields: JobPatch & { status?: JobStatus },
    condition?: ExpressionPart,
    removed: readonly string[] = [],
    reached?: { status: JobStatus; intoExistingMap: boolean },
    also?: ExpressionPart,
  ): Promise<Job> {
    const updatedAt = this.#now().toISOString();
    const statusTime: ExpressionPart | undefined = reached && (reached.intoExistingMap
      ? { expression: '#statusTimes.#reached = :reachedAt', names: { '#statusTimes': 'statusTimes', '#reached': reached.status }, values: { ':reachedAt': updatedAt } }
      : { expression: '#statusTimes = :reachedAt', names: { '#statusTimes': 'statusTimes' }, values: { ':reachedAt': { [reached.status]: updatedAt } } });
    const update = buildUpdate({ ...fields, updatedAt }, removed, statusTime ?? also);
    const { Attributes } = await this.#documents.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: jobKey(jobId),
        UpdateExpression: update.expression,
        ConditionExpression: condition ? `attribute_exists(pk) AND ${condition.expression}` : 'attribute_exists(pk)',
        ExpressionAttributeNames: { ...update.names, ...condition?.names },
        ExpressionAttributeValues: { ...update.values, ...condition?.values },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toJob(Attributes as JobItem);
  }

  async list(query: ListJobsQuery): Promise<JobPage> {
    if (query.profiles?.length === 0) return { jobs: [], nextCursor: null };
    const filter = listFilter(query);
    const filtered = filter.FilterExpression !== undefined;

    const jobs: JobItem[] = [];
    let startKey: ListedKey | undefined = query.cursor ? decodeCursor(query.cursor, isListedKey) : undefined;
    let more: boolean;
    for (;;) {
      const remaining = query.limit - jobs.length;
      // One item more than needed tells whether there is a next page without returning an empty one.
      const page = await this.#documents.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: LIST_INDEX,
          // The sort key starts with the creation time, so `gsi1sk < :before` is "created before".
          KeyConditionExpression: query.createdBefore === undefined ? 'gsi1pk = :partition' : 'gsi1pk = :partition AND gsi1sk < :before',
          ScanIndexForward: false,
          Limit: filtered ? Math.max(remaining + 1, FILTERED_QUERY_PAGE) : remaining + 1,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          ...filter,
          ExpressionAttributeValues: {
            ...filter.ExpressionAttributeValues,
            ':partition': JOB_LIST_PARTITION,
            ...(query.createdBefore === undefined ? {} : { ':before': query.createdBefore }),
          },
        }),
      );
      const items = (page.Items ?? []) as JobItem[];
      jobs.push(...items.slice(0, remaining));
      if (items.length > remaining || !page.LastEvaluatedKey) {
        more = items.length > remaining;
        break;
      }
      startKey = page.LastEvaluatedKey as ListedKey;
    }
    // The cursor resumes after the last job returned, not where DynamoDB stopped reading.
    const last = jobs.at(-1);
    return {
      jobs: jobs.map(toJob),
      nextCursor: more && last ? encodeCursor({ pk: last.pk, sk: last.sk, gsi1pk: last.gsi1pk, gsi1sk: last.gsi1sk }) : null,
    };
  }

  async delete(jobId: string): Promise<boolean> {
    const terminal = Object.fromEntries(TERMINAL_STATUSES.map((status, index) => [`:terminal${index}`, status]));
    try {
      await this.#documents.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: jobKey(jobId),
          ConditionExpression: `#status IN (${Object.keys(terminal).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: terminal,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async unfinishedJobs(): Promise<UnfinishedJob[]> {
    const jobs: UnfinishedJob[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      // The index is sparse (only unfinished jobs carry its key): a scan of it reads those alone.
      const page = await this.#documents.send(
        new ScanCommand({ TableName: this.#tableName, IndexName: ACTIVE_INDEX, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
      );
      for (const item of (page.Items ?? []) as Array<{ pk: string; status: JobStatus; taskArn?: string }>) {
        jobs.push({ id: item.pk.slice(JOB_KEY_PREFIX.length), status: item.status, ...(item.taskArn ? { taskArn: item.taskArn } : {}) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return jobs;
  }

  async countActive(submittedBy: string, atMost: number): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    // The index also holds terminal jobs whose stop is not recorded yet: a cancelled job counts no more.
    const active = Object.fromEntries(ACTIVE_STATUSES.map((status, index) => [`:active${index}`, status]));
    do {
      const page = await this.#documents.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: ACTIVE_INDEX,
          KeyConditionExpression: '#submitter = :submitter',
          FilterExpression: `#status IN (${Object.keys(active).join(', ')})`,
          ExpressionAttributeNames: { '#submitter': ACTIVE_SUBMITTER, '#status': 'status' },
          ExpressionAttributeValues: { ':submitter': submittedBy, ...active },
          Select: 'COUNT',
          Limit: atMost - count,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey && count < atMost);
    return count;
  }
}

/**
 * The index key a write removes: it records the stop (`stoppedAt`, only ever written on a terminal
 * job, or with the move to one), so the job leaves the index of unfinished jobs.
 */
function leavesUnfinished(fields: JobPatch): readonly string[] {
  return fields.stoppedAt === undefined ? [] : [ACTIVE_SUBMITTER];
}

/** `status = :status AND profile IN (:p0, …) AND labels.#l0 = :l0 …`, for the parts the query has. */
function listFilter(query: ListJobsQuery): {
  FilterExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, string>;
} {
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, string> = {};
  if (query.status !== undefined) {
    conditions.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = query.status;
  }
  if (query.profiles !== undefined && query.profiles.length > 0) {
    const placeholders = query.profiles.map((profile, index) => {
      values[`:profile${index}`] = profile;
      return `:profile${index}`;
    });
    conditions.push(`#profile IN (${placeholders.join(', ')})`);
    names['#profile'] = 'profile';
  }
  Object.entries(query.labels ?? {}).forEach(([key, value], index) => {
    // A label's key may hold any character a name placeholder can: it is never part of the expression.
    conditions.push(`#labels.#label${index} = :label${index}`);
    names['#labels'] = 'labels';
    names[`#label${index}`] = key;
    values[`:label${index}`] = value;
  });
  if (conditions.length === 0) return {};
  return { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

function isListedKey(value: unknown): value is ListedKey {
  const key = value as Partial<ListedKey> | null;
  return (
    typeof key === 'object' &&
    key !== null &&
    Object.keys(key).length === 4 &&
    typeof key.pk === 'string' &&
    key.pk.startsWith(JOB_KEY_PREFIX) &&
    key.sk === JOB_SORT_KEY &&
    key.gsi1pk === JOB_LIST_PARTITION &&
    typeof key.gsi1sk === 'string'
  );
}

function toJob(item: JobItem): Job {
  const { pk: _pk, sk: _sk, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, [ACTIVE_SUBMITTER]: _active, ...job } = item;
  return job;
}

/**
 * `SET #f0 = :v0, ...` for every defined field (and `also`, a clause with its own placeholders),
 * with placeholder names so reserved words are safe.
 */
function buildUpdate(
  fields: Record<string, unknown>,
  removed: readonly string[],
  also?: ExpressionPart,
): ExpressionPart {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  const sets = [...entries.map((_entry, index) => `#f${index} = :v${index}`), ...(also ? [also.expression] : [])];
  const remove = removed.length > 0 ? ` REMOVE ${removed.map((_name, index) => `#r${index}`).join(', ')}` : '';
  return {
    expression: `SET ${sets.join(', ')}${remove}`,
    names: {
      ...Object.fromEntries(entries.map(([name], index) => [`#f${index}`, name])),
      ...Object.fromEntries(removed.map((name, index) => [`#r${index}`, name])),
      ...also?.names,
    },
    values: { ...Object.fromEntries(entries.map(([, value], index) => [`:v${index}`, value])), ...also?.values },
  };
}
