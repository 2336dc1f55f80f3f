/**
 * The token stores `npm run token` manages: a deployed stage's (its DynamoDB table, with the AWS
 * credentials of the environment) or local mode's (the data directory's store, through the running
 * server when there is one), with the profile names a token of each may be scoped to.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsProfileNames, localProfiles } from '#config/profiles.ts';
import { DynamoDbTokenStore } from '#lib/adapters/aws/dynamodb-token-store.ts';
import type { TokenStore } from '#lib/domain/ports.ts';
import { makeDataDirectoryPrivate } from './data-directory.ts';

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

export function localTokenStore(dataDir: string): TokenStoreTarget {
  return {
    profileNames: localProfiles.map((profile) => profile.name),
    open: async () => {
      // Loaded here: the local store brings dynalite, which a stage never needs.
      const { openSharedStore } = await import('#lib/adapters/local/local-store.ts');
      // Opened directly (no server running), the store writes into the directory: private first.
      makeDataDirectoryPrivate(dataDir);
      const local = await openSharedStore(dataDir);
      return { store: new DynamoDbTokenStore({ client: local.client, tableName: local.tableName }), close: local.close };
    },
  };
}
