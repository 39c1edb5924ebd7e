import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import request from 'supertest';
import { DEFAULT_STORE_BOUNDS, EntryCount } from '../../src/state/bounds';
import { VirtualClock } from '../../src/state/clock';
import { Sessions } from '../../src/state/sessions';
import { MemoryStore } from '../../src/state/store';
import { startServer } from '../../src/server';
import { U1 } from '../helpers/sama';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

describe('every kind of record is bounded, per kind, per state session and overall', () => {
  it(`one kind past its bound (${DEFAULT_STORE_BOUNDS.perKind}): the least recently used go, the heap stays flat`, () => {
    const store = new MemoryStore(new VirtualClock());
    const value = (i: number) => ({ email: `user${i}@example.com`, password: 'x'.repeat(3000), i });
    const base = heapAfterGc();
    // Keep one early user in use: it must survive.
    store.set('khe:user:keep', value(-1));
    for (let i = 0; i < 5 * DEFAULT_STORE_BOUNDS.perKind; i++) {
      store.set(`khe:user:${i}`, value(i));
      if (i % 1000 === 0) store.get('khe:user:keep');
    }
    const grown = heapAfterGc() - base;
    expect(store.size).toBe(DEFAULT_STORE_BOUNDS.perKind);
    expect(store.get('khe:user:keep')).toBeDefined();
    expect(store.get('khe:user:0')).toBeUndefined();
    expect(store.get(`khe:user:${5 * DEFAULT_STORE_BOUNDS.perKind - 1}`)).toBeDefined();
    // 50,000 records of 3 KB would hold 150 MB; the bound keeps 10,000 (about 30 MB).
    expect(grown).toBeLessThan(60 * 1024 * 1024);
  });

  it('all kinds of one session together stay under the per-session bound', () => {
    const store = new MemoryStore(new VirtualClock(), undefined, new EntryCount({ perKind: 1000, perSession: 2500, overall: 100_000 }));
    for (let k = 0; k < 10; k++) for (let i = 0; i < 1000; i++) store.set(`api:kind${k}:${i}`, i);
    expect(store.size).toBe(2500);
    expect(store.get('api:kind9:999')).toBe(999);
  });

  it('all sessions together stay under the overall bound: the least recently used named session goes first', () => {
    const sessions = new Sessions(undefined, { perKind: 10_000, perSession: 10_000, overall: 5000 });
    sessions.get().store.set('vault:user:default', 1);
    for (let s = 0; s < 20; s++) {
      const store = sessions.get(`s${s}`).store;
      for (let i = 0; i < 1000; i++) store.set(`vault:token:${i}`, i);
    }
    expect(sessions.count.total).toBeLessThanOrEqual(5000);
    expect(sessions.all().reduce((n, s) => n + s.store.size, 0)).toBe(sessions.count.total);
    expect(sessions.find('s0')).toBeUndefined();
    expect(sessions.find('s19')!.store.size).toBe(1000);
    expect(sessions.get().store.get('vault:user:default')).toBe(1);
  });
});

describe('over HTTP: sign-ups and device records are bounded (bounds made small for the test)', () => {
  const bounds = { perKind: 100, perSession: 1000, overall: 5000 };
  const start = (apis: string[]) => startServer({ port: 0, host: '127.0.0.1', strict: true, logLevel: 'silent', apis }, { bounds });

  it('khe sign-ups past the bound: the oldest unused go; the latest, and one in use all along, still sign in', async () => {
    const server = await start(['khe']);
    try {
      const khe = request.agent(`${server.url}/khe`);
      const user = (i: number) => ({ client: 'khe-web', email: `u${i}@khe.io`, password: 'password-1' });
      await khe.post('/v1.0/users').send(user(0)).expect(201);
      for (let i = 1; i <= 300; i++) {
        await khe.post('/v1.0/users').send(user(i)).expect(201);
        // The first user keeps signing in: it is in use, so it stays.
        if (i % 20 === 0) await khe.post('/v1.0/users/token').send(user(0)).expect(201);
      }
      expect(server.sessions.get().store.entries('khe:user').length).toBeLessThanOrEqual(bounds.perKind);
      await khe.post('/v1.0/users/token').send(user(300)).expect(201);
      await khe.post('/v1.0/users/token').send(user(0)).expect(201);
      await khe.post('/v1.0/users/token').send(user(1)).expect((r) => expect(r.status).not.toBe(201));
    } finally {
      await server.close();
    }
  });

  it('khe: a sign-up goes whole or not at all: one kept in use by refreshing its token (by key, never by e-mail) still signs in by e-mail', async () => {
    const server = await start(['khe']);
    try {
      const khe = request.agent(`${server.url}/khe`);
      const user = (i: number) => ({ client: 'khe-web', email: `r${i}@khe.io`, password: 'password-1' });
      const first = (await khe.post('/v1.0/users').send(user(0)).expect(201)).body as { key: string; refresh: string };
      const { key } = first;
      let { refresh } = first;
      let second = { key: '', token: '' };
      for (let i = 1; i <= 300; i++) {
        const signedUp = (await khe.post('/v1.0/users').send(user(i)).expect(201)).body as { key: string; token: string };
        if (i === 1) second = signedUp;
        // The first user's client keeps refreshing: its record is used, by key only.
        if (i % 20 === 0) ({ refresh } = (await khe.post('/v1.0/users/token/refresh').send({ client: 'khe-web', key, refresh }).expect(200)).body as { refresh: string });
      }
      const store = server.sessions.get().store;
      expect(store.entries('khe:user:').length).toBeLessThanOrEqual(bounds.perKind);
      // Its e-mail index stayed with it, so it still signs in; and no evicted sign-up left half of itself.
      await khe.post('/v1.0/users/token').send(user(0)).expect(201);
      const users = new Set(store.entries<{ email: string }>('khe:user:').map(([, u]) => u.email));
      const emails = new Set(store.entries('khe:email:').map(([k]) => k.slice('khe:email:'.length)));
      expect([...emails].filter((e) => !users.has(e))).toEqual([]);
      expect([...users].filter((e) => !emails.has(e))).toEqual([]);
      // A sign-up that went: its never-used token is refused as the API refuses any token, not a 500.
      const basic = `Basic ${Buffer.from(`${second.key}:${second.token}`).toString('base64')}`;
      await khe.patch('/v1.0/users').set('Authorization', basic).send({}).expect(401);
    } finally {
      await server.close();
    }
  });

  it('sama device records stop piling up at the bound, and the latest logins keep working', async () => {
    const server = await start(['sama']);
    try {
      const sama = request.agent(`${server.url}/sama`);
      let last = '';
      for (let i = 0; i < 300; i++) last = (await sama.post('/login').send({ ...U1, device_id: `d${i}` }).expect(200)).body.access_token;
      expect(server.sessions.get().store.entries('sama:device:').length).toBeLessThanOrEqual(bounds.perKind);
      expect(server.sessions.count.total).toBeLessThanOrEqual(bounds.perSession);
      await sama.post('/logout').set('Authorization', `Bearer ${last}`).expect((r) => expect(r.status).not.toBe(401));
    } finally {
      await server.close();
    }
  });
});
