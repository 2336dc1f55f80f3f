/**
 * Local exec sessions opened (`POST /jobs/{id}/exec`) and not attached to yet. Each has a random id,
 * which names it in its stream URL, and a token of its own, which opens it: once, and only within
 * the attach window. The token is compared in constant time; a wrong one leaves the session as it
 * was (it cannot be guessed: 256 bits). What a session holds (the job's whole environment, secrets
 * included) stays in this process's memory and goes with it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { equalSecrets } from '#lib/domain/constant-time.ts';

/** How long an opened session waits for its client to attach. */
export const EXEC_ATTACH_WINDOW_MS = 60_000;
const TOKEN_BYTES = 32;

export interface ExecSessionsOptions {
  /** Milliseconds since the epoch: Date.now by default. */
  now?: () => number;
  attachWindowMs?: number;
}

export interface OpenedExecSession {
  sessionId: string;
  tokenValue: string;
}

/** `unknown`: no such session, or it expired or was attached to; `unauthorized`: not its token. */
export type ExecClaim<T> = { claimed: T } | { refused: 'unknown' | 'unauthorized' };

interface PendingSession<T> {
  token: Buffer;
  expiresAt: number;
  exec: T;
}

export class ExecSessions<T> {
  readonly #pending = new Map<string, PendingSession<T>>();
  readonly #now: () => number;
  readonly #attachWindowMs: number;

  constructor(options: ExecSessionsOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#attachWindowMs = options.attachWindowMs ?? EXEC_ATTACH_WINDOW_MS;
  }

  open(exec: T): OpenedExecSession {
    this.#forgetExpired();
    const sessionId = randomUUID();
    const tokenValue = randomBytes(TOKEN_BYTES).toString('base64url');
    this.#pending.set(sessionId, { token: Buffer.from(tokenValue), expiresAt: this.#now() + this.#attachWindowMs, exec });
    return { sessionId, tokenValue };
  }

  /** The session's exec, taken out of the registry (a second claim finds nothing), if `tokenValue` opens it. */
  claim(sessionId: string, tokenValue: string): ExecClaim<T> {
    this.#forgetExpired();
    const session = this.#pending.get(sessionId);
    if (!session) return { refused: 'unknown' };
    if (!equalSecrets(tokenValue, session.token)) return { refused: 'unauthorized' };
    this.#pending.delete(sessionId);
    return { claimed: session.exec };
  }

  /** Forgets the sessions whose exec `matches` (e.g. those into a task that has stopped). */
  discard(matches: (exec: T) => boolean): void {
    for (const [sessionId, session] of this.#pending) if (matches(session.exec)) this.#pending.delete(sessionId);
  }

  /** How many sessions wait to be attached to. */
  get size(): number {
    this.#forgetExpired();
    return this.#pending.size;
  }

  #forgetExpired(): void {
    const now = this.#now();
    for (const [sessionId, session] of this.#pending) if (session.expiresAt <= now) this.#pending.delete(sessionId);
  }
}
