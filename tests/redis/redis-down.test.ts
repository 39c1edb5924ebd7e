import request from 'supertest';
import WebSocket from 'ws';
import { serveCli, type CliRun } from '../helpers/cli';
import { waitFor } from '../helpers/ports';
import { startRedis, type TestRedis } from '../helpers/redis';
import { FOO } from '../helpers/b2core';

/**
 * When Redis goes away, every request gets a 503 in its API's own error format, soon, and the log
 * says why; nothing hangs or crashes, and service comes back by itself when Redis does (issue 17).
 */
let redis: TestRedis;
let mock: CliRun & { url: string };
beforeAll(async () => {
  redis = await startRedis();
  mock = await serveCli(['--store', redis.url]);
}, 30_000);
afterAll(async () => {
  await mock?.stop();
  await redis?.close();
});

// Each request may take at most this long: a hang fails the test instead of passing late.
const BOUND_MS = 5000;
const signIn = () => request(mock.url).post('/b2core/api/v2/signin').timeout(BOUND_MS).send(FOO);

it('answers 503 in each API’s own format while Redis is away, logs why, and recovers when it is back', async () => {
  const before = await signIn().expect(200);

  await redis.stop();

  const b2core = await signIn();
  expect(b2core.status).toBe(503);
  expect(b2core.body).toEqual({ code: 'store_unavailable', message: expect.stringContaining('state store is unavailable') });
  expect(b2core.headers['retry-after']).toBe('1');

  // The same outage in vault's own error body, and on the control API as a problem.
  const vault = await request(mock.url)
    .post('/vault/reg/auth/token')
    .timeout(BOUND_MS)
    .send({ grant_type: 'password', username: 'user@example.com', password: 'password', client_id: 'haequi3Aah8lie2r' });
  expect(vault.status).toBe(503);
  expect(vault.body).toMatchObject({ status: 'SERVICE_UNAVAILABLE', message: expect.any(String) });
  const admin = await request(mock.url).get('/__admin/clock').timeout(BOUND_MS);
  expect(admin.status).toBe(503);
  expect(admin.headers['content-type']).toMatch(/^application\/problem\+json/);

  // A WebSocket frame gets sama's error answer rather than no answer.
  const socket = new WebSocket(`${mock.url.replace('http', 'ws')}/sama`);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const answer = new Promise<string>((resolve) => socket.once('message', (data: Buffer) => resolve(data.toString())));
  socket.send(JSON.stringify({ request: { connect: { token: 'x', device_id: 'd1' }, id: '1' } }));
  expect(JSON.parse(await answer)).toMatchObject({ response: { id: '1', error: { status: 503 } } });
  socket.close();

  expect(mock.stderr()).toMatch(/store: lost Redis at redis:\/\/127\.0\.0\.1:\d+\/? \(.+\); requests get 503/);
  expect(mock.child.exitCode).toBeNull();

  await redis.restart();
  // Back by itself: no restart of the mock. (The data went with Redis: it kept no persistence.)
  await waitFor(async () => (await signIn().catch(() => ({ status: 0 }))).status === 200, 15_000, 'service to come back');
  expect(mock.stderr()).toMatch(/store: Redis at .* is back/);
  expect(before.body.accessToken.token).toEqual(expect.any(String));
}, 60_000);
