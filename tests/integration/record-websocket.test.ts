/**
 * WebSocket frames in HAR (issue 15): `record` proxies the sama socket and writes its frames, both
 * ways, as Chromium's `_webSocketMessages` on the upgrade's entry, with tokens and passwords
 * redacted as in HTTP entries (the `connect` token carries the marker of the login response that
 * issued it); `replay` opens the socket on the target, sends the frames with live tokens, and holds
 * each answer to the AsyncAPI document and to the recording.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import type { Har, HarEntry } from '../../src/replay/har';
import { Redactor } from '../../src/replay/redact';
import { startRecorder, type Recorder } from '../../src/replay/recorder';
import { runReplay } from '../../src/replay/run';
import { startBrokenProxy, type BrokenProxy } from '../helpers/broken-proxy';
import { startTestServer, type TestServer } from '../helpers/server';

const ORG = '680a2fae96cc69d78861f101';
const USER = { organization_id: ORG, login: 'login_u1', password: 'u1_password', device_id: 'tab-1' };

let server: TestServer;
let dir: string;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-record-ws-'));
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function record(file: string, target = `${server.url}/sama`) {
  const lines: string[] = [];
  const out = path.join(dir, file);
  const recorder: Recorder = await startRecorder({ api: 'sama', target, out, log: (l) => lines.push(l) });
  closers.push(() => recorder.close());
  return { recorder, out, lines, read: () => JSON.parse(readFileSync(out, 'utf8')) as Har, text: () => readFileSync(out, 'utf8') };
}

/** A client of the socket: sends a request, resolves with the answer carrying its id. */
async function socketAt(url: string): Promise<{ ask(request: object): Promise<any>; close(): Promise<void> }> {
  const ws = new WebSocket(url);
  const answers: any[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data) => {
    answers.push(JSON.parse(data.toString()));
    wake?.();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    async ask(request: any) {
      ws.send(JSON.stringify(request));
      const deadline = Date.now() + 5000;
      for (;;) {
        const i = answers.findIndex((a) => a.response?.id === request.request.id);
        if (i >= 0) return answers.splice(i, 1)[0];
        if (Date.now() > deadline) throw new Error(`no answer to ${JSON.stringify(request)}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000);
      }),
  };
}

/** Logs in over HTTP through `base`, then connects, pings and logs out over the socket. */
async function samaSession(base: string) {
  const res = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(USER) });
  expect(res.status).toBe(200);
  const login = (await res.json()) as { access_token: string };
  const socket = await socketAt(base.replace(/^http/, 'ws'));
  const connected = await socket.ask({ request: { connect: { token: login.access_token, device_id: USER.device_id }, id: 'c1' } });
  const pong = await socket.ask({ request: { ping: {}, id: 'p1' } });
  const relogin = await socket.ask({ request: { user_login: { organization_id: ORG, login: USER.login, password: USER.password, device_id: 'tab-2' }, id: 'l1' } });
  const loggedOut = await socket.ask({ request: { user_logout: {}, id: 'o1' } });
  await socket.close();
  return { login, connected, pong, relogin, loggedOut };
}

/** Polls `read` until `done` holds (the file is rewritten as frames come), at most 5 s. */
async function until<T>(read: () => T, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('record: the sama socket through the proxy', () => {
  it('writes the frames both ways on the upgrade entry, redacted, with the same marker as the token the login issued', async () => {
    const { recorder, read, text, lines } = await record('sama-ws.har');
    const before = Date.now() / 1000;
    const session = await samaSession(recorder.url);
    expect(session.connected).toEqual({ response: { id: 'c1', success: true } });
    expect(session.pong).toEqual({ response: { id: 'p1', pong: {} } });
    expect(session.relogin.response.token).toEqual(expect.any(String));
    expect(session.loggedOut).toEqual({ response: { id: 'o1', success: true } });

    const har = await until(read, (h) => (h.log.entries[1]?._webSocketMessages?.length ?? 0) >= 8 && h.log.entries[1]!.time > 0);
    expect(har.log.entries.map((e) => `${e.request.method} ${e.request.url.replace(server.url.replace(/^http/, ''), '')} ${e.response.status}`)).toEqual([
      'POST http/sama/login 200',
      'GET ws/sama/ 101',
    ]);
    const ws = har.log.entries[1]!;
    expect(ws._resourceType).toBe('websocket');
    const messages = ws._webSocketMessages!;
    expect(messages.map((m) => `${m.type} ${m.opcode} ${Object.keys(JSON.parse(m.data).request ?? JSON.parse(m.data).response).join(',')}`)).toEqual([
      'send 1 connect,id',
      'receive 1 id,success',
      'send 1 ping,id',
      'receive 1 id,pong',
      'send 1 user_login,id',
      'receive 1 id,user,token',
      'send 1 user_logout,id',
      'receive 1 id,success',
    ]);
    // Chromium's clock: seconds since the epoch, as a float.
    for (const m of messages) expect(m.time).toBeGreaterThanOrEqual(Math.floor(before));
    expect(messages.every((m) => m.time < Date.now() / 1000 + 1)).toBe(true);

    // No secret is left in the file; the connect token is the login response's marker.
    for (const secret of [USER.password, session.login.access_token, session.relogin.response.token]) expect(text()).not.toContain(secret);
    const loginMarker = JSON.parse(har.log.entries[0]!.response.content.text!).access_token as string;
    expect(loginMarker).toMatch(/^<redacted:token#\d+>$/);
    expect(JSON.parse(messages[0]!.data)).toEqual({ request: { connect: { token: loginMarker, device_id: 'tab-1' }, id: 'c1' } });
    expect(JSON.parse(messages[4]!.data).request.user_login.password).toBe(`<redacted:password user=${ORG}/login_u1>`);
    expect(JSON.parse(messages[5]!.data).response.token).toMatch(/^<redacted:token#\d+>$/);
    expect(lines).toEqual(expect.arrayContaining(['GET / -> 101 WebSocket open', 'WS connect -> ok', 'WS ping -> ok', 'WS user_login -> ok', 'WS user_logout -> ok']));
    expect(recorder.violations).toBe(0);
  });

  it('passes a refused upgrade back as it was, and records it', async () => {
    const { recorder, read } = await record('refused.har', `${server.url}/b2core`);
    const ws = new WebSocket(recorder.url.replace(/^http/, 'ws'));
    const status = await new Promise<number | undefined>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(undefined));
    });
    expect(status).toBe(404);
    const har = await until(read, (h) => h.log.entries.length > 0);
    expect(har.log.entries.map((e) => [e.response.status, e.response.content.text, e._webSocketMessages])).toEqual([[404, 'Nothing is served at /b2core over WebSocket\n', undefined]]);
  });

  it('reports an answer that breaks the AsyncAPI document live and in the entry comment', async () => {
    const broken = await startBrokenProxy(server.url, undefined, (frame) => frame.replace('"success":true', '"success":"yes"'));
    closers.push(() => broken.close());
    const { recorder, read, lines } = await record('violation.har', `${broken.url}/sama`);
    const session = await samaSession(recorder.url);
    expect(session.connected).toEqual({ response: { id: 'c1', success: 'yes' } });
    expect(lines).toContain('WS connect -> SPEC VIOLATION: /response/success: must be one of true');
    const har = await until(read, (h) => h.log.entries[1]?.comment !== undefined);
    expect(har.log.entries[1]!.comment).toContain('asyncapi (connect): /response/success: must be one of true');
    expect(recorder.violations).toBe(1);
  });
});

describe('replay: the frames of a recording', () => {
  let file: string;
  beforeAll(async () => {
    const { recorder, out, read } = await record('session.har');
    await samaSession(recorder.url);
    await until(read, (h) => (h.log.entries[1]?._webSocketMessages?.length ?? 0) >= 8);
    await recorder.close();
    file = out;
  });

  it('sends them with live tokens and checks every answer: all pass against a fresh server', async () => {
    const fresh = await startTestServer();
    closers.push(() => fresh.close());
    const outcome = await runReplay({ files: [file], target: `${fresh.url}/sama`, timeoutMs: 5000 });
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.report.results.map((r) => `${r.id} ${r.status}${r.reason ? `: ${r.reason}` : ''}`)).toEqual([
      'session.1.login passed',
      'session.2.open passed',
      'session.2.1.connect passed',
      'session.2.2.ping passed',
      'session.2.3.userLogin passed',
      'session.2.4.userLogout passed',
    ]);
  });

  it('fails a frame whose answer breaks the AsyncAPI document and differs from the recording, naming the field', async () => {
    const broken: BrokenProxy = await startBrokenProxy(server.url, undefined, (frame) => frame.replace('"pong":{}', '"pong":{"late":true}'));
    closers.push(() => broken.close());
    const outcome = await runReplay({ files: [file], target: `${broken.url}/sama`, timeoutMs: 5000 });
    if (!outcome.ok) throw new Error(outcome.message);
    const failed = outcome.report.results.filter((r) => r.status !== 'passed');
    expect(failed).toEqual([
      expect.objectContaining({
        id: 'session.2.2.ping',
        status: 'failed',
        reason:
          'differs from the recording: frame.response.pong.late: recorded (missing), now true; and breaks the AsyncAPI document (ping): /response/pong: must NOT have more than 0 properties; /response/pong/late: is not an allowed field',
        expected: 'frame.response.pong.late = (missing) (recorded)',
        actual: 'frame.response.pong.late = true',
      }),
    ]);
  });

  it('fails a frame that gets no answer, saying so', async () => {
    const silent = await startBrokenProxy(server.url, undefined, (frame) => (frame.includes('"pong"') ? '{"response":{"id":"other","pong":{}}}' : frame));
    closers.push(() => silent.close());
    const outcome = await runReplay({ files: [file], target: `${silent.url}/sama`, timeoutMs: 1500 });
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.report.results.filter((r) => r.status !== 'passed').map((r) => `${r.id}: ${r.reason}`)).toEqual(['session.2.2.ping: no answer within 1500 ms']);
  });

  it('cannot fill a redacted token no earlier step returned: the frame fails and is not sent', async () => {
    const har = JSON.parse(readFileSync(file, 'utf8')) as Har;
    har.log.entries.splice(0, 1);
    const alone = path.join(dir, 'alone.har');
    writeFileSync(alone, JSON.stringify(har));
    const outcome = await runReplay({ files: [alone], target: `${server.url}/sama`, timeoutMs: 5000 });
    if (!outcome.ok) throw new Error(outcome.message);
    const connect = outcome.report.results.find((r) => r.id === 'alone.1.1.connect');
    expect(connect).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^cannot fill a redacted value: <redacted:token#\d+>: no earlier step of the replay returned a token$/) });
  });

  it('fails the socket when the target refuses the upgrade, saying what it answered', async () => {
    // HTTP goes to the server; every upgrade is answered 404.
    const refusing = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
        void fetch(`${server.url}${req.url}`, { method: req.method, headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined }).then(async (up) => {
          res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'text/plain', 'set-cookie': up.headers.getSetCookie() });
          res.end(Buffer.from(await up.arrayBuffer()));
        });
      });
    });
    refusing.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 6\r\n\r\nno ws\n'));
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => refusing.close(() => resolve())));
    const outcome = await runReplay({ files: [file], target: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/sama`, timeoutMs: 5000 });
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.report.results.map((r) => `${r.id} ${r.status}${r.reason ? `: ${r.reason}` : ''}`)).toEqual([
      'session.1.login passed',
      'session.2.open failed: the WebSocket did not open: 404 no ws',
    ]);
    expect(outcome.report.results[1]).toMatchObject({ expected: '101 (recorded)', actual: '404' });
  });

  it("finds sama's socket in a browser's HAR by its URL or its frames, and leaves a dev server's socket out", async () => {
    const har = JSON.parse(readFileSync(file, 'utf8')) as Har;
    delete har.log._authdouble;
    const [login, socket] = har.log.entries as [HarEntry, HarEntry];
    const hmr: HarEntry = {
      ...socket,
      request: { ...socket.request, url: 'ws://localhost:5173/?token=abc' },
      _webSocketMessages: [{ type: 'receive', time: 1, opcode: 1, data: '{"type":"connected"}' }],
    };
    // The same socket at the root of a server (a real sama serves it there): found by its frames.
    const atRoot: HarEntry = { ...socket, request: { ...socket.request, url: socket.request.url.replace(/\/sama\/?$/, '/') } };
    expect(atRoot.request.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    har.log.entries = [hmr, login, socket, atRoot];
    const browserHar = path.join(dir, 'browser.har');
    writeFileSync(browserHar, JSON.stringify(har));
    const notes: string[] = [];
    const outcome = await runReplay({ files: [browserHar], target: `${server.url}/sama`, timeoutMs: 5000, onNote: (n) => notes.push(n) });
    if (!outcome.ok) throw new Error(outcome.message);
    const results = outcome.report.results.map((r) => `${r.id} ${r.status}`);
    expect(results).toEqual([
      'browser.1.login passed',
      'browser.2.open passed',
      'browser.2.1.connect passed',
      'browser.2.2.ping passed',
      'browser.2.3.userLogin passed',
      'browser.2.4.userLogout passed',
      'browser.3.open passed',
      'browser.3.1.connect passed',
      'browser.3.2.ping passed',
      'browser.3.3.userLogin passed',
      'browser.3.4.userLogout passed',
    ]);
    expect(notes).toContain(`${browserHar}: left out 1 entries that are not API calls (pages, assets, /__admin, preflights)`);
  });

  it('sends binary frames as recorded, and waits for an answer recorded before any frame was sent (step 0)', async () => {
    const har = JSON.parse(readFileSync(file, 'utf8')) as Har;
    const frames = har.log.entries[1]!._webSocketMessages!;
    frames.unshift({ type: 'receive', time: 1, opcode: 1, data: '{"response":{"id":"hello","pong":{}}}' });
    frames.splice(3, 0, { type: 'send', time: 2, opcode: 2, data: Buffer.from('{"request":{"ping":{},"id":"b"}}').toString('base64') }, { type: 'receive', time: 3, opcode: 1, data: '{"response":{"id":"b","pong":{}}}' });
    const edited = path.join(dir, 'edited.har');
    writeFileSync(edited, JSON.stringify(har));
    const outcome = await runReplay({ files: [edited], target: `${server.url}/sama`, timeoutMs: 1500 });
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.report.results.map((r) => `${r.id} ${r.status}${r.reason ? `: ${r.reason}` : ''}`)).toEqual([
      'edited.1.login passed',
      'edited.2.open passed',
      'edited.2.0.frame failed: no answer within 1500 ms',
      'edited.2.1.connect passed',
      'edited.2.2.frame passed',
      'edited.2.3.ping passed',
      'edited.2.4.userLogin passed',
      'edited.2.5.userLogout passed',
    ]);
  });

  it('refuses a HAR whose frames are malformed, naming the entry', async () => {
    const har = JSON.parse(readFileSync(file, 'utf8')) as any;
    har.log.entries[1]._webSocketMessages[2] = { type: 'sent', opcode: '1', data: 42 };
    const bad = path.join(dir, 'bad-frames.har');
    writeFileSync(bad, JSON.stringify(har, null, 2));
    const outcome = await runReplay({ files: [bad], target: `${server.url}/sama` });
    expect(outcome.ok).toBe(false);
    const message = (outcome as { message: string }).message;
    expect(message).toContain(`${bad}: not a HAR file authdouble can replay:`);
    expect(message).toMatch(/bad-frames\.har:\d+:\d+ log\.entries\[1\]\._webSocketMessages\[2\]\.type \(entry 2\): must be one of "send", "receive"/);
    expect(message).toMatch(/log\.entries\[1\]\._webSocketMessages\[2\]\.opcode \(entry 2\): must be integer/);
    expect(message).toMatch(/log\.entries\[1\]\._webSocketMessages\[2\]\.data \(entry 2\): must be string/);
  });

  it('refuses frames on an entry that is no upgrade, and a binary frame that is not base64', async () => {
    const har = JSON.parse(readFileSync(file, 'utf8')) as any;
    har.log.entries[0]._webSocketMessages = [];
    har.log.entries[1]._webSocketMessages[2] = { type: 'send', time: 1, opcode: 2, data: 'not base64!' };
    const bad = path.join(dir, 'misplaced.har');
    writeFileSync(bad, JSON.stringify(har, null, 2));
    const outcome = await runReplay({ files: [bad], target: `${server.url}/sama` });
    expect(outcome).toEqual({
      ok: false,
      message: expect.stringMatching(
        /^\S+misplaced\.har: not a HAR file authdouble can replay:\n {2}\S+misplaced\.har:\d+:\d+ log\.entries\[0\]\._webSocketMessages \(entry 1\): frames on a POST request: only a WebSocket upgrade \(GET\) has them\n {2}\S+misplaced\.har:\d+:\d+ log\.entries\[1\]\._webSocketMessages\[2\]\.data \(entry 2\): a binary frame \(opcode 2\) must be base64$/,
      ),
    });
  });
});

describe('Redactor: a whole entry with frames (a browser HAR redacted after the fact)', () => {
  const entry = (url: string, over: Partial<HarEntry>): HarEntry => ({
    startedDateTime: '2026-01-15T09:00:00.000Z',
    time: 1,
    request: { method: 'GET', url, httpVersion: 'HTTP/1.1', cookies: [], headers: [], queryString: [], headersSize: -1, bodySize: 0 },
    response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', cookies: [], headers: [], content: { size: 0, mimeType: 'application/json' }, redirectURL: '', headersSize: -1, bodySize: 0 },
    cache: {},
    timings: { send: 0, wait: 1, receive: 0 },
    ...over,
  });

  it('gives the frames the markers of the HTTP entries before them, and leaves binary frames alone', () => {
    const token = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const redactor = new Redactor();
    const login = redactor.redact(
      entry('http://127.0.0.1:4600/sama/login', {
        response: { ...entry('x:', {}).response, content: { size: 0, mimeType: 'application/json', text: JSON.stringify({ access_token: token }) } },
      }),
    );
    const marker = JSON.parse(login.response.content.text!).access_token as string;
    expect(marker).toMatch(/^<redacted:token#\d+>$/);
    const frames = [
      { type: 'send' as const, time: 1, opcode: 1, data: JSON.stringify({ request: { connect: { token, device_id: 'd' }, id: 1 } }) },
      { type: 'receive' as const, time: 2, opcode: 1, data: `not json, but it names ${token}` },
      { type: 'send' as const, time: 3, opcode: 2, data: Buffer.from('bin').toString('base64') },
    ];
    const original = entry('ws://127.0.0.1:4600/sama', { _webSocketMessages: frames });
    const socket = redactor.redact(original);
    expect(socket._webSocketMessages).toEqual([
      { type: 'send', time: 1, opcode: 1, data: JSON.stringify({ request: { connect: { token: marker, device_id: 'd' }, id: 1 } }) },
      { type: 'receive', time: 2, opcode: 1, data: `not json, but it names ${marker}` },
      frames[2],
    ]);
    // The entry given is left as it was.
    expect(original._webSocketMessages![0]!.data).toContain(token);
  });
});
