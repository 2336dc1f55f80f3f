/**
 * The ScheduleStore port on the job table: one item per schedule (`SCHEDULE#<name>`), listed by name
 * from its own partition of the list index (`SCHEDULES`). `put` writes every field but the fires,
 * and `recordFire` the fires alone, each in one conditional write, so neither overwrites the other;
 * two fires recorded at once are ordered by a version of the fires (the loser reads again and
 * retries: dynalite has no transactions, and an append must also drop the oldest).
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ScheduleStore } from '#lib/domain/ports.ts';
import { withFire, type Schedule, type ScheduleFire } from '#lib/domain/schedule.ts';
import { LIST_INDEX, listedScheduleKey, SCHEDULE_LIST_PARTITION, scheduleKey, type ListedKey } from './dynamodb-table.ts';

interface ScheduleItem extends Schedule, ListedKey {
  /** How many times the fires were written: a fire is recorded only over the version it read. */
  fireVersion?: number;
}

/** The fields `put` writes: all but the key, the fires and their version. */
const PUT_FIELDS = ['schedule', 'timezone', 'job', 'overlap', 'enabled', 'createdBy', 'createdByProfiles', 'createdAt', 'updatedAt'] as const;

/** How many times a fire is tried against fires recorded at the same moment. */
const RECORD_ATTEMPTS = 10;

export class DynamoDbScheduleStore implements ScheduleStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#documents = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.#tableName = options.tableName;
  }

  async create(schedule: Schedule): Promise<boolean> {
    const item: ScheduleItem = { ...schedule, ...listedScheduleKey(schedule.name) };
    try {
      await this.#documents.send(new PutCommand({ TableName: this.#tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(name: string): Promise<Schedule | undefined> {
    const item = await this.#item(name);
    return item ? toSchedule(item) : undefined;
  }

  async list(): Promise<Schedule[]> {
    const schedules: Schedule[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#documents.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: LIST_INDEX,
          KeyConditionExpression: 'gsi1pk = :partition',
          ExpressionAttributeValues: { ':partition': SCHEDULE_LIST_PARTITION },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      schedules.push(...((page.Items ?? []) as ScheduleItem[]).map(toSchedule));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return schedules;
  }

  async put(schedule: Schedule): Promise<Schedule | undefined> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const set: string[] = [];
    const remove: string[] = [];
    for (const [index, field] of PUT_FIELDS.entries()) {
      names[`#f${index}`] = field;
      if (schedule[field] === undefined) remove.push(`#f${index}`);
      else {
        set.push(`#f${index} = :f${index}`);
        values[`:f${index}`] = schedule[field];
      }
    }
    try {
      const { Attributes } = await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: scheduleKey(schedule.name),
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toSchedule(Attributes as ScheduleItem);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async recordFire(name: string, fire: ScheduleFire): Promise<Schedule | undefined> {
    for (let attempt = 1; attempt <= RECORD_ATTEMPTS; attempt += 1) {
      const item = await this.#item(name);
      if (!item) return undefined;
      const version = item.fireVersion ?? 0;
      try {
        const { Attributes } = await this.#documents.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: scheduleKey(name),
            UpdateExpression: 'SET fires = :fires, fireVersion = :next',
            ConditionExpression: version === 0 ? 'attribute_exists(pk) AND attribute_not_exists(fireVersion)' : 'fireVersion = :version',
            ExpressionAttributeValues: { ':fires': withFire(item.fires ?? [], fire), ':next': version + 1, ...(version === 0 ? {} : { ':version': version }) },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return toSchedule(Attributes as ScheduleItem);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new Error(`the fire at ${fire.at} of schedule '${name}' was not recorded: ${RECORD_ATTEMPTS} other writes of its fires came first`);
  }

  async delete(name: string): Promise<boolean> {
    const { Attributes } = await this.#documents.send(new DeleteCommand({ TableName: this.#tableName, Key: scheduleKey(name), ReturnValues: 'ALL_OLD' }));
    return Attributes !== undefined;
  }

  async #item(name: string): Promise<ScheduleItem | undefined> {
    const { Item } = await this.#documents.send(new GetCommand({ TableName: this.#tableName, Key: scheduleKey(name), ConsistentRead: true }));
    return Item as ScheduleItem | undefined;
  }
}

/** The port's fields of an item and no others (no keys, no version). */
function toSchedule(item: ScheduleItem): Schedule {
  return {
    name: item.name,
    schedule: item.schedule,
    ...(item.timezone === undefined ? {} : { timezone: item.timezone }),
    job: item.job,
    overlap: item.overlap,
    enabled: item.enabled,
    createdBy: item.createdBy,
    createdByProfiles: item.createdByProfiles,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    ...(item.fires && item.fires.length > 0 ? { fires: item.fires } : {}),
  };
}
