import type { SessionState, StateBackend } from '../../src/state/backend';
import { resetState } from '../../src/state/backend';
import type { Clock } from '../../src/state/clock';
import { RedisBackend } from '../../src/state/redis';
import { Sessions } from '../../src/state/sessions';
import { createLogger } from '../../src/logger';
import { startRedis, type TestRedis } from '../helpers/redis';

/**
 * The contract every state backend keeps (src/state/backend.ts), run against both: what behaviour
 * code may rely on, whichever store holds the state.
 */
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(() => redis?.close());

/** A real-time source the tests move by hand, under every session's virtual clock. */
const base = { at: Date.UTC(2030, 0, 1), now() { return this.at; } } satisfies Clock & { at: number };

const backends: Array<[string, () => Promise<StateBackend>]> = [
  ['memory', async () => new Sessions(base)],
  ['redis', async () => RedisBackend.connect({ url: redis.url, logger: createLogger('silent'), clock: base })],
];

describe.each(backends)('the %s backend', (_name, make) => {
  let state: StateBackend;
  let session: string;
  let n = 0;
  beforeAll(async () => {
    state = await make();
  });
  afterAll(() => state?.close());
  // A fresh session per test: the Redis one outlives the backend object.
  beforeEach(() => {
    session = `contract-${process.pid}-${++n}-${Math.random().toString(36).slice(2)}`;
    base.at = Date.UTC(2030, 0, 1);
  });
  const run = <R>(fn: (s: SessionState) => R | Promise<R>): Promise<R> => state.run(session, fn);

  it('keeps what a step writes, for the next step to read; take removes in the same step', async () => {
    await run((s) => s.store.set('api:thing:1', { a: 1 }));
    expect(await run((s) => s.store.get('api:thing:1'))).toEqual({ a: 1 });
    expect(await run((s) => s.store.take('api:thing:1'))).toEqual({ a: 1 });
    expect(await run((s) => s.store.get('api:thing:1'))).toBeUndefined();
    expect(await run((s) => s.store.delete('api:thing:1'))).toBe(false);
  });

  it('lists entries by prefix, within a scope, and clears a scope only', async () => {
    await run((s) => {
      s.store.set('a:x:1', 1);
      s.store.set('a:x:2', 2);
      s.store.set('b:x:1', 3);
    });
    const listed = await run((s) => s.store.scope('a:').entries<number>('x:'));
    expect(listed.sort()).toEqual([
      ['x:1', 1],
      ['x:2', 2],
    ]);
    await run((s) => s.store.scope('a:').clear());
    expect(await run((s) => s.store.entries(''))).toEqual([['b:x:1', 3]]);
  });

  it('expires entries by the session clock, and moving the clock forward expires them', async () => {
    await run((s) => s.store.set('a:t:1', 'v', 60_000));
    expect(await run((s) => s.store.get('a:t:1'))).toBe('v');
    await run((s) => s.clock.advance(60_000));
    expect(await run((s) => s.store.get('a:t:1'))).toBeUndefined();
    expect(await run((s) => s.store.entries('a:'))).toEqual([]);
  });

  it('sweeps what expired, and with records, what has an expiresAt of its own that passed', async () => {
    await run((s) => {
      s.store.set('a:r:1', { expiresAt: base.at + 1000 }, 3_600_000);
      s.store.set('a:r:2', { expiresAt: base.at + 10_000_000 }, 3_600_000);
    });
    await run((s) => s.clock.advance(2000));
    await run((s) => s.store.sweep());
    expect((await run((s) => s.store.entries('a:r:'))).map(([k]) => k).sort()).toEqual(['a:r:1', 'a:r:2']);
    await run((s) => s.store.sweep(true));
    expect((await run((s) => s.store.entries('a:r:'))).map(([k]) => k)).toEqual(['a:r:2']);
  });

  it('makes each step atomic: 50 concurrent read-modify-write steps count to 50', async () => {
    await Promise.all(Array.from({ length: 50 }, () => run((s) => s.store.set('a:count', (s.store.get<number>('a:count') ?? 0) + 1))));
    expect(await run((s) => s.store.get('a:count'))).toBe(50);
  });

  it('lets exactly one of 40 concurrent takes of one entry have it', async () => {
    await run((s) => s.store.set('a:once', 'token'));
    const taken = await Promise.all(Array.from({ length: 40 }, () => run((s) => s.store.take('a:once'))));
    expect(taken.filter((t) => t === 'token')).toHaveLength(1);
  });

  it('keeps the writes of a step that throws, and throws what it threw', async () => {
    await expect(
      run((s) => {
        s.store.set('a:attempts', 1);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await run((s) => s.store.get('a:attempts'))).toBe(1);
  });

  it('keeps a step atomic across an await inside it', async () => {
    const step = () =>
      run(async (s) => {
        const seen = s.store.get<number>('a:slow') ?? 0;
        await new Promise((r) => setTimeout(r, 5));
        s.store.set('a:slow', seen + 1);
      });
    await Promise.all(Array.from({ length: 10 }, step));
    const final = await run((s) => s.store.get<number>('a:slow'));
    // The memory store runs steps once, as before: an await lets others in (behaviours check again
    // after awaiting). Redis runs a step again when what it read changed: no update is lost.
    if (state.kind === 'redis') expect(final).toBe(10);
    else expect(final).toBeGreaterThanOrEqual(1);
  });

  it('keeps the clock, outbox and faults of the session, and resets them all', async () => {
    await run((s) => {
      s.clock.set(Date.UTC(2031, 5, 1));
      s.outbox.send('b2core', { to: 'a@b.c', subject: 'code', text: '123456', code: '123456' });
      s.faults.add({ api: 'b2core', status: 503, times: 1 });
    });
    expect(await run((s) => new Date(s.clock.now()).toISOString())).toBe('2031-06-01T00:00:00.000Z');
    expect(await run((s) => s.outbox.list().map((m) => m.code))).toEqual(['123456']);
    expect(await run((s) => s.faults.take('b2core', 'signIn'))).toEqual({ status: 503, delayMs: undefined, drop: undefined });
    expect(await run((s) => s.faults.count)).toBe(0);
    await run((s) => resetState(s));
    expect(await run((s) => [s.clock.isVirtual, s.outbox.list().length, s.store.entries('').length])).toEqual([false, 0, 0]);
  });

  it('keeps sessions apart, and lists them', async () => {
    await run((s) => s.store.set('a:mine', 1));
    expect(await state.run(`${session}-other`, (s) => s.store.get('a:mine'))).toBeUndefined();
    await new Promise((r) => setTimeout(r, 50)); // the Redis list of sessions is written after the step
    expect(await state.sessionNames()).toEqual(expect.arrayContaining(['default', session]));
  });

  it('journals requests, filters them and clears one session only', async () => {
    const entry = (name: string, path: string) => ({ receivedAt: new Date(base.at).toISOString(), session: name, api: 'b2core', method: 'GET', path, query: {}, status: 200, durationMs: 1 });
    await state.journal.clear();
    state.journal.record(entry(session, '/one'));
    state.journal.record(entry(`${session}-other`, '/two'));
    await new Promise((r) => setTimeout(r, 50));
    expect((await state.journal.list({ session })).map((e) => e.path)).toEqual(['/one']);
    await state.journal.clear(session);
    expect((await state.journal.list()).map((e) => e.path)).toEqual(['/two']);
  });

  it('clears one session’s entries among many, whatever its name, and keeps the others in order', async () => {
    const entry = (name: string, path: string) => ({ receivedAt: new Date(base.at).toISOString(), session: name, api: 'b2core', method: 'GET', path, query: {}, status: 200, durationMs: 1 });
    const odd = `${session} "quoted" \\ ünï`;
    await state.journal.clear();
    for (let i = 0; i < 30; i++) state.journal.record(entry(i % 3 === 0 ? odd : session, `/${i}`));
    await new Promise((r) => setTimeout(r, 100));
    await state.journal.clear(odd);
    const left = Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `/${i}`);
    expect((await state.journal.list()).map((e) => e.path)).toEqual(left);
    expect(await state.journal.list({ session: odd })).toEqual([]);
  });
});
