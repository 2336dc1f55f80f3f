/**
 * The WaitSlots port on the job table, so that the limit holds across every Lambda instance (and in
 * local mode, on the same table in dynalite): a holder's `limit` slots are the items
 * `WAITS#<holder>` / `SLOT#0` … `SLOT#<limit-1>`. Taking a slot is a conditional put that succeeds
 * only where the slot's item is absent or its lease has expired; the slots are tried from a random
 * one on, so that waits starting together seldom try the same slot. Giving one back deletes it only
 * if this lease still holds it.
 *
 * Why items rather than a counter: a counter that an invocation died before decrementing stays high
 * for good, while a slot's lease ends by itself. `expiresAt` is also the table's TTL attribute, so
 * DynamoDB removes the slots nobody gave back; TTL removes items late (and dynalite not at all), so
 * the put's condition checks the expiry itself.
 *
 * Cost: a taken slot is one write, a release one more; a refusal is `limit` failed conditional writes.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { WaitSlot, WaitSlots } from '#lib/domain/ports.ts';
import { waitSlotKey } from './dynamodb-table.ts';

export interface DynamoDbWaitSlotsOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => Date;
  /** Which slot to try first, as a fraction of the limit: Math.random unless a test chooses. */
  random?: () => number;
}

export class DynamoDbWaitSlots implements WaitSlots {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;
  readonly #random: () => number;

  constructor(options: DynamoDbWaitSlotsOptions) {
    this.#documents = DynamoDBDocumentClient.from(options.client);
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
    this.#random = options.random ?? Math.random;
  }

  async take(holder: string, limit: number, expiresAt: Date): Promise<WaitSlot | undefined> {
    const leaseId = randomUUID();
    // Whole seconds, as TTL reads them: a lease ends up to a second late, never early.
    const expiresAtSeconds = Math.ceil(expiresAt.getTime() / 1000);
    const nowSeconds = Math.floor(this.#now().getTime() / 1000);
    const first = Math.floor(this.#random() * limit);
    for (let tried = 0; tried < limit; tried += 1) {
      const slot = (first + tried) % limit;
      if (await this.#lease(holder, slot, leaseId, expiresAtSeconds, nowSeconds)) {
        return { release: () => this.#release(holder, slot, leaseId) };
      }
    }
    return undefined;
  }

  /** Puts the slot's item if it is free (absent, or its lease expired); false when a live lease holds it. */
  async #lease(holder: string, slot: number, leaseId: string, expiresAt: number, now: number): Promise<boolean> {
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...waitSlotKey(holder, slot), leaseId, expiresAt },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Deletes the slot's item if this lease still holds it (an expired one may have been taken since). */
  async #release(holder: string, slot: number, leaseId: string): Promise<void> {
    try {
      await this.#documents.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: waitSlotKey(holder, slot),
          ConditionExpression: 'leaseId = :leaseId',
          ExpressionAttributeValues: { ':leaseId': leaseId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
