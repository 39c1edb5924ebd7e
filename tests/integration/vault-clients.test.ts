import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Issuer, errors as oidcErrors, type BaseClient } from 'openid-client';
import { ResourceOwnerPassword } from 'simple-oauth2';
import { startTestServer, type TestServer, resetSession } from '../helpers/server';

// Unmodified OAuth2 client libraries, configured as a frontend would, against the vault mock:
// simple-oauth2 sends JSON bodies, openid-client sends form bodies.

const CLIENT = 'haequi3Aah8lie2r';
const USER = { username: 'user@example.com', password: 'A9#bL8@z', id: 'usr:74177c2d-11b5-4536-af4e-485dfd078cc1' };

interface Seen {
  method: string;
  path: string;
  contentType: string;
  body: string;
}

/** A pass-through HTTP proxy in front of the mock that records what the libraries send. */
async function recordingProxy(target: string): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const upstream = new URL(target);
  const seen: Seen[] = [];
  const proxy: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: body.toString() });
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: `${upstream.pathname}${req.url ?? ''}`, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.end(body);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => proxy.close(() => r())),
  };
}

let server: TestServer;
let proxy: Awaited<ReturnType<typeof recordingProxy>>;
beforeAll(async () => {
  server = await startTestServer({ apis: ['vault'] });
  proxy = await recordingProxy(`${server.url}/vault`);
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});
beforeEach(async () => {
  await resetSession(server);
  proxy.seen.length = 0;
});

const session = (accessToken: string) =>
  server.api('vault').get('/reg/user/session/current').set('Authorization', `Bearer ${accessToken}`);

describe('simple-oauth2 (JSON bodies)', () => {
  const oauth = () =>
    new ResourceOwnerPassword({
      // The library's types want a secret; a public client has none, so it sends an empty one.
      client: { id: CLIENT, secret: '' },
      auth: { tokenHost: proxy.url, tokenPath: '/reg/auth/token' },
      options: { bodyFormat: 'json', authorizationMethod: 'body' },
    });

  it('signs in with the password grant, refreshes, and the tokens work', async () => {
    const accessToken = await oauth().getToken({ username: USER.username, password: USER.password });
    expect(proxy.seen[0]).toMatchObject({ method: 'POST', path: '/reg/auth/token', contentType: 'application/json' });
    expect(JSON.parse(proxy.seen[0]!.body)).toEqual({
      grant_type: 'password',
      username: USER.username,
      password: USER.password,
      client_id: CLIENT,
      client_secret: '',
    });
    expect(accessToken.token).toMatchObject({ token_type: 'Bearer', expires_in: 86400, user_id: USER.id });
    expect(accessToken.expired()).toBe(false);
    await session(accessToken.token.access_token as string).expect(200);

    const refreshed = await accessToken.refresh();
    expect(proxy.seen[1]).toMatchObject({ contentType: 'application/json' });
    expect(JSON.parse(proxy.seen[1]!.body)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: accessToken.token.refresh_token,
      client_id: CLIENT,
      client_secret: '',
    });
    expect(refreshed.token.refresh_token).not.toBe(accessToken.token.refresh_token);
    await session(refreshed.token.access_token as string).expect(200);

    // The rotated-out refresh token is dead, as the library sees it.
    await expect(accessToken.refresh()).rejects.toMatchObject({
      output: { statusCode: 401 },
      data: { payload: { status: 'UNAUTHORIZED', message: 'Invalid refresh token' } },
    });
  });

  it('sees a wrong password as a 401 with Vault error body', async () => {
    await expect(oauth().getToken({ username: USER.username, password: 'wrong' })).rejects.toMatchObject({
      output: { statusCode: 401 },
      data: { payload: { status: 'UNAUTHORIZED', message: 'Invalid username or password', errors: [] } },
    });
  });

  it('can send form bodies too (its default body format)', async () => {
    const formClient = new ResourceOwnerPassword({
      client: { id: CLIENT, secret: '' },
      auth: { tokenHost: proxy.url, tokenPath: '/reg/auth/token' },
      options: { authorizationMethod: 'body' },
    });
    const accessToken = await formClient.getToken({ username: USER.username, password: USER.password });
    expect(proxy.seen[0]?.contentType).toBe('application/x-www-form-urlencoded');
    await session(accessToken.token.access_token as string).expect(200);
  });
});

describe('openid-client (form bodies)', () => {
  let client: BaseClient;
  beforeAll(() => {
    const issuer = new Issuer({ issuer: `${proxy.url}/`, token_endpoint: `${proxy.url}/reg/auth/token` });
    // A public client, as a frontend is: it sends client_id in the body and no secret.
    client = new issuer.Client({ client_id: CLIENT, token_endpoint_auth_method: 'none' });
  });

  it('signs in, uses the token, refreshes and logs out', async () => {
    const tokens = await client.grant({ grant_type: 'password', username: USER.username, password: USER.password });
    expect(proxy.seen[0]).toMatchObject({ method: 'POST', path: '/reg/auth/token', contentType: 'application/x-www-form-urlencoded' });
    expect(Object.fromEntries(new URLSearchParams(proxy.seen[0]!.body))).toEqual({
      grant_type: 'password',
      username: USER.username,
      password: USER.password,
      client_id: CLIENT,
    });
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.expired()).toBe(false);
    expect(tokens.expires_in).toBeGreaterThan(86000);
    expect((tokens as unknown as { user_id: string }).user_id).toBe(USER.id);

    const me = await client.requestResource(`${proxy.url}/reg/user/session/current`, tokens);
    expect(me.statusCode).toBe(200);
    expect(JSON.parse(String(me.body))).toEqual([expect.objectContaining({ user_id: USER.id, client_id: CLIENT, current: true })]);

    const refreshed = await client.refresh(tokens);
    expect(Object.fromEntries(new URLSearchParams(proxy.seen[2]!.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: CLIENT,
    });
    expect(refreshed.access_token).not.toBe(tokens.access_token);

    const out = await client.requestResource(`${proxy.url}/reg/user/session/logout/current`, refreshed, { method: 'DELETE' });
    expect(out.statusCode).toBe(204);
    const after = await client.requestResource(`${proxy.url}/reg/user/session/current`, refreshed);
    expect(after.statusCode).toBe(401);
    await expect(client.refresh(refreshed)).rejects.toBeInstanceOf(oidcErrors.OPError);
  });

  it('sees an unknown grant type as a 400 with Vault error body', async () => {
    const err = await client.grant({ grant_type: 'client_credentials' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(oidcErrors.OPError);
    const response = (err as { response: { statusCode: number; body: unknown } }).response;
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ status: 'BAD_REQUEST', errors: [{ field: '/grant_type' }] });
  });
});
