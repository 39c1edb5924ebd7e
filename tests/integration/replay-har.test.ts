/**
 * Record a session through the proxy against our own server, then replay the file: against a fresh
 * server it passes; against a server whose answers changed it fails and names the field. Tokens
 * and cookies issued during the replay replace the recorded ones; redacted passwords, signatures
 * and 2FA codes are filled in from the fixtures and the outbox.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ControlClient } from '../../src/control/client';
import type { Har } from '../../src/replay/har';
import { startRecorder } from '../../src/replay/recorder';
import { runReplay, type ReplayOptions } from '../../src/replay/run';
import type { RunReport } from '../../src/report';
import { freePort } from '../helpers/ports';
import { startTestServer, type TestServer } from '../helpers/server';

let recordedOn: TestServer;
let fresh: TestServer;
let dir: string;

beforeAll(async () => {
  [recordedOn, fresh] = await Promise.all([startTestServer(), startTestServer()]);
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-replay-'));
});
afterAll(async () => {
  await Promise.all([recordedOn.close(), fresh.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function call(base: string, method: string, p: string, init: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const res = await fetch(`${base}${p}`, { method, headers, body });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('json') && text ? (JSON.parse(text) as any) : undefined;
  return { status: res.status, json, setCookie: res.headers.getSetCookie() };
}

/** Records what `drive` does through a proxy in front of `recordedOn`; returns the HAR file. */
async function recordSession(api: string, file: string, drive: (proxy: string) => Promise<void>, redact = true): Promise<string> {
  const out = path.join(dir, file);
  const recorder = await startRecorder({ api, target: `${recordedOn.url}/${api}`, out, redact });
  try {
    await drive(recorder.url);
  } finally {
    await recorder.close();
  }
  return out;
}

async function replay(options: Partial<ReplayOptions> & { files: string[] }): Promise<RunReport> {
  const outcome = await runReplay({ timeoutMs: 5000, ...options });
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.report;
}

function failures(report: RunReport): string[] {
  return report.results.filter((r) => r.status !== 'passed').map((r) => `${r.id}: ${r.reason}`);
}

const drives: Record<string, (proxy: string) => Promise<void>> = {
  async b2core(proxy) {
    const a = await call(proxy, 'POST', '/api/v2/signin', { json: { email: 'foo@bar.com', password: 'Secret123' } });
    await call(proxy, 'GET', '/api/v2/session', { headers: { authorization: `Bearer ${a.json.accessToken.token}` } });
    const b = await call(proxy, 'POST', '/api/v2/refresh', { json: { refreshToken: a.json.refreshToken.token } });
    // The spent refresh token, again: 401 in the recording and in the replay.
    await call(proxy, 'POST', '/api/v2/refresh', { json: { refreshToken: a.json.refreshToken.token } });
    const t = await call(proxy, 'POST', '/api/v2/signin', { json: { email: 'twofa@bar.com', password: 'Secret123' } });
    const code = await new ControlClient(recordedOn.url).latestCode('b2core', 'twofa@bar.com');
    await call(proxy, 'POST', '/api/v2/2fa/confirm', { json: { token: t.json['2faDetails'].token, code } });
    await call(proxy, 'POST', '/api/v2/signout', { headers: { authorization: `Bearer ${b.json.accessToken.token}` } });
    await call(proxy, 'GET', '/api/v2/session', { headers: { authorization: `Bearer ${b.json.accessToken.token}` } });
  },
  async vault(proxy) {
    const a = await call(proxy, 'POST', '/reg/auth/token', {
      json: { grant_type: 'password', username: 'user@example.com', password: 'A9#bL8@z', client_id: 'haequi3Aah8lie2r' },
    });
    const b = await call(proxy, 'POST', '/reg/auth/token', { form: { grant_type: 'refresh_token', refresh_token: a.json.refresh_token } });
    await call(proxy, 'GET', '/reg/user/session/current', { headers: { authorization: `Bearer ${b.json.access_token}` } });
    await call(proxy, 'DELETE', '/reg/user/session/logout/current', { headers: { authorization: `Bearer ${b.json.access_token}` } });
    await call(proxy, 'GET', '/reg/user/session/current', { headers: { authorization: `Bearer ${b.json.access_token}` } });
  },
  async khe(proxy) {
    const a = await call(proxy, 'POST', '/v1.0/users/token', { json: { client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' } });
    const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`${a.json.key}:${token}`).toString('base64')}` });
    await call(proxy, 'PATCH', '/v1.0/users', { json: {}, headers: basic(a.json.token) });
    const b = await call(proxy, 'POST', '/v1.0/users/token/refresh', { json: { client: 'khe-web', key: a.json.key, refresh: a.json.refresh } });
    await call(proxy, 'PATCH', '/v1.0/users', { json: {}, headers: basic(a.json.token) });
    await call(proxy, 'DELETE', '/v1.0/users/token', { json: { client: 'khe-web' }, headers: basic(b.json.token) });
  },
  async sama(proxy) {
    const body = { organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: 'd1' };
    const a = await call(proxy, 'POST', '/login', { json: body });
    const cookie = a.setCookie[0]!.split(';')[0]!;
    const b = await call(proxy, 'POST', '/login', { json: { device_id: 'd1' }, headers: { cookie } });
    // The first cookie again, for another device: refused (for its own device it would still work).
    await call(proxy, 'POST', '/login', { json: { device_id: 'd2' }, headers: { cookie } });
    const cookie2 = b.setCookie[0]!.split(';')[0]!;
    await call(proxy, 'POST', '/logout', { headers: { authorization: `Bearer ${b.json.access_token}`, cookie: cookie2 } });
  },
  async fib(proxy) {
    const body = {
      email: 'dev@wonderland.space',
      signature: await devSignature(),
      authPublicKeyHex: 'c878b96c7137a16b88e8b3bba9346aaeb344b6e10808589f14b652ac4f0bb8d5',
    };
    const a = await call(proxy, 'POST', '/auth/api/v1/authentication-management/session', { json: body });
    const b = await call(proxy, 'PATCH', '/auth/api/v1/authentication-management/session', { headers: { authorization: `Bearer ${a.json.data.refreshToken}` } });
    await call(proxy, 'GET', '/auth/api/v1/authentication-management/session-info', { headers: { authorization: `Bearer ${b.json.data.accessToken}` } });
    await call(proxy, 'POST', '/auth/api/v1/authentication-management/logout', { headers: { authorization: `Bearer ${b.json.data.accessToken}` } });
  },
};

async function devSignature(): Promise<string> {
  const { parsePrivateKey, signEmail } = await import('../../src/apis/fib/signing');
  return signEmail('dev@wonderland.space', parsePrivateKey('89ff288f2df4fa7a3396b92c469e73925b4c17df2c672c8b785f3a76dadf6134'));
}

/** What each drive's recording holds: the statuses of its exchanges, in order. */
const recordedStatuses: Record<string, number[]> = {
  b2core: [200, 200, 200, 401, 200, 200, 200, 401],
  vault: [200, 200, 200, 204, 401],
  khe: [201, 200, 200, 401, 200],
  sama: [200, 200, 422, 200],
  fib: [200, 200, 200, 200],
};

describe.each(Object.keys(drives))('%s: record, then replay against a fresh server', (api) => {
  let redacted: string;
  beforeAll(async () => {
    redacted = await recordSession(api, `${api}.har`, drives[api]!);
  });

  it('passes, step by step, with secrets filled in and tokens carried forward', async () => {
    const entries = (JSON.parse(readFileSync(redacted, 'utf8')) as Har).log.entries;
    expect(entries.map((e) => e.response.status)).toEqual(recordedStatuses[api]);
    const seen: string[] = [];
    const report = await replay({ files: [redacted], target: `${fresh.url}/${api}`, onResult: (r) => seen.push(r.id) });
    expect(failures(report)).toEqual([]);
    expect(report.results).toHaveLength(entries.length);
    expect(seen).toEqual(report.results.map((r) => r.id));
    // The recording is the same as the replay, status for status.
    expect(report.results.map((r) => r.status)).toEqual(entries.map(() => 'passed'));
  });

  it('passes against the default target: a fresh in-process mock', async () => {
    const report = await replay({ files: [redacted] });
    expect(failures(report)).toEqual([]);
    expect(report.target).toMatch(/^a fresh authdouble \(http:\/\/127\.0\.0\.1:\d+\)$/);
  });

  it('passes unredacted too', async () => {
    const plain = await recordSession(api, `${api}-plain.har`, drives[api]!, false);
    expect(failures(await replay({ files: [plain], target: `${fresh.url}/${api}` }))).toEqual([]);
  });
});

describe('a target whose answers changed', () => {
  let changed: TestServer;
  let fixtures: string;
  beforeAll(async () => {
    fixtures = path.join(dir, 'changed-fixtures');
    mkdirSync(fixtures);
    const vault = readFileSync(path.join(__dirname, '../../fixtures/vault.yaml'), 'utf8').replace('accessTokenSeconds: 86400', 'accessTokenSeconds: 600');
    writeFileSync(path.join(fixtures, 'vault.yaml'), vault);
    changed = await startTestServer({ fixturesDir: fixtures });
  });
  afterAll(() => changed.close());

  it('fails the steps whose response differs, naming the field, the recorded and the live value', async () => {
    const har = await recordSession('vault', 'vault-changed.har', drives.vault!);
    const report = await replay({ files: [har], target: `${changed.url}/vault` });
    const failed = report.results.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.id)).toEqual(['vault-changed.1.issueToken', 'vault-changed.2.issueToken']);
    expect(failed[0]!.reason).toBe('differs from the recording: body.expires_in: recorded 86400, now 600');
    expect(failed[0]!.expected).toBe('body.expires_in = 86400 (recorded)');
    expect(failed[0]!.actual).toBe('body.expires_in = 600');
    // The rest of the session still replays: the tokens were carried forward.
    expect(report.results.slice(2).map((r) => r.status)).toEqual(['passed', 'passed', 'passed']);
  });

  it('the same file still passes against the fresh server (the failure is the target, not the file)', async () => {
    const har = path.join(dir, 'vault-changed.har');
    expect(failures(await replay({ files: [har], target: `${fresh.url}/vault` }))).toEqual([]);
  });
});

describe('checks against the spec', () => {
  let fake: Server;
  let fakeUrl: string;
  beforeAll(async () => {
    fake = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ '2faRequired': false, accessToken: { token: 'x' } }));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => fake.close(() => resolve())));

  it('a response that breaks the spec fails the step, with the schema problem', async () => {
    const har = await recordSession('b2core', 'b2core-for-fake.har', async (proxy) => {
      await call(proxy, 'POST', '/api/v2/signin', { json: { email: 'foo@bar.com', password: 'Secret123' } });
    });
    const report = await replay({ files: [har], target: fakeUrl });
    expect(report.results[0]!.status).toBe('failed');
    expect(report.results[0]!.reason).toContain('breaks the spec (signIn): ');
    expect(report.results[0]!.reason).toContain('body/refreshToken: is required');
    expect(report.results[0]!.reason).toContain('body.refreshToken: recorded');
  });
});

describe('files and targets that cannot be used', () => {
  it('an unreachable target is an outcome, not a report', async () => {
    const har = await recordSession('b2core', 'short.har', async (proxy) => {
      await call(proxy, 'POST', '/api/v2/signin', { json: { email: 'foo@bar.com', password: 'Secret123' } });
    });
    const port = await freePort();
    const outcome = await runReplay({ files: [har], target: `http://127.0.0.1:${port}/b2core`, timeoutMs: 2000 });
    expect(outcome).toEqual({ ok: false, message: `cannot reach the target http://127.0.0.1:${port}/b2core: fetch failed (ECONNREFUSED)` });
  });

  it('a broken HAR names the entry, the line and the field', async () => {
    const file = path.join(dir, 'broken.har');
    writeFileSync(file, JSON.stringify({ log: { entries: [{ request: { method: 'GET', url: 'http://x/a' }, response: { status: 200 } }, { request: { method: 'GET' }, response: { status: 200 } }] } }, null, 2));
    const outcome = await runReplay({ files: [file] });
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.message).toMatch(/broken\.har:\d+:\d+ log\.entries\[1\]\.request\.url \(entry 2\): is required/);
  });

  it('a HAR that is not JSON says where', async () => {
    const file = path.join(dir, 'not-json.har');
    writeFileSync(file, '{\n  "log": {\n    "entries": [,]\n  }\n}\n');
    const outcome = await runReplay({ files: [file] });
    expect(!outcome.ok && outcome.message).toMatch(/not-json\.har:3:\d+: the HAR file is not valid JSON/);
  });

  it('a redacted password of a user no fixture has fails that step and says why', async () => {
    const file = path.join(dir, 'stranger.har');
    const har = JSON.parse(readFileSync(await recordSession('b2core', 'stranger-src.har', async (proxy) => {
      await call(proxy, 'POST', '/api/v2/signin', { json: { email: 'stranger@bar.com', password: 'whatever' } });
    }), 'utf8')) as Har;
    writeFileSync(file, JSON.stringify(har));
    const report = await replay({ files: [file], target: `${fresh.url}/b2core` });
    expect(report.results[0]!.reason).toMatch(/^cannot fill a redacted value: <redacted:password user=stranger@bar.com>: no b2core fixture user "stranger@bar.com"/);
  });
});
