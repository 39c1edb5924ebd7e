/**
 * HARs as browsers export them: a session captured here by driving the mock as a browser page
 * would (Chrome's field layout, full URLs under /b2core and /sama, pseudo-headers, a CORS
 * preflight, the page itself, a favicon, a control API call) replays cleanly against a fresh mock;
 * so do the hand-written HARs in fixtures/har/.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Har, HarEntry, HarNameValue } from '../../src/replay/har';
import { runReplay } from '../../src/replay/run';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-browser-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A browser page: keeps a cookie jar per origin, sends Origin, and logs each exchange as Chrome's HAR export does. */
class BrowserPage {
  readonly entries: HarEntry[] = [];
  private readonly jar = new Map<string, string>();
  private clock = Date.parse('2026-01-15T09:00:00Z');

  async fetch(url: string, init: { method?: string; json?: unknown; headers?: Record<string, string> } = {}) {
    const method = init.method ?? 'GET';
    const u = new URL(url);
    const headers: Record<string, string> = { accept: 'application/json, text/plain, */*', origin: 'http://localhost:5173', ...init.headers };
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers.cookie = cookie;
    const body = init.json === undefined ? undefined : JSON.stringify(init.json);
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (value === '' || /Max-Age=0/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const pseudo: HarNameValue[] = [
      { name: ':authority', value: u.host },
      { name: ':method', value: method },
      { name: ':path', value: `${u.pathname}${u.search}` },
      { name: ':scheme', value: 'http' },
    ];
    const responseHeaders: HarNameValue[] = [];
    res.headers.forEach((value, name) => {
      if (name !== 'set-cookie') responseHeaders.push({ name, value });
    });
    for (const c of res.headers.getSetCookie()) responseHeaders.push({ name: 'set-cookie', value: c });
    this.entries.push({
      _initiator: { type: 'script' },
      _priority: 'High',
      _resourceType: 'fetch',
      cache: {},
      connection: '443',
      pageref: 'page_1',
      request: {
        method,
        url,
        httpVersion: 'http/2.0',
        headers: [...pseudo, ...Object.entries(headers).map(([name, value]) => ({ name, value }))],
        queryString: [...u.searchParams].map(([name, value]) => ({ name, value })),
        cookies: cookie ? cookie.split('; ').map((p) => ({ name: p.split('=')[0]!, value: p.split('=')[1]!, path: '/', domain: u.hostname, expires: null, httpOnly: true, secure: false })) : [],
        headersSize: -1,
        bodySize: body?.length ?? 0,
        ...(body === undefined ? {} : { postData: { mimeType: 'application/json', text: body } }),
      },
      response: {
        status: res.status,
        statusText: res.statusText,
        httpVersion: 'http/2.0',
        headers: responseHeaders,
        cookies: [],
        content: { size: text.length, mimeType: res.headers.get('content-type') ?? 'x-unknown', compression: 0, text },
        redirectURL: '',
        headersSize: -1,
        bodySize: -1,
        _transferSize: text.length + 200,
        _error: null,
      },
      serverIPAddress: '127.0.0.1',
      startedDateTime: new Date((this.clock += 1000)).toISOString(),
      time: 4.2,
      timings: { blocked: 0.5, dns: -1, ssl: -1, connect: -1, send: 0.1, wait: 3, receive: 0.6, _blocked_queueing: 0.3 },
    } as unknown as HarEntry);
    return { status: res.status, json: res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as any) : text };
  }

  /** An entry the page made that is not an API call. */
  other(method: string, url: string, status: number, mimeType: string): void {
    this.entries.push({
      startedDateTime: new Date((this.clock += 1000)).toISOString(),
      time: 1,
      request: { method, url, httpVersion: 'http/2.0', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
      response: { status, statusText: '', httpVersion: 'http/2.0', headers: [], cookies: [], content: { size: 0, mimeType }, redirectURL: '', headersSize: -1, bodySize: -1 },
      cache: {},
      timings: { send: 0, wait: 1, receive: 0 },
    });
  }

  har(): Har {
    return {
      log: {
        version: '1.2',
        creator: { name: 'WebInspector', version: '537.36' },
        pages: [{ startedDateTime: '2026-01-15T09:00:00.000Z', id: 'page_1', title: 'http://localhost:5173/', pageTimings: {} }],
        entries: this.entries,
      },
    };
  }
}

it('a browser session against the mock replays cleanly against a fresh mock', async () => {
  const page = new BrowserPage();
  page.other('GET', 'http://localhost:5173/', 200, 'text/html');
  page.other('GET', 'http://localhost:5173/assets/index-4f3a.js', 200, 'application/javascript');
  page.other('OPTIONS', `${server.url}/b2core/api/v2/signin`, 204, '');
  const b2 = `${server.url}/b2core/api/v2`;
  const signIn = await page.fetch(`${b2}/signin`, { method: 'POST', json: { email: 'foo@bar.com', password: 'Secret123' } });
  expect(signIn.status).toBe(200);
  await page.fetch(`${b2}/session`, { headers: { authorization: `Bearer ${signIn.json.accessToken.token}` } });
  const refreshed = await page.fetch(`${b2}/refresh`, { method: 'POST', json: { refreshToken: signIn.json.refreshToken.token } });
  page.other('GET', `${server.url}/favicon.ico`, 404, 'application/problem+json');
  // The same app also chats: SAMA's login with its refresh cookie in the page's jar.
  const sama = `${server.url}/sama`;
  const login = await page.fetch(`${sama}/login`, {
    method: 'POST',
    json: { organization_id: '680a2fae96cc69d78861f101', login: 'user_1', password: 'user_paswword_1', device_id: 'tab-1' },
  });
  expect(login.status).toBe(200);
  const reload = await page.fetch(`${sama}/login`, { method: 'POST', json: { device_id: 'tab-1' } });
  expect(reload.status).toBe(200);
  await page.fetch(`${server.url}/__admin/clock`);
  await page.fetch(`${sama}/logout`, { method: 'POST', headers: { authorization: `Bearer ${reload.json.access_token}` } });
  await page.fetch(`${b2}/signout`, { method: 'POST', headers: { authorization: `Bearer ${refreshed.json.accessToken.token}` } });
  const after = await page.fetch(`${b2}/session`, { headers: { authorization: `Bearer ${refreshed.json.accessToken.token}` } });
  expect(after.status).toBe(401);

  const file = path.join(dir, 'localhost.har');
  writeFileSync(file, JSON.stringify(page.har(), null, 2));
  const notes: string[] = [];
  const outcome = await runReplay({ files: [file], timeoutMs: 5000, onNote: (n) => notes.push(n) });
  if (!outcome.ok) throw new Error(outcome.message);
  expect(outcome.report.results.map((r) => `${r.id} ${r.status}${r.reason ? `: ${r.reason}` : ''}`)).toEqual([
    'localhost.1.signIn passed',
    'localhost.2.getSession passed',
    'localhost.3.refreshToken passed',
    'localhost.4.login passed',
    'localhost.5.login passed',
    'localhost.6.logout passed',
    'localhost.7.signOut passed',
    'localhost.8.getSession passed',
  ]);
  expect(notes).toContain(`${file}: left out 5 entries that are not API calls (pages, assets, /__admin, preflights)`);
});

describe.each(readdirSync(path.join(__dirname, '../../fixtures/har')).filter((f) => f.endsWith('.har')))('fixtures/har/%s', (name) => {
  it('replays cleanly against a fresh server', async () => {
    const file = path.join(__dirname, '../../fixtures/har', name);
    const api = name.split('-')[0]!;
    const outcome = await runReplay({ files: [file], target: `${server.url}/${api}`, timeoutMs: 5000 });
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.report.results.filter((r) => r.status !== 'passed')).toEqual([]);
    expect(outcome.report.results.length).toBeGreaterThanOrEqual(4);
  });
});
