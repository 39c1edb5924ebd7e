#!/usr/bin/env node
/**
 * `node scripts/soak.js` (after `npm run build`): issues 1,000,000 tokens through the store the APIs
 * use (the shared token book, in one state session) and exercises the other things that could grow
 * without end: rate-limit counters, the outbox, the journal and named sessions. The virtual clock
 * moves on as they are issued, so tokens expire: by default a CI-like rhythm, 10,000 tokens (100 ms
 * apart), then the clock jumps past their expiry; SOAK_MODE=steady instead moves it 100 ms per token
 * and never jumps, which keeps about 45,000 tokens alive at any time. Prints the RSS along the way and
 * at the end, and exits 1 when the final RSS is over the bound. Not a test: it takes a minute or two.
 *
 * Environment: SOAK_TOKENS (default 1000000), SOAK_LIMIT_MB (default 200), SOAK_MODE (batches |
 * steady). Run with --expose-gc for figures after a full collection.
 */
const { randomBytes, randomUUID } = require('node:crypto');
const path = require('node:path');

const dist = path.resolve(__dirname, '..', 'dist');
const { Sessions } = require(path.join(dist, 'state', 'sessions'));
const { RateLimiter } = require(path.join(dist, 'state', 'rate-limiter'));
const { TokenBook } = require(path.join(dist, 'apis', 'shared', 'token-book'));

const TOKENS = Number(process.env.SOAK_TOKENS ?? 1_000_000);
const MODE = process.env.SOAK_MODE === 'steady' ? 'steady' : 'batches';
/** In batches mode: tokens issued before the clock jumps past their expiry. */
const BATCH = 10_000;
const LIMIT_MB = Number(process.env.SOAK_LIMIT_MB ?? 200);
/** Token lifetimes as the b2core fixture could set them: a 15-minute access token, a 1-hour refresh token. */
const ACCESS_SECONDS = 15 * 60;
const REFRESH_SECONDS = 60 * 60;
/** Virtual time between two issued tokens. */
const STEP_MS = 100;
/** Expired tokens are remembered this long by the token book (its EXPIRED_GRACE_MS). */
const GRACE_MS = 60 * 60 * 1000;
const USERS = 1000;
const RULE = { limit: 5, windowSeconds: 60, lockoutSeconds: 300 };

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const collect = () => globalThis.gc?.();
/** A JWT-sized token (an RS256 JWT is about 600 characters), random so that nothing is shared. */
const jwtLike = () => `eyJhbGciOiJSUzI1NiJ9.${randomBytes(300).toString('base64url')}.${randomBytes(256).toString('base64url')}`;

const sessions = new Sessions();
const session = sessions.get('soak');
const store = session.store.scope('b2core:');
const book = new TokenBook(store, session.clock);
const limiter = new RateLimiter(store, session.clock);
session.clock.set(Date.parse('2030-01-01T00:00:00Z'));

collect();
const startRss = process.memoryUsage().rss;
const started = Date.now();
process.stdout.write(
  `soak: ${TOKENS} JWT-sized tokens, ${STEP_MS} ms of virtual time apart, ${MODE === 'batches' ? `the clock jumping past their expiry every ${BATCH}` : 'no jumps'}; ` +
    `RSS at start ${mb(startRss)} MB\n`,
);

let family = '';
for (let i = 1; i <= TOKENS; i++) {
  // Every request looks its session up, which keeps it the most recently used.
  sessions.get('soak');
  const user = `user-${i % USERS}`;
  // A sign-in every other token starts a session (rate-limited per user, as sign-ins are); a refresh adds to it.
  if (i % 2 === 1) {
    limiter.hit(`ratelimit:signin:${user}@example.com`, RULE);
    family = book.startFamily(user, REFRESH_SECONDS * 1000);
  }
  const now = session.clock.now();
  const kind = i % 2 === 1 ? 'access' : 'refresh';
  const seconds = kind === 'access' ? ACCESS_SECONDS : REFRESH_SECONDS;
  book.issue(jwtLike(), { kind, family, subject: user, issuedAt: now, expiresAt: now + seconds * 1000 });
  if (i % 100 === 0) session.outbox.send('b2core', { to: `${user}@example.com`, subject: 'code', text: `Your code is ${i % 1e6}`, code: String(i % 1e6).padStart(6, '0') });
  if (i % 10 === 0) {
    sessions.journal.record({ receivedAt: new Date(now).toISOString(), session: 'soak', api: 'b2core', method: 'POST', path: '/api/v2/signin', query: {}, status: 200, durationMs: 1, requestBody: '{"email":"x"}', responseBody: 'y'.repeat(600) });
  }
  // Named sessions come and go (one per 1,000 tokens: more than the 1,000 kept).
  if (i % 1000 === 0) sessions.get(`ci-job-${randomUUID()}`).store.set('marker', i);
  session.clock.advance(STEP_MS);
  if (MODE === 'batches' && i % BATCH === 0) session.clock.advance(REFRESH_SECONDS * 1000 + GRACE_MS);
  if (i % 100_000 === 0) {
    const { rss, heapUsed } = process.memoryUsage();
    process.stdout.write(`  ${String(i).padStart(8)} tokens: RSS ${mb(rss)} MB, heap ${mb(heapUsed)} MB, ${session.store.size} store entries, ${sessions.all().length} sessions\n`);
  }
}

collect();
const { rss, heapUsed } = process.memoryUsage();
const live = book.live().length;
session.store.sweep();
process.stdout.write(
  `soak: ${TOKENS} tokens issued in ${((Date.now() - started) / 1000).toFixed(1)} s; ${live} live, ${session.store.size} store entries, ` +
    `${session.outbox.list().length} outbox messages, ${sessions.journal.list().length} journal entries, ${sessions.all().length} sessions\n` +
    `soak: final RSS ${mb(rss)} MB (heap ${mb(heapUsed)} MB${globalThis.gc ? ', after a full GC' : ''}); bound ${LIMIT_MB} MB: ${rss / 1024 / 1024 < LIMIT_MB ? 'ok' : 'OVER'}\n`,
);
process.exitCode = rss / 1024 / 1024 < LIMIT_MB ? 0 : 1;
