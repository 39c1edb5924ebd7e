/**
 * fib over real sockets with clients other than supertest: Node's fetch (undici) for the whole flow
 * and for a burst of concurrent sign-ins, a `ws` client showing that FIB has no WebSocket endpoint
 * (the upgrade is refused, nothing hangs), and random bodies that must never produce a 500.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { startTestServer, type TestServer, resetSession } from '../helpers/server';
import { ALICE, BOB, LOGOUT, SESSION, SESSION_INFO } from '../helpers/fib';

let server: TestServer;
let base: string;
beforeAll(async () => {
  server = await startTestServer({ apis: ['fib'] });
  base = `${server.url}/fib`;
});
afterAll(() => server.close());
beforeEach(() => resetSession(server));

interface Envelope {
  status: { code: number; name: string; message: string };
  data: Record<string, unknown>;
}

async function call(path: string, init: { method?: string; body?: unknown; auth?: string; raw?: string; type?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = init.type ?? 'application/json';
  if (init.auth) headers.authorization = init.auth;
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'POST',
    headers,
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Envelope };
}

describe('fib over fetch', () => {
  it('signs in, uses the token, refreshes and logs out', async () => {
    const signedIn = await call(SESSION, { body: ALICE });
    expect(signedIn.status).toBe(200);
    expect(signedIn.type).toMatch(/^application\/json/);
    const { accessToken, refreshToken } = signedIn.body.data as { accessToken: string; refreshToken: string };

    expect((await call(SESSION_INFO, { method: 'GET', auth: `Bearer ${accessToken}` })).body.data.email).toBe(ALICE.email);

    const refreshed = await call(SESSION, { method: 'PATCH', auth: `Bearer ${refreshToken}` });
    expect(refreshed.status).toBe(200);
    const next = refreshed.body.data as { accessToken: string; refreshToken: string };

    const out = await call(LOGOUT, { auth: `Bearer ${next.accessToken}` });
    expect(out).toMatchObject({ status: 200, body: { status: { code: 200, name: 'OK' }, data: {} } });
    expect((await call(SESSION, { method: 'PATCH', auth: next.refreshToken })).status).toBe(401);
  });

  it('serves 50 concurrent sign-ins of two users, each with its own tokens', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => call(SESSION, { body: i % 2 ? ALICE : BOB })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => r.body.data.accessToken)).size).toBe(50);
  });
});

describe('fib and WebSocket', () => {
  it('refuses a WebSocket upgrade on a fib path with an HTTP error, and keeps serving HTTP', async () => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}${SESSION}`);
    const outcome = await new Promise<string>((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('unexpected-response', (_req, res) => {
        resolve(`http ${res.statusCode}`);
        ws.terminate();
      });
      ws.once('error', (err) => resolve(`error ${err.message}`));
    });
    expect(outcome).not.toBe('open');
    expect(outcome).toMatch(/40\d/);
    expect((await call(SESSION, { body: ALICE })).status).toBe(200);
  });
});

describe('fib never answers 500', () => {
  const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 60, maxLength: 130 });
  const field = fc.oneof(fc.string(), hex, fc.integer(), fc.constant(null), fc.boolean());
  const body = fc.oneof(
    fc.record({ email: field, signature: field, authPublicKeyHex: field }, { requiredKeys: [] }),
    fc.record({ email: fc.constantFrom(ALICE.email, BOB.email, 'ALICE@wonderland.space'), signature: field, authPublicKeyHex: field }),
    fc.jsonValue(),
  );

  it('answers every random sign-in body with a documented status and the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const res = await call(SESSION, { raw: JSON.stringify(value) });
        expect([200, 400, 404, 422]).toContain(res.status);
        expect(res.body.status.code).toBe(res.status);
      }),
      { numRuns: 150 },
    );
  });

  it('answers random Authorization values on refresh and logout with 401', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }).filter((s) => /^[\x21-\x7e][\x20-\x7e]*$/.test(s)), async (value) => {
        for (const [path, method] of [
          [SESSION, 'PATCH'],
          [LOGOUT, 'POST'],
        ] as const) {
          const res = await call(path, { method, auth: value });
          expect(res.status).toBe(401);
          expect(res.body.status.name).toBe('UNAUTHORIZED');
        }
      }),
      { numRuns: 100 },
    );
  });
});
