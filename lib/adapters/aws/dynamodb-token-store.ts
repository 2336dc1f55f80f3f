/**
 * The TokenStore port on the job table: one item per token, keyed by the token's SHA-256, listed
 * from its own partition of the table's index. Revoked tokens stay listed (who had access, until
 * when) until DynamoDB's TTL removes them.
 *
 * A second item per active token, keyed by its name, holds the name: written conditionally before
 * the token, it makes names unique however many creates race (dynalite has no transactions, so
 * two conditional writes, the first undone if the second fails), and revoking by name is a
 * consistent read, which the index cannot give.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TokenRecord, TokenStore } from '#lib/domain/ports.ts';
import { LIST_INDEX, listedTokenKey, TOKEN_LIST_PARTITION, tokenKey, tokenNameKey, type ListedKey } from './dynamodb-table.ts';

/** How long a revoked token's record is kept for the record. */
const REVOKED_RETENTION_SECONDS = 90 * 24 * 3600;

interface TokenItem extends TokenRecord, ListedKey {
  expiresAt?: number;
}

export class DynamoDbTokenStore implements TokenStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#documents = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.#tableName = options.tableName;
  }

  async create(token: TokenRecord): Promise<boolean> {
    if (!(await this.#putNew({ ...tokenNameKey(token.name), hash: token.hash }))) return false;
    const item: TokenItem = { ...token, ...listedTokenKey(token) };
    let stored: boolean;
    try {
      stored = await this.#putNew(item);
    } catch (error) {
      // The write may have been applied all the same (a timeout): the name stays held, and revoking
      // it settles either case (it revokes the token, or bars a late write of it).
      throw new Error(`token '${token.name}' may not have been stored; revoke the name before creating it again`, { cause: error });
    }
    if (!stored) {
      // 256 random bits do not collide: the hash was barred by a revoke of the name (see
      // revokeByName) that came between the two writes. Nothing was stored; the name goes too.
      await this.#freeName(token.name, token.hash);
      throw new Error(`token '${token.name}' was revoked while it was being created`);
    }
    return true;
  }

  /** Deletes the name item if it still names this hash (a newer token may hold the name). */
  async #freeName(name: string, hash: string): Promise<void> {
    try {
      await this.#documents.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: tokenNameKey(name),
          ConditionExpression: 'attribute_not_exists(pk) OR #hash = :hash',
          ExpressionAttributeNames: { '#hash': 'hash' },
          ExpressionAttributeValues: { ':hash': hash },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Writes an item that must not exist yet; false when it does. */
  async #putNew(item: object): Promise<boolean> {
    try {
      await this.#documents.send(
        new PutCommand({ TableName: this.#tableName, Item: { ...item }, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    // Consistent: a token used the moment it is made must not be cached as unknown.
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: tokenKey(hash), ConsistentRead: true }),
    );
    // A stub (see revokeByName) has no name: no token was ever stored under it.
    return Item?.name === undefined ? undefined : toRecord(Item as TokenItem);
  }

  /**
   * The name item holds the active token's hash; its token item decides, as a create or a revoke
   * interrupted between its two writes leaves the name held by a token missing or already revoked.
   */
  async findActiveByName(name: string): Promise<TokenRecord | undefined> {
    const { Item: holder } = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: tokenNameKey(name), ConsistentRead: true }),
    );
    if (!holder) return undefined;
    const token = await this.findByHash(String(holder.hash));
    return token && token.name === name && token.revokedAt === undefined ? token : undefined;
  }

  async list(): Promise<TokenRecord[]> {
    const tokens: TokenRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#documents.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: LIST_INDEX,
          KeyConditionExpression: 'gsi1pk = :partition',
          ExpressionAttributeValues: { ':partition': TOKEN_LIST_PARTITION },
          ScanIndexForward: false,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      tokens.push(...((page.Items ?? []) as TokenItem[]).map(toRecord));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return tokens;
  }

  /**
   * Revokes the token, then frees its name. Each step may be repeated: a revoke interrupted between
   * the two is finished by revoking the name again. When the token item is not there (a create
   * interrupted, or still running, between its two writes) the revoke leaves a revoked stub under
   * its hash, which makes a late write of that token fail instead of creating a token no name
   * reaches; TTL removes the stub.
   */
  async revokeByName(name: string, revokedAt: string): Promise<TokenRecord | undefined> {
    const { Item: holder } = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: tokenNameKey(name), ConsistentRead: true }),
    );
    if (!holder) return undefined;
    const hash = String(holder.hash);
    let revoked: TokenRecord | undefined;
    try {
      const { Attributes } = await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: tokenKey(hash),
          UpdateExpression: 'SET revokedAt = :revokedAt, expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: {
            ':revokedAt': revokedAt,
            ':expiresAt': Math.floor(Date.parse(revokedAt) / 1000) + REVOKED_RETENTION_SECONDS,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      // No name: the update made the stub, there was no token to revoke.
      revoked = Attributes?.name === undefined ? undefined : toRecord(Attributes as TokenItem);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Already revoked by an interrupted revoke (or a stub left by an earlier one).
      revoked = await this.findByHash(hash);
    }
    await this.#freeName(name, hash);
    return revoked;
  }
}

function toRecord(item: TokenItem): TokenRecord {
  return {
    hash: item.hash,
    name: item.name,
    profiles: item.profiles,
    ...(item.maxActiveJobs === undefined ? {} : { maxActiveJobs: item.maxActiveJobs }),
    createdAt: item.createdAt,
    ...(item.revokedAt === undefined ? {} : { revokedAt: item.revokedAt }),
  };
}
