import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixturesFolder, inState, startTestServer, useTestServer } from '../helpers/server';
import { basic, HACKER, LOGGED_OUT, signIn as signInAs, type SignedIn } from '../helpers/khe';

const server = useTestServer({ apis: ['khe'] });

const api = () => server.api('khe');
const advance = (ms: number) => inState(server, (s) => s.clock.advance(ms));
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DAY = 24 * 3600 * 1000;
const BAD_REFRESH = { errors: ['Invalid refresh token'] };

const signIn = (body: Record<string, string> = HACKER): Promise<SignedIn> => signInAs(server, body);
const refresh = (s: { key: string; refresh: string }, client = 'khe-web') =>
  api().post('/v1.0/users/token/refresh').send({ client, key: s.key, refresh: s.refresh });
const patch = (s: { key: string; token: string }) => api().patch('/v1.0/users').set('Authorization', basic(s.key, s.token)).send({});
const signOut = (s: { key: string; token: string }, body?: object) => {
  const req = api().delete('/v1.0/users/token').set('Authorization', basic(s.key, s.token));
  return body === undefined ? req : req.send(body);
};

describe('khe token expiry', () => {
  it('accepts a token until its 30 days are over, then answers 401 with the documented body', async () => {
    const s = await signIn();
    await advance(30 * DAY - 1000);
    await patch(s).expect(200);
    await advance(2000);
    const res = await patch(s).expect(401);
    expect(res.body).toEqual(LOGGED_OUT);
    expect((await signOut(s).expect(401)).body).toEqual(LOGGED_OUT);
  });

  // The real refresh route never checks the expiry (app/users/controller.js, refresh), and a sign-in
  // returns the client's entry with a new expiry, expired or not.
  it('refreshes after the token has expired, by default, as the real server', async () => {
    const s = await signIn();
    await advance(90 * DAY);
    await patch(s).expect(401);
    const res = await refresh(s).expect(200);
    expect(res.body.token).not.toBe(s.token);
    await patch(res.body).expect(200);
    expect((await refresh(s).expect(400)).body).toEqual(BAD_REFRESH);
  });

  it('gives the same (revived) tokens at the next sign-in after expiry, by default', async () => {
    const s = await signIn();
    await advance(31 * DAY);
    await patch(s).expect(401);
    const again = await signIn();
    expect(again).toMatchObject({ key: s.key, token: s.token, refresh: s.refresh });
    expect(Date.parse(again.expires)).toBeGreaterThan(Date.parse(s.expires));
    await patch(again).expect(200);
  });

  it('with refreshExpires: true, refuses a refresh after expiry and makes new tokens at the next sign-in', async () => {
    const { dir } = fixturesFolder('khe', readFileSync(path.join(__dirname, '../../fixtures/khe.yaml'), 'utf8').replace('refreshExpires: false', 'refreshExpires: true'));
    const strict = await startTestServer({ apis: ['khe'], fixturesDir: dir });
    try {
      const strictApi = () => strict.api('khe');
      const first = (await strictApi().post('/v1.0/users/token').send(HACKER).expect(201)).body as SignedIn;
      await inState(strict, (s) => s.clock.advance(30 * DAY + 1000));
      const res = await strictApi().post('/v1.0/users/token/refresh').send({ client: 'khe-web', key: first.key, refresh: first.refresh }).expect(400);
      expect(res.body).toEqual(BAD_REFRESH);
      const again = (await strictApi().post('/v1.0/users/token').send(HACKER).expect(201)).body as SignedIn;
      expect(again.token).not.toBe(first.token);
      expect(again.refresh).not.toBe(first.refresh);
    } finally {
      await strict.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows the fixture setting for the lifetime', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'khe-fixture-'));
    const original = readFileSync(path.join(__dirname, '../../fixtures/khe.yaml'), 'utf8');
    writeFileSync(path.join(dir, 'khe.yaml'), original.replace(/lifetimeSeconds: \d+/, 'lifetimeSeconds: 60'));
    const short = await startTestServer({ apis: ['khe'], fixturesDir: dir });
    try {
      const now = Date.UTC(2020, 0, 1);
      await inState(short, (s) => s.clock.set(now));
      const res = await short.api('khe').post('/v1.0/users/token').send(HACKER).expect(201);
      expect(res.body.expires).toBe(new Date(now + 60_000).toISOString());
      const auth = basic(res.body.key, res.body.token);
      await short.api('khe').patch('/v1.0/users').set('Authorization', auth).send({}).expect(200);
      await inState(short, (s) => s.clock.advance(61_000));
      await short.api('khe').patch('/v1.0/users').set('Authorization', auth).send({}).expect(401);
    } finally {
      await short.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('khe refresh (POST /v1.0/users/token/refresh)', () => {
  it('answers 200 with a new UUIDv4 token and refresh token and a new expiry', async () => {
    const s = await signIn();
    await advance(DAY);
    const res = await refresh(s).expect(200);
    expect(res.body).toMatchObject({ role: 'attendee', key: s.key });
    expect(res.body.token).toMatch(UUID4);
    expect(res.body.refresh).toMatch(UUID4);
    expect(res.body.token).not.toBe(s.token);
    expect(res.body.refresh).not.toBe(s.refresh);
    expect(Date.parse(res.body.expires) - Date.parse(s.expires)).toBeGreaterThanOrEqual(DAY);
  });

  it('rotates: the new token works, the old token gets 401 and the old refresh token 400', async () => {
    const s = await signIn();
    const next = (await refresh(s).expect(200)).body as SignedIn;
    await patch(next).expect(200);
    expect((await patch(s).expect(401)).body).toEqual(LOGGED_OUT);
    expect((await refresh(s).expect(400)).body).toEqual(BAD_REFRESH);
    const third = (await refresh(next).expect(200)).body as SignedIn;
    await patch(third).expect(200);
    await patch(next).expect(401);
  });

  it('makes the next sign-in with that client return the refreshed tokens', async () => {
    const s = await signIn();
    const next = (await refresh(s).expect(200)).body as SignedIn;
    expect(await signIn()).toMatchObject({ token: next.token, refresh: next.refresh });
  });

  it('lets exactly one of many concurrent refreshes with one refresh token through', async () => {
    const s = await signIn();
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(s)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400]);
  });

  type RefreshBody = Partial<Record<'client' | 'key' | 'refresh', string>>;
  it.each<[string, (s: SignedIn) => RefreshBody, object]>([
    ['an unknown refresh token', (s: SignedIn) => ({ client: 'khe-web', key: s.key, refresh: '1e3c0b5e-5f7a-4b8e-9c1d-2a3b4c5d6e7f' }), BAD_REFRESH],
    ['the token instead of the refresh token', (s: SignedIn) => ({ client: 'khe-web', key: s.key, refresh: s.token }), BAD_REFRESH],
    ['another user\'s key', () => ({ client: 'khe-web', key: '5f1e0c2ab36d4c0017a3e9d2' }), BAD_REFRESH],
    ['an unknown key (the real server crashes here)', () => ({ client: 'khe-web', key: 'no-such-key' }), BAD_REFRESH],
    ['another known client', () => ({ client: 'khe-ios' }), BAD_REFRESH],
    ['an unknown client ID', () => ({ client: 'khe-toaster' }), { errors: ['Invalid client ID'] }],
  ])('refuses %s with 400, and leaves the refresh token usable', async (_name, change, body) => {
    const s = await signIn();
    const res = await api()
      .post('/v1.0/users/token/refresh')
      .send({ client: 'khe-web', key: s.key, refresh: s.refresh, ...change(s) })
      .expect(400);
    expect(res.body).toEqual(body);
    await refresh(s).expect(200);
  });
});

describe('khe sign-out (DELETE /v1.0/users/token)', () => {
  it('answers 200 {} and revokes the token and its refresh token', async () => {
    const s = await signIn();
    const res = await signOut(s, { client: 'khe-web' }).expect(200);
    expect(res.body).toEqual({});
    expect((await patch(s).expect(401)).body).toEqual(LOGGED_OUT);
    expect((await signOut(s).expect(401)).body).toEqual(LOGGED_OUT);
    expect((await refresh(s).expect(400)).body).toEqual(BAD_REFRESH);
  });

  it('works without a body, and with a form body', async () => {
    await signOut(await signIn()).expect(200);
    const s = await signIn();
    await api().delete('/v1.0/users/token').set('Authorization', basic(s.key, s.token)).type('form').send('client=khe-web').expect(200);
    await patch(s).expect(401);
  });

  it('revokes a session that has been refreshed', async () => {
    const s = await signIn();
    const next = (await refresh(s).expect(200)).body as SignedIn;
    await signOut(next).expect(200);
    await patch(next).expect(401);
    await refresh(next).expect(400);
  });

  it('leaves the same user\'s token for another client alone', async () => {
    const web = await signIn();
    const ios = await signIn({ ...HACKER, client: 'khe-ios' });
    await signOut(web).expect(200);
    await patch(ios).expect(200);
    await refresh(ios, 'khe-ios').expect(200);
  });

  it('makes the next sign-in issue new tokens', async () => {
    const s = await signIn();
    await signOut(s).expect(200);
    const again = await signIn();
    expect(again.token).not.toBe(s.token);
    await patch(again).expect(200);
  });

  it('refuses an unknown client ID in the body with 400, and signs nothing out', async () => {
    const s = await signIn();
    expect((await signOut(s, { client: 'khe-toaster' }).expect(400)).body).toEqual({ errors: ['Invalid client ID'] });
    await patch(s).expect(200);
  });
});
