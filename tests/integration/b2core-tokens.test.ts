import { inState, useTestServer } from '../helpers/server';
import { bearer, signIn } from '../helpers/b2core';

const server = useTestServer({ apis: ['b2core'] });

const api = () => server.api('b2core');
const HOUR = 3600 * 1000;

describe('b2core refresh', () => {
  it('rotates: the new pair works and the old refresh token is dead', async () => {
    const first = await signIn(server);
    const res = await api().post('/api/v2/refresh').send({ refreshToken: first.refreshToken.token }).expect(200);
    expect(res.body.refreshToken.token).not.toBe(first.refreshToken.token);
    expect(res.body.accessToken.token).not.toBe(first.accessToken.token);
    await api().get('/api/v2/session').set(...bearer(res.body.accessToken.token)).expect(200);
    const reused = await api().post('/api/v2/refresh').send({ refreshToken: first.refreshToken.token }).expect(401);
    expect(reused.body.code).toBe('invalid_token');
    await api().post('/api/v2/refresh').send({ refreshToken: res.body.refreshToken.token }).expect(200);
  });

  it('refuses an access token in place of a refresh token', async () => {
    const pair = await signIn(server);
    await api().post('/api/v2/refresh').send({ refreshToken: pair.accessToken.token }).expect(401);
  });

  it('refuses a refresh token that has expired, saying so', async () => {
    const pair = await signIn(server);
    await inState(server, (s) => s.clock.advance(30 * 24 * HOUR + 1000));
    const res = await api().post('/api/v2/refresh').send({ refreshToken: pair.refreshToken.token }).expect(401);
    expect(res.body.code).toBe('token_expired');
  });

  it('lets exactly one of many concurrent refreshes with the same token through', async () => {
    const pair = await signIn(server);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => api().post('/api/v2/refresh').send({ refreshToken: pair.refreshToken.token })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(4);
  });
});

describe('b2core sign-out', () => {
  it('revokes the access token and its refresh token', async () => {
    const pair = await signIn(server);
    await api().post('/api/v2/signout').set(...bearer(pair.accessToken.token)).expect(200);
    const again = await api().post('/api/v2/signout').set(...bearer(pair.accessToken.token)).expect(401);
    expect(again.body.code).toBe('invalid_token');
    await api().get('/api/v2/session').set(...bearer(pair.accessToken.token)).expect(401);
    await api().post('/api/v2/refresh').send({ refreshToken: pair.refreshToken.token }).expect(401);
  });

  it('ends every token of the session, including ones from before a refresh', async () => {
    const first = await signIn(server);
    const second = (await api().post('/api/v2/refresh').send({ refreshToken: first.refreshToken.token }).expect(200)).body;
    await api().get('/api/v2/session').set(...bearer(first.accessToken.token)).expect(200);
    await api().post('/api/v2/signout').set(...bearer(second.accessToken.token)).expect(200);
    await api().get('/api/v2/session').set(...bearer(first.accessToken.token)).expect(401);
    await api().post('/api/v2/refresh').send({ refreshToken: second.refreshToken.token }).expect(401);
  });

  it('leaves other sessions of the same user alone', async () => {
    const a = await signIn(server);
    const b = await signIn(server);
    await api().post('/api/v2/signout').set(...bearer(a.accessToken.token)).expect(200);
    await api().get('/api/v2/session').set(...bearer(b.accessToken.token)).expect(200);
  });

  it('returns an empty 200', async () => {
    const pair = await signIn(server);
    const res = await api().post('/api/v2/signout').set(...bearer(pair.accessToken.token)).expect(200);
    expect(res.text).toBe('');
  });
});

describe('b2core token expiry', () => {
  it('gives 401 token_expired to an access token past its 10 hours', async () => {
    // On a pinned clock: the token's expiry counts from its whole second of issue, so with the clock
    // running, real time between the steps could pass the second left (the Redis pass failed once).
    await inState(server, (s) => s.clock.set(s.clock.now()));
    const pair = await signIn(server);
    await inState(server, (s) => s.clock.advance(10 * HOUR - 1000));
    await api().get('/api/v2/session').set(...bearer(pair.accessToken.token)).expect(200);
    await inState(server, (s) => s.clock.advance(2000));
    const res = await api().post('/api/v2/signout').set(...bearer(pair.accessToken.token)).expect(401);
    expect(res.body.code).toBe('token_expired');
  });

  it('lets an expired access token be replaced by refreshing', async () => {
    const pair = await signIn(server);
    await inState(server, (s) => s.clock.advance(11 * HOUR));
    const res = await api().post('/api/v2/refresh').send({ refreshToken: pair.refreshToken.token }).expect(200);
    await api().get('/api/v2/session').set(...bearer(res.body.accessToken.token)).expect(200);
  });
});

describe('b2core missing or garbage credentials', () => {
  it.each([
    ['no Authorization header', undefined, 'missing_credentials'],
    ['a Basic header', 'Basic Zm9vOmJhcg==', 'missing_credentials'],
    ['Bearer with no token', 'Bearer ', 'invalid_authorization_header'],
    ['Bearer with two tokens', 'Bearer a b', 'invalid_authorization_header'],
    ['an unknown token', 'Bearer not-a-token', 'invalid_token'],
    ['a forged JWT', 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', 'invalid_token'],
  ])('answers %s with 401 %s', async (_name, header, code) => {
    const req = api().post('/api/v2/signout');
    if (header !== undefined) req.set('Authorization', header);
    const res = await req.expect(401);
    expect(res.body.code).toBe(code);
    expect(typeof res.body.message).toBe('string');
  });
});
