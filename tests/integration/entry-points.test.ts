import { gzipSync } from 'node:zlib';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createApp } from '../../src/app';
import { startServer, type RunningServer } from '../../src/server';

/**
 * The standalone server hands node's request straight to the handler; createApp().app is the same
 * handler inside Express, for those who mount the mock in their own app. The same exchanges on both
 * must give the same answers: status, headers and body. (`npm test` also runs every integration
 * suite through each entry point.)
 */

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP exchange, so that nothing in a client library evens out a difference. */
function exchange(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** What may differ between two servers: the date, and values made fresh per answer. */
function comparable(answer: Answer): Answer {
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...headers } = answer.headers;
  const body = answer.body
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '<jwt>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, '<time>')
    .replace(/"durationMs":[\d.]+/g, '"durationMs":<n>')
    .replace(/"traceId":"[0-9a-f]+"/g, '"traceId":<id>')
    .replace(/127\.0\.0\.1:\d+/g, '<host>');
  const { 'content-length': _length, ...rest } = headers;
  return { status: answer.status, headers: rest, body };
}

const JSON_TYPE = { 'content-type': 'application/json' };
const ORIGIN = { origin: 'http://localhost:5173' };
const SIGNIN = JSON.stringify({ email: 'foo@bar.com', password: 'Secret123' });

/** Exchanges covering routing, CORS, bodies (limits, encodings), validation, faults and the journal. */
const CASES: Array<[string, string, string, Record<string, string>?, (Buffer | string)?]> = [
  ['sign-in', 'POST', '/b2core/api/v2/signin', { ...JSON_TYPE, ...ORIGIN }, SIGNIN],
  ['sign-in, gzip body', 'POST', '/b2core/api/v2/signin', { ...JSON_TYPE, 'content-encoding': 'gzip' }, gzipSync(SIGNIN)],
  ['sign-in, unknown content encoding', 'POST', '/b2core/api/v2/signin', { ...JSON_TYPE, 'content-encoding': 'zip' }, SIGNIN],
  ['sign-in, broken JSON', 'POST', '/b2core/api/v2/signin', JSON_TYPE, '{"email":'],
  ['sign-in, body over the limit', 'POST', '/b2core/api/v2/signin', JSON_TYPE, JSON.stringify({ email: 'x'.repeat(200 * 1024) })],
  ['sign-in, wrong media type', 'POST', '/b2core/api/v2/signin', { 'content-type': 'text/plain' }, SIGNIN],
  ['sign-in, no body', 'POST', '/b2core/api/v2/signin', JSON_TYPE],
  ['session without a token', 'GET', '/b2core/api/v2/session', ORIGIN],
  ['wrong method', 'DELETE', '/b2core/api/v2/signin'],
  ['no such operation', 'GET', '/b2core/api/v2/nothing?x=1'],
  ['no such API', 'GET', '/nowhere/at/all'],
  ['preflight', 'OPTIONS', '/b2core/api/v2/signin', { ...ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }],
  ['injected fault', 'POST', '/b2core/api/v2/signin', { ...JSON_TYPE, 'x-authdouble-fault': 'status=503' }, SIGNIN],
  ['bad fault header', 'POST', '/b2core/api/v2/signin', { ...JSON_TYPE, 'x-authdouble-fault': 'sometimes' }, SIGNIN],
  ['vault form grant', 'POST', '/vault/reg/auth/token', { 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=password&username=user%40example.com&password=wrong&client_id=haequi3Aah8lie2r'],
  ['khe users with a query', 'GET', '/khe/v1.0/users?limit=2&limit=3'],
  ['control API journal', 'GET', '/__admin/requests?api=b2core', ORIGIN],
  ['control API bad body', 'POST', '/__admin/clock', JSON_TYPE, '{"advance":'],
];

describe('node:http and Express entry points', () => {
  const servers: RunningServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  it('answer every exchange alike, in order, journal included', async () => {
    const options = { port: 0, host: '127.0.0.1', strict: true, logLevel: 'silent' as const };
    const node = await startServer(options);
    const viaExpress = await startServer(options, { viaExpress: true });
    servers.push(node, viaExpress);
    const statuses: Record<string, number> = {};
    for (const [name, method, path, headers, body] of CASES) {
      const a = comparable(await exchange(node.url, method, path, headers, body));
      const b = comparable(await exchange(viaExpress.url, method, path, headers, body));
      expect({ name, ...b }).toEqual({ name, ...a });
      statuses[name] = a.status;
    }
    // And the answers are the ones each case is about.
    expect(statuses).toMatchObject({
      'sign-in': 200,
      'sign-in, gzip body': 200,
      'sign-in, unknown content encoding': 415,
      'sign-in, broken JSON': 400,
      'sign-in, body over the limit': 413,
      'sign-in, wrong media type': 415,
      'wrong method': 405,
      'no such operation': 404,
      'no such API': 404,
      preflight: 204,
      'injected fault': 503,
      'control API journal': 200,
    });
  });

  it('createApp().app mounts under a path of the host app, with the same answers', async () => {
    const mock = await createApp({ strict: true, logLevel: 'silent' });
    const host = express();
    host.get('/health', (_req, res) => res.json({ ok: true }));
    host.use('/mock', mock.app);
    const server = host.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const signIn = await exchange(base, 'POST', '/mock/b2core/api/v2/signin', JSON_TYPE, SIGNIN);
      expect(signIn.status).toBe(200);
      const token = JSON.parse(signIn.body).accessToken.token as string;
      const session = await exchange(base, 'GET', '/mock/b2core/api/v2/session', { authorization: `Bearer ${token}` });
      expect(session.status).toBe(200);
      expect(JSON.parse(session.body).email).toBe('foo@bar.com');
      expect((await exchange(base, 'GET', '/health')).body).toBe('{"ok":true}');
      const missing = await exchange(base, 'GET', '/mock/nowhere');
      expect(missing.status).toBe(404);
      expect(missing.headers['content-type']).toContain('application/problem+json');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
