import { createHash } from 'node:crypto';
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

describe('TokenBook: what it keeps of a token', () => {
  // A JWT's three parts, and forms that must come back as they were given.
  const jwt = (payload: object, sig: Buffer) =>
    `${Buffer.from('{"alg":"RS256","typ":"JWT","kid":"k1"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig.toString('base64url')}`;
  const tokens = [
    jwt({ sub: 'u', login: 'zoë', n: 1 }, Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7) & 0xff))),
    jwt({ sub: 'u', n: 2 }, Buffer.alloc(64, 0xff)),
    // Not canonical base64url ("bb" has stray bits), a part empty, four parts, no dot at all.
    'aa.bb.cc',
    'eyJhIjoxfQ..sig',
    'a.b.c.d',
    '0b6f1c2e-8d3a-4f5b-9c7d-2e1f3a4b5c6d',
  ];

  it('lists, checks and saves (as JSON) every token with its exact text', () => {
    const { book: b, store, clock } = book();
    const family = b.startFamily('u', 60_000);
    for (const token of tokens) b.issue(token, { kind: 'access', family, subject: 'u', expiresAt: clock.now() + 60_000 });
    expect(b.live().map((t) => t.token).sort()).toEqual([...tokens].sort());
    for (const token of tokens) expect(b.check(token, 'access').ok).toBe(true);
    // What --state-file and Redis keep: the plain record, with the token's text.
    const saved = store.dump().filter((e) => e.key.startsWith('token:')).map((e) => JSON.parse(JSON.stringify(e.value)) as { token: string; kind: string });
    expect(saved.map((v) => v.token).sort()).toEqual([...tokens].sort());
    expect(saved.every((v) => v.kind === 'access')).toBe(true);
  });

  it('keeps a canonical JWT packed (its header shared, its parts as bytes), not as its text', () => {
    const { book: b, store, clock } = book();
    const family = b.startFamily('u', 60_000);
    const [first, second] = tokens as [string, string];
    b.issue(first, { kind: 'access', family, subject: 'u', expiresAt: clock.now() + 60_000 });
    b.issue(second, { kind: 'access', family, subject: 'u', expiresAt: clock.now() + 60_000 });
    const kept = store.entries<Record<string, unknown>>('token:').map(([, v]) => Object.values(v).filter((x): x is string => typeof x === 'string'));
    const head = first.split('.')[0]!;
    for (const [i, strings] of kept.entries()) {
      expect(strings).not.toContain([first, second][i]);
      // The longest string kept is the packed bytes: a quarter shorter than the payload and signature as text.
      expect(Math.max(...strings.map((x) => x.length))).toBeLessThan(([first, second][i]!.length - head.length) * 0.8);
      expect(strings).toContain(head);
    }
  });

  it('reads back what it saved: the records of a state file still check and list', () => {
    const { book: b, store, clock } = book();
    const family = b.startFamily('u', 60_000);
    for (const token of tokens) b.issue(token, { kind: 'refresh', family, subject: 'u', expiresAt: clock.now() + 60_000 });
    const copy = new MemoryStore(clock);
    copy.load(JSON.parse(JSON.stringify(store.dump())));
    const restored = new TokenBook(copy, clock);
    expect(restored.live().map((t) => t.token).sort()).toEqual([...tokens].sort());
    expect(restored.consume(tokens[0]!, 'refresh').ok).toBe(true);
    expect(restored.check(tokens[0]!, 'refresh').ok).toBe(false);
    restored.endFamily(family);
    expect(restored.check(tokens[1]!, 'refresh')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('finds tokens saved before 128-bit digests (under the whole SHA-256), and ends their session', () => {
    const { clock } = book();
    const store = new MemoryStore(clock);
    const oldKey = (t: string) => `token:${createHash('sha256').update(t).digest('base64url')}`;
    const expiresAt = clock.now() + 60_000;
    const record = (token: string) => ({ kind: 'access', family: 'f-old', subject: 'u', issuedAt: clock.now(), expiresAt, token });
    store.set('family:f-old', { subject: 'u', expiresAt, tokens: [oldKey('old-1'), oldKey('old-2')] }, 60_000);
    store.set('subject:u', ['f-old'], 60_000);
    store.set(oldKey('old-1'), record('old-1'), 60_000);
    store.set(oldKey('old-2'), record('old-2'), 60_000);
    const b = new TokenBook(store, clock);
    expect(b.check('old-1', 'access')).toEqual({ ok: true, record: expect.objectContaining({ family: 'f-old', subject: 'u' }) });
    expect(b.live().map((t) => t.token).sort()).toEqual(['old-1', 'old-2']);
    // A refresh in the old session remembers the new token beside the old keys.
    b.issue('new-1', { kind: 'access', family: 'f-old', subject: 'u', expiresAt });
    expect(b.consume('old-1', 'access').ok).toBe(true);
    expect(b.check('old-1', 'access')).toEqual({ ok: false, reason: 'unknown' });
    const before = store.size;
    b.endFamily('f-old');
    // The family, old-2 (old key) and new-1 (new key) are gone.
    expect(before - store.size).toBe(3);
    expect(b.check('old-2', 'access')).toEqual({ ok: false, reason: 'unknown' });
    expect(b.check('new-1', 'access')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('takes no token whose digest matches but whose text differs under an old key', () => {
    const { clock } = book();
    const store = new MemoryStore(clock);
    const key = `token:${createHash('sha256').update('presented').digest('base64url')}`;
    store.set('family:f', { subject: 'u', expiresAt: clock.now() + 60_000, tokens: [] }, 60_000);
    store.set(key, { kind: 'access', family: 'f', subject: 'u', issuedAt: clock.now(), expiresAt: clock.now() + 60_000, token: 'something else' }, 60_000);
    expect(new TokenBook(store, clock).check('presented', 'access')).toEqual({ ok: false, reason: 'unknown' });
  });
});
