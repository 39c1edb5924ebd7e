import { numericCode } from '../../src/apis/shared/secrets';
import { EntryCount, kindOf } from '../../src/state/bounds';
import { VirtualClock } from '../../src/state/clock';
import { Faults } from '../../src/state/faults';
import { Journal, journalHeaders } from '../../src/state/journal';
import { Sessions } from '../../src/state/sessions';
import { MemoryStore } from '../../src/state/store';

/**
 * Rules of the state that `npm run mutate` found unchecked (mutants that survived the suite): each
 * test pins one rule a user of the mock relies on, whatever the API in front of it.
 */

describe('store entries expire at their time-to-live, not one millisecond later', () => {
  it('get, entries and sweep all drop an entry once its time is reached', () => {
    const clock = new VirtualClock({ now: () => Date.UTC(2030, 0, 1) });
    const store = new MemoryStore(clock);
    store.set('a:t:1', 'one', 1000);
    store.set('a:t:2', 'two', 1000);
    store.set('a:t:3', 'three', 1000);
    clock.advance(999);
    expect(store.entries('a:t:')).toHaveLength(3);
    clock.advance(1);
    expect(store.get('a:t:1')).toBeUndefined();
    expect(store.entries('a:t:')).toEqual([]);
    store.sweep();
    expect(store.size).toBe(0);
  });
});

describe('store writes are reported, so that --state-file saves them', () => {
  it('delete reports a change only when it removed something, and says which', () => {
    let changes = 0;
    const store = new MemoryStore(new VirtualClock(), () => changes++);
    store.set('a:x:1', 1);
    changes = 0;
    expect(store.delete('a:x:missing')).toBe(false);
    expect(changes).toBe(0);
    expect(store.delete('a:x:1')).toBe(true);
    expect(changes).toBe(1);
    expect(store.take('a:x:1')).toBeUndefined();
    expect(changes).toBe(1);
  });
});

describe('the per-kind bound', () => {
  it('a key’s kind is its API and record type', () => {
    expect(kindOf('khe:user:a@b.c')).toBe('khe:user:');
    expect(kindOf('vault:token:abc:def')).toBe('vault:token:');
    expect(kindOf('b2core:x')).toBe('b2core:');
    expect(kindOf('plain')).toBe('');
  });

  it('evicts the least recently used entry of the same kind only, and counts it', () => {
    const store = new MemoryStore(new VirtualClock(), undefined, new EntryCount({ perKind: 3, perSession: 100, overall: 1000 }));
    store.set('khe:session:keep', 'other kind');
    for (const n of [1, 2, 3]) store.set(`khe:user:${n}`, n);
    store.get('khe:user:1'); // used: 2 is now the least recently used user
    store.set('khe:user:4', 4);
    expect(store.entries('khe:user:').map(([k]) => k).sort()).toEqual(['khe:user:1', 'khe:user:3', 'khe:user:4']);
    expect(store.get('khe:session:keep')).toBe('other kind');
    expect(store.evicted).toBe(1);
  });
});

describe('entries by prefix', () => {
  it('lists what a scan of every entry lists, in the same order, whether the prefix is a whole kind or not', () => {
    const clock = new VirtualClock();
    const store = new MemoryStore(clock);
    for (let i = 0; i < 300; i++) {
      const key = ['a:user:', 'a:family:', 'b:token:', 'a:', 'a:user:x:', 'plain'][i % 6]! + String(i % 50);
      store.set(key, i, i % 7 === 0 ? 1000 : undefined);
      if (i % 5 === 0) store.get(`a:user:${i % 50}`);
    }
    clock.advance(2000); // every seventh write has expired
    const scan = (prefix: string) => store.dump().filter((e) => e.key.startsWith(prefix)).map((e): [string, unknown] => [e.key, e.value]);
    for (const prefix of ['a:user:', 'a:family:', 'b:token:', 'a:user:x:', 'a:', 'a:user:1', 'plain', '', 'c:none:']) {
      expect([prefix, store.entries(prefix)]).toEqual([prefix, scan(prefix)]);
    }
    expect(store.entries('a:user:').length).toBeGreaterThan(10);
  });
});

describe('session bounds keep the sessions in use', () => {
  it('a named session used all along keeps its state while a thousand others come and go', () => {
    const sessions = new Sessions();
    sessions.get('keep').store.set('b2core:user:x', 'kept');
    for (let i = 0; i < 1200; i++) {
      sessions.get(`s${i}`);
      sessions.get('keep');
    }
    expect(sessions.find('keep')?.store.get('b2core:user:x')).toBe('kept');
    expect(sessions.find('s0')).toBeUndefined();
  });

  it('past the overall bound the least recently used named session goes, never default nor the one writing', () => {
    const sessions = new Sessions(undefined, { perKind: 10_000, perSession: 10_000, overall: 1000 });
    for (let i = 0; i < 100; i++) sessions.get().store.set(`vault:token:${i}`, i);
    for (let i = 0; i < 400; i++) sessions.get('a').store.set(`vault:token:${i}`, i);
    for (let i = 0; i < 400; i++) sessions.get('b').store.set(`vault:token:${i}`, i);
    for (let i = 0; i < 400; i++) sessions.get('c').store.set(`vault:token:${i}`, i);
    expect(sessions.find('a')).toBeUndefined();
    expect(sessions.get().store.size).toBe(100);
    expect(sessions.find('b')?.store.size).toBe(400);
    expect(sessions.find('c')?.store.size).toBe(400);
  });

  it('with no other named session to drop, the one writing stays and the default session gives up its oldest entries', () => {
    const sessions = new Sessions(undefined, { perKind: 10_000, perSession: 10_000, overall: 300 });
    for (let i = 0; i < 100; i++) sessions.get().store.set(`vault:token:${i}`, i);
    for (let i = 0; i < 250; i++) sessions.get('a').store.set(`vault:token:${i}`, i);
    expect(sessions.find('a')?.store.size).toBe(250);
    expect(sessions.get().store.size).toBe(50);
    expect(sessions.get().store.get('vault:token:0')).toBeUndefined();
    expect(sessions.get().store.get('vault:token:99')).toBe(99);
  });
});

describe('faults apply to what they name', () => {
  it('a fault for one API and operation leaves other operations and APIs alone; one without times stays', () => {
    const faults = new Faults();
    faults.add({ api: 'b2core', operationId: 'signIn', status: 503 });
    expect(faults.take('b2core', 'refreshToken')).toBeUndefined();
    expect(faults.take('vault', 'signIn')).toBeUndefined();
    expect(faults.take('b2core', 'signIn')).toEqual({ status: 503, delayMs: undefined, drop: undefined });
    expect(faults.take('b2core', 'signIn')?.status).toBe(503);
    expect(faults.list()).toEqual([{ id: 1, api: 'b2core', operationId: 'signIn', status: 503 }]);
    expect(faults.add({ status: 500 }).id).toBe(2);
  });
});

describe('the journal', () => {
  it('starts empty, and filters by path prefix', () => {
    const journal = new Journal();
    expect(journal.list()).toEqual([]);
    const entry = { receivedAt: new Date().toISOString(), session: 'default', api: 'b2core', method: 'POST', query: {}, status: 200, durationMs: 1 };
    journal.record({ ...entry, path: '/api/v2/signin' });
    journal.record({ ...entry, path: '/api/v2/session' });
    journal.record({ ...entry, path: '/other/api/v2' });
    expect(journal.list({ path: '/api/v2/' }).map((e) => e.path)).toEqual(['/api/v2/signin', '/api/v2/session']);
  });

  it('keeps at most 50 headers, cuts long values, and leaves out absent ones', () => {
    const headers: Record<string, string | string[] | number | undefined> = { absent: undefined, list: ['a', 'b'], length: 12, long: 'x'.repeat(600) };
    for (let i = 0; i < 60; i++) headers[`h${i}`] = String(i);
    const kept = journalHeaders(headers)!;
    expect(Object.keys(kept)).toHaveLength(50);
    expect('absent' in kept).toBe(false);
    expect(kept.list).toEqual(['a', 'b']);
    expect(kept.length).toBe('12');
    expect(kept.long).toBe(`${'x'.repeat(512)}…`);
    expect(kept.h46).toBe('46');
    expect(kept.h47).toBeUndefined();
    expect(journalHeaders(undefined)).toBeUndefined();
  });
});

describe('one-time codes', () => {
  it('always have the number of digits asked for, leading zeros included', () => {
    const codes = Array.from({ length: 300 }, () => numericCode(2));
    for (const code of codes) expect(code).toMatch(/^\d{2}$/);
    // 300 draws of 00..99 all at 10 or more: a chance of 0.9^300, about 2e-14.
    expect(codes.some((c) => c.startsWith('0'))).toBe(true);
  });
});
