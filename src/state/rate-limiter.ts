import type { Clock } from './clock';
import type { Store } from './store';

/** A fixed-window limit: `limit` attempts per `windowSeconds`; past it, locked for `lockoutSeconds`. */
export interface RateLimitRule {
  limit: number;
  windowSeconds: number;
  lockoutSeconds: number;
}

export type RateLimitVerdict = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

interface Counter {
  count: number;
  windowStart: number;
  lockedUntil?: number;
}

/**
 * Counts attempts per key in the store (so counters are per session, reset with it, and follow its
 * clock). `hit` is synchronous: concurrent requests are counted exactly.
 */
export class RateLimiter {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  hit(key: string, rule: RateLimitRule): RateLimitVerdict {
    const now = this.clock.now();
    let counter = this.store.get<Counter>(key);
    if (counter?.lockedUntil !== undefined && counter.lockedUntil > now) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((counter.lockedUntil - now) / 1000)) };
    }
    const windowMs = rule.windowSeconds * 1000;
    if (!counter || counter.lockedUntil !== undefined || now >= counter.windowStart + windowMs) {
      counter = { count: 0, windowStart: now };
    }
    counter = { ...counter, count: counter.count + 1 };
    if (counter.count > rule.limit) {
      const lockoutMs = rule.lockoutSeconds * 1000;
      this.store.set(key, { ...counter, lockedUntil: now + lockoutMs }, lockoutMs);
      return { allowed: false, retryAfterSeconds: Math.max(1, rule.lockoutSeconds) };
    }
    this.store.set(key, counter, counter.windowStart + windowMs - now);
    return { allowed: true, remaining: rule.limit - counter.count };
  }
}
