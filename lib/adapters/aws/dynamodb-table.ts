/**
 * The single table's layout, for every item kind that lives in it: jobs, tokens, token names,
 * schedules and the slots of waiting requests.
 * Keys are `pk`/`sk`; the list index lists each kind from a partition of its own (`gsi1pk`), newest
 * first by `gsi1sk` (creation time first); the sparse active index holds only the jobs not finalized
 * (not terminal, or terminal with the stop of their task not recorded yet), by who submitted them
 * (`activeSubmitter`, removed with the write that records `stoppedAt`). The job and token stores, the embedded store's set-up and
 * (through the tests) serverless.yml's table and IAM conditions all read it from here.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const LIST_INDEX = 'byCreatedAt';
export const ACTIVE_INDEX = 'activeBySubmitter';
/**
 * The active index's key: present on a job item until the job is finalized. Not until it is terminal:
 * a job cancelled while running must stay in the reconciler's view until its task's stop is
 * recorded, or a lost STOPPED event would leave its execution waiting (its count of active jobs
 * filters on the status instead).
 */
export const ACTIVE_SUBMITTER = 'activeSubmitter';

export interface ItemKey {
  pk: string;
  sk: string;
}

/** An item's key together with where the index lists it. */
export interface ListedKey extends ItemKey {
  gsi1pk: string;
  gsi1sk: string;
}

/** Every job item's key starts with this (IAM conditions on dynamodb:LeadingKeys use it). */
export const JOB_KEY_PREFIX = 'JOB#';
export const JOB_SORT_KEY = 'JOB';
export const JOB_LIST_PARTITION = 'JOBS';

/** Every token item's key starts with this (the authorizer may read these items only). */
export const TOKEN_KEY_PREFIX = 'TOKEN#';
const TOKEN_SORT_KEY = 'TOKEN';
export const TOKEN_LIST_PARTITION = 'TOKENS';
/**
 * The item that holds an active token's name: no `TOKEN#` prefix, so the authorizer cannot read it
 * (the fire function may: it fires a schedule as its creator's active token).
 */
export const TOKEN_NAME_KEY_PREFIX = 'TOKENNAME#';

/**
 * Every schedule item's key starts with this: the schedules' functions may read and write these
 * (an IAM condition on dynamodb:LeadingKeys), listed from their own partition of the list index, by name.
 */
export const SCHEDULE_KEY_PREFIX = 'SCHEDULE#';
const SCHEDULE_SORT_KEY = 'SCHEDULE';
export const SCHEDULE_LIST_PARTITION = 'SCHEDULES';

/**
 * Every wait slot item's key starts with this: the waiting functions may write these and no other
 * items but read job records (an IAM condition on dynamodb:LeadingKeys).
 */
export const WAIT_SLOT_KEY_PREFIX = 'WAITS#';

/** Slot `slot` of the waits of `holder` (a token's name): one partition per token, one item per slot. */
export function waitSlotKey(holder: string, slot: number): ItemKey {
  return { pk: `${WAIT_SLOT_KEY_PREFIX}${holder}`, sk: `SLOT#${slot}` };
}

export function jobKey(jobId: string): ItemKey {
  return { pk: `${JOB_KEY_PREFIX}${jobId}`, sk: JOB_SORT_KEY };
}

export function listedJobKey(job: { id: string; createdAt: string }): ListedKey {
  return { ...jobKey(job.id), gsi1pk: JOB_LIST_PARTITION, gsi1sk: `${job.createdAt}#${job.id}` };
}

export function scheduleKey(name: string): ItemKey {
  return { pk: `${SCHEDULE_KEY_PREFIX}${name}`, sk: SCHEDULE_SORT_KEY };
}

/** Schedules are listed by name (the index's sort key), not by creation time. */
export function listedScheduleKey(name: string): ListedKey {
  return { ...scheduleKey(name), gsi1pk: SCHEDULE_LIST_PARTITION, gsi1sk: name };
}

/** A token is found by the SHA-256 of its clear value. */
export function tokenKey(hash: string): ItemKey {
  return { pk: `${TOKEN_KEY_PREFIX}${hash}`, sk: TOKEN_SORT_KEY };
}

export function listedTokenKey(token: { hash: string; createdAt: string }): ListedKey {
  return { ...tokenKey(token.hash), gsi1pk: TOKEN_LIST_PARTITION, gsi1sk: `${token.createdAt}#${token.hash}` };
}

export function tokenNameKey(name: string): ItemKey {
  return { pk: `${TOKEN_NAME_KEY_PREFIX}${name}`, sk: TOKEN_SORT_KEY };
}

/** The table's keys and index, as the embedded store creates it and serverless.yml declares it. */
export function jobTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
      { AttributeName: 'gsi1sk', AttributeType: 'S' },
      { AttributeName: ACTIVE_SUBMITTER, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: LIST_INDEX,
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: ACTIVE_INDEX,
        KeySchema: [{ AttributeName: ACTIVE_SUBMITTER, KeyType: 'HASH' }],
        // What counting needs (the keys), and what a look at the active tasks needs.
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status', 'taskArn'] },
      },
    ],
  };
}
