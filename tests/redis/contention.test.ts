import { RedisBackend } from '../../src/state/redis';
import { createLogger } from '../../src/logger';
import { startRedis, type TestRedis } from '../helpers/redis';

/**
 * Two processes (two backends on one Redis) writing one session: a slow step (one that awaits, as a
 * sign-in awaits its signatures) must not starve while the other keeps committing quick steps.
 * Before the session lock, it lost 200 races in a row and answered 503 (seen in `npm run bench`'s
 * one-user sign-ins with --workers 2).
 */
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(() => redis?.close());

it('a slow step wins against a stream of quick steps from another process; nothing is lost', async () => {
  const logger = createLogger('silent');
  const [a, b] = await Promise.all([RedisBackend.connect({ url: redis.url, logger }), RedisBackend.connect({ url: redis.url, logger })]);
  const session = `contention-${process.pid}`;
  try {
    let slowDone = false;
    let quick = 0;
    // B: one quick increment after another until A's slow step is through (bounded: 20 s).
    const deadline = Date.now() + 20_000;
    const stream = (async () => {
      while (!slowDone && Date.now() < deadline) {
        await b.run(session, (s) => s.store.set('api:n:1', (s.store.get<number>('api:n:1') ?? 0) + 1));
        quick++;
      }
    })();
    // A: reads, waits 30 ms (a signature under load), then writes: every quick commit meanwhile beats it.
    const slow = a.run(session, async (s) => {
      const n = s.store.get<number>('api:n:1') ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 30));
      s.store.set('api:n:1', n + 1000);
    });
    await slow.finally(() => (slowDone = true));
    await stream;
    expect(quick).toBeGreaterThan(0);
    expect(Date.now()).toBeLessThan(deadline);
    expect(await a.run(session, (s) => s.store.get<number>('api:n:1'))).toBe(quick + 1000);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}, 30_000);
