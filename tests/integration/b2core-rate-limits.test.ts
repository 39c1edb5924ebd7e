import { inState, useTestServer } from '../helpers/server';
import { FOO, signIn, TWOFA } from '../helpers/b2core';

const server = useTestServer({ apis: ['b2core'] });

const api = () => server.api('b2core');
const advance = (ms: number) => inState(server, (s) => s.clock.advance(ms));

function expectLockedOut(res: { status: number; headers: Record<string, string>; body: { code: string } }, seconds = 300) {
  expect(res.status).toBe(429);
  expect(res.body.code).toBe('rate_limited');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(seconds);
}

describe('b2core sign-in rate limit: 5 attempts a minute per e-mail', () => {
  it('refuses the 6th attempt with 429 and Retry-After, even with the right password', async () => {
    for (let i = 0; i < 5; i++) await api().post('/api/v2/signin').send({ ...FOO, password: 'wrong' }).expect(401);
    expectLockedOut(await api().post('/api/v2/signin').send(FOO));
  });

  it('counts per e-mail: another user is not locked out', async () => {
    for (let i = 0; i < 6; i++) await api().post('/api/v2/signin').send({ ...FOO, password: 'wrong' });
    await api().post('/api/v2/signin').send(TWOFA).expect(200);
  });

  it('starts a new window after a minute', async () => {
    for (let i = 0; i < 5; i++) await api().post('/api/v2/signin').send(FOO).expect(200);
    await advance(61_000);
    await api().post('/api/v2/signin').send(FOO).expect(200);
  });

  it('keeps the lockout for its whole period, then lets the user in', async () => {
    for (let i = 0; i < 6; i++) await api().post('/api/v2/signin').send(FOO);
    await advance(299_000);
    const res = await api().post('/api/v2/signin').send(FOO);
    expectLockedOut(res);
    expect(Number(res.headers['retry-after'])).toBe(1);
    await advance(1_000);
    await api().post('/api/v2/signin').send(FOO).expect(200);
  });

  it('lets exactly 5 of 50 concurrent sign-ins through', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => api().post('/api/v2/signin').send(FOO)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(results.filter((r) => r.status === 429)).toHaveLength(45);
  });
});

describe('b2core 2FA confirm rate limit: 3 attempts a minute per 2FA token', () => {
  it('refuses the 4th attempt, even with the right code', async () => {
    const token = (await api().post('/api/v2/signin').send(TWOFA).expect(200)).body['2faDetails'].token;
    const code = (await inState(server, (s) => s.outbox.list()))[0]!.code!;
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i++) await api().post('/api/v2/2fa/confirm').send({ token, code: wrong }).expect(401);
    expectLockedOut(await api().post('/api/v2/2fa/confirm').send({ token, code }));
  });
});

describe('b2core refresh rate limit: 5 refreshes a minute per session', () => {
  it('refuses the 6th refresh in a chain', async () => {
    let refreshToken = (await signIn(server)).refreshToken.token;
    for (let i = 0; i < 5; i++) {
      const res = await api().post('/api/v2/refresh').send({ refreshToken }).expect(200);
      refreshToken = res.body.refreshToken.token;
    }
    expectLockedOut(await api().post('/api/v2/refresh').send({ refreshToken }));
    // The limit is per session: another session refreshes freely.
    const other = await signIn(server);
    await api().post('/api/v2/refresh').send({ refreshToken: other.refreshToken.token }).expect(200);
  });

  it('counts refreshes with unknown tokens per client', async () => {
    for (let i = 0; i < 5; i++) await api().post('/api/v2/refresh').send({ refreshToken: `bogus-${i}` }).expect(401);
    expectLockedOut(await api().post('/api/v2/refresh').send({ refreshToken: 'bogus-6' }));
  });
});
