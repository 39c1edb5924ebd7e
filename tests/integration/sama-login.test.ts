import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixturesFolder, inState, resetSession, startTestServer, useTestServer, type TestServer } from '../helpers/server';
import { bearer, cookie, login, refreshCookieOf, setCookie, tokenOfCookie, U1, U1_ID, USER1 } from '../helpers/sama';

const server = useTestServer({ apis: ['sama'] });

describe('sama POST /login with login and password', () => {
  it('answers the documented shape, with expired_at in milliseconds', async () => {
    const before = Date.now();
    const res = await server.api('sama').post('/login').send(U1).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.user).toHaveProperty('native_id', res.body.user._id);
    expect(res.body).toEqual({
      user: { _id: U1_ID, native_id: U1_ID, login: 'login_u1', created_at: '2022-10-13T13:11:04.447Z', updated_at: '2022-10-13T13:11:04.447Z' },
      access_token: expect.any(String),
      expired_at: expect.any(Number),
    });
    // 3 hours ahead, in ms (not seconds): a value in seconds would be ~1000 times smaller.
    const threeHours = 3 * 3600 * 1000;
    expect(res.body.expired_at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + threeHours);
    expect(res.body.expired_at).toBeLessThanOrEqual(Date.now() + threeHours);
  });

  it('sets an HttpOnly SameSite=Lax refresh cookie, not Secure by default, for 14 days (the real server example .env)', async () => {
    const res = await server.api('sama').post('/login').send(U1).expect(200);
    // Signed (s:<token>.<HMAC>) and URL-encoded, as the real server's cookie-tools.js serializeCookie.
    expect(setCookie(res)).toMatch(/^refresh_token=s%3A[\w-]+\.[\w-]+\.[\w-]+\.[\w%]+; Max-Age=1209600; HttpOnly; SameSite=Lax$/);
    expect(setCookie(res)).not.toMatch(/Secure/);
  });

  it('issues EdDSA JWTs whose exp is expired_at, bound to the user and device', async () => {
    const res = await server.api('sama').post('/login').send(U1).expect(200);
    const jwks = createLocalJWKSet({ keys: (await server.engines.get('sama')!.runtime.publicJwks!()) as never });
    expect(decodeProtectedHeader(res.body.access_token).alg).toBe('EdDSA');
    const access = await jwtVerify(res.body.access_token, jwks);
    expect(access.payload).toMatchObject({ _id: U1_ID, login: 'login_u1', organization_id: U1.organization_id, device_id: 'device_u1', type: 'access' });
    expect(access.payload.exp! * 1000).toBe(res.body.expired_at);
    const refresh = await jwtVerify(tokenOfCookie(refreshCookieOf(res)), jwks);
    expect(refresh.payload).toMatchObject({ _id: U1_ID, type: 'refresh', device_id: 'device_u1' });
    expect(refresh.payload.exp! - refresh.payload.iat!).toBe(1209600);
  });

  it('accepts the login in any case and a numeric device_id', async () => {
    const { body } = await login(server, { ...U1, login: 'LOGIN_U1', device_id: 42 });
    expect(body.user.login).toBe('login_u1');
    // The numeric device id is the string "42" from then on.
    await server.api('sama').post('/login').set(...bearer(body.access_token)).send({ device_id: '42' }).expect(200);
  });

  it.each([
    ['a wrong password', { ...U1, password: 'wrong' }],
    ['an unknown login', { ...U1, login: 'nobody' }],
    ['the user of another organization', { ...U1, organization_id: '680a2fae96cc69d78861f102' }],
    ['no organization', { login: U1.login, password: U1.password, device_id: 'd' }],
    ['the password of the same login in another organization', { ...U1, password: 'other_password' }],
  ])('refuses %s with 401 text/plain', async (_name, body) => {
    const res = await server.api('sama').post('/login').send(body).expect(401);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('Incorrect username or password.');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('keeps logins apart per organization', async () => {
    const { body } = await login(server, { organization_id: '680a2fae96cc69d78861f102', login: 'login_u1', password: 'other_password', device_id: 'd' });
    expect(body.user._id).toBe('63480e68f4794709f802a2fc');
  });
});

describe('sama POST /login without device_id', () => {
  it.each([
    ['no device_id', { login: U1.login, password: U1.password, organization_id: U1.organization_id }],
    ['an empty device_id', { ...U1, device_id: '' }],
    ['an empty body object', {}],
    ['device_id missing and a field of the wrong type', { login: 5 }],
  ])('answers 422 for %s, before looking at credentials', async (_name, body) => {
    const res = await server.api('sama').post('/login').send(body).expect(422);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe("'device_id' is required.");
  });

  it('answers 422 for no body at all', async () => {
    const res = await server.api('sama').post('/login').expect(422);
    expect(res.text).toBe("'device_id' is required.");
  });
});

describe('sama POST /login with an access token', () => {
  // The real server's token store never finds the device's older token on a new login
  // (sama-server app/providers/repositories/user_token/index.js updateToken/findTokenByUserId), so
  // older tokens stay valid: two tabs do not log each other out.
  it('logs in again and leaves the older tokens of the device valid, as the real server', async () => {
    const first = await login(server);
    const res = await server.api('sama').post('/login').set(...bearer(first.body.access_token)).send({ device_id: 'device_u1' }).expect(200);
    expect(res.body.user._id).toBe(U1_ID);
    expect(res.body.access_token).not.toBe(first.body.access_token);
    // A new refresh cookie on every login, including this one.
    expect(refreshCookieOf(res)).not.toBe(first.refresh);
    await server.api('sama').post('/login').set(...bearer(first.body.access_token)).send({ device_id: 'device_u1' }).expect(200);
    await server.api('sama').post('/login').set(...cookie(first.refresh)).send({ device_id: 'device_u1' }).expect(200);
  });

  it('refuses a token of another device with 422', async () => {
    const { body } = await login(server);
    const res = await server.api('sama').post('/login').set(...bearer(body.access_token)).send({ device_id: 'other' }).expect(422);
    expect(res.text).toBe('The token has expired.');
  });

  it('refuses an unknown token with 422, as the real server', async () => {
    const res = await server.api('sama').post('/login').set(...bearer('not-a-token')).send({ device_id: 'device_u1' }).expect(422);
    expect(res.text).toBe('The token has expired.');
  });

  it('refuses an expired access token with 422 (3 hours later)', async () => {
    // On a pinned clock: real time passing between the steps (a loaded machine) must not count.
    await inState(server, (s) => s.clock.set(s.clock.now()));
    const { body } = await login(server);
    await inState(server, (s) => s.clock.advance(3 * 3600 * 1000 - 1000));
    await server.api('sama').post('/login').set(...bearer(body.access_token)).send({ device_id: 'device_u1' }).expect(200);
    const second = await login(server);
    await inState(server, (s) => s.clock.advance(3 * 3600 * 1000 + 1000));
    const res = await server.api('sama').post('/login').set(...bearer(second.body.access_token)).send({ device_id: 'device_u1' }).expect(422);
    expect(res.text).toBe('The token has expired.');
  });

  it('does not take a refresh token as an access token', async () => {
    const { refresh } = await login(server);
    await server.api('sama').post('/login').set(...bearer(refresh)).send({ device_id: 'device_u1' }).expect(422);
  });
});

describe('sama POST /login with the refresh cookie', () => {
  it('logs in, rotating the cookie', async () => {
    const first = await login(server);
    const res = await server.api('sama').post('/login').set(...cookie(first.refresh)).send({ device_id: 'device_u1' }).expect(200);
    expect(res.body.user._id).toBe(U1_ID);
    expect(refreshCookieOf(res)).not.toBe(first.refresh);
  });

  it('takes a refresh cookie again after it was used, as the real server (it is not single-use)', async () => {
    const first = await login(server);
    await server.api('sama').post('/login').set(...cookie(first.refresh)).send({ device_id: 'device_u1' }).expect(200);
    await server.api('sama').post('/login').set(...cookie(first.refresh)).send({ device_id: 'device_u1' }).expect(200);
  });

  it('refuses a refresh cookie of another device, and keeps it usable on its own', async () => {
    const first = await login(server);
    await server.api('sama').post('/login').set(...cookie(first.refresh)).send({ device_id: 'elsewhere' }).expect(422);
    await server.api('sama').post('/login').set(...cookie(first.refresh)).send({ device_id: 'device_u1' }).expect(200);
  });

  it('refuses an expired refresh cookie (30 days later) with 422', async () => {
    const first = await login(server);
    await inState(server, (s) => s.clock.advance(30 * 24 * 3600 * 1000 + 1000));
    await server.api('sama').post('/login').set(...cookie(first.refresh)).send({ device_id: 'device_u1' }).expect(422);
  });

  it('does not take an access token as the cookie (unsigned: no cookie at all, as cookie-parser signedCookies)', async () => {
    const { body, refresh } = await login(server);
    const res = await server.api('sama').post('/login').set(...cookie(body.access_token)).send({ device_id: 'device_u1' }).expect(401);
    expect(res.text).toBe('Missing authentication credentials.');
    // The bare token of a good cookie, unsigned, is no cookie either; a tampered signature neither.
    await server.api('sama').post('/login').set(...cookie(tokenOfCookie(refresh))).send({ device_id: 'device_u1' }).expect(401);
    await server.api('sama').post('/login').set(...cookie(`${refresh.slice(0, -3)}AAA`)).send({ device_id: 'device_u1' }).expect(401);
  });
});

describe('sama POST /login precedence of the three forms', () => {
  it('uses login and password over a bad Bearer token and a bad cookie', async () => {
    const res = await server
      .api('sama')
      .post('/login')
      .set(...bearer('bad'))
      .set(...cookie('bad'))
      .send(U1)
      .expect(200);
    expect(res.body.user._id).toBe(U1_ID);
  });

  it('uses the Bearer token over the cookie: a bad token fails even with a good cookie', async () => {
    const { refresh } = await login(server);
    const res = await server.api('sama').post('/login').set(...bearer('bad')).set(...cookie(refresh)).send({ device_id: 'device_u1' }).expect(422);
    expect(res.text).toBe('The token has expired.');
    // ... and the cookie was not used up.
    await server.api('sama').post('/login').set(...cookie(refresh)).send({ device_id: 'device_u1' }).expect(200);
  });

  it('uses the Bearer token over the cookie: a good token wins over a bad cookie', async () => {
    const { body } = await login(server);
    await server.api('sama').post('/login').set(...bearer(body.access_token)).set(...cookie('bad')).send({ device_id: 'device_u1' }).expect(200);
  });

  it('falls back to the token forms when only login (no password) is given', async () => {
    const { body } = await login(server);
    await server.api('sama').post('/login').set(...bearer(body.access_token)).send({ login: 'login_u1', device_id: 'device_u1' }).expect(200);
    const res = await server.api('sama').post('/login').send({ login: 'login_u1', device_id: 'device_u1' }).expect(401);
    expect(res.text).toBe('Missing authentication credentials.');
  });

  it('answers 401 Missing authentication credentials with device_id alone', async () => {
    const res = await server.api('sama').post('/login').send({ device_id: 'device_u1' }).expect(401);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('Missing authentication credentials.');
  });

  it('keeps sessions of different devices and users apart', async () => {
    const a = await login(server, { ...U1, device_id: 'phone' });
    const b = await login(server, { ...U1, device_id: 'laptop' });
    const c = await login(server, { ...USER1, device_id: 'phone' });
    for (const [who, device] of [[a, 'phone'], [b, 'laptop'], [c, 'phone']] as const) {
      await server.api('sama').post('/login').set(...bearer(who.body.access_token)).send({ device_id: device }).expect(200);
    }
  });
});

describe('sama POST /logout', () => {
  it('clears the cookie and revokes both tokens', async () => {
    const { body, refresh } = await login(server);
    const res = await server.api('sama').post('/logout').set(...bearer(body.access_token)).set(...cookie(refresh)).expect(200);
    expect(res.body).toEqual({ success: true });
    expect(setCookie(res)).toBe('refresh_token=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax');
    await server.api('sama').post('/login').set(...bearer(body.access_token)).send({ device_id: 'device_u1' }).expect(422);
    await server.api('sama').post('/login').set(...cookie(refresh)).send({ device_id: 'device_u1' }).expect(422);
    // A second logout with the same tokens: the access token is gone.
    const again = await server.api('sama').post('/logout').set(...bearer(body.access_token)).set(...cookie(refresh)).expect(401);
    expect(again.text).toBe('Missing authentication credentials.');
  });

  it('leaves the other devices of the user logged in', async () => {
    const phone = await login(server, { ...U1, device_id: 'phone' });
    const laptop = await login(server, { ...U1, device_id: 'laptop' });
    await server.api('sama').post('/logout').set(...bearer(phone.body.access_token)).set(...cookie(phone.refresh)).expect(200);
    await server.api('sama').post('/login').set(...cookie(laptop.refresh)).send({ device_id: 'laptop' }).expect(200);
  });

  it.each([
    ['no Authorization header', (_a: string, r: string) => [cookie(r)]],
    ['an unknown access token', (_a: string, r: string) => [bearer('nope'), cookie(r)]],
    ['a Bearer header without a token', (_a: string, r: string) => [['Authorization', 'Bearer '] as [string, string], cookie(r)]],
    ['a Basic header', (_a: string, r: string) => [['Authorization', 'Basic Zm9vOmJhcg=='] as [string, string], cookie(r)]],
    ['the refresh token as the Bearer token', (_a: string, r: string) => [bearer(r), cookie(r)]],
  ])('answers 401 for %s', async (_name, headersOf) => {
    const { body, refresh } = await login(server);
    let req = server.api('sama').post('/logout');
    for (const [k, v] of headersOf(body.access_token, refresh)) req = req.set(k, v);
    const res = await req.expect(401);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('Missing authentication credentials.');
    // Nothing was revoked.
    await server.api('sama').post('/login').set(...cookie(refresh)).send({ device_id: 'device_u1' }).expect(200);
  });

  it('answers 401 for an expired access token', async () => {
    const { body, refresh } = await login(server);
    await inState(server, (s) => s.clock.advance(3 * 3600 * 1000 + 1000));
    await server.api('sama').post('/logout').set(...bearer(body.access_token)).set(...cookie(refresh)).expect(401);
  });

  it.each([
    ['no cookie', () => undefined],
    ['an unknown cookie', () => 'nope'],
    ['the cookie of another device', 'other'],
  ])('answers 422 Incorrect token. for %s', async (_name, which) => {
    const { body } = await login(server);
    const other = await login(server, { ...U1, device_id: 'other' });
    const value = typeof which === 'string' ? other.refresh : which();
    let req = server.api('sama').post('/logout').set(...bearer(body.access_token));
    if (value !== undefined) req = req.set(...cookie(value));
    const res = await req.expect(422);
    expect(res.text).toBe('Incorrect token.');
    // Still logged in.
    await server.api('sama').post('/login').set(...bearer(body.access_token)).send({ device_id: 'device_u1' }).expect(200);
  });
});

describe('sama state sessions', () => {
  it('keeps tokens in the session they were issued in, and reset() forgets them', async () => {
    const { body } = await login(server);
    await server.api('sama').post('/login').set('x-authdouble-session', 'other').set(...bearer(body.access_token)).send({ device_id: 'device_u1' }).expect(422);
    await resetSession(server);
    await server.api('sama').post('/login').set(...bearer(body.access_token)).send({ device_id: 'device_u1' }).expect(422);
  });
});

describe('sama with tokens.newLoginRevokesOlder: true (the stricter fixture setting)', () => {
  let strict: TestServer;
  beforeAll(async () => {
    const yaml = readFileSync(path.join(__dirname, '../../fixtures/sama.yaml'), 'utf8').replace('newLoginRevokesOlder: false', 'newLoginRevokesOlder: true');
    strict = await startTestServer({ apis: ['sama'], fixturesDir: fixturesFolder('sama', yaml).dir });
  });
  afterAll(() => strict.close());

  it('ends the previous session of the device on a new login, and uses a refresh cookie up', async () => {
    const first = await login(strict);
    const res = await strict.api('sama').post('/login').set(...cookie(first.refresh)).send({ device_id: 'device_u1' }).expect(200);
    expect(res.body.access_token).not.toBe(first.body.access_token);
    const again = await strict.api('sama').post('/login').set(...bearer(first.body.access_token)).send({ device_id: 'device_u1' }).expect(422);
    expect(again.text).toBe('The token has expired.');
    await strict.api('sama').post('/login').set(...cookie(first.refresh)).send({ device_id: 'device_u1' }).expect(422);
  });
});
