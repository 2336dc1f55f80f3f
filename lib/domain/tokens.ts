/**
 * Bearer tokens: made here, shown once, stored only as their SHA-256. A token has a name (the
 * caller it stands for) and the profiles it may use. The Lambda authorizer and the local server
 * authenticate requests through `TokenService.authenticate`; `npm run token` manages them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EVERY_PROFILE, type Caller } from './caller.ts';
import { ConflictError, TokenNotFoundError, ValidationError } from './errors.ts';
import type { TokenRecord, TokenStore } from './ports.ts';

/** `fjt_` and 32 random bytes, base64url: the prefix lets secret scanners and people spot one. */
export const TOKEN_PATTERN = /^fjt_[A-Za-z0-9_-]{43}$/;
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** A listing filters on the scope with one `IN`, which DynamoDB caps at 100 values; `*` covers more. */
export const MAX_SCOPE_PROFILES = 100;
/**
 * The name of the token the local server makes for its user and prints at start (kept in
 * `<data dir>/token`); local/local-server.ts makes it, and `npm run token -- revoke` warns when it is revoked.
 */
export const LOCAL_SERVER_TOKEN_NAME = 'local';
/** A token's own active-job limit: 1 up to this. */
export const MAX_ACTIVE_JOBS_LIMIT = 10_000;

export type AuthenticationFailure = 'MISSING' | 'MALFORMED' | 'UNKNOWN' | 'REVOKED';

export type Authentication = { authenticated: true; caller: Caller } | { authenticated: false; failure: AuthenticationFailure };

export interface NewToken {
  /** The clear token: shown once, never stored. */
  token: string;
  record: TokenRecord;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The token of an `Authorization: Bearer <token>` header, or why there is none. */
export function bearerToken(authorization: string | undefined): { token: string } | { failure: 'MISSING' | 'MALFORMED' } {
  if (authorization === undefined || authorization.trim() === '') return { failure: 'MISSING' };
  const token = /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
  return token !== undefined && TOKEN_PATTERN.test(token) ? { token } : { failure: 'MALFORMED' };
}

/** Who a token stands for: its name, its scope and its own active-job limit. */
export function callerOfToken(record: TokenRecord): Caller {
  return { name: record.name, profiles: record.profiles, ...(record.maxActiveJobs === undefined ? {} : { maxActiveJobs: record.maxActiveJobs }) };
}

export interface NewTokenRequest {
  name: string;
  profiles: readonly string[];
  /** At most this many of its jobs active at once; the deployment's limit when undefined. */
  maxActiveJobs?: number;
}

export interface TokenServiceOptions {
  store: TokenStore;
  /** The profile names a scope may name (besides `*`); unknown names are refused at creation. */
  profileNames?: readonly string[];
  now?: () => Date;
}

export class TokenService {
  readonly #store: TokenStore;
  readonly #profileNames: readonly string[] | undefined;
  readonly #now: () => Date;

  constructor(options: TokenServiceOptions) {
    this.#store = options.store;
    this.#profileNames = options.profileNames;
    this.#now = options.now ?? (() => new Date());
  }

  /** Who an Authorization header stands for: one read by hash, nothing else. */
  async authenticate(authorization: string | undefined): Promise<Authentication> {
    const presented = bearerToken(authorization);
    if ('failure' in presented) return { authenticated: false, failure: presented.failure };
    const record = await this.#store.findByHash(hashToken(presented.token));
    if (!record) return { authenticated: false, failure: 'UNKNOWN' };
    if (record.revokedAt !== undefined) return { authenticated: false, failure: 'REVOKED' };
    return { authenticated: true, caller: callerOfToken(record) };
  }

  /** Makes a token; its name must not belong to another active token. */
  async create(request: NewTokenRequest): Promise<NewToken> {
    this.#validate(request);
    const token = `fjt_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = {
      hash: hashToken(token),
      name: request.name,
      profiles: [...new Set(request.profiles)],
      ...(request.maxActiveJobs === undefined ? {} : { maxActiveJobs: request.maxActiveJobs }),
      createdAt: this.#now().toISOString(),
    };
    if (!(await this.#store.create(record))) {
      throw new ConflictError('TOKEN_NAME_TAKEN', `an active token is already named '${request.name}'; revoke it first or pick another name`);
    }
    return { token, record };
  }

  list(): Promise<TokenRecord[]> {
    return this.#store.list();
  }

  /** Revokes the active token of that name; it stops working once cached authorizations expire. */
  async revoke(name: string): Promise<TokenRecord> {
    const revoked = await this.#store.revokeByName(name, this.#now().toISOString());
    if (!revoked) throw new TokenNotFoundError(name);
    return revoked;
  }

  #validate(request: NewTokenRequest): void {
    const { maxActiveJobs } = request;
    if (maxActiveJobs !== undefined && !(Number.isInteger(maxActiveJobs) && maxActiveJobs >= 1 && maxActiveJobs <= MAX_ACTIVE_JOBS_LIMIT)) {
      throw new ValidationError('the active-job limit is not valid', [
        { path: 'maxActiveJobs', message: `use a whole number from 1 to ${MAX_ACTIVE_JOBS_LIMIT}` },
      ]);
    }
    if (!TOKEN_NAME_PATTERN.test(request.name)) {
      throw new ValidationError('the token name is not valid', [
        { path: 'name', message: 'use 1 to 64 letters, digits, . _ @ or -, starting with a letter or digit' },
      ]);
    }
    if (request.profiles.length === 0) {
      throw new ValidationError('a token needs at least one profile', [{ path: 'profiles', message: `name profiles, or ${EVERY_PROFILE} for all` }]);
    }
    if (new Set(request.profiles).size > MAX_SCOPE_PROFILES) {
      throw new ValidationError(`a token names at most ${MAX_SCOPE_PROFILES} profiles`, [{ path: 'profiles', message: `use ${EVERY_PROFILE} for every profile` }]);
    }
    const known = this.#profileNames;
    const unknown = known ? [...new Set(request.profiles.filter((profile) => profile !== EVERY_PROFILE && !known.includes(profile)))] : [];
    if (known && unknown.length > 0) {
      const named = unknown.map((profile) => `'${profile}'`).join(', ');
      throw new ValidationError(`unknown profile${unknown.length > 1 ? 's' : ''} ${named}; the profiles here are: ${known.join(', ')} (or ${EVERY_PROFILE} for all)`);
    }
  }
}
