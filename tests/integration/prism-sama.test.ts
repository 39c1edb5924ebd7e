import { proxiedByPrism, startPrism } from '../helpers/prism';
import { U1 } from '../helpers/sama';

jest.setTimeout(60_000);

describe('openapi/sama.yaml in Prism', () => {
  it('loads in `prism mock` and serves the documented example', async () => {
    const prism = await startPrism({ mode: 'mock', spec: 'openapi/sama.yaml' });
    try {
      const res = await fetch(`${prism.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(U1),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, any>;
      expect(body.user._id).toBe('63480e68f4794709f802a2fa');
      expect(typeof body.expired_at).toBe('number');
      await prism.quiet();
      expect(prism.output()).not.toMatch(/\berror\b/i);
      // Prism holds requests to the spec too: without device_id, it answers the documented 422.
      const bad = await fetch(`${prism.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(bad.status).toBe(422);
      await prism.quiet();
      expect(prism.violations().join('\n')).toMatch(/must have required property 'device_id'/);
    } finally {
      await prism.close();
    }
  });

  describe('a flow through `prism proxy --errors` in front of our server', () => {
    const proxied = proxiedByPrism('sama');

    const call = async (path: string, init: { body?: unknown; token?: string; cookie?: string } = {}) => {
      const headers: Record<string, string> = {};
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      if (init.cookie) headers.cookie = `refresh_token=${init.cookie}`;
      const res = await fetch(`${proxied.prism.url}${path}`, {
        method: 'POST',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      const isJson = (res.headers.get('content-type') ?? '').startsWith('application/json');
      const refresh = /^refresh_token=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
      return { status: res.status, body: isJson ? (JSON.parse(text) as Record<string, any>) : text, refresh };
    };

    it('logs in three ways, fails the documented ways and logs out, with no violation reported', async () => {
      const byPassword = await call('/login', { body: U1 });
      expect(byPassword.status).toBe(200);
      expect(byPassword.refresh).toBeTruthy();
      const byToken = await call('/login', { body: { device_id: U1.device_id }, token: (byPassword.body as any).access_token });
      expect(byToken.status).toBe(200);
      const byCookie = await call('/login', { body: { device_id: U1.device_id }, cookie: byToken.refresh });
      expect(byCookie.status).toBe(200);

      expect(await call('/login', { body: { ...U1, password: 'wrong' } })).toMatchObject({ status: 401, body: 'Incorrect username or password.' });
      expect(await call('/login', { body: { device_id: U1.device_id } })).toMatchObject({ status: 401, body: 'Missing authentication credentials.' });
      // As the real server, a used refresh cookie still works (a login never revokes older tokens).
      expect(await call('/login', { body: { device_id: U1.device_id }, cookie: byToken.refresh })).toMatchObject({ status: 200 });
      expect(await call('/login', { body: { device_id: 'another-device' }, cookie: byToken.refresh })).toMatchObject({ status: 422, body: 'The token has expired.' });
      expect(await call('/logout', { token: (byCookie.body as any).access_token })).toMatchObject({ status: 422, body: 'Incorrect token.' });

      const out = await call('/logout', { token: (byCookie.body as any).access_token, cookie: byCookie.refresh });
      expect(out).toMatchObject({ status: 200, body: { success: true }, refresh: '' });
      expect(await call('/logout', { token: (byCookie.body as any).access_token, cookie: byCookie.refresh })).toMatchObject({ status: 401 });
      await proxied.prism.quiet();
      expect(proxied.prism.violations()).toEqual([]);
    });
  });
});
