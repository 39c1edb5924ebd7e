import { EntryCount } from '../../src/state/bounds';
import { VirtualClock } from '../../src/state/clock';
import { MemoryStore } from '../../src/state/store';
import { kheLinkedRecords } from '../../src/apis/khe/directory';
import { samaLinkedRecords } from '../../src/apis/sama/sessions';

/**
 * Records linked by an API (a user and its indexes) are one thing to the store bounds: used together,
 * dropped together, so an evicted sign-up never leaves half of itself behind.
 */
function storeWith(perKind: number): MemoryStore {
  const count = new EntryCount({ perKind, perSession: 1000, overall: 10_000 });
  count.link('khe:', kheLinkedRecords);
  count.link('sama:', samaLinkedRecords);
  return new MemoryStore(new VirtualClock(), undefined, count);
}

const signUp = (store: MemoryStore, i: number) => {
  store.set(`khe:user:k${i}`, { key: `k${i}`, email: `U${i}@khe.io` });
  store.set(`khe:email:u${i}@khe.io`, `k${i}`);
};

describe('linked records and the store bounds', () => {
  it('reading a user keeps its e-mail index too: past the bound the least recently used sign-up goes, whole', () => {
    const store = storeWith(3);
    for (let i = 0; i < 3; i++) signUp(store, i);
    store.get('khe:user:k0'); // k0 is used (by key only), so k1 is now the least recently used sign-up
    signUp(store, 3);
    expect(store.get('khe:email:u0@khe.io')).toBe('k0');
    expect(store.get('khe:user:k1')).toBeUndefined();
    expect(store.get('khe:email:u1@khe.io')).toBeUndefined();
    expect(store.evicted).toBe(2);
  });

  it("an index evicted takes its user and the user's other indexes along", () => {
    const store = storeWith(2);
    const user = (i: number) => ({ _id: `id${i}`, organization_id: 'o', login: `L${i}`, email: `e${i}`, phone: `p${i}` });
    for (let i = 0; i < 2; i++) {
      store.set(`sama:user:id${i}`, user(i));
      store.set(`sama:login:o/l${i}`, `id${i}`);
      store.set(`sama:email:o/e${i}`, `id${i}`);
      store.set(`sama:phone:o/p${i}`, `id${i}`);
    }
    store.set('sama:phone:o/p2', 'id2'); // a third phone index: the least recently used one, id0's, goes
    expect(store.entries('sama:').map(([k]) => k).filter((k) => k.includes('0'))).toEqual([]);
    expect(store.get('sama:user:id1')).toEqual(user(1));
  });

  it('a record whose value is not what its API writes links nothing, and breaks nothing', () => {
    const store = storeWith(1);
    store.set('khe:user:a', 'oops');
    store.set('khe:email:x', 42);
    store.set('khe:user:b', null);
    store.set('khe:email:y', 'b');
    expect(store.entries('khe:').map(([k]) => k)).toEqual(['khe:user:b', 'khe:email:y']);
  });

  it('reading many at once (a scan of a user sessions) does not count as use for the bounds', () => {
    const store = storeWith(3);
    for (const k of ['a', 'b', 'c']) store.set(`api:family:${k}`, { k });
    expect(store.getMany(['api:family:a', 'api:family:b'])).toEqual([{ k: 'a' }, { k: 'b' }]);
    store.set('api:family:d', { k: 'd' }); // a is still the least recently used: it goes
    expect(store.get('api:family:a')).toBeUndefined();
    store.get('api:family:b'); // a get is a use: b stays, c goes
    store.set('api:family:e', { k: 'e' });
    expect(store.entries('api:family:').map(([k]) => k)).toEqual(['api:family:d', 'api:family:b', 'api:family:e']);
  });
});
