import { proxiedByPrism, startPrism } from '../helpers/prism';
import { basic, HACKER } from '../helpers/khe';

jest.setTimeout(60_000);


interface Call {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** One JSON request to `base`; the answer's status and parsed body. */
async function call(base: string, method: string, path: string, init: { body?: unknown; auth?: string } = {}): Promise<Call> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.auth) headers.authorization = init.auth;
  const res = await fetch(`${base}${path}`, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('openapi/khe.yaml in Prism', () => {
  it('loads in `prism mock`, which serves the /v1.0 paths at its root', async () => {
    const prism = await startPrism({ mode: 'mock', spec: 'openapi/khe.yaml' });
    try {
      const signedIn = await call(prism.url, 'POST', '/v1.0/users/token', { body: HACKER });
      expect(signedIn.status).toBe(201);
      expect(signedIn.body).toMatchObject({ role: 'attendee', key: expect.any(String), token: expect.any(String) });
      await prism.quiet();
      expect(prism.output()).not.toMatch(/\berror\b/i);
      // Without credentials Prism answers the documented 401 (and logs the request's violation).
      const noAuth = await call(prism.url, 'DELETE', '/v1.0/users/token', { body: { client: 'khe-web' } });
      expect(noAuth).toEqual({ status: 401, body: { errors: ['You must be logged in to access this area'] } });
    } finally {
      await prism.close();
    }
  });

  describe('a flow through `prism proxy --errors` in front of our server', () => {
    const proxied = proxiedByPrism('khe');

    it('signs up, signs in, changes the e-mail, refreshes and signs out with no violation reported', async () => {
      const go = (method: string, path: string, init?: { body?: unknown; auth?: string }) => call(proxied.prism.url, method, path, init);
      const newbie = { client: 'khe-web', email: 'newbie@khe.io', password: 'first-hack' };

      const up = await go('POST', '/v1.0/users', { body: newbie });
      expect(up.status).toBe(201);
      expect((await go('POST', '/v1.0/users', { body: newbie })).status).toBe(409);

      const signedIn = await go('POST', '/v1.0/users/token', { body: { ...newbie, client: 'khe-ios' } });
      expect(signedIn.status).toBe(201);
      const s = signedIn.body as { key: string; token: string; refresh: string };
      expect(s.key).toBe(up.body!.key);

      const changed = await go('PATCH', '/v1.0/users', { body: { email: 'renamed@khe.io' }, auth: basic(s.key, s.token) });
      expect(changed).toEqual({ status: 200, body: { _id: s.key, email: 'renamed@khe.io' } });
      expect((await go('POST', '/v1.0/users/token', { body: newbie })).status).toBe(400);

      const refreshed = await go('POST', '/v1.0/users/token/refresh', { body: { client: 'khe-ios', key: s.key, refresh: s.refresh } });
      expect(refreshed.status).toBe(200);
      const r = refreshed.body as { token: string; refresh: string };
      expect((await go('POST', '/v1.0/users/token/refresh', { body: { client: 'khe-ios', key: s.key, refresh: s.refresh } })).status).toBe(400);
      expect((await go('PATCH', '/v1.0/users', { body: {}, auth: basic(s.key, s.token) })).status).toBe(401);

      expect((await go('DELETE', '/v1.0/users/token', { body: { client: 'khe-ios' }, auth: basic(s.key, r.token) })).status).toBe(200);
      expect((await go('DELETE', '/v1.0/users/token', { body: { client: 'khe-ios' }, auth: basic(s.key, r.token) })).status).toBe(401);
      expect((await go('POST', '/v1.0/users/token', { body: { ...HACKER, password: 'wrong-one' } })).status).toBe(400);
      expect((await go('POST', '/v1.0/users/token', { body: { ...HACKER, client: 'nope' } })).status).toBe(400);

      await proxied.prism.quiet();
      expect(proxied.prism.violations()).toEqual([]);
    });
  });
});
