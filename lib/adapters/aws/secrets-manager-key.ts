/**
 * A stage secret as a key (the RequestHashKey port): the SecretString of a Secrets Manager secret,
 * read on first use and kept for the life of the Lambda environment. A failed read is not kept, so
 * the next request tries again.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RequestHashKey } from '#lib/domain/ports.ts';

/** Shorter secrets are refused: an HMAC key should carry at least the 256 bits of its hash. */
const MIN_KEY_LENGTH = 32;

export interface SecretsManagerKeyOptions {
  client: SecretsManagerClient;
  /** The secret's ARN or name. */
  secretId: string;
}

export class SecretsManagerKey implements RequestHashKey {
  readonly #client: SecretsManagerClient;
  readonly #secretId: string;
  #value: Promise<string> | undefined;

  constructor(options: SecretsManagerKeyOptions) {
    this.#client = options.client;
    this.#secretId = options.secretId;
  }

  get(): Promise<string> {
    this.#value ??= this.#read().catch((error: unknown) => {
      this.#value = undefined;
      throw error;
    });
    return this.#value;
  }

  async #read(): Promise<string> {
    const { SecretString } = await this.#client.send(new GetSecretValueCommand({ SecretId: this.#secretId }));
    if (SecretString === undefined || SecretString.length < MIN_KEY_LENGTH) {
      throw new Error(`secret ${this.#secretId} must hold a string of at least ${MIN_KEY_LENGTH} characters`);
    }
    return SecretString;
  }
}

/** What a stage secret holds until someone sets it (the value CloudFormation creates it with). */
export const UNSET_SECRET = 'unset';

/**
 * A stage setting kept in Secrets Manager that may not be set yet (the Slack app's secrets): its
 * SecretString, or undefined while it is empty or still UNSET_SECRET. Read on first use and kept,
 * like SecretsManagerKey; a failed read is not kept.
 */
export class SecretsManagerSetting {
  readonly #client: SecretsManagerClient;
  readonly #secretId: string;
  #value: Promise<string | undefined> | undefined;

  constructor(options: SecretsManagerKeyOptions) {
    this.#client = options.client;
    this.#secretId = options.secretId;
  }

  get(): Promise<string | undefined> {
    this.#value ??= this.#read().catch((error: unknown) => {
      this.#value = undefined;
      throw error;
    });
    return this.#value;
  }

  async #read(): Promise<string | undefined> {
    const { SecretString } = await this.#client.send(new GetSecretValueCommand({ SecretId: this.#secretId }));
    const value = SecretString?.trim();
    return value === undefined || value === '' || value === UNSET_SECRET ? undefined : value;
  }
}
