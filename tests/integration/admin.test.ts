import { createLocalJWKSet, jwtVerify } from 'jose';
import { useTestServer } from '../helpers/server';
import { bearer, FOO, signIn, TWOFA } from '../helpers/b2core';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/server';
import { createApp } from '../../src/app';
import request from 'supertest';

const server = useTestServer({}, { reset: false });

const b2 = () => server.api('b2core');
const ctl = () => request(`${server.url}/__admin`);

beforeEach(async () => {
  await ctl().post('/reset').expect(200);
});

describe('control API: reset', () => {
  it('forgets issued tokens and rate-limit counters', async () => {
    const pair = await signIn(server);
    for (let i = 0; i < 6; i++) await b2().post('/api/v2/signin').send({ ...FOO, password: 'x' });
    await b2().post('/api/v2/signin').send(FOO).expect(429);
    const res = await ctl().post('/reset').expect(200);
    expect(res.body).toEqual({ reset: expect.arrayContaining(['b2core', 'vault']), session: 'default' });
    await b2().post('/api/v2/signin').send(FOO).expect(200);
    await b2().get('/api/v2/session').set(...bearer(pair.accessToken.token)).expect(401);
  });

  it('resets one API with ?api=, leaving the others', async () => {
    const pair = await signIn(server);
    const vault = await server
      .api('vault')
      .post('/reg/auth/token')
      .send({ grant_type: 'password', username: 'user@example.com', password: 'A9#bL8@z', client_id: 'haequi3Aah8lie2r' })
      .expect(200);
    await ctl().post('/reset?api=b2core').expect(200, { reset: ['b2core'], session: 'default' });
    await b2().get('/api/v2/session').set(...bearer(pair.accessToken.token)).expect(401);
    await server.api('vault').get('/reg/user/session/current').set(...bearer(vault.body.access_token)).expect(200);
  });

  it('refuses an unknown API with a problem document', async () => {
    const res = await ctl().post('/reset?api=nope').expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/Unknown API "nope"/);
  });
});

describe('control API: virtual clock', () => {
  it('expires a token without waiting, and goes back to real time without reviving it', async () => {
    const pair = await signIn(server);
    const before = (await ctl().get('/clock').expect(200)).body;
    expect(before.virtual).toBe(false);
    const moved = (await ctl().post('/clock').send({ advance: 'PT10H1S' }).expect(200)).body;
    expect(moved.virtual).toBe(true);
    expect(Date.parse(moved.now) - Date.parse(before.now)).toBeGreaterThanOrEqual(10 * 3600 * 1000);
    const res = await b2().get('/api/v2/session').set(...bearer(pair.accessToken.token)).expect(401);
    expect(res.body.code).toBe('token_expired');
    expect((await ctl().delete('/clock').expect(200)).body.virtual).toBe(false);
    // Moving the clock back revives nothing (docs/hardening.md): the token stays refused, a new one works.
    await b2().get('/api/v2/session').set(...bearer(pair.accessToken.token)).expect(401);
    const again = await signIn(server);
    await b2().get('/api/v2/session').set(...bearer(again.accessToken.token)).expect(200);
  });

  it('pins the clock with set, and rate-limit windows follow it', async () => {
    const at = '2030-01-01T00:00:00.000Z';
    expect((await ctl().post('/clock').send({ set: at }).expect(200)).body).toEqual({ now: at, virtual: true });
    for (let i = 0; i < 5; i++) await b2().post('/api/v2/signin').send(FOO).expect(200);
    const locked = await b2().post('/api/v2/signin').send(FOO).expect(429);
    expect(locked.headers['retry-after']).toBe('300');
    await ctl().post('/clock').send({ advance: 'PT5M' }).expect(200);
    await b2().post('/api/v2/signin').send(FOO).expect(200);
    const pinned = (await b2().post('/api/v2/signin').send(FOO).expect(200)).body;
    expect(pinned.accessToken.createdAt).toBe('2030-01-01T00:05:00+00:00');
  });

  it.each([[{ advance: '15m' }], [{ set: 'tomorrow' }], [{}], [{ advance: 'PT1M', set: '2030-01-01T00:00:00Z' }], [{ advance: 'P1Y' }]])(
    'refuses %j with 400',
    async (body) => {
      const res = await ctl().post('/clock').send(body).expect(400);
      expect(res.body.status).toBe(400);
    },
  );
});

describe('control API: outbox', () => {
  it('shows the 2FA code sent, filtered by api and recipient', async () => {
    const token = (await b2().post('/api/v2/signin').send(TWOFA).expect(200)).body['2faDetails'].token;
    await b2().post('/api/v2/signin').send({ email: 'fixed2fa@bar.com', password: 'Secret123' }).expect(200);
    const res = await ctl().get('/outbox').query({ api: 'b2core', to: 'TWOFA@bar.com' }).expect(200);
    expect(res.body.messages).toHaveLength(1);
    const [message] = res.body.messages;
    expect(message).toMatchObject({ api: 'b2core', to: TWOFA.email, code: expect.stringMatching(/^\d{6}$/) });
    await b2().post('/api/v2/2fa/confirm').send({ token, code: message.code }).expect(200);
    expect((await ctl().get('/outbox').expect(200)).body.messages).toHaveLength(2);
  });
});

describe('control API: journal', () => {
  it('lists requests with filters, and empties', async () => {
    await ctl().delete('/requests').expect(204);
    const since = new Date().toISOString();
    await b2().post('/api/v2/signin').send(FOO).expect(200);
    await b2().post('/api/v2/signin').send({ ...FOO, password: 'no' }).expect(401);
    await b2().get('/api/v2/session').expect(401);
    const all = (await ctl().get('/requests').expect(200)).body.requests;
    expect(all.map((r: { operationId: string; status: number }) => `${r.operationId} ${r.status}`)).toEqual([
      'signIn 200',
      'signIn 401',
      'getSession 401',
    ]);
    expect(all[0]).toMatchObject({ api: 'b2core', method: 'POST', path: '/api/v2/signin', session: 'default' });
    expect((await ctl().get('/requests').query({ status: 401 })).body.requests).toHaveLength(2);
    expect((await ctl().get('/requests').query({ path: '/api/v2/session' })).body.requests).toHaveLength(1);
    expect((await ctl().get('/requests').query({ api: 'vault' })).body.requests).toHaveLength(0);
    expect((await ctl().get('/requests').query({ since })).body.requests).toHaveLength(3);
    expect((await ctl().get('/requests').query({ since: '2999-01-01T00:00:00Z' })).body.requests).toHaveLength(0);
    await ctl().delete('/requests').expect(204);
    expect((await ctl().get('/requests')).body.requests).toHaveLength(0);
  });

  it('refuses a bad filter', async () => {
    await ctl().get('/requests').query({ status: 'teapot' }).expect(400);
  });
});

describe('control API: faults', () => {
  it('fails the next N matching requests with a status, then behaves', async () => {
    await ctl().post('/faults').send({ api: 'b2core', operationId: 'signIn', status: 503, times: 2 }).expect(201);
    for (let i = 0; i < 2; i++) {
      const res = await b2().post('/api/v2/signin').send(FOO).expect(503);
      expect(res.body.code).toBe('fault_injected');
      expect(res.headers['x-authdouble-source']).toBe('fault');
    }
    await b2().post('/api/v2/signin').send(FOO).expect(200);
    expect((await ctl().get('/faults')).body.faults).toEqual([]);
  });

  it('matches only the given operation', async () => {
    await ctl().post('/faults').send({ api: 'b2core', operationId: 'refreshToken', status: 500 }).expect(201);
    await b2().post('/api/v2/signin').send(FOO).expect(200);
    await b2().post('/api/v2/refresh').send({ refreshToken: 'x' }).expect(500);
    await ctl().delete('/faults').expect(204);
    await b2().post('/api/v2/refresh').send({ refreshToken: 'x' }).expect(401);
  });

  it('adds latency', async () => {
    await ctl().post('/faults').send({ api: 'b2core', delayMs: 300, times: 1 }).expect(201);
    const started = Date.now();
    await b2().post('/api/v2/signin').send(FOO).expect(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('drops the connection', async () => {
    await ctl().post('/faults').send({ api: 'b2core', drop: true, times: 1 }).expect(201);
    await expect(fetch(`${server.url}/b2core/api/v2/session`)).rejects.toThrow();
    await b2().get('/api/v2/session').expect(401);
  });

  it('takes one-off faults from the X-Authdouble-Fault header', async () => {
    await b2().post('/api/v2/signin').set('X-Authdouble-Fault', 'status=429').send(FOO).expect(429);
    const started = Date.now();
    await b2().post('/api/v2/signin').set('X-Authdouble-Fault', 'delay=200').send(FOO).expect(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const bad = await b2().post('/api/v2/signin').set('X-Authdouble-Fault', 'explode').send(FOO).expect(400);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
  });

  it.each([[{}], [{ status: 200 }], [{ api: 'nope', status: 500 }], [{ status: 500, colour: 'red' }]])('refuses the fault %j', async (body) => {
    await ctl().post('/faults').send(body).expect(400);
  });
});

describe('control API: keys and tokens', () => {
  it('publishes the JWKS that verifies issued tokens', async () => {
    const pair = await signIn(server);
    const jwks = (await ctl().get('/keys').expect(200)).body;
    expect(jwks.keys.map((k: { kid: string }) => k.kid.split('-')[0])).toEqual(expect.arrayContaining(['b2core', 'vault', 'fib', 'sama']));
    const { payload } = await jwtVerify(pair.accessToken.token, createLocalJWKSet(jwks));
    expect(payload.sub).toBe('1');
  });

  it('lists live tokens, and forgets revoked ones', async () => {
    const pair = await signIn(server);
    const live = (await ctl().get('/tokens').query({ api: 'b2core' }).expect(200)).body.tokens;
    expect(live.map((t: { kind: string }) => t.kind).sort()).toEqual(['access', 'refresh']);
    expect(live[0]).toMatchObject({ api: 'b2core', subject: '1' });
    await b2().post('/api/v2/signout').set(...bearer(pair.accessToken.token)).expect(200);
    expect((await ctl().get('/tokens').query({ api: 'b2core' })).body.tokens).toEqual([]);
  });
});

describe('isolated sessions (X-Authdouble-Session)', () => {
  const as = (name: string) => ({
    b2: (path: string) => request(`${server.url}/b2core`).post(path).set('X-Authdouble-Session', name),
    ctl: () => request(`${server.url}/__admin`),
  });

  it('keeps tokens, rate limits, clocks and outboxes apart', async () => {
    const a = as('job-a');
    const b = as('job-b');
    const pairA = (await a.b2('/api/v2/signin').send(FOO).expect(200)).body;
    // A token of session A means nothing in session B (or the default session).
    await b.b2('/api/v2/signout').set(...bearer(pairA.accessToken.token)).expect(401);
    await b2().post('/api/v2/signout').set(...bearer(pairA.accessToken.token)).expect(401);
    // Lock A out; B is not locked.
    for (let i = 0; i < 6; i++) await a.b2('/api/v2/signin').send({ ...FOO, password: 'x' });
    await a.b2('/api/v2/signin').send(FOO).expect(429);
    await b.b2('/api/v2/signin').send(FOO).expect(200);
    // A's clock moves; B's does not.
    await ctl().post('/clock').set('X-Authdouble-Session', 'job-a').send({ advance: 'PT5M' }).expect(200);
    await a.b2('/api/v2/signin').send(FOO).expect(200);
    expect((await ctl().get('/clock').set('X-Authdouble-Session', 'job-b')).body.virtual).toBe(false);
    // Outboxes are per session.
    await a.b2('/api/v2/signin').send(TWOFA).expect(200);
    expect((await ctl().get('/outbox').set('X-Authdouble-Session', 'job-a')).body.messages).toHaveLength(1);
    expect((await ctl().get('/outbox').set('X-Authdouble-Session', 'job-b')).body.messages).toHaveLength(0);
    // Resetting A leaves B's tokens alone.
    const pairB = (await b.b2('/api/v2/signin').send(FOO).expect(200)).body;
    const reset = await ctl().post('/reset').set('X-Authdouble-Session', 'job-a').expect(200);
    expect(reset.body.session).toBe('job-a');
    await a.b2('/api/v2/signin').send(FOO).expect(200);
    await b.b2('/api/v2/signout').set(...bearer(pairB.accessToken.token)).expect(200);
  });

  it('refuses a session name longer than 200 characters', async () => {
    const res = await request(`${server.url}/b2core`).post('/api/v2/signin').set('X-Authdouble-Session', 'x'.repeat(201)).send(FOO).expect(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    await request(`${server.url}/b2core`).post('/api/v2/signin').set('X-Authdouble-Session', 'x'.repeat(200)).send(FOO).expect(200);
  });

  it('runs side by side: many sessions at once, each seeing only its own', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `parallel-${i}`);
    const pairs = await Promise.all(names.map((n) => as(n).b2('/api/v2/signin').send(FOO).expect(200)));
    const results = await Promise.all(
      names.map((n, i) => as(n).b2('/api/v2/signout').set(...bearer(pairs[(i + 1) % names.length]!.body.accessToken.token))),
    );
    expect(results.map((r) => r.status)).toEqual(names.map(() => 401));
  });
});

describe('control API protection', () => {
  it('needs the admin token when one is set', async () => {
    const guarded = await startServer({ port: 0, logLevel: 'silent', apis: ['b2core'], adminToken: 's3cret-token' });
    try {
      const res = await request(guarded.url).get('/__admin/clock').expect(401);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      await request(guarded.url).get('/__admin/clock').set('Authorization', 'Bearer wrong-token').expect(401);
      await request(guarded.url).get('/__admin/clock').set('Authorization', 'Bearer s3cret-token').expect(200);
    } finally {
      await guarded.close();
    }
  });

  it('is absent with admin: false (--no-admin)', async () => {
    const closed = await startServer({ port: 0, logLevel: 'silent', apis: ['b2core'], admin: false });
    try {
      await request(closed.url).get('/__admin/clock').expect(404);
    } finally {
      await closed.close();
    }
  });

  // Built, not listening: the test never opens a port beyond loopback.
  const startUpWarnings = async (options: Parameters<typeof createApp>[0]) => {
    const lines: string[] = [];
    await createApp({ port: 0, apis: ['b2core'], ...options }, { logger: createLogger('warn', (l) => lines.push(l)) });
    return lines.join('');
  };

  it('warns at start when bound beyond loopback without a token', async () => {
    expect(await startUpWarnings({ host: '0.0.0.0' })).toMatch(/warn .*listening on 0\.0\.0\.0 with the control API open to anyone.*--admin-token/);
    expect(await startUpWarnings({ host: '::' })).toMatch(/control API open to anyone/);
  });

  it('does not warn on loopback, with a token, or without the control API', async () => {
    for (const options of [{ host: '127.0.0.1' }, { host: '::1' }, { host: 'localhost' }, { host: '0.0.0.0', adminToken: 's3cret-token' }, { host: '0.0.0.0', admin: false }]) {
      expect([options, await startUpWarnings(options)]).toEqual([options, '']);
    }
  });
});

