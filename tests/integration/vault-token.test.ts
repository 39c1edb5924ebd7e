import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { inState, resetSession, useTestServer } from '../helpers/server';

// The fixture's users and clients (fixtures/vault.yaml).
const CLIENT = 'haequi3Aah8lie2r';
const MOBILE = 'vault-mobile-app';
const USER = { username: 'user@example.com', password: 'A9#bL8@z', id: 'usr:74177c2d-11b5-4536-af4e-485dfd078cc1' };
const VIEWER = { username: 'viewer@example.com', password: 'V1ewer#2024', id: 'usr:0b6f1c2e-8d3a-4f5b-9c7d-2e1f3a4b5c6d' };
const SEED_SCOPE =
  'accounts:create accounts:read top_up_account:show top_up_bank_card:show top_up_crypto:show top_up_bank:show top_up_atm_gcp_qr:show withdraw_account:show withdraw_bank:show withdraw_crypto:show withdraw_atm_gcp_qr:show exchange:show accounts:show withdraw_other_account:show deposit:read deposit_crypto:create deposit_bank:create deposit_atm:create transfer:read transfer_own:create transfer_other:create exchange:read exchange:create withdraw:read withdraw_crypto:create withdraw_bank:create withdraw_atm:create withdraw_ips:show cardholder_user:read cardholder_user:write user_phone:write user_email:write user_email:create user_phone:create user_mfa:read user_mfa:create counterparty:create counterparty:read';
const DAY = 86_400_000;

interface Tokens {
  access_token: string;
  token_type: string;
  refresh_token: string;
  scope: string;
  expires_in: number;
  user_id: string;
}

const server = useTestServer({ apis: ['vault'] });

const vault = () => server.api('vault');
const token = (body: Record<string, unknown>) => vault().post('/reg/auth/token').send(body);
const passwordGrant = (user = USER, clientId = CLIENT) =>
  token({ grant_type: 'password', username: user.username, password: user.password, client_id: clientId });
async function signIn(user = USER, clientId = CLIENT): Promise<Tokens> {
  return (await passwordGrant(user, clientId).expect(200)).body as Tokens;
}
const refresh = (refreshToken: string, extra: Record<string, unknown> = {}) =>
  token({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
const session = (accessToken: string) => vault().get('/reg/user/session/current').set('Authorization', `Bearer ${accessToken}`);
/** The entry of the session list that is the session of the token sent. */
const current = (body: Array<Record<string, unknown>>) => body.find((s) => s.current === true);
const logout = (accessToken: string) => vault().delete('/reg/user/session/logout/current').set('Authorization', `Bearer ${accessToken}`);
const advance = (ms: number) => inState(server, (s) => s.clock.advance(ms));

/** Vault's error body, exactly: `{status, message, traceId, errors}`. */
function expectVaultError(body: unknown, status: string, message: string | RegExp): void {
  expect(body).toEqual({ status, message: expect.stringMatching(message), traceId: expect.stringMatching(/^[0-9a-f]{32}$/), errors: [] });
}

describe('vault password grant', () => {
  it("answers with the seed's response, scope and user_id from the fixture user", async () => {
    const res = await passwordGrant().expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type', 'user_id']);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 86400, user_id: USER.id, scope: SEED_SCOPE });
  });

  it('issues RS256 JWTs that verify against the server public key, living expires_in seconds', async () => {
    const tokens = await signIn();
    const jwks = createLocalJWKSet({ keys: (await server.engines.get('vault')!.runtime.publicJwks!()) as never });
    expect(decodeProtectedHeader(tokens.access_token).alg).toBe('RS256');
    const access = await jwtVerify(tokens.access_token, jwks, { algorithms: ['RS256'] });
    expect(access.payload).toMatchObject({ sub: USER.id, client_id: CLIENT, scope: SEED_SCOPE });
    expect(access.payload.exp! - access.payload.iat!).toBe(86400);
    const refreshed = await jwtVerify(tokens.refresh_token, jwks, { algorithms: ['RS256'] });
    expect(refreshed.payload).toMatchObject({ sub: USER.id, client_id: CLIENT });
    expect(refreshed.payload.exp! - refreshed.payload.iat!).toBe(30 * 86400);
  });

  it('gives another user their own scope and user_id', async () => {
    const tokens = await signIn(VIEWER);
    expect(tokens).toMatchObject({ user_id: VIEWER.id, scope: 'accounts:read transfer:read exchange:read' });
    const res = await session(tokens.access_token).expect(200);
    expect(res.body).toEqual([
      {
        session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        user_id: VIEWER.id,
        username: VIEWER.username,
        client_id: CLIENT,
        scope: 'accounts:read transfer:read exchange:read',
        expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        current: true,
      },
    ]);
  });

  it('accepts a form body with the same fields', async () => {
    const res = await vault()
      .post('/reg/auth/token')
      .type('form')
      .send({ grant_type: 'password', username: USER.username, password: USER.password, client_id: CLIENT })
      .expect(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', user_id: USER.id });
    await session(res.body.access_token).expect(200);
  });

  it('accepts the username in any case, and a requested scope without narrowing the grant', async () => {
    const res = await token({ grant_type: 'password', username: 'USER@Example.COM', password: USER.password, client_id: CLIENT, scope: 'accounts:read' }).expect(200);
    expect(res.body.scope).toBe(SEED_SCOPE);
  });

  it('accepts every fixture client and records which one signed in', async () => {
    const tokens = await signIn(USER, MOBILE);
    expect(current((await session(tokens.access_token).expect(200)).body)?.client_id).toBe(MOBILE);
  });

  it('gives each sign-in distinct tokens', async () => {
    const [a, b] = await Promise.all([signIn(), signIn()]);
    expect(a.access_token).not.toBe(b.access_token);
    expect(a.refresh_token).not.toBe(b.refresh_token);
  });

  it.each([
    ['a wrong password', { username: USER.username, password: 'A9#bL8@Z' }],
    ['an unknown username', { username: 'nobody@example.com', password: USER.password }],
    ["another user's password", { username: VIEWER.username, password: USER.password }],
  ])('refuses %s with 401 UNAUTHORIZED', async (_name, creds) => {
    const res = await token({ grant_type: 'password', ...creds, client_id: CLIENT }).expect(401);
    expectVaultError(res.body, 'UNAUTHORIZED', /^Invalid username or password$/);
  });

  it.each([
    ['an unknown client_id', 'some-other-app'],
    ['a client_id in the wrong case', CLIENT.toUpperCase()],
  ])('refuses %s with 401 UNAUTHORIZED, even with the right password', async (_name, clientId) => {
    const res = await passwordGrant(USER, clientId).expect(401);
    expectVaultError(res.body, 'UNAUTHORIZED', /^Unknown client_id$/);
  });

  it.each(['client_credentials', 'authorization_code', 'PASSWORD', ''])('refuses grant_type "%s" with 400 BAD_REQUEST', async (grantType) => {
    const res = await token({ grant_type: grantType, username: USER.username, password: USER.password, client_id: CLIENT }).expect(400);
    expect(res.body).toEqual({
      status: 'BAD_REQUEST',
      message: 'Unsupported grant_type; use "password" or "refresh_token"',
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      errors: [{ field: '/grant_type', message: 'must be one of "password", "refresh_token"' }],
    });
  });

  it('gives every error its own traceId', async () => {
    const [a, b] = await Promise.all([passwordGrant(USER, 'nope'), passwordGrant(USER, 'nope')]);
    expect(a.body.traceId).not.toBe(b.body.traceId);
  });
});

describe('vault access tokens', () => {
  it('are accepted by the protected session endpoint', async () => {
    const tokens = await signIn();
    const res = await session(tokens.access_token).expect(200);
    expect(current(res.body)).toMatchObject({ user_id: USER.id, username: USER.username, client_id: CLIENT, scope: SEED_SCOPE });
    const { payload } = await jwtVerify(
      tokens.access_token,
      createLocalJWKSet({ keys: (await server.engines.get('vault')!.runtime.publicJwks!()) as never }),
    );
    expect(payload.sub).toBe(USER.id);
    // The session ends when its last token (the refresh token) expires, unless refreshed.
    const refreshExp = decodeJwt(tokens.refresh_token).exp!;
    expect(current(res.body)?.expires_at).toBe(new Date(refreshExp * 1000).toISOString().replace('.000Z', 'Z'));
  });

  it('expire after expires_in seconds', async () => {
    // Pinned half a second into a second, so real time passing during the test cannot move the edge.
    await inState(server, (s) => s.clock.set(Math.floor(Date.now() / 1000) * 1000 + 500));
    const tokens = await signIn();
    await advance(86399 * 1000);
    await session(tokens.access_token).expect(200);
    await advance(1000);
    const res = await session(tokens.access_token).expect(401);
    expectVaultError(res.body, 'UNAUTHORIZED', /^Access token has expired$/);
  });

  it('are not refresh tokens, and refresh tokens are not access tokens', async () => {
    const tokens = await signIn();
    expectVaultError((await session(tokens.refresh_token).expect(401)).body, 'UNAUTHORIZED', /^Invalid access token$/);
    expectVaultError((await refresh(tokens.access_token).expect(401)).body, 'UNAUTHORIZED', /^Invalid refresh token$/);
    // Neither attempt used anything up.
    await session(tokens.access_token).expect(200);
    await refresh(tokens.refresh_token).expect(200);
  });

  it('are refused when unknown', async () => {
    const res = await session('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln').expect(401);
    expectVaultError(res.body, 'UNAUTHORIZED', /^Invalid access token$/);
  });
});

describe('vault refresh_token grant', () => {
  it('returns new tokens with the same scope and user_id, and the old refresh token is dead', async () => {
    const first = await signIn(VIEWER);
    const res = await refresh(first.refresh_token).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const second = res.body as Tokens;
    expect(second).toMatchObject({ token_type: 'Bearer', expires_in: 86400, user_id: VIEWER.id, scope: first.scope });
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    await session(second.access_token).expect(200);

    const reused = await refresh(first.refresh_token).expect(401);
    expectVaultError(reused.body, 'UNAUTHORIZED', /^Invalid refresh token$/);
    // The new refresh token works, once.
    await refresh(second.refresh_token).expect(200);
    await refresh(second.refresh_token).expect(401);
  });

  it('leaves the access token issued before valid until it expires (authdouble choice)', async () => {
    const first = await signIn();
    await refresh(first.refresh_token).expect(200);
    await session(first.access_token).expect(200);
  });

  it('works after the access token has expired', async () => {
    const first = await signIn();
    await advance(DAY + 1000);
    await session(first.access_token).expect(401);
    const second = (await refresh(first.refresh_token).expect(200)).body as Tokens;
    await session(second.access_token).expect(200);
  });

  it('refuses an expired refresh token with 401 UNAUTHORIZED (as the product docs show)', async () => {
    const first = await signIn();
    await advance(30 * DAY);
    const res = await refresh(first.refresh_token).expect(401);
    expectVaultError(res.body, 'UNAUTHORIZED', /^Refresh token has expired$/);
  });

  it('lets only one of several concurrent refreshes with the same token succeed', async () => {
    const first = await signIn();
    const results = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token), refresh(first.refresh_token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });

  it('accepts a form body, and the client_id the token was issued to', async () => {
    const first = await signIn(USER, MOBILE);
    const res = await vault()
      .post('/reg/auth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: MOBILE })
      .expect(200);
    expect(res.body.user_id).toBe(USER.id);
    expect(current((await session(res.body.access_token).expect(200)).body)?.client_id).toBe(MOBILE);
  });

  it("refuses another client's refresh token without using it up", async () => {
    const first = await signIn(USER, MOBILE);
    const res = await refresh(first.refresh_token, { client_id: CLIENT }).expect(401);
    expectVaultError(res.body, 'UNAUTHORIZED', /^Invalid refresh token$/);
    await refresh(first.refresh_token, { client_id: MOBILE }).expect(200);
  });

  it('refuses an unknown client_id', async () => {
    const first = await signIn();
    const res = await refresh(first.refresh_token, { client_id: 'some-other-app' }).expect(401);
    expectVaultError(res.body, 'UNAUTHORIZED', /^Unknown client_id$/);
    await refresh(first.refresh_token).expect(200);
  });

  it('refuses an unknown refresh token', async () => {
    const res = await refresh('not-a-token').expect(401);
    expectVaultError(res.body, 'UNAUTHORIZED', /^Invalid refresh token$/);
  });
});

describe('vault logout', () => {
  it('answers 204 and revokes the access and refresh token of the session', async () => {
    const tokens = await signIn();
    const res = await logout(tokens.access_token).expect(204);
    expect(res.text).toBe('');
    expectVaultError((await session(tokens.access_token).expect(401)).body, 'UNAUTHORIZED', /^Invalid access token$/);
    expectVaultError((await refresh(tokens.refresh_token).expect(401)).body, 'UNAUTHORIZED', /^Invalid refresh token$/);
    expectVaultError((await logout(tokens.access_token).expect(401)).body, 'UNAUTHORIZED', /^Invalid access token$/);
  });

  it('ends the whole session: tokens from before and after a refresh alike', async () => {
    const first = await signIn();
    const second = (await refresh(first.refresh_token).expect(200)).body as Tokens;
    await logout(first.access_token).expect(204);
    await session(second.access_token).expect(401);
    await refresh(second.refresh_token).expect(401);
  });

  it('leaves other sessions of the same user alone', async () => {
    const [a, b] = await Promise.all([signIn(), signIn()]);
    await logout(a.access_token).expect(204);
    await session(b.access_token).expect(200);
    await refresh(b.refresh_token).expect(200);
  });

  it('refuses an expired access token', async () => {
    const tokens = await signIn();
    await advance(DAY);
    const res = await logout(tokens.access_token).expect(401);
    expectVaultError(res.body, 'UNAUTHORIZED', /^Access token has expired$/);
    // The session was not ended: its refresh token still works.
    await refresh(tokens.refresh_token).expect(200);
  });

  it('refuses a refresh token', async () => {
    const tokens = await signIn();
    await logout(tokens.refresh_token).expect(401);
    await session(tokens.access_token).expect(200);
  });
});

describe('vault state', () => {
  it('is forgotten on reset: tokens issued before get 401', async () => {
    const tokens = await signIn();
    await resetSession(server);
    await session(tokens.access_token).expect(401);
    await refresh(tokens.refresh_token).expect(401);
  });

  it('is kept apart per x-authdouble-session', async () => {
    const tokens = await signIn();
    await vault().get('/reg/user/session/current').set('Authorization', `Bearer ${tokens.access_token}`).set('x-authdouble-session', 'other').expect(401);
  });
});

// A public Vault TypeScript SDK: getActiveSession() → GET /reg/user/session/current typed ISession[],
// logoutFromAllDevices() → PUT /reg/user/session/logout, signIn (v2) → appClientId header, signIn (v3)
// → POST /reg/v1/auth/token.
describe('vault sessions as a public Vault SDK sees them', () => {
  it('lists every active session of the user, newest first, marking the current one', async () => {
    const first = await signIn();
    await inState(server, (s) => s.clock.advance(1000));
    const second = await signIn(USER, MOBILE);
    const other = await signIn(VIEWER);
    const res = await session(first.access_token).expect(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body.map((s: Record<string, unknown>) => [s.client_id, s.current])).toEqual([
      [MOBILE, false],
      [CLIENT, true],
    ]);
    expect(res.body.every((s: Record<string, unknown>) => s.user_id === USER.id)).toBe(true);
    // The other user's session is not listed; logging one session out removes it from the list.
    await vault().delete('/reg/user/session/logout/current').set('Authorization', `Bearer ${second.access_token}`).expect(204);
    expect((await session(first.access_token).expect(200)).body).toHaveLength(1);
    expect((await session(other.access_token).expect(200)).body).toHaveLength(1);
  });

  it('logs out of every session of the user with PUT /reg/user/session/logout, and only that user', async () => {
    const a = await signIn();
    const b = await signIn();
    const other = await signIn(VIEWER);
    await vault().put('/reg/user/session/logout').set('Authorization', `Bearer ${a.access_token}`).expect(204);
    await session(a.access_token).expect(401);
    await session(b.access_token).expect(401);
    await vault().post('/reg/auth/token').send({ grant_type: 'refresh_token', refresh_token: b.refresh_token }).expect(401);
    await session(other.access_token).expect(200);
    await vault().put('/reg/user/session/logout').set('Authorization', `Bearer ${a.access_token}`).expect(401);
  });

  it('takes the client id from the appClientId header when the body has none', async () => {
    const res = await vault()
      .post('/reg/auth/token')
      .set('appClientId', MOBILE)
      .send({ grant_type: 'password', username: USER.username, password: USER.password })
      .expect(200);
    expect(current((await session(res.body.access_token).expect(200)).body)?.client_id).toBe(MOBILE);
    const unknown = await vault()
      .post('/reg/auth/token')
      .set('appClientId', 'nope')
      .send({ grant_type: 'password', username: USER.username, password: USER.password })
      .expect(401);
    expectVaultError(unknown.body, 'UNAUTHORIZED', /^Unknown client_id$/);
    const none = await vault().post('/reg/auth/token').send({ grant_type: 'password', username: USER.username, password: USER.password }).expect(400);
    expect(none.body.errors).toEqual([{ field: '/client_id', message: 'is required' }]);
  });

  it('signs in and refreshes at POST /reg/v1/auth/token too', async () => {
    const res = await vault()
      .post('/reg/v1/auth/token')
      .send({ grant_type: 'password', username: USER.username, password: USER.password, client_id: CLIENT })
      .expect(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', user_id: USER.id });
    const refreshed = await vault().post('/reg/v1/auth/token').send({ grant_type: 'refresh_token', refresh_token: res.body.refresh_token }).expect(200);
    await session(refreshed.body.access_token).expect(200);
  });
});
