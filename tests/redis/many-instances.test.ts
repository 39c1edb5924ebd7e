import request from 'supertest';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { startRedis, type TestRedis } from '../helpers/redis';
import { startTestServer, type TestServer } from '../helpers/server';
import { FOO, TWOFA, type Pair } from '../helpers/b2core';

/**
 * Three instances on three ports and one Redis are one mock (issue 17): what one does, the others
 * see, exactly as one process would.
 */
let redis: TestRedis;
let a: TestServer;
let b: TestServer;
let c: TestServer;
const start = () => startTestServer({ store: redis.url });

beforeAll(async () => {
  redis = await startRedis();
  [a, b, c] = await Promise.all([start(), start(), start()]);
}, 30_000);
afterAll(async () => {
  await Promise.all([a, b, c].map((s) => s?.close()));
  await redis?.close();
});
// Back to the fixtures before each test, through one instance: that resets them all.
beforeEach(async () => {
  await request(a.url).post('/__admin/reset').expect(200);
  await request(a.url).delete('/__admin/clock').expect(200);
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const signIn = async (server: TestServer, creds = FOO): Promise<Pair> =>
  (await server.api('b2core').post('/api/v2/signin').send(creds).expect(200)).body as Pair;

describe('tokens', () => {
  it('a token issued by A is accepted, refreshed and revoked on B and C', async () => {
    const pair = await signIn(a);
    await b.api('b2core').get('/api/v2/session').set(bearer(pair.accessToken.token)).expect(200);
    const refreshed = (await c.api('b2core').post('/api/v2/refresh').send({ refreshToken: pair.refreshToken.token }).expect(200)).body as Pair;
    await a.api('b2core').get('/api/v2/session').set(bearer(refreshed.accessToken.token)).expect(200);
    await b.api('b2core').post('/api/v2/signout').set(bearer(refreshed.accessToken.token)).expect(200);
    for (const server of [a, b, c]) await server.api('b2core').get('/api/v2/session').set(bearer(refreshed.accessToken.token)).expect(401);
  });

  it('single use holds across instances: of 90 concurrent refreshes of one token, exactly one goes through', async () => {
    const pair = await signIn(a);
    const servers = [a, b, c];
    const results = await Promise.all(
      Array.from({ length: 90 }, (_, i) => servers[i % 3]!.api('b2core').post('/api/v2/refresh').send({ refreshToken: pair.refreshToken.token })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    // The others are refused as the API documents: the token is spent (401), or the refresh limit
    // of the session is reached (429); never a 5xx.
    expect(statuses.filter((s) => s !== 200 && s !== 401 && s !== 429)).toEqual([]);
  });

  it('a sign-out racing a refresh on another instance leaves no live token', async () => {
    for (let round = 0; round < 5; round++) {
      const pair = await signIn(a);
      const [refresh] = await Promise.all([
        b.api('b2core').post('/api/v2/refresh').send({ refreshToken: pair.refreshToken.token }),
        c.api('b2core').post('/api/v2/signout').set(bearer(pair.accessToken.token)),
      ]);
      const tokens = [pair.accessToken.token, ...(refresh.status === 200 ? [(refresh.body as Pair).accessToken.token] : [])];
      for (const token of tokens) await a.api('b2core').get('/api/v2/session').set(bearer(token)).expect(401);
      if (refresh.status === 200) {
        await a.api('b2core').post('/api/v2/refresh').send({ refreshToken: (refresh.body as Pair).refreshToken.token }).expect(401);
      }
    }
  });
});

describe('one account signing in many times at once', () => {
  it('every one of 60 concurrent valid sign-ins of one user over three instances succeeds', async () => {
    const servers = [a, b, c];
    const body = { grant_type: 'password', username: 'user@example.com', password: 'A9#bL8@z', client_id: 'haequi3Aah8lie2r' };
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => servers[i % 3]!.api('vault').post('/reg/auth/token').send(body)));
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    // Each session is live: its token is accepted on another instance.
    const token = results[7]!.body.access_token as string;
    await c.api('vault').get('/reg/user/session/current').set(bearer(token)).expect(200);
  }, 60_000);
});

describe('rate limits are counted once', () => {
  it('30 wrong sign-ins for one e-mail over three instances let exactly 5 through, and Retry-After is the same everywhere', async () => {
    const servers = [a, b, c];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => servers[i % 3]!.api('b2core').post('/api/v2/signin').send({ ...FOO, password: 'wrong' })),
    );
    expect(results.filter((r) => r.status === 401)).toHaveLength(5);
    expect(results.filter((r) => r.status === 429)).toHaveLength(25);
    // Pin the clock so that every instance computes Retry-After at the same instant.
    await request(b.url).post('/__admin/clock').send({ set: new Date().toISOString() }).expect(200);
    const retryAfter = await Promise.all(servers.map(async (s) => (await s.api('b2core').post('/api/v2/signin').send(FOO).expect(429)).headers['retry-after']));
    expect(new Set(retryAfter).size).toBe(1);
  });
});

describe('one set of signing keys', () => {
  it("tokens from A verify against B's published keys", async () => {
    const pair = await signIn(a);
    const { keys } = (await request(b.url).get('/__admin/keys').expect(200)).body as { keys: JWK[] };
    const verified = await jwtVerify(pair.accessToken.token, createLocalJWKSet({ keys }));
    expect(verified.payload.sub).toBeDefined();
  });
});

describe('clock, outbox, faults and sessions are shared', () => {
  it('advancing the clock on A expires a token on C', async () => {
    const pair = await signIn(b);
    await c.api('b2core').get('/api/v2/session').set(bearer(pair.accessToken.token)).expect(200);
    await request(a.url).post('/__admin/clock').send({ advance: 'PT10H30M' }).expect(200);
    const res = await c.api('b2core').get('/api/v2/session').set(bearer(pair.accessToken.token)).expect(401);
    expect(res.body.code).toBe('token_expired');
  });

  it('a 2FA code sent by A is read from B and confirmed on C', async () => {
    const started = await a.api('b2core').post('/api/v2/signin').send(TWOFA).expect(200);
    const { messages } = (await request(b.url).get('/__admin/outbox').query({ to: TWOFA.email }).expect(200)).body as { messages: Array<{ code: string }> };
    expect(messages).toHaveLength(1);
    const confirmed = await c.api('b2core').post('/api/v2/2fa/confirm').send({ token: started.body['2faDetails'].token, code: messages[0]!.code }).expect(200);
    expect(confirmed.body.accessToken.token).toEqual(expect.any(String));
  });

  it('a fault added on B hits requests on A and C, as many times as set', async () => {
    await request(b.url).post('/__admin/faults').send({ api: 'b2core', operationId: 'signIn', status: 503, times: 2 }).expect(201);
    const statuses = [];
    for (const server of [a, c, a]) statuses.push((await server.api('b2core').post('/api/v2/signin').send(FOO)).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect((await request(c.url).get('/__admin/faults').expect(200)).body.faults).toEqual([]);
  });

  it('X-Authdouble-Session sessions are shared, and isolated from one another', async () => {
    const pair = (await a.api('b2core').post('/api/v2/signin').set('x-authdouble-session', 'team-1').send(FOO).expect(200)).body as Pair;
    await b.api('b2core').get('/api/v2/session').set('x-authdouble-session', 'team-1').set(bearer(pair.accessToken.token)).expect(200);
    await b.api('b2core').get('/api/v2/session').set(bearer(pair.accessToken.token)).expect(401);
    await b.api('b2core').get('/api/v2/session').set('x-authdouble-session', 'team-2').set(bearer(pair.accessToken.token)).expect(401);
    const { sessions } = (await request(c.url).get('/__admin/sessions').expect(200)).body as { sessions: Array<{ name: string }> };
    expect(sessions.map((s) => s.name)).toEqual(expect.arrayContaining(['default', 'team-1']));
  });

  it('a reset on one instance resets them all', async () => {
    const pair = await signIn(a);
    await request(c.url).post('/__admin/reset').expect(200);
    for (const server of [a, b]) await server.api('b2core').get('/api/v2/session').set(bearer(pair.accessToken.token)).expect(401);
  });

  it("the journal is shared: B lists A's request", async () => {
    await request(b.url).delete('/__admin/requests').expect(204);
    await a.api('b2core').post('/api/v2/signin').send({ ...FOO, password: 'wrong' }).expect(401);
    const { requests } = (await request(b.url).get('/__admin/requests').query({ api: 'b2core' }).expect(200)).body as { requests: Array<{ status: number }> };
    expect(requests.map((r) => r.status)).toEqual([401]);
  });
});

describe('state outlives every instance', () => {
  it('sign-ups, e-mail changes, revocations and signing keys are there after all instances stop and a new one starts', async () => {
    const signUp = (await a.api('khe').post('/v1.0/users').send({ client: 'khe-web', email: 'lasting@khe.io', password: 'first-hack' }).expect(201)).body as { key: string; token: string };
    const basic = `Basic ${Buffer.from(`${signUp.key}:${signUp.token}`).toString('base64')}`;
    await b.api('khe').patch('/v1.0/users').set('authorization', basic).send({ email: 'renamed@khe.io' }).expect(200);
    const kept = await signIn(c);
    const revoked = await signIn(c);
    await c.api('b2core').post('/api/v2/signout').set(bearer(revoked.accessToken.token)).expect(200);

    await Promise.all([a, b, c].map((s) => s.close()));
    [a, b, c] = await Promise.all([start(), start(), start()]);

    await a.api('khe').post('/v1.0/users/token').send({ client: 'khe-web', email: 'renamed@khe.io', password: 'first-hack' }).expect(201);
    await a.api('b2core').get('/api/v2/session').set(bearer(kept.accessToken.token)).expect(200);
    await a.api('b2core').get('/api/v2/session').set(bearer(revoked.accessToken.token)).expect(401);
    const { keys } = (await request(b.url).get('/__admin/keys').expect(200)).body as { keys: JWK[] };
    await expect(jwtVerify(kept.accessToken.token, createLocalJWKSet({ keys }))).resolves.toBeDefined();
  }, 30_000);
});

describe('startMock()', () => {
  it('takes the same store option: a mock started in-process shares the state of the others', async () => {
    const { startMock } = await import('../../src/index');
    const mock = await startMock({ store: redis.url, apis: ['b2core'] });
    try {
      const pair = await signIn(a);
      await request(mock.urls.b2core).get('/api/v2/session').set(bearer(pair.accessToken.token)).expect(200);
    } finally {
      await mock.close();
    }
  });
});
