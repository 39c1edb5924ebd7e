import request from 'supertest';
import { useTestServer } from '../helpers/server';
import { FOO, type Pair } from '../helpers/b2core';

/** One rule for moving the clock back (docs/hardening.md): it revives nothing. */
const server = useTestServer({ apis: ['b2core'] }, { reset: false });

const HOUR = 3600_000;
const setClock = (at: number) => request(server.url).post('/__admin/clock').send({ set: new Date(at).toISOString() }).expect(200);
const session = (token: string) => server.api('b2core').get('/api/v2/session').set('authorization', `Bearer ${token}`);

it('a token that expired stays expired when the clock moves back; one still live stays live', async () => {
  const start = Date.now();
  await setClock(start);
  const pair = (await server.api('b2core').post('/api/v2/signin').send(FOO).expect(200)).body as Pair;
  // The access token lives 10 hours, the refresh token much longer.
  await setClock(start + 10.5 * HOUR);
  expect((await session(pair.accessToken.token).expect(401)).body.code).toBe('token_expired');

  await setClock(start + HOUR);
  await session(pair.accessToken.token).expect(401);
  const refreshed = (await server.api('b2core').post('/api/v2/refresh').send({ refreshToken: pair.refreshToken.token }).expect(200)).body as Pair;
  await session(refreshed.accessToken.token).expect(200);

  // Back to real time (behind the clock): the same rule.
  await setClock(start + 10.5 * HOUR + HOUR);
  await session(refreshed.accessToken.token).expect(401);
  await request(server.url).delete('/__admin/clock').expect(200);
  await session(refreshed.accessToken.token).expect(401);
});

it('without the move back, the store would still hold the expired token: the rule is what ends it', async () => {
  const start = Date.now();
  await setClock(start);
  const pair = (await server.api('b2core').post('/api/v2/signin').send(FOO).expect(200)).body as Pair;
  await setClock(start + 10.5 * HOUR);
  // Still held (reported as expired rather than unknown): only the move back's sweep forgets it.
  expect((await session(pair.accessToken.token).expect(401)).body.code).toBe('token_expired');
  await request(server.url).post('/__admin/clock').send({ advance: 'PT1S' }).expect(200);
  expect((await session(pair.accessToken.token).expect(401)).body.code).toBe('token_expired');
  await setClock(start);
  expect((await session(pair.accessToken.token).expect(401)).body.code).toBe('invalid_token');
});
