import { proxiedByPrism, startPrism } from '../helpers/prism';
import { ALICE, LOGOUT, SESSION, SESSION_INFO } from '../helpers/fib';

jest.setTimeout(60_000);

interface Result {
  status: number;
  body: { status: { code: number; name: string }; data: Record<string, string> } | undefined;
}

async function call(url: string, init: { method?: string; body?: unknown; auth?: string } = {}): Promise<Result> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.auth) headers.authorization = init.auth;
  const res = await fetch(url, {
    method: init.method ?? 'POST',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Result['body']) : undefined };
}

describe('openapi/fib.yaml in Prism', () => {
  it('loads in `prism mock` and serves the documented example envelope', async () => {
    const prism = await startPrism({ mode: 'mock', spec: 'openapi/fib.yaml' });
    try {
      const res = await call(`${prism.url}${SESSION}`, { body: ALICE });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: { code: 200, name: 'OK' }, data: { expirationTime: 300 } });
      expect((await call(`${prism.url}${SESSION}`, { method: 'PATCH', auth: 'Bearer x' })).status).toBe(200);
      expect((await call(`${prism.url}${LOGOUT}`, { auth: 'Bearer x' })).body).toMatchObject({ data: {} });
      await prism.quiet();
      expect(prism.output()).not.toMatch(/error/i);
      // Prism holds the refresh to its security scheme (the token in Authorization).
      expect((await call(`${prism.url}${SESSION}`, { method: 'PATCH' })).status).toBe(401);
    } finally {
      await prism.close();
    }
  });

  describe('a flow through `prism proxy --errors` in front of our server', () => {
    const proxied = proxiedByPrism('fib');

    it('signs in, uses, refreshes and logs out, and refusals too, with no violation reported', async () => {
      const url = (path: string) => `${proxied.prism.url}${path}`;
      const signedIn = await call(url(SESSION), { body: ALICE });
      expect(signedIn.status).toBe(200);
      const { accessToken, refreshToken } = signedIn.body!.data as { accessToken: string; refreshToken: string };
      expect((await call(url(SESSION_INFO), { method: 'GET', auth: `Bearer ${accessToken}` })).status).toBe(200);
      const refreshed = await call(url(SESSION), { method: 'PATCH', auth: `Bearer ${refreshToken}` });
      expect(refreshed.status).toBe(200);
      expect((await call(url(SESSION), { method: 'PATCH', auth: `Bearer ${refreshToken}` })).status).toBe(401);
      const next = refreshed.body!.data as { accessToken: string };
      expect((await call(url(LOGOUT), { auth: `Bearer ${next.accessToken}` })).body).toEqual({
        status: { code: 200, name: 'OK', message: 'User logout has been successful.' },
        data: {},
      });
      expect((await call(url(LOGOUT), { auth: `Bearer ${next.accessToken}` })).status).toBe(401);
      expect((await call(url(SESSION), { body: { ...ALICE, email: 'nobody@wonderland.space' } })).status).toBe(404);
      expect((await call(url(SESSION), { body: { ...ALICE, signature: 'ab' } })).status).toBe(422);
      await proxied.prism.quiet();
      expect(proxied.prism.violations()).toEqual([]);
    });
  });
});
