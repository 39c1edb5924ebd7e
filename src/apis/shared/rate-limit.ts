import { MockError } from '../../errors';
import { RateLimiter, type RateLimitRule } from '../../state/rate-limiter';
import type { RequestContext } from '../../engine/types';

/** Counts an attempt against `key`; past the rule's limit, throws 429 `rate_limited` with Retry-After. */
export function countAttempt(ctx: RequestContext, key: string, rule: RateLimitRule): void {
  const verdict = new RateLimiter(ctx.store, ctx.clock).hit(`ratelimit:${key}`, rule);
  if (!verdict.allowed) {
    throw new MockError('rate_limited', 429, `Too many attempts; try again in ${verdict.retryAfterSeconds} seconds`, {
      headers: { 'retry-after': String(verdict.retryAfterSeconds) },
    });
  }
}
