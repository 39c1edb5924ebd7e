import { prismBeforeBrokenUpstream, proxiedByPrism, startPrism } from '../helpers/prism';
import { FOO } from '../helpers/b2core';

jest.setTimeout(60_000);

describe('openapi/b2core.yaml in Prism', () => {
  it('loads in `prism mock` and serves a documented example', async () => {
    const prism = await startPrism({ mode: 'mock', spec: 'openapi/b2core.yaml' });
    try {
      const res = await fetch(`${prism.url}/api/v2/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(FOO),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(typeof body['2faRequired']).toBe('boolean');
      expect(prism.output()).not.toMatch(/error/i);
    } finally {
      await prism.close();
    }
  });

  it('reports a violation when the upstream breaks the spec (so the check below can fail)', async () => {
    const prism = await prismBeforeBrokenUpstream('openapi/b2core.yaml', 200, '{"unexpected":true}');
    try {
      const res = await fetch(`${prism.url}/api/v2/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(FOO),
      });
      expect(res.status).toBe(500);
      await prism.quiet();
      expect(prism.violations().length).toBeGreaterThan(0);
    } finally {
      await prism.close();
    }
  });

  describe('a flow through `prism proxy --errors` in front of our server', () => {
    const proxied = proxiedByPrism('b2core');

    const call = async (path: string, init: { body?: unknown; token?: string; method?: string } = {}) => {
      const headers: Record<string, string> = {};
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      const res = await fetch(`${proxied.prism.url}${path}`, {
        method: init.method ?? 'POST',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
    };

    it('signs in, refreshes, uses and signs out with no violation reported', async () => {
      const signedIn = await call('/api/v2/signin', { body: FOO });
      expect(signedIn.status).toBe(200);
      const refreshed = await call('/api/v2/refresh', { body: { refreshToken: signedIn.body!.refreshToken.token } });
      expect(refreshed.status).toBe(200);
      const session = await call('/api/v2/session', { method: 'GET', token: refreshed.body!.accessToken.token });
      expect(session.status).toBe(200);
      const reused = await call('/api/v2/refresh', { body: { refreshToken: signedIn.body!.refreshToken.token } });
      expect(reused.status).toBe(401);
      expect((await call('/api/v2/signout', { token: refreshed.body!.accessToken.token })).status).toBe(200);
      expect((await call('/api/v2/signout', { token: refreshed.body!.accessToken.token })).status).toBe(401);
      const wrong = await call('/api/v2/signin', { body: { ...FOO, password: 'wrong' } });
      expect(wrong.status).toBe(401);
      await proxied.prism.quiet();
      expect(proxied.prism.violations()).toEqual([]);
    });
  });
});
