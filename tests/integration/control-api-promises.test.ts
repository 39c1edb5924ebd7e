/**
 * Each promise of the README's control-API table, as a test a user would write. Every test works in
 * a state session of its own (X-Authdouble-Session), so none depends on what ran before it.
 */
import { randomUUID } from 'node:crypto';
import { useTestServer } from '../helpers/server';
import { FOO, TWOFA } from '../helpers/b2core';

const server = useTestServer({}, { reset: false });

interface Answer {
  status: number;
  body: any;
}

/** A client acting in one state session (a fresh one unless named). */
function client(session = `promises-${randomUUID()}`) {
  const send = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${server.url}${url}`, {
      method,
      headers: { 'x-authdouble-session': session, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    session,
    api: (id: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => send(method, `/${id}${path}`, body, headers),
    ctl: (method: string, path: string, body?: unknown) => send(method, `/__admin${path}`, body),
  };
}
type Client = ReturnType<typeof client>;

const VAULT_USER = { grant_type: 'password', username: 'user@example.com', password: 'A9#bL8@z', client_id: 'haequi3Aah8lie2r' };

/** Something a test leaves in a session, and how to see whether it is still there. */
interface Kept {
  what: string;
  /** The API whose `?api=` reset must clear it (for the journal, faults and clock: none). */
  api: string;
  setUp(c: Client): Promise<unknown>;
  present(c: Client, made: unknown): Promise<boolean>;
}

const kept: Kept[] = [
  {
    what: 'tokens',
    api: 'b2core',
    async setUp(c) {
      const res = await c.api('b2core', 'POST', '/api/v2/signin', FOO);
      expect(res.status).toBe(200);
      return res.body.accessToken.token as string;
    },
    present: async (c, token) => (await c.api('b2core', 'GET', '/api/v2/session', undefined, { authorization: `Bearer ${token as string}` })).status === 200,
  },
  {
    what: 'sign-ups',
    api: 'khe',
    async setUp(c) {
      const email = `new-${randomUUID().slice(0, 8)}@khe.io`;
      expect((await c.api('khe', 'POST', '/v1.0/users', { client: 'khe-web', email, password: 'first-hack' })).status).toBe(201);
      return email;
    },
    present: async (c, email) => (await c.api('khe', 'POST', '/v1.0/users/token', { client: 'khe-web', email, password: 'first-hack' })).status === 201,
  },
  {
    what: 'rate-limit counters',
    api: 'b2core',
    async setUp(c) {
      for (let i = 0; i < 5; i++) expect((await c.api('b2core', 'POST', '/api/v2/signin', { ...FOO, password: 'wrong' })).status).toBe(401);
    },
    present: async (c) => (await c.api('b2core', 'POST', '/api/v2/signin', FOO)).status === 429,
  },
  {
    what: 'the outbox',
    api: 'b2core',
    async setUp(c) {
      expect((await c.api('b2core', 'POST', '/api/v2/signin', TWOFA)).body['2faRequired']).toBe(true);
    },
    present: async (c) => (await c.ctl('GET', '/outbox?api=b2core&to=twofa@bar.com')).body.messages.length > 0,
  },
  {
    what: 'the journal',
    api: '',
    async setUp(c) {
      await c.api('vault', 'POST', '/reg/auth/token', VAULT_USER);
    },
    present: async (c) => (await c.ctl('GET', '/requests?api=vault')).body.requests.length > 0,
  },
  {
    what: 'the faults',
    api: '',
    async setUp(c) {
      expect((await c.ctl('POST', '/faults', { api: 'b2core', operationId: 'confirmTwoFactor', status: 503 })).status).toBe(201);
    },
    present: async (c) => (await c.ctl('GET', '/faults')).body.faults.length > 0,
  },
  {
    what: 'the clock',
    api: '',
    async setUp(c) {
      expect((await c.ctl('POST', '/clock', { advance: 'PT3H' })).status).toBe(200);
    },
    present: async (c) => (await c.ctl('GET', '/clock')).body.virtual === true,
  },
];

describe('POST /__admin/reset', () => {
  it.each(kept.map((k) => [k.what, k] as const))('without ?api= clears %s', async (_what, k) => {
    const c = client();
    const made = await k.setUp(c);
    expect(await k.present(c, made)).toBe(true);
    expect((await c.ctl('POST', '/reset')).status).toBe(200);
    expect(await k.present(c, made)).toBe(false);
  });

  const perApi = kept.filter((k) => k.api !== '');
  const sessionWide = kept.filter((k) => k.api === '');

  it.each(perApi.map((k) => [k.what, k.api, k] as const))('with ?api= clears %s of that API (%s), and another API\'s reset leaves them', async (_what, api, k) => {
    const c = client();
    const made = await k.setUp(c);
    const other = api === 'khe' ? 'vault' : 'khe';
    expect((await c.ctl('POST', `/reset?api=${other}`)).body).toEqual({ reset: [other], session: c.session });
    expect(await k.present(c, made)).toBe(true);
    expect((await c.ctl('POST', `/reset?api=${api}`)).body).toEqual({ reset: [api], session: c.session });
    expect(await k.present(c, made)).toBe(false);
  });

  it.each(sessionWide.map((k) => [k.what, k] as const))('with ?api= keeps %s (only a full reset clears it)', async (_what, k) => {
    const c = client();
    const made = await k.setUp(c);
    for (const api of ['b2core', 'vault', 'khe']) expect((await c.ctl('POST', `/reset?api=${api}`)).status).toBe(200);
    expect(await k.present(c, made)).toBe(true);
  });

  it.each(kept.map((k) => [k.what, k] as const))('clears %s only in the session it is sent in', async (_what, k) => {
    const [a, b] = [client(), client()];
    const made = await k.setUp(a);
    await k.setUp(b);
    expect((await b.ctl('POST', '/reset')).status).toBe(200);
    expect(await k.present(a, made)).toBe(true);
  });
});

describe('X-Authdouble-Session isolates the journal, outbox, faults and clock', () => {
  it.each(kept.map((k) => [k.what, k] as const))('%s: what one session has, another and the default session do not see', async (_what, k) => {
    const [a, b] = [client(), client()];
    const made = await k.setUp(a);
    expect(await k.present(a, made)).toBe(true);
    expect(await k.present(b, made)).toBe(false);
    expect(await k.present(client('default'), made)).toBe(false);
  });

  it('records each request in the journal under the session it was sent in', async () => {
    const [a, b] = [client(), client()];
    expect((await a.api('b2core', 'POST', '/api/v2/signin', FOO)).status).toBe(200);
    expect((await b.api('b2core', 'POST', '/api/v2/signin', { ...FOO, password: 'wrong' })).status).toBe(401);
    const seenByA = (await a.ctl('GET', '/requests')).body.requests;
    expect(seenByA).toEqual([expect.objectContaining({ api: 'b2core', operationId: 'signIn', status: 200, session: a.session })]);
    const seenByB = (await b.ctl('GET', '/requests')).body.requests;
    expect(seenByB).toEqual([expect.objectContaining({ api: 'b2core', operationId: 'signIn', status: 401, session: b.session })]);
    const seenByDefault = (await client('default').ctl('GET', `/requests?path=/api/v2/signin`)).body.requests as { session: string }[];
    expect(seenByDefault.filter((r) => r.session !== 'default')).toEqual([]);
  });

  it('applies a fault only in its session', async () => {
    const [a, b] = [client(), client()];
    expect((await a.ctl('POST', '/faults', { api: 'b2core', operationId: 'signIn', status: 503, times: 1 })).status).toBe(201);
    expect((await b.api('b2core', 'POST', '/api/v2/signin', FOO)).status).toBe(200);
    expect((await a.api('b2core', 'POST', '/api/v2/signin', FOO)).status).toBe(503);
  });

  it('moves the clock only in its session: a token expires there and lives on elsewhere', async () => {
    const [a, b] = [client(), client()];
    const tokenA = (await a.api('b2core', 'POST', '/api/v2/signin', FOO)).body.accessToken.token as string;
    const tokenB = (await b.api('b2core', 'POST', '/api/v2/signin', FOO)).body.accessToken.token as string;
    expect((await a.ctl('POST', '/clock', { advance: 'PT10H1S' })).status).toBe(200);
    expect((await a.api('b2core', 'GET', '/api/v2/session', undefined, { authorization: `Bearer ${tokenA}` })).body.code).toBe('token_expired');
    expect((await b.api('b2core', 'GET', '/api/v2/session', undefined, { authorization: `Bearer ${tokenB}` })).status).toBe(200);
  });
});
