import { MAX_FAMILIES_PER_SUBJECT, TokenBook } from '../../src/apis/shared/token-book';
import { VirtualClock } from '../../src/state/clock';
import { MemoryStore } from '../../src/state/store';

function book() {
  const clock = new VirtualClock();
  const store = new MemoryStore(clock);
  return { clock, store, book: new TokenBook(store, clock) };
}

describe('TokenBook', () => {
  it('ends the oldest session of a subject past the limit, and forgets its tokens', () => {
    const { book: b, store, clock } = book();
    const first = b.startFamily('u', 60_000);
    b.issue('first-access', { kind: 'access', family: first, subject: 'u', expiresAt: clock.now() + 60_000 });
    for (let i = 1; i < MAX_FAMILIES_PER_SUBJECT; i++) b.startFamily('u', 60_000);
    expect(b.check('first-access', 'access').ok).toBe(true);
    const before = store.size;
    b.startFamily('u', 60_000);
    expect(b.familyAlive(first)).toBe(false);
    expect(b.check('first-access', 'access')).toEqual({ ok: false, reason: 'unknown' });
    // The oldest family and its token are gone from the store; one new family came.
    expect(store.size).toBe(before - 1);
    // Another subject is not affected.
    const other = b.startFamily('v', 60_000);
    expect(b.familyAlive(other)).toBe(true);
  });

  it('lists live tokens with their values', () => {
    const { book: b, clock } = book();
    const family = b.startFamily('u', 60_000);
    b.issue('the-token', { kind: 'access', family, subject: 'u', expiresAt: clock.now() + 60_000 });
    expect(b.live()).toEqual([{ key: expect.stringMatching(/^token:/), token: 'the-token', record: expect.objectContaining({ kind: 'access', subject: 'u' }) }]);
    expect(b.check('the-token', 'access')).toEqual({ ok: true, record: expect.not.objectContaining({ token: expect.anything() }) });
  });

  it('frees the tokens of an ended session', () => {
    const { book: b, store, clock } = book();
    const family = b.startFamily('u', 60_000);
    for (let i = 0; i < 10; i++) b.issue(`t${i}`, { kind: 'access', family, subject: 'u', expiresAt: clock.now() + 60_000 });
    const before = store.size;
    b.endFamily(family);
    expect(before - store.size).toBe(11);
  });

  it('keeps memory bounded when one account signs in without end', () => {
    const { book: b, store, clock } = book();
    for (let i = 0; i < 5000; i++) {
      const f = b.startFamily('u', 3_600_000);
      b.issue(`a${i}`, { kind: 'access', family: f, subject: 'u', expiresAt: clock.now() + 3_600_000 });
      b.issue(`r${i}`, { kind: 'refresh', family: f, subject: 'u', expiresAt: clock.now() + 3_600_000 });
    }
    expect(store.size).toBeLessThanOrEqual(MAX_FAMILIES_PER_SUBJECT * 3 + 1);
  });
});
