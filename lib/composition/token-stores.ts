/**
 * The token stores `npm run token` manages: a deployed stage's (its DynamoDB table, with the AWS
 * credentials of the environment) or local mode's (the data directory's jobs.db, opened directly
 * whether a server runs or not: SQLite's locking keeps their writes apart), with the profile names a
 * token of each may be scoped to.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsProfileNames, localProfiles } from '#config/profiles.ts';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import type { TokenStore } from '#lib/domain/ports.ts';
import { openJobsDatabase } from '#lib/adapters/local/sqlite-database.ts';
import { SqliteTokenStore } from '#lib/adapters/local/sqlite-token-store.ts';
import { makeDataDirectoryPrivate, noticeOnStderr, type Notice } from './data-directory.ts';
import { describeLegacyImport, importLegacyStore } from './legacy-store.ts';

export interface TokenStoreTarget {
  /** What a token's scope may name besides `*`. */
  profileNames: string[];
  open(): Promise<{ store: TokenStore; close(): Promise<void> }>;
}

export function stageTokenStore(options: { tableName: string; region: string; client?: (region: string) => DynamoDBClient }): TokenStoreTarget {
  return {
    profileNames: awsProfileNames(),
    open: async () => {
      const client = options.client?.(options.region) ?? new DynamoDBClient({ region: options.region });
      return { store: new DynamoDbTokenStore({ client, tableName: options.tableName }), close: async () => client.destroy() };
    },
  };
}

/** `notice` tells of a copy of an earlier version's `db/` (stderr by default: stdout is the command's answer). */
export function localTokenStore(dataDir: string, notice: Notice = noticeOnStderr): TokenStoreTarget {
  return {
    profileNames: localProfiles.map((profile) => profile.name),
    open: async () => {
      // The file may be created here: the directory is made private first.
      makeDataDirectoryPrivate(dataDir, notice);
      const database = openJobsDatabase(dataDir);
      try {
        // Before the first start of an upgrade too: the tokens listed and revoked are all there are.
        const copy = await importLegacyStore(dataDir, database);
        if (copy) notice(`fargate-jobs: ${describeLegacyImport(copy)}`);
      } catch (error) {
        database.close();
        throw error;
      }
      return { store: new SqliteTokenStore({ database }), close: async () => database.close() };
    },
  };
}
