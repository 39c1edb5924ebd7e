import { startRedis, type TestRedis } from '../helpers/redis';
import { startTestServer, type TestServer } from '../helpers/server';

let redis: TestRedis;
let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  redis = await startRedis();
  a = await startTestServer({ store: redis.url });
  b = await startTestServer({ store: redis.url });
}, 30_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.close();
});

it('a token from A works on B', async () => {
  const signin = await a.api('b2core').post('/api/v2/signin').send({ email: 'foo@bar.com', password: 'Secret123' });
  expect(signin.status).toBe(200);
  const session = await b.api('b2core').get('/api/v2/session').set('authorization', `Bearer ${signin.body.accessToken.token}`);
  expect(session.status).toBe(200);
  const refreshed = await b.api('b2core').post('/api/v2/refresh').send({ refreshToken: signin.body.refreshToken.token });
  expect(refreshed.status).toBe(200);
  const again = await a.api('b2core').post('/api/v2/refresh').send({ refreshToken: signin.body.refreshToken.token });
  expect(again.status).toBe(401);
});
