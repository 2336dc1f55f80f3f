/**
 * The TokenStore port on local mode's SQLite file (sqlite-database.ts), with the semantics of the
 * DynamoDB store (test/contract/token-store.contract.ts holds both to them). One row per token,
 * keyed by its SHA-256; a partial unique index on the name of the active ones makes names unique
 * however many creates race, in any process, and a revoke frees the name in the same statement
 * that revokes the token. Revoked tokens stay listed: who had access, until when.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { TokenRecord, TokenStore } from '#lib/domain/ports.ts';

export class SqliteTokenStore implements TokenStore {
  readonly #database: DatabaseSync;

  constructor(options: { database: DatabaseSync }) {
    this.#database = options.database;
  }

  async create(token: TokenRecord): Promise<boolean> {
    const record = toRecord(token);
    try {
      // The conflict target is the active-name index only: a stored hash is an error, not a taken name.
      const inserted = this.#database
        .prepare(
          `INSERT INTO tokens (hash, name, created_at, revoked_at, record) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING RETURNING hash`,
        )
        .get(record.hash, record.name, record.createdAt, record.revokedAt ?? null, JSON.stringify(record));
      return inserted !== undefined;
    } catch (error) {
      if ((error as { errcode?: number }).errcode === SQLITE_CONSTRAINT_PRIMARYKEY) {
        // 256 random bits do not collide: this is a record written twice, never a second token.
        throw new Error(`token '${token.name}' has the hash of a stored token and was not stored`, { cause: error });
      }
      throw error;
    }
  }

  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = this.#database.prepare('SELECT record FROM tokens WHERE hash = ?').get(hash) as { record: string } | undefined;
    return row ? fromRecord(row.record) : undefined;
  }

  async findActiveByName(name: string): Promise<TokenRecord | undefined> {
    const row = this.#database.prepare('SELECT record FROM tokens WHERE name = ? AND revoked_at IS NULL').get(name) as { record: string } | undefined;
    return row ? fromRecord(row.record) : undefined;
  }

  async list(): Promise<TokenRecord[]> {
    const rows = this.#database.prepare('SELECT record FROM tokens ORDER BY created_at DESC, hash DESC').all() as Array<{ record: string }>;
    return rows.map((row) => fromRecord(row.record));
  }

  async revokeByName(name: string, revokedAt: string): Promise<TokenRecord | undefined> {
    const row = this.#database
      .prepare(
        `UPDATE tokens SET revoked_at = ?, record = json_set(record, '$.revokedAt', ?)
         WHERE name = ? AND revoked_at IS NULL RETURNING record`,
      )
      .get(revokedAt, revokedAt, name) as { record: string } | undefined;
    return row ? fromRecord(row.record) : undefined;
  }
}

/** SQLite's extended result code for a PRIMARY KEY that is already there. */
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;

/** The port's fields of a record and no others, so the row holds nothing a caller slipped in. */
function toRecord(token: TokenRecord): TokenRecord {
  return {
    hash: token.hash,
    name: token.name,
    profiles: token.profiles,
    ...(token.maxActiveJobs === undefined ? {} : { maxActiveJobs: token.maxActiveJobs }),
    createdAt: token.createdAt,
    ...(token.revokedAt === undefined ? {} : { revokedAt: token.revokedAt }),
  };
}

function fromRecord(record: string): TokenRecord {
  return JSON.parse(record) as TokenRecord;
}
