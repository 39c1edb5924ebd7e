import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import WebSocket from 'ws';
import { exposedHeaders } from '../../src/engine/cors';
import { StartupError } from '../../src/errors';
import { defaultSpecDir } from '../../src/paths';
import { createLogger } from '../../src/logger';
import { startTestServer, type TestServer } from '../helpers/server';
import { FOO } from '../helpers/b2core';

const PAGE = 'http://127.0.0.1:5173';

/** A browser's preflight for `method` on `url` from `origin`. */
function preflight(url: string, path: string, method: string, origin = PAGE, headers = 'content-type, authorization, x-authdouble-session') {
  return request(url).options(path).set('Origin', origin).set('Access-Control-Request-Method', method).set('Access-Control-Request-Headers', headers);
}

function expectCors(res: request.Response, origin = PAGE): void {
  expect(res.headers['access-control-allow-origin']).toBe(origin);
  expect(res.headers['access-control-allow-credentials']).toBe('true');
  expect(res.headers.vary).toMatch(/Origin/);
}

describe('CORS, open by default', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  beforeEach(() => request(server.url).post('/__admin/reset').expect(200));

  it('answers a preflight with 204, the origin, credentials, the methods of the path, the requested headers and a max age', async () => {
    const res = await preflight(server.url, '/b2core/api/v2/signin', 'POST').expect(204);
    expectCors(res);
    expect(res.headers['access-control-allow-methods']).toBe('POST');
    const allowed = res.headers['access-control-allow-headers']!.toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-authdouble-session', 'x-authdouble-fault']));
    expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(res.text).toBe('');
  });

  it('lists every method a path accepts, and the control API answers preflights too', async () => {
    const users = await preflight(server.url, '/khe/v1.0/users', 'PATCH').expect(204);
    expect(users.headers['access-control-allow-methods']!.split(/,\s*/).sort()).toEqual(['PATCH', 'POST']);
    const clock = await preflight(server.url, '/__admin/clock', 'GET').expect(204);
    expectCors(clock);
    expect(clock.headers['access-control-allow-methods']!.split(/,\s*/).sort()).toEqual(['DELETE', 'GET', 'POST']);
  });

  it('allows a header the page asks for beyond the usual ones', async () => {
    const res = await preflight(server.url, '/vault/reg/auth/token', 'POST', PAGE, 'x-request-id').expect(204);
    expect(res.headers['access-control-allow-headers']!.toLowerCase()).toContain('x-request-id');
  });

  it('puts CORS headers on successes, API errors, 404s, the control API and injected faults, exposing the headers a page needs', async () => {
    const ok = await request(server.url).post('/b2core/api/v2/signin').set('Origin', PAGE).send(FOO).expect(200);
    expectCors(ok);
    const exposed = ok.headers['access-control-expose-headers']!.toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['retry-after', 'x-authdouble-source', 'location']));
    expect(exposed).not.toContain('set-cookie');

    const bad = await request(server.url).post('/b2core/api/v2/signin').set('Origin', PAGE).send({ ...FOO, password: 'nope' }).expect(401);
    expectCors(bad);
    const notFound = await request(server.url).get('/nowhere').set('Origin', PAGE).expect(404);
    expectCors(notFound);
    expect(notFound.headers['content-type']).toMatch(/problem\+json/);
    const admin = await request(server.url).get('/__admin/clock').set('Origin', PAGE).expect(200);
    expectCors(admin);
    const fault = await request(server.url)
      .post('/b2core/api/v2/signin')
      .set('Origin', PAGE)
      .set('X-Authdouble-Fault', 'status=429')
      .send(FOO)
      .expect(429);
    expectCors(fault);
    expect(fault.headers['x-authdouble-source']).toBe('fault');
  });

  it('leaves a plain OPTIONS (no preflight headers) to the API, as before', async () => {
    const res = await request(server.url).options('/b2core/api/v2/signin').set('Origin', PAGE).expect(405);
    expect(res.headers.allow).toBe('POST');
    const noOrigin = await request(server.url).options('/b2core/api/v2/signin').set('Access-Control-Request-Method', 'POST').expect(405);
    expect(noOrigin.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS headers to a request without Origin', async () => {
    const res = await request(server.url).post('/b2core/api/v2/signin').send(FOO).expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('does not journal preflights, apply faults or count them against rate limits', async () => {
    await request(server.url).delete('/__admin/requests').expect(204);
    await request(server.url)
      .post('/__admin/faults')
      .send({ api: 'b2core', operationId: 'signIn', status: 503, times: 1 })
      .expect(201);
    // More preflights than the sign-in limit (5 a minute) allows attempts.
    for (let i = 0; i < 8; i++) await preflight(server.url, '/b2core/api/v2/signin', 'POST').expect(204);
    const journal = await request(server.url).get('/__admin/requests').expect(200);
    expect(journal.body.requests).toEqual([]);
    // The fault is still waiting for the first real call, and the rate limit has counted nothing.
    await request(server.url).post('/b2core/api/v2/signin').set('Origin', PAGE).send(FOO).expect(503);
    for (let i = 0; i < 4; i++) await request(server.url).post('/b2core/api/v2/signin').send(FOO).expect(200);
  });

  it('answers a preflight for a path nothing serves, so that the page can read the 404', async () => {
    const res = await preflight(server.url, '/b2core/nothing', 'POST').expect(204);
    expect(res.headers['access-control-allow-methods']).toBe('POST');
  });
});

describe('CORS restricted with corsOrigins', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ corsOrigins: [PAGE, 'http://localhost:5173/'] });
  });
  afterAll(() => server.close());

  it('answers the listed origins and gives others no CORS header', async () => {
    expectCors(await preflight(server.url, '/b2core/api/v2/signin', 'POST').expect(204));
    expectCors(await preflight(server.url, '/b2core/api/v2/signin', 'POST', 'http://localhost:5173').expect(204), 'http://localhost:5173');
    const other = await preflight(server.url, '/b2core/api/v2/signin', 'POST', 'http://evil.example').expect(204);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers['access-control-allow-methods']).toBeUndefined();
    const actual = await request(server.url).post('/b2core/api/v2/signin').set('Origin', 'http://evil.example').send(FOO).expect(200);
    expect(actual.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a WebSocket from an origin not listed, and accepts a listed one or a client without Origin', async () => {
    const wsUrl = `${server.url.replace('http', 'ws')}/sama`;
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { origin: 'http://evil.example' });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('opened')));
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(403);
    for (const options of [{ origin: PAGE }, {}]) {
      const ws = new WebSocket(wsUrl, options);
      await new Promise<void>((resolve, reject) => {
        ws.on('open', resolve);
        ws.on('error', reject);
      });
      ws.close();
    }
  });
});

describe('CORS off', () => {
  it('sends no CORS header and leaves preflights to the APIs (405)', async () => {
    const server = await startTestServer({ cors: false });
    try {
      const res = await preflight(server.url, '/b2core/api/v2/signin', 'POST').expect(405);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const actual = await request(server.url).post('/b2core/api/v2/signin').set('Origin', PAGE).send(FOO).expect(200);
      expect(actual.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('CORS settings', () => {
  it.each([
    [{ corsOrigins: ['localhost:5173'] }, /CORS origin "localhost:5173" is not an origin/],
    [{ corsOrigins: ['http://localhost:5173/app'] }, /is not an origin/],
    [{ cors: false, corsOrigins: [PAGE] }, /CORS origins were given with CORS turned off/],
  ])('refuses %j', async (options, message) => {
    const err = await startTestServer(options).then(
      (s) => s.close().then(() => new Error('started')),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('a page on another site', () => {
  it('warns once in the log, naming the host to use', async () => {
    const lines: string[] = [];
    const server = await startTestServer({ logLevel: 'warn' });
    server.logger.warn = createLogger('warn', (l) => lines.push(l)).warn;
    try {
      // The logger is read per request, so the capture above sees these.
      for (let i = 0; i < 3; i++) await request(server.url).get('/__admin/clock').set('Origin', 'http://localhost:5173').expect(200);
      await request(server.url).get('/__admin/clock').set('Origin', 'http://127.0.0.1:5173').expect(200);
      const port = new URL(server.url).port;
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('page on localhost, mock on 127.0.0.1');
      expect(lines[0]).toContain(`open the mock as http://localhost:${port}`);
    } finally {
      await server.close();
    }
  });
});

describe('exposed headers', () => {
  it('are the base ones plus the specs\' own, without safelisted or forbidden ones, once each', () => {
    expect(exposedHeaders(['X-Request-Id', 'Set-Cookie', 'Cache-Control', 'retry-after', 'bad header'])).toEqual([
      'Retry-After',
      'X-Authdouble-Source',
      'Location',
      'WWW-Authenticate',
      'Allow',
      'X-Request-Id',
    ]);
  });

  it('include a response header a served spec defines', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-cors-specs-'));
    try {
      cpSync(defaultSpecDir, dir, { recursive: true });
      const file = path.join(dir, 'b2core.yaml');
      const spec = readFileSync(file, 'utf8');
      const marker = "        '200':\n          description: Signed in, or 2FA required.\n";
      expect(spec).toContain(marker);
      writeFileSync(file, spec.replace(marker, `${marker}          headers:\n            X-Request-Id:\n              schema:\n                type: string\n`));
      const server = await startTestServer({ specDir: dir, apis: ['b2core'], strict: false });
      try {
        const res = await request(server.url).post('/b2core/api/v2/signin').set('Origin', PAGE).send(FOO).expect(200);
        expect(res.headers['access-control-expose-headers']!.split(/,\s*/)).toContain('X-Request-Id');
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
