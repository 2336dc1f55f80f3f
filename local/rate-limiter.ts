/**
 * A token bucket per caller: `burst` requests at once, refilled at `ratePerSecond`. API Gateway
 * throttles the deployed API per stage; local mode applies this per token.
 */

export interface RateLimit {
  ratePerSecond: number;
  burst: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; updatedAt: number }>();

  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) {
      throw new Error(`a rate limit needs a positive rate and a burst of at least 1, got ${JSON.stringify(limit)}`);
    }
    this.#limit = limit;
    this.#now = now;
  }

  /** Takes one request from the caller's bucket, or says how long until one is available. */
  take(caller: string): RateDecision {
    const now = this.#now();
    const bucket = this.#buckets.get(caller) ?? { tokens: this.#limit.burst, updatedAt: now };
    const refilled = Math.min(this.#limit.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.#limit.ratePerSecond);
    if (refilled >= 1) {
      this.#buckets.set(caller, { tokens: refilled - 1, updatedAt: now });
      return { allowed: true };
    }
    this.#buckets.set(caller, { tokens: refilled, updatedAt: now });
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - refilled) / this.#limit.ratePerSecond)) };
  }
}

/** Reads `<rate>/<burst>` (e.g. `20/40`), as FARGATE_JOBS_RATE_LIMIT gives it. */
export function parseRateLimit(text: string): RateLimit {
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+)\s*$/.exec(text);
  const limit = match ? { ratePerSecond: Number(match[1]), burst: Number(match[2]) } : undefined;
  if (!limit || !(limit.ratePerSecond > 0) || limit.burst < 1) {
    throw new Error(`a rate limit is '<requests per second>/<burst>', e.g. '20/40'; got '${text}'`);
  }
  return limit;
}
