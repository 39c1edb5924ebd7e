/**
 * An example of authdouble in a frontend team's own jest (or vitest) tests: the mock runs
 * in-process, the code under test talks to it over real HTTP, and the control client moves time,
 * reads the 2FA e-mail and injects failures. `npm test` runs this file as it is.
 */
import { startMock, type StartedMock } from 'authdouble';

// The code under test: a tiny auth client, as a frontend would have.
async function login(baseUrl: string, email: string, password: string) {
  const res = await fetch(`${baseUrl}/api/v2/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status}`);
  return (await res.json()) as { '2faRequired': boolean; '2faDetails'?: { token: string }; accessToken?: { token: string } };
}

async function whoAmI(baseUrl: string, accessToken: string) {
  const res = await fetch(`${baseUrl}/api/v2/session`, { headers: { authorization: `Bearer ${accessToken}` } });
  return res.status === 200 ? ((await res.json()) as { email: string }) : null;
}

let mock: StartedMock<'b2core'>;
beforeAll(async () => {
  mock = await startMock({ apis: ['b2core'] });
});
afterAll(() => mock.close());
beforeEach(() => mock.control.reset());

test('a signed-in user is signed out when the access token expires', async () => {
  const base = mock.urls.b2core!;
  const { accessToken } = await login(base, 'foo@bar.com', 'Secret123');
  expect(await whoAmI(base, accessToken!.token)).toEqual(expect.objectContaining({ email: 'foo@bar.com' }));

  await mock.control.clock.advance('PT10H1S'); // no waiting ten hours
  expect(await whoAmI(base, accessToken!.token)).toBeNull();
});

test('2FA: the code arrives in the outbox', async () => {
  const base = mock.urls.b2core!;
  const first = await login(base, 'twofa@bar.com', 'Secret123');
  expect(first['2faRequired']).toBe(true);
  const code = await mock.control.latestCode('b2core', 'twofa@bar.com');
  const res = await fetch(`${base}/api/v2/2fa/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: first['2faDetails']!.token, code }),
  });
  expect(res.status).toBe(200);
});

test('the UI copes with the auth service being down', async () => {
  await mock.control.faults.add({ api: 'b2core', operationId: 'signIn', status: 503, times: 1 });
  await expect(login(mock.urls.b2core!, 'foo@bar.com', 'Secret123')).rejects.toThrow('sign-in failed: 503');
  await expect(login(mock.urls.b2core!, 'foo@bar.com', 'Secret123')).resolves.toBeDefined();
});

test('parallel test files keep their state apart with sessions', async () => {
  const other = mock.control.session('another-test-file');
  await other.clock.advance('P1D');
  expect((await mock.control.clock.get()).virtual).toBe(false);
  expect((await other.clock.get()).virtual).toBe(true);
});
