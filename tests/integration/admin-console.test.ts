import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent } from 'undici';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { bearer, FOO, signIn, TWOFA } from '../helpers/b2core';
import { startTestServer, useTestServer, type TestServer } from '../helpers/server';

// The control-API calls the web console is built on (openapi/admin.yaml, tag `console`), over real HTTP.

const server = useTestServer({}, { reset: false });

const ctl = () => request(`${server.url}/__admin`);
const b2 = () => server.api('b2core');

beforeEach(async () => {
  await ctl().post('/reset').expect(200);
});

/** An open event stream: every event so far, and a way to wait for one. */
interface Stream {
  status: number;
  events: Array<{ type: string; data: unknown }>;
  next(type: string, where?: (data: any) => boolean): Promise<any>;
  close(): void;
}

function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined = undefined;
    const events: Stream['events'] = [];
    const waiters: Array<() => void> = [];
    req = httpRequest(`${url}/__admin/events`, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type && data) events.push({ type, data: JSON.parse(data) });
          waiters.splice(0).forEach((wake) => wake());
        }
      });
      res.on('error', () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        events,
        next: (type, where = () => true) =>
          new Promise((found, fail) => {
            const timer = setTimeout(() => fail(new Error(`no "${type}" event within 5 s; got ${JSON.stringify(events)}`)), 5000);
            const look = (): void => {
              const hit = events.find((e) => e.type === type && where(e.data));
              if (hit) {
                clearTimeout(timer);
                found(hit.data);
              } else waiters.push(look);
            };
            look();
          }),
        close: () => req?.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET / and the console page', () => {
  it('redirects / to the console, which is an HTML page listing the served APIs', async () => {
    const res = await request(server.url).get('/').expect(302);
    expect(res.headers.location).toBe('/__admin/ui');
    const page = await ctl().get('/ui').expect(200).expect('content-type', /text\/html/);
    expect(page.text).toContain('<script type="module" src="/__admin/ui/main.js">');
    expect(page.text).toContain('&#34;b2core&#34;:&#34;/b2core&#34;');
    await ctl().get('/ui/main.js').expect(200).expect('content-type', /text\/javascript/);
    await ctl().get('/ui/console.css').expect(200).expect('content-type', /text\/css/);
    const missing = await ctl().get('/ui/nothing.js').expect(404);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
    await ctl().get('/ui/..%2Fbehaviours.ts').expect((res) => expect([400, 404]).toContain(res.status));
  });

  it('has no console and no redirect with --no-admin', async () => {
    const bare = await startTestServer({ admin: false });
    try {
      await request(bare.url).get('/').expect(404);
      await request(bare.url).get('/__admin/ui').expect(404);
    } finally {
      await bare.close();
    }
  });

  it('does not redirect / when an API is served at the root', async () => {
    const single = await startTestServer({ apis: ['b2core'], root: true });
    try {
      const res = await request(single.url).get('/');
      expect(res.status).not.toBe(302);
      await request(single.url).get('/__admin/ui').expect(200);
    } finally {
      await single.close();
    }
  });
});

describe('GET /__admin/sessions', () => {
  it('lists default first, then sessions as they are made, with their clocks', async () => {
    await ctl().post('/clock').set('x-authdouble-session', 'console-a').send({ set: '2030-01-01T00:00:00Z' }).expect(200);
    const { body } = await ctl().get('/sessions').expect(200);
    expect(body.sessions[0]).toEqual({ name: 'default', now: expect.any(String), virtual: false, pinned: false });
    expect(body.sessions).toContainEqual({ name: 'console-a', now: '2030-01-01T00:00:00.000Z', virtual: true, pinned: true });
  });
});

describe('GET /__admin/accounts', () => {
  it('says how to sign in as each fixture user, and each of those sign-ins works', async () => {
    const { body } = await ctl().get('/accounts').expect(200);
    expect(new Set(body.accounts.map((a: { api: string }) => a.api))).toEqual(new Set(['b2core', 'fib', 'vault', 'khe', 'sama']));
    const twofa = body.accounts.find((a: { user: string }) => a.user === TWOFA.email);
    expect(twofa).toMatchObject({ api: 'b2core', password: TWOFA.password, flags: ['2FA by e-mail (code in the outbox)'] });
    for (const account of body.accounts as Array<{ api: string; user: string; signIn: { method: string; path: string; body: string } }>) {
      const res = await server
        .api(account.api)
        .post(account.signIn.path)
        .set('content-type', 'application/json')
        .send(account.signIn.body);
      expect({ user: account.user, ok: res.status >= 200 && res.status < 300 }).toEqual({ user: account.user, ok: true });
    }
  });

  it('gives fib users a ready-made signature when their key pair is a published one, and the fib-sign command', async () => {
    const { body } = await ctl().get('/accounts?api=fib').expect(200);
    const dev = body.accounts.find((a: { user: string }) => a.user === 'dev@wonderland.space');
    expect(dev.command).toBe('npx authdouble fib-sign --email dev@wonderland.space --key 89ff288f2df4fa7a3396b92c469e73925b4c17df2c672c8b785f3a76dadf6134 --json');
    expect(JSON.parse(dev.signIn.body).signature).toMatch(/^[0-9a-f]{128}$/);
    expect(body.accounts.every((a: { api: string }) => a.api === 'fib')).toBe(true);
    await ctl().get('/accounts?api=nope').expect(400);
  });
});

describe('DELETE /__admin/tokens/{api}/{session}', () => {
  it('ends a sign-in session: its tokens get 401 and leave the list', async () => {
    const pair = await signIn(server, FOO);
    const { body } = await ctl().get('/tokens?api=b2core').expect(200);
    const family = body.tokens.find((t: { token: string }) => t.token === pair.accessToken.token).session;
    await ctl().delete(`/tokens/b2core/${family}`).expect(204);
    await b2().get('/api/v2/session').set(...bearer(pair.accessToken.token)).expect(401);
    await b2().post('/api/v2/refresh').send({ refreshToken: pair.refreshToken.token }).expect(401);
    expect((await ctl().get('/tokens?api=b2core').expect(200)).body.tokens).toEqual([]);
    const again = await ctl().delete(`/tokens/b2core/${family}`).expect(404);
    expect(again.body.detail).toContain(family);
    await ctl().delete(`/tokens/nope/${family}`).expect(400);
  });

  it('acts only in its own state session', async () => {
    const pair = await signIn(server, FOO);
    const family = (await ctl().get('/tokens?api=b2core')).body.tokens[0].session;
    await ctl().delete(`/tokens/b2core/${family}`).set('x-authdouble-session', 'someone-else').expect(404);
    await b2().get('/api/v2/session').set(...bearer(pair.accessToken.token)).expect(200);
  });
});

describe('DELETE /__admin/faults/{id}', () => {
  it('removes one fault and leaves the others', async () => {
    await ctl().post('/faults').send({ api: 'b2core', operationId: 'signIn', status: 503 }).expect(201);
    const { body } = await ctl().post('/faults').send({ api: 'b2core', operationId: 'getSession', status: 500 }).expect(201);
    const [first, second] = body.faults;
    await ctl().delete(`/faults/${first.id}`).expect(204);
    expect((await ctl().get('/faults')).body.faults).toEqual([second]);
    await b2().post('/api/v2/signin').send(FOO).expect(200);
    await ctl().delete(`/faults/${first.id}`).expect(404);
    await ctl().delete('/faults/zero').expect(400);
  });
});

describe('GET /__admin/events', () => {
  it('streams the session\'s requests as they are answered, and a change when its state moves', async () => {
    const stream = await openStream(server.url);
    try {
      expect(stream.status).toBe(200);
      await stream.next('ready');
      await b2().post('/api/v2/signin').send(TWOFA).expect(200);
      const entry = await stream.next('request', (e) => e.path === '/api/v2/signin');
      expect(entry).toMatchObject({ api: 'b2core', operationId: 'signIn', method: 'POST', status: 200, session: 'default' });
      expect(entry.requestHeaders['content-type']).toBe('application/json');
      expect(entry.responseHeaders['content-type']).toBe('application/json');
      await stream.next('change');
    } finally {
      stream.close();
    }
  });

  it('keeps sessions apart, and tells when a session is made', async () => {
    const stream = await openStream(server.url, { 'x-authdouble-session': 'events-a' });
    try {
      await stream.next('ready');
      await b2().post('/api/v2/signin').set('x-authdouble-session', 'events-b').send(FOO).expect(200);
      await stream.next('sessions', (d) => d.session === 'events-b');
      await b2().post('/api/v2/signin').set('x-authdouble-session', 'events-a').send(FOO).expect(200);
      await stream.next('request', (e) => e.session === 'events-a');
      expect(stream.events.filter((e) => e.type === 'request').map((e) => (e.data as { session: string }).session)).toEqual(['events-a']);
    } finally {
      stream.close();
    }
  });

  it('answers 406 to a request that does not accept text/event-stream, and 400 to a bad session name', async () => {
    const res = await ctl().get('/events').set('accept', 'application/json').expect(406);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const bad = await openStream(server.url, { 'x-authdouble-session': 'x'.repeat(201) });
    bad.close();
    expect(bad.status).toBe(400);
  });
});

describe('GET /__admin/specs/{file} and /__admin/docs/{api}', () => {
  it('serves each spec with servers pointing at this server, as YAML and JSON', async () => {
    const yaml = await ctl().get('/specs/b2core.yaml').expect(200).expect('content-type', /application\/yaml/);
    expect(parseYaml(yaml.text).servers).toEqual([{ url: `${server.url}/b2core`, description: 'this authdouble server' }]);
    const json = await ctl().get('/specs/vault.json').expect(200).expect('content-type', /application\/json/);
    expect(json.body.servers[0].url).toBe(`${server.url}/vault`);
    expect(json.body.paths['/reg/auth/token'].post.operationId).toBe('issueToken');
    const admin = await ctl().get('/specs/admin.json').expect(200);
    expect(admin.body.servers[0].url).toBe(`${server.url}/__admin`);
    const asyncapi = await ctl().get('/specs/sama.asyncapi.yaml').expect(200);
    const doc = parseYaml(asyncapi.text);
    expect(doc.asyncapi).toMatch(/^3\./);
    expect(doc.servers.authdouble).toMatchObject({ host: new URL(server.url).host, pathname: '/sama', protocol: 'ws' });
    await ctl().get('/specs/b2core.asyncapi.json').expect(404);
    await ctl().get('/specs/nope.yaml').expect(404);
    await ctl().get('/specs/b2core.txt').expect(400);
  });

  it('says https:// and wss:// in the servers of a server on TLS', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-console-tls-'));
    const tls = await startTestServer({ https: true, tlsDir: dir });
    try {
      const dispatcher = new Agent({ connect: { ca: tls.tls!.cert } });
      const get = async (file: string) => (await fetch(`${tls.url}/__admin/specs/${file}`, { dispatcher } as RequestInit)).json() as Promise<any>;
      expect((await get('b2core.json')).servers[0].url).toBe(`${tls.url}/b2core`);
      expect((await get('sama.asyncapi.json')).servers.authdouble.protocol).toBe('wss');
      await dispatcher.close();
    } finally {
      await tls.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renders a reference page from files served here, not from a CDN', async () => {
    const page = await ctl().get('/docs/b2core').expect(200).expect('content-type', /text\/html/);
    const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.filter((s) => !s.startsWith('/') && !s.startsWith('data:'))).toEqual([]);
    expect(page.text).toContain('/__admin/specs/b2core.json');
    const bundle = await ctl().get('/docs/assets/swagger-ui-bundle.js').expect(200).expect('content-type', /text\/javascript/);
    expect(bundle.text.length).toBeGreaterThan(100_000);
    await ctl().get('/docs/assets/swagger-ui.css').expect(200).expect('content-type', /text\/css/);
    await ctl().get('/docs/assets/package.json').expect((res) => expect([400, 404]).toContain(res.status));
    await ctl().get('/docs/nope').expect(404);
  });
});

describe('with --admin-token', () => {
  let guarded: TestServer;
  beforeAll(async () => {
    guarded = await startTestServer({ adminToken: 'console-secret' });
  });
  afterAll(() => guarded.close());

  it('refuses the console\'s state calls and the event stream without the token', async () => {
    const admin = request(`${guarded.url}/__admin`);
    for (const path of ['/sessions', '/accounts', '/tokens', '/requests']) {
      const res = await admin.get(path).expect(401);
      expect(res.headers['www-authenticate']).toContain('Bearer');
    }
    await admin.delete('/faults/1').expect(401);
    await admin.delete('/tokens/b2core/x').expect(401);
    const stream = await openStream(guarded.url);
    stream.close();
    expect(stream.status).toBe(401);
    const wrong = await openStream(guarded.url, { authorization: 'Bearer nope' });
    wrong.close();
    expect(wrong.status).toBe(401);
    const right = await openStream(guarded.url, { authorization: 'Bearer console-secret' });
    right.close();
    expect(right.status).toBe(200);
    await admin.get('/sessions').set('authorization', 'Bearer console-secret').expect(200);
  });

  it('serves the console page, the specs and the docs without it (they hold no state)', async () => {
    const admin = request(`${guarded.url}/__admin`);
    await admin.get('/ui').expect(200);
    await admin.get('/ui/main.js').expect(200);
    await admin.get('/specs/b2core.json').expect(200);
    await admin.get('/docs/b2core').expect(200);
  });
});
