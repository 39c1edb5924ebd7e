import { parseDuration } from '../../src/admin/duration';
import { VirtualClock } from '../../src/state/clock';
import { Faults, parseFaultHeader } from '../../src/state/faults';
import { Journal, JOURNAL_CAPACITY } from '../../src/state/journal';
import { Outbox, OUTBOX_CAPACITY } from '../../src/state/outbox';
import { MAX_SESSIONS, Sessions } from '../../src/state/sessions';
import { MemoryStore } from '../../src/state/store';

describe('ISO 8601 durations', () => {
  it.each([
    ['PT15M', 15 * 60_000],
    ['P1D', 86_400_000],
    ['P1DT2H', 93_600_000],
    ['PT1.5S', 1500],
    ['PT0S', 0],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['15m', 'P', 'PT', 'P1Y', 'P1M', 'PT-1S', ''])('%s is refused', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('fault header', () => {
  it('reads status, delay and drop, alone or together', () => {
    expect(parseFaultHeader('status=503')).toEqual({ status: 503 });
    expect(parseFaultHeader('delay=2000; status=500')).toEqual({ delayMs: 2000, status: 500 });
    expect(parseFaultHeader('drop')).toEqual({ drop: true });
  });
  it.each(['status=200', 'status=abc', 'delay=-1', 'delay=999999', 'explode', '', 'drop=yes'])('refuses %j', (v) =>
    expect(parseFaultHeader(v)).toHaveProperty('error'),
  );
  it('counts down faults with times and keeps others', () => {
    const faults = new Faults();
    faults.add({ api: 'a', status: 500, times: 1 });
    faults.add({ status: 503 });
    expect(faults.take('a', 'op')).toEqual({ status: 500, delayMs: undefined, drop: undefined });
    expect(faults.take('a', 'op')?.status).toBe(503);
    expect(faults.list()).toHaveLength(1);
  });
});

describe('bounded memory', () => {
  it('keeps the newest journal entries only', () => {
    const journal = new Journal();
    for (let i = 0; i < JOURNAL_CAPACITY + 10; i++) {
      journal.record({ receivedAt: new Date().toISOString(), session: 's', api: 'a', method: 'GET', path: `/${i}`, query: {}, status: 200, durationMs: 1 });
    }
    const entries = journal.list();
    expect(entries).toHaveLength(JOURNAL_CAPACITY);
    expect(entries[0]!.path).toBe('/10');
  });

  it('keeps them in order as the ring wraps, and after one session’s entries are cleared', () => {
    const journal = new Journal();
    const record = (i: number) =>
      journal.record({ receivedAt: new Date().toISOString(), session: i % 2 ? 'odd' : 'even', api: 'a', method: 'GET', path: `/${i}`, query: {}, status: 200, durationMs: 1 });
    for (let i = 0; i < 2.5 * JOURNAL_CAPACITY; i++) record(i);
    const paths = journal.list().map((e) => Number(e.path.slice(1)));
    expect(paths).toEqual(Array.from({ length: JOURNAL_CAPACITY }, (_, i) => 1.5 * JOURNAL_CAPACITY + i));
    journal.clear('odd');
    for (let i = 2.5 * JOURNAL_CAPACITY; i < 2.5 * JOURNAL_CAPACITY + 10; i++) record(i);
    const after = journal.list().map((e) => Number(e.path.slice(1)));
    expect(after).toHaveLength(JOURNAL_CAPACITY / 2 + 10);
    expect(after.slice(0, 3)).toEqual([1.5 * JOURNAL_CAPACITY, 1.5 * JOURNAL_CAPACITY + 2, 1.5 * JOURNAL_CAPACITY + 4]);
    expect(after.slice(-3)).toEqual([2.5 * JOURNAL_CAPACITY + 7, 2.5 * JOURNAL_CAPACITY + 8, 2.5 * JOURNAL_CAPACITY + 9]);
    expect(journal.list({ session: 'odd' }).map((e) => e.path)).toEqual([1, 3, 5, 7, 9].map((k) => `/${2.5 * JOURNAL_CAPACITY + k}`));
  });

  it('keeps the newest outbox messages only', () => {
    const outbox = new Outbox(new VirtualClock());
    for (let i = 0; i < OUTBOX_CAPACITY + 5; i++) outbox.send('a', { to: 'x@y.z', subject: 's', text: String(i) });
    expect(outbox.list()).toHaveLength(OUTBOX_CAPACITY);
    expect(outbox.list()[0]!.text).toBe('5');
  });

  it('drops the least recently used session past the cap, never the default one', () => {
    const sessions = new Sessions();
    const first = sessions.get();
    sessions.get('keep');
    for (let i = 0; i < MAX_SESSIONS; i++) {
      sessions.get(`s${i}`);
      sessions.get('keep');
    }
    expect(sessions.all()).toHaveLength(MAX_SESSIONS);
    expect(sessions.get()).toBe(first);
    expect(sessions.all().map((s) => s.name)).toContain('keep');
  });

  it('sweeps expired store entries as it writes', () => {
    const clock = new VirtualClock();
    const store = new MemoryStore(clock);
    for (let i = 0; i < 5000; i++) {
      store.set(`k${i}`, i, 1000);
      clock.advance(10);
    }
    expect(store.size).toBeLessThan(1200);
    expect(store.get('k4999')).toBe(4999);
    expect(store.get('k0')).toBeUndefined();
  });
});
