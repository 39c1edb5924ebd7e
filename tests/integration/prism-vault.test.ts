import { prismBeforeBrokenUpstream, proxiedByPrism, startPrism } from '../helpers/prism';

jest.setTimeout(60_000);

const CLIENT = 'haequi3Aah8lie2r';
const SIGN_IN = { grant_type: 'password', username: 'user@example.com', password: 'A9#bL8@z', client_id: CLIENT };

interface Call {
  body?: Record<string, string>;
  form?: boolean;
  token?: string;
  method?: string;
}

/** Calls `base + path`; returns the status and the parsed JSON body (undefined when empty). */
async function call(base: string, path: string, init: Call = {}) {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (init.body !== undefined) {
    headers['content-type'] = init.form ? 'application/x-www-form-urlencoded' : 'application/json';
    body = init.form ? new URLSearchParams(init.body).toString() : JSON.stringify(init.body);
  }
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(`${base}${path}`, { method: init.method ?? 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, string>) : undefined };
}

describe('openapi/vault.yaml in Prism', () => {
  it('loads in `prism mock` and serves the documented examples', async () => {
    const prism = await startPrism({ mode: 'mock', spec: 'openapi/vault.yaml' });
    try {
      const res = await call(prism.url, '/reg/auth/token', { body: SIGN_IN });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 86400, user_id: 'usr:74177c2d-11b5-4536-af4e-485dfd078cc1' });
      const form = await call(prism.url, '/reg/auth/token', { body: SIGN_IN, form: true });
      expect(form.status).toBe(200);
      expect(prism.output()).not.toMatch(/error/i);
    } finally {
      await prism.close();
    }
  });

  it('reports a violation when the upstream breaks the spec (so the check below can fail)', async () => {
    // The generic OAuth error body, which is not Vault's.
    const prism = await prismBeforeBrokenUpstream('openapi/vault.yaml', 401, '{"error":"invalid_grant"}');
    try {
      const res = await call(prism.url, '/reg/auth/token', { body: SIGN_IN });
      expect(res.status).toBe(500);
      await prism.quiet();
      expect(prism.violations().length).toBeGreaterThan(0);
    } finally {
      await prism.close();
    }
  });

  describe('a flow through `prism proxy --errors` in front of our server', () => {
    const proxied = proxiedByPrism('vault');

    it('signs in (JSON and form), uses, refreshes and logs out with no violation reported', async () => {
      const signedIn = await call(proxied.prism.url, '/reg/auth/token', { body: SIGN_IN });
      expect(signedIn.status).toBe(200);
      const viaForm = await call(proxied.prism.url, '/reg/auth/token', { body: SIGN_IN, form: true });
      expect(viaForm.status).toBe(200);

      const me = await call(proxied.prism.url, '/reg/user/session/current', { method: 'GET', token: signedIn.body!.access_token });
      expect(me.status).toBe(200);
      const refreshed = await call(proxied.prism.url, '/reg/auth/token', { body: { grant_type: 'refresh_token', refresh_token: signedIn.body!.refresh_token! } });
      expect(refreshed.status).toBe(200);
      const reused = await call(proxied.prism.url, '/reg/auth/token', { body: { grant_type: 'refresh_token', refresh_token: signedIn.body!.refresh_token! } });
      expect(reused.status).toBe(401);

      const out = await call(proxied.prism.url, '/reg/user/session/logout/current', { method: 'DELETE', token: refreshed.body!.access_token });
      expect(out.status).toBe(204);
      const again = await call(proxied.prism.url, '/reg/user/session/logout/current', { method: 'DELETE', token: refreshed.body!.access_token });
      expect(again.status).toBe(401);
      expect((await call(proxied.prism.url, '/reg/user/session/current', { method: 'GET', token: refreshed.body!.access_token })).status).toBe(401);

      const wrong = await call(proxied.prism.url, '/reg/auth/token', { body: { ...SIGN_IN, password: 'wrong' } });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toMatchObject({ status: 'UNAUTHORIZED', message: 'Invalid username or password' });
      const unknownClient = await call(proxied.prism.url, '/reg/auth/token', { body: { ...SIGN_IN, client_id: 'nope' }, form: true });
      expect(unknownClient.status).toBe(401);

      await proxied.prism.quiet();
      expect(proxied.prism.violations()).toEqual([]);
    });
  });
});
