/**
 * `authdouble record` as a library: a proxy in front of our own server (standing in for the real
 * service) writes a HAR after every exchange, reports spec violations live and in the entries'
 * comments, and keeps no password, token, cookie, signature or 2FA code in the file.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ControlClient } from '../../src/control/client';
import type { Har } from '../../src/replay/har';
import { startRecorder, type Recorder } from '../../src/replay/recorder';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let dir: string;
const recorders: Recorder[] = [];

beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-record-'));
});
afterEach(async () => {
  await Promise.all(recorders.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function record(api: string, file: string, extra: { redact?: boolean; target?: string } = {}) {
  const lines: string[] = [];
  const out = path.join(dir, file);
  const recorder = await startRecorder({ api, target: extra.target ?? `${server.url}/${api}`, out, redact: extra.redact, log: (l) => lines.push(l) });
  recorders.push(recorder);
  return { recorder, out, lines, read: () => JSON.parse(readFileSync(out, 'utf8')) as Har, text: () => readFileSync(out, 'utf8') };
}

async function call(base: string, method: string, p: string, init: { json?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${p}`, { method, headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
  const text = await res.text();
  return { status: res.status, text, json: text ? (JSON.parse(text) as any) : undefined, setCookie: res.headers.getSetCookie() };
}

describe('record b2core through the proxy', () => {
  it('writes every exchange as it happens, with every secret redacted and carried as the same marker', async () => {
    const { recorder, read, text, lines } = await record('b2core', 'b2core.har');
    const secrets: string[] = ['Secret123'];

    const signIn = await call(recorder.url, 'POST', '/api/v2/signin', { json: { email: 'foo@bar.com', password: 'Secret123' } });
    expect(signIn.status).toBe(200);
    secrets.push(signIn.json.accessToken.token, signIn.json.refreshToken.token);
    expect(read().log.entries).toHaveLength(1);

    const session = await call(recorder.url, 'GET', '/api/v2/session', { headers: { authorization: `Bearer ${signIn.json.accessToken.token}` } });
    expect(session.status).toBe(200);
    const refreshed = await call(recorder.url, 'POST', '/api/v2/refresh', { json: { refreshToken: signIn.json.refreshToken.token } });
    expect(refreshed.status).toBe(200);
    secrets.push(refreshed.json.accessToken.token, refreshed.json.refreshToken.token);

    const twofa = await call(recorder.url, 'POST', '/api/v2/signin', { json: { email: 'twofa@bar.com', password: 'Secret123' } });
    secrets.push(twofa.json['2faDetails'].token);
    const code = await new ControlClient(server.url).latestCode('b2core', 'twofa@bar.com');
    expect(code).toMatch(/^\d{6}$/);
    secrets.push(code!);
    const confirmed = await call(recorder.url, 'POST', '/api/v2/2fa/confirm', { json: { token: twofa.json['2faDetails'].token, code } });
    expect(confirmed.status).toBe(200);
    secrets.push(confirmed.json.accessToken.token, confirmed.json.refreshToken.token);
    const out = await call(recorder.url, 'POST', '/api/v2/signout', { headers: { authorization: `Bearer ${refreshed.json.accessToken.token}` } });
    expect(out.status).toBe(200);

    const har = read();
    expect(har.log.entries.map((e) => `${e.request.method} ${new URL(e.request.url).pathname} ${e.response.status}`)).toEqual([
      'POST /b2core/api/v2/signin 200',
      'GET /b2core/api/v2/session 200',
      'POST /b2core/api/v2/refresh 200',
      'POST /b2core/api/v2/signin 200',
      'POST /b2core/api/v2/2fa/confirm 200',
      'POST /b2core/api/v2/signout 200',
    ]);
    expect(har.log._authdouble).toEqual({ api: 'b2core', baseUrl: `${server.url}/b2core`, redacted: true });
    expect(har.log.entries[0]!.request.headers.find((h) => h.name.toLowerCase() === 'host')?.value).toBe(new URL(server.url).host);
    const file = text();
    for (const secret of secrets) expect(file).not.toContain(secret);

    const [first, second, third, , fifth] = har.log.entries;
    expect(JSON.parse(first!.request.postData!.text!)).toEqual({ email: 'foo@bar.com', password: '<redacted:password user=foo@bar.com>' });
    const issued = JSON.parse(first!.response.content.text!);
    expect(issued.accessToken.token).toMatch(/^<redacted:token#\d+>$/);
    expect(issued.refreshToken.token).toMatch(/^<redacted:refresh-token#\d+>$/);
    expect(issued.accessToken.createdAt).toMatch(/^\d{4}-/);
    // The same token is the same marker wherever it goes.
    expect(second!.request.headers.find((h) => h.name.toLowerCase() === 'authorization')?.value).toBe(`Bearer ${issued.accessToken.token}`);
    expect(JSON.parse(third!.request.postData!.text!)).toEqual({ refreshToken: issued.refreshToken.token });
    expect(JSON.parse(fifth!.request.postData!.text!).code).toBe('<redacted:otp user=twofa@bar.com>');

    expect(har.log.entries.every((e) => e.comment === undefined)).toBe(true);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('POST /api/v2/signin -> 200 signIn: ok');
  });

  it('keeps the values with redact: false', async () => {
    const { recorder, text } = await record('b2core', 'plain.har', { redact: false });
    const signIn = await call(recorder.url, 'POST', '/api/v2/signin', { json: { email: 'foo@bar.com', password: 'Secret123' } });
    expect(text()).toContain(signIn.json.accessToken.token);
    expect(text()).toContain('Secret123');
  });
});

describe('record the other APIs', () => {
  it('sama: the refresh cookie is redacted in Set-Cookie, in the Cookie header and in the cookie lists', async () => {
    const { recorder, read, text } = await record('sama', 'sama.har');
    const body = { organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: 'd1' };
    const login = await call(recorder.url, 'POST', '/login', { json: body });
    expect(login.status).toBe(200);
    const cookie = login.setCookie[0]!.split(';')[0]!;
    const again = await call(recorder.url, 'POST', '/login', { json: { device_id: 'd1' }, headers: { cookie } });
    expect(again.status).toBe(200);
    const file = text();
    for (const secret of [cookie.split('=')[1]!, login.json.access_token, again.json.access_token, 'u1_password']) expect(file).not.toContain(secret);
    const [first, second] = read().log.entries;
    const setCookie = first!.response.headers.find((h) => h.name.toLowerCase() === 'set-cookie')!.value;
    expect(setCookie).toMatch(/^refresh_token=<redacted:cookie#\d+>; /);
    const marker = /<redacted:cookie#\d+>/.exec(setCookie)![0];
    expect(second!.request.headers.find((h) => h.name.toLowerCase() === 'cookie')!.value).toBe(`refresh_token=${marker}`);
    expect(second!.request.cookies).toEqual([{ name: 'refresh_token', value: marker }]);
    expect(first!.response.cookies[0]!.value).toBe(marker);
    expect(JSON.parse(first!.request.postData!.text!).password).toBe('<redacted:password user=680a2fae96cc69d78861f101/login_u1>');
  });

  it('khe: the token inside Basic key:token is redacted and the key is kept', async () => {
    const { recorder, read, text } = await record('khe', 'khe.har');
    const signIn = await call(recorder.url, 'POST', '/v1.0/users/token', { json: { client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' } });
    expect(signIn.status).toBe(201);
    const basic = Buffer.from(`${signIn.json.key}:${signIn.json.token}`).toString('base64');
    const patched = await call(recorder.url, 'PATCH', '/v1.0/users', { json: {}, headers: { authorization: `Basic ${basic}` } });
    expect(patched.status).toBe(200);
    const file = text();
    for (const secret of [signIn.json.token, signIn.json.refresh, 'hackathon', basic]) expect(file).not.toContain(secret);
    const entries = read().log.entries;
    const tokenMarker = JSON.parse(entries[0]!.response.content.text!).token as string;
    const header = entries[1]!.request.headers.find((h) => h.name.toLowerCase() === 'authorization')!.value;
    expect(Buffer.from(header.replace('Basic ', ''), 'base64').toString()).toBe(`${signIn.json.key}:${tokenMarker}`);
  });

  it('vault: the password and the refresh token are redacted in form bodies too', async () => {
    const { recorder, read, text } = await record('vault', 'vault.har');
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const signIn = (await (
      await fetch(`${recorder.url}/reg/auth/token`, form({ grant_type: 'password', username: 'user@example.com', password: 'A9#bL8@z', client_id: 'vault-mobile-app' }))
    ).json()) as any;
    const refreshed = (await (await fetch(`${recorder.url}/reg/auth/token`, form({ grant_type: 'refresh_token', refresh_token: signIn.refresh_token }))).json()) as any;
    const file = text();
    for (const secret of ['A9#bL8@z', encodeURIComponent('A9#bL8@z'), signIn.access_token, signIn.refresh_token, refreshed.access_token, refreshed.refresh_token]) {
      expect(file).not.toContain(secret);
    }
    const [first, second] = read().log.entries;
    expect(Object.fromEntries(new URLSearchParams(first!.request.postData!.text!))).toEqual({
      grant_type: 'password',
      username: 'user@example.com',
      password: '<redacted:password user=user@example.com>',
      client_id: 'vault-mobile-app',
    });
    expect(new URLSearchParams(second!.request.postData!.text!).get('refresh_token')).toBe(JSON.parse(first!.response.content.text!).refresh_token);
  });

  it('fib: the signature and the tokens are redacted', async () => {
    const { recorder, read, text } = await record('fib', 'fib.har');
    const body = {
      email: 'alice@wonderland.space',
      signature: '57e7115dfb9faa9add2d2ceb321c20db8c1e7f468d2ffc122793fa61e8ed61581580faaeae83a07fe857894bb33defd61c4ba099b981020146fe8d2be00e630a',
      authPublicKeyHex: '7fbedb314a9b0c00caef967ac5cabb982ec45da828a0c58a9aafc854f32422ac',
    };
    const signIn = await call(recorder.url, 'POST', '/auth/api/v1/authentication-management/session', { json: body });
    expect(signIn.status).toBe(200);
    const file = text();
    for (const secret of [body.signature, signIn.json.data.accessToken, signIn.json.data.refreshToken]) expect(file).not.toContain(secret);
    expect(JSON.parse(read().log.entries[0]!.request.postData!.text!).signature).toBe('<redacted:signature user=alice@wonderland.space>');
  });
});

describe('spec violations', () => {
  let fake: Server;
  let fakeUrl: string;
  beforeAll(async () => {
    // A "real service" whose sign-in answer breaks the spec.
    fake = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ '2faRequired': 'no' }));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => fake.close(() => resolve())));

  it('are printed live and written into the entry comment; the client still gets the answer', async () => {
    const { recorder, read, lines } = await record('b2core', 'broken.har', { target: fakeUrl });
    const res = await call(recorder.url, 'POST', '/api/v2/signin', { json: { email: 'foo@bar.com', password: 'Secret123' } });
    expect(res.json).toEqual({ '2faRequired': 'no' });
    expect(lines[0]).toMatch(/^POST \/api\/v2\/signin -> 200 signIn: SPEC VIOLATION: /);
    expect(lines[0]).toContain('body/2faRequired: must be boolean');
    expect(read().log.entries[0]!.comment).toMatch(/^spec \(signIn\): .*body\/2faRequired: must be boolean/);
    expect(recorder.violations).toBe(1);
  });

  it('a request no operation matches is recorded, with the comment that says so', async () => {
    const { recorder, read } = await record('b2core', 'unknown.har', { target: fakeUrl });
    await call(recorder.url, 'GET', '/api/v2/nothing-here');
    expect(read().log.entries[0]!.comment).toBe('spec: request: GET /api/v2/nothing-here is not in the spec');
  });

  it('an unreachable service gets the client a 502 and records nothing', async () => {
    const { recorder, read, lines } = await record('b2core', 'down.har', { target: 'http://127.0.0.1:9' });
    const res = await call(recorder.url, 'POST', '/api/v2/signin', { json: {} });
    expect(res.status).toBe(502);
    expect(read().log.entries).toHaveLength(0);
    expect(lines[0]).toMatch(/did not answer/);
  });
});
