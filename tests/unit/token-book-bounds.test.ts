import { FAMILY_TOKENS_REMEMBERED, MAX_FAMILIES_PER_SUBJECT, TokenBook } from '../../src/apis/shared/token-book';
import { VirtualClock } from '../../src/state/clock';
import { MemoryStore } from '../../src/state/store';

/** A store that counts reads, to see what one refresh costs. */
class CountingStore extends MemoryStore {
  reads = 0;
  override get<T>(key: string): T | undefined {
    this.reads++;
    return super.get<T>(key);
  }
}

function setup() {
  const clock = new VirtualClock();
  const store = new CountingStore(clock);
  return { clock, store, book: new TokenBook(store, clock) };
}

describe('TokenBook: a refresh costs the same at any length of the chain', () => {
  it('reads the store as often at the 2,000th refresh as at the 10th, and still ends the whole chain at sign-out', () => {
    const { book, store, clock } = setup();
    const family = book.startFamily('u', 3_600_000);
    const refreshOnce = (i: number): number => {
      const before = store.reads;
      // What a refresh does: check and use the refresh token, then issue a new pair.
      if (i > 0) expect(book.consume(`refresh-${i - 1}`, 'refresh').ok).toBe(true);
      book.issue(`access-${i}`, { kind: 'access', family, subject: 'u', expiresAt: clock.now() + 600_000 });
      book.issue(`refresh-${i}`, { kind: 'refresh', family, subject: 'u', expiresAt: clock.now() + 3_600_000 });
      return store.reads - before;
    };
    const costs: number[] = [];
    for (let i = 0; i < 2000; i++) costs.push(refreshOnce(i));
    expect(costs[1999]).toBe(costs[10]);
    // The family remembers the digests of its latest tokens, space-separated, and no more.
    const { tokens } = store.get<{ tokens: string }>(`family:${family}`)!;
    expect(tokens.split(' ')).toHaveLength(FAMILY_TOKENS_REMEMBERED);
    book.endFamily(family);
    for (const token of ['access-0', 'access-1000', 'access-1999']) expect(book.check(token, 'access').ok).toBe(false);
    expect(book.check('refresh-1999', 'refresh').ok).toBe(false);
  });
});

describe('TokenBook: the per-user cap never ends a session still being issued', () => {
  it('with more sign-ins in flight than the cap, each one still issues into a live session', () => {
    const { book, clock } = setup();
    const finished = book.startFamily('u', 60_000);
    book.issue('old', { kind: 'access', family: finished, subject: 'u', expiresAt: clock.now() + 60_000 });
    // 250 sign-ins start before any has its tokens signed.
    const inFlight = Array.from({ length: 250 }, () => book.startFamily('u', 60_000));
    // The finished session made room; none in flight was ended.
    expect(book.familyAlive(finished)).toBe(false);
    for (const f of inFlight) expect(book.familyAlive(f)).toBe(true);
    inFlight.forEach((f, i) => book.issue(`t${i}`, { kind: 'access', family: f, subject: 'u', expiresAt: clock.now() + 60_000 }));
    // Once finished, the next sign-in brings the count back under the cap, oldest first.
    const next = book.startFamily('u', 60_000);
    const alive = inFlight.filter((f) => book.familyAlive(f));
    expect(alive).toEqual(inFlight.slice(-(MAX_FAMILIES_PER_SUBJECT - 1)));
    expect(book.familyAlive(next)).toBe(true);
  });
});
