import { decodeJwt, jwtVerify } from 'jose';
import { inState, resetSession, useTestServer } from '../helpers/server';
import { BOB, expectError, fibJwks, LOGOUT, SESSION, SESSION_INFO, signIn, type Tokens } from '../helpers/fib';

const server = useTestServer({ apis: ['fib'] });

const refresh = (token: string, scheme = 'Bearer ') => server.api('fib').patch(SESSION).set('Authorization', `${scheme}${token}`);
const logout = (token: string) => server.api('fib').post(LOGOUT).set('Authorization', `Bearer ${token}`);
const info = (token: string) => server.api('fib').get(SESSION_INFO).set('Authorization', `Bearer ${token}`);
const advance = (seconds: number) => inState(server, (s) => s.clock.advance(seconds * 1000));

describe('fib refresh', () => {
  it('rotates: a new pair for the same user, linked by acjti, and the old refresh token is spent', async () => {
    const first = await signIn(server);
    const res = await refresh(first.refreshToken).expect(200);
    expect(res.body).toEqual({
      status: { code: 200, name: 'OK', message: 'Token refresh has been successful.' },
      data: { accessToken: expect.any(String), refreshToken: expect.any(String), expirationTime: 300 },
    });
    const next = res.body.data as Tokens;
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(next.refreshToken).not.toBe(first.refreshToken);
    const jwks = await fibJwks(server);
    const access = (await jwtVerify(next.accessToken, jwks)).payload;
    const refreshClaims = (await jwtVerify(next.refreshToken, jwks)).payload;
    expect(access).toMatchObject({ sub: 'alice@wonderland.space', acc: 'alice@wonderland', role: 'ROLE_PEER' });
    expect(refreshClaims.acjti).toBe(access.jti);
    await info(next.accessToken).expect(200);

    // Reusing the spent refresh token is refused; the new one still works.
    expectError(await refresh(first.refreshToken), 401, 'invalid_token');
    await refresh(next.refreshToken).expect(200);
  });

  it('accepts the refresh token bare in Authorization as well as with Bearer', async () => {
    const { refreshToken } = await signIn(server);
    await refresh(refreshToken, '').expect(200);
  });

  it('lets exactly one of three simultaneous refreshes with the same token win', async () => {
    const { refreshToken } = await signIn(server);
    const results = await Promise.all([refresh(refreshToken), refresh(refreshToken), refresh(refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });

  it('refuses an access token in place of a refresh token, and a refresh token in place of an access token', async () => {
    const { accessToken, refreshToken } = await signIn(server);
    expectError(await refresh(accessToken), 401, 'invalid_token');
    expectError(await logout(refreshToken), 401, 'invalid_token');
    expectError(await info(refreshToken), 401, 'invalid_token');
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['a JWT this server never issued', 'eyJ0eXAiOiJKV1QiLCJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZUBtYWlsLmNvbSJ9.rCrbFnF5axwixq4wwURZdu'],
    ['an empty Bearer', ''],
  ])('refuses %s with 401', async (_name, token) => {
    expectError(await refresh(token), 401, 'invalid_token');
  });

  it('refuses a refresh without Authorization with 401 missing_credentials', async () => {
    expectError(await server.api('fib').patch(SESSION), 401, 'missing_credentials');
  });

  it('still refreshes after the access token expired, and refuses an expired refresh token', async () => {
    const first = await signIn(server);
    await advance(301);
    expectError(await info(first.accessToken), 401, 'token_expired');
    const res = await refresh(first.refreshToken).expect(200);
    const second = res.body.data as Tokens;
    await advance(86_401);
    const expired = await refresh(second.refreshToken);
    expectError(expired, 401, 'token_expired');
    expect(expired.body.status).toEqual({ code: 401, name: 'UNAUTHORIZED', message: 'The token has expired' });
  });

  it('keeps the access token valid until just before its exp', async () => {
    const { accessToken } = await signIn(server);
    const exp = decodeJwt(accessToken).exp! * 1000;
    await advance((exp - (await inState(server, (s) => s.clock.now())) - 1000) / 1000);
    await info(accessToken).expect(200);
    await advance(1);
    expectError(await info(accessToken), 401, 'token_expired');
  });
});

describe('fib logout', () => {
  it('answers 200 with data {} and revokes every token of the session, not other sessions', async () => {
    const alice = await signIn(server);
    const refreshed = (await refresh(alice.refreshToken).expect(200)).body.data as Tokens;
    const bob = await signIn(server, BOB);

    const res = await logout(refreshed.accessToken).expect(200);
    expect(res.body).toEqual({ status: { code: 200, name: 'OK', message: 'User logout has been successful.' }, data: {} });

    expectError(await info(alice.accessToken), 401, 'invalid_token');
    expectError(await info(refreshed.accessToken), 401, 'invalid_token');
    expectError(await refresh(refreshed.refreshToken), 401, 'invalid_token');
    expectError(await logout(refreshed.accessToken), 401, 'invalid_token');
    await info(bob.accessToken).expect(200);
  });

  it('refuses an expired access token with 401 token_expired', async () => {
    const { accessToken } = await signIn(server);
    await advance(300);
    expectError(await logout(accessToken), 401, 'token_expired');
  });

  it('forgets every session on reset', async () => {
    const { accessToken } = await signIn(server);
    await resetSession(server);
    expectError(await logout(accessToken), 401, 'invalid_token');
  });
});
