import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { useTestServer } from '../helpers/server';
import { bearer, FOO, signIn, TWOFA } from '../helpers/b2core';

// Each test starts from the fixtures (sign-in attempts are rate-limited per e-mail).
const server = useTestServer({ apis: ['b2core'] });

describe('b2core sign-in without 2FA', () => {
  it('returns a token pair whose JWTs verify against the server public key', async () => {
    const res = await server.api('b2core').post('/api/v2/signin').send(FOO).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body['2faRequired']).toBe(false);
    const jwks = createLocalJWKSet({ keys: (await server.engines.get('b2core')!.runtime.publicJwks!()) as never });
    for (const kind of ['accessToken', 'refreshToken'] as const) {
      const details = res.body[kind];
      expect(decodeProtectedHeader(details.token).alg).toBe('RS256');
      const { payload } = await jwtVerify(details.token, jwks, { issuer: 'https://ap.vendor.com', algorithms: ['RS256'] });
      expect(payload.sub).toBe('1');
      expect(details.createdAt).toBe(new Date(payload.iat! * 1000).toISOString().replace('.000Z', '+00:00'));
      expect(details.expiresAt).toBe(new Date(payload.exp! * 1000).toISOString().replace('.000Z', '+00:00'));
    }
    const access = await jwtVerify(res.body.accessToken.token, jwks);
    expect(access.payload.exp! - access.payload.iat!).toBe(36000);
  });

  it('gives each sign-in distinct tokens', async () => {
    const [a, b] = await Promise.all([signIn(server), signIn(server)]);
    expect(a.accessToken.token).not.toBe(b.accessToken.token);
  });

  it('accepts the e-mail in any case', async () => {
    await server.api('b2core').post('/api/v2/signin').send({ ...FOO, email: 'FOO@Bar.com' }).expect(200);
  });

  it.each([
    ['wrong password', { email: FOO.email, password: 'wrong' }],
    ['unknown e-mail', { email: 'nobody@bar.com', password: 'Secret123' }],
  ])('refuses a %s with 401 invalid_credentials', async (_name, body) => {
    const res = await server.api('b2core').post('/api/v2/signin').send(body).expect(401);
    expect(res.body).toEqual({ code: 'invalid_credentials', message: 'Wrong e-mail or password' });
  });

  it('issues tokens that the protected session endpoint accepts', async () => {
    const pair = await signIn(server);
    const res = await server.api('b2core').get('/api/v2/session').set(...bearer(pair.accessToken.token)).expect(200);
    expect(res.body).toMatchObject({ userId: '1', email: 'foo@bar.com', expiresAt: pair.accessToken.expiresAt });
  });

  it('does not accept a refresh token as an access token', async () => {
    const pair = await signIn(server);
    const res = await server.api('b2core').get('/api/v2/session').set(...bearer(pair.refreshToken.token)).expect(401);
    expect(res.body.code).toBe('invalid_token');
  });

  it('returns 2faRequired for a 2FA user, and no tokens', async () => {
    const res = await server.api('b2core').post('/api/v2/signin').send(TWOFA).expect(200);
    expect(res.body['2faRequired']).toBe(true);
    expect(res.body['2faDetails']).toMatchObject({ provider: 'email' });
    expect(res.body.accessToken).toBeUndefined();
  });
});
