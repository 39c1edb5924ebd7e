import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';
import { bearer, refreshCookieOf, samaFixtureText, setCookie, U1 } from '../helpers/sama';

/**
 * A browser's view: one supertest agent is one cookie jar, carried from request to request. The
 * client never touches the refresh token; only the access token from the body is kept.
 */
describe('sama browser-style cookie flow', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ apis: ['sama'] });
  });
  afterAll(() => server.close());

  it('logs in, reloads with the cookie alone, rotates it, and logs out', async () => {
    const browser = server.api('sama');
    const host = new URL(server.url).hostname;
    const jarCookie = (p: string) => browser.jar.getCookie('refresh_token', { domain: host, path: p, secure: false, script: false });

    // 1. The login form.
    const first = await browser.post('/login').send(U1).expect(200);
    const firstRefresh = refreshCookieOf(first);
    expect(jarCookie('/sama/login')?.value).toBe(firstRefresh);
    // The cookie has no Path: it is scoped to /sama, where it came from, not to other APIs.
    expect(jarCookie('/b2core/api')).toBeUndefined();

    // 2. A page reload: no password, no token, only the cookie the jar sends by itself.
    const reload = await browser.post('/login').send({ device_id: U1.device_id }).expect(200);
    expect(reload.body.user.login).toBe('login_u1');
    const secondRefresh = refreshCookieOf(reload);
    expect(secondRefresh).not.toBe(firstRefresh);
    expect(jarCookie('/sama/login')?.value).toBe(secondRefresh);

    // 3. Again: the jar now holds the rotated cookie, and it works.
    const again = await browser.post('/login').send({ device_id: U1.device_id }).expect(200);

    // 4. The first cookie still works, as on the real server (a login never revokes older tokens).
    await server.api('sama').post('/login').set('Cookie', `refresh_token=${firstRefresh}`).send({ device_id: U1.device_id }).expect(200);

    // 5. Logout with the latest access token; the jar sends the cookie, the answer clears it.
    const out = await browser.post('/logout').set(...bearer(again.body.access_token)).expect(200);
    expect(setCookie(out)).toMatch(/^refresh_token=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT/);
    expect(jarCookie('/sama/login')).toBeUndefined();

    // 6. A reload after logout has nothing to log in with.
    const after = await browser.post('/login').send({ device_id: U1.device_id }).expect(401);
    expect(after.text).toBe('Missing authentication credentials.');
  });

  it('lets two browsers (two jars) hold sessions of their own devices', async () => {
    const phone = server.api('sama');
    const laptop = server.api('sama');
    await phone.post('/login').send({ ...U1, device_id: 'phone' }).expect(200);
    const l = await laptop.post('/login').send({ ...U1, device_id: 'laptop' }).expect(200);
    // Each jar's cookie only fits its own device.
    await phone.post('/login').send({ device_id: 'laptop' }).expect(422);
    await laptop.post('/login').send({ device_id: 'laptop' }).expect(200);
    // The laptop's first access token still works after the cookie login (real server behaviour).
    await laptop.post('/logout').set(...bearer(l.body.access_token)).expect(200);
  });
});

describe('sama cookie.secure setting', () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sama-secure-'));
    writeFileSync(path.join(dir, 'sama.yaml'), samaFixtureText().replace('secure: false', 'secure: true'));
    server = await startTestServer({ apis: ['sama'], fixturesDir: dir });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks the cookie Secure, so a browser on plain http does not send it back', async () => {
    const browser = server.api('sama');
    const res = await browser.post('/login').send(U1).expect(200);
    expect(setCookie(res)).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
    // The jar keeps Secure cookies for https only: the reload has no cookie to send.
    const reload = await browser.post('/login').send({ device_id: U1.device_id }).expect(401);
    expect(reload.text).toBe('Missing authentication credentials.');
    // Sent by hand, the cookie still works.
    await server.api('sama').post('/login').set('Cookie', `refresh_token=${refreshCookieOf(res)}`).send({ device_id: U1.device_id }).expect(200);
  });

  it('clears a Secure cookie with a Secure cookie', async () => {
    const res = await server.api('sama').post('/login').send(U1).expect(200);
    const out = await server
      .api('sama')
      .post('/logout')
      .set(...bearer(res.body.access_token))
      .set('Cookie', `refresh_token=${refreshCookieOf(res)}`)
      .expect(200);
    expect(setCookie(out)).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
  });
});
