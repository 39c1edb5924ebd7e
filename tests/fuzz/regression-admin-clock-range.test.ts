import { ControlClient, ControlError } from '../../src/control/client';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Found by tests/fuzz/admin.test.ts: `POST /__admin/clock {"advance":"PT99999999999999999999H"}`
 * moved the clock past what a Date can hold, and the answer (and every later date in the session)
 * failed with a 500. The clock now stays inside 1970-01-01 .. 9000-01-01; a move outside is a 400.
 */

let server: TestServer;
let control: ControlClient;
beforeAll(async () => {
  server = await startTestServer({ apis: ['b2core'] });
  control = new ControlClient(server.url, { session: 'clock-range' });
});
afterAll(() => server.close());

it.each([
  [{ advance: 'PT99999999999999999999H' }, /advance: "PT99999999999999999999H" would move the clock outside 1970-01-01 \.\. 9000-01-01/],
  [{ advance: 'P3000000D' }, /would move the clock outside/],
  [{ set: '0001-01-01T00:00:00Z' }, /set: "0001-01-01T00:00:00Z" would put the clock outside/],
  [{ set: '9999-12-31T23:59:59Z' }, /would put the clock outside/],
])('refuses %j with a 400 problem and leaves the clock where it was', async (body, message) => {
  await control.clock.set('2030-01-01T00:00:00Z');
  const res = await fetch(`${server.url}/__admin/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-authdouble-session': 'clock-range' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { detail: string }).detail).toMatch(message);
  expect((await control.clock.get()).now.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  // The session still signs in and writes its dates.
  const signIn = await fetch(`${server.url}/b2core/api/v2/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-authdouble-session': 'clock-range' },
    body: JSON.stringify({ email: 'foo@bar.com', password: 'Secret123' }),
  });
  expect(signIn.status).toBe(200);
  await control.reset();
});

it('still moves within the range, up to the edge', async () => {
  await control.clock.set('8999-12-01T00:00:00Z');
  expect((await control.clock.advance('P30D')).now.toISOString()).toBe('8999-12-31T00:00:00.000Z');
  await expect(control.clock.advance('P1D')).rejects.toBeInstanceOf(ControlError);
  await control.reset();
});
