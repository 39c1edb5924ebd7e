import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent } from 'undici';
import WebSocket from 'ws';
import { startMock, type StartedMock } from '../../src/index';
import { StartupError } from '../../src/errors';
import { localCertificate } from '../../src/tls';
import { FOO } from '../helpers/b2core';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-tls-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** fetch that trusts `cert` (and only what Node trusts besides). */
const trusting = (cert: string) => new Agent({ connect: { ca: cert } });

describe('--https with the generated certificate', () => {
  let dir: string;
  let mock: StartedMock;
  beforeAll(async () => {
    dir = tempDir();
    mock = await startMock({ https: true, tlsDir: dir });
  });
  afterAll(() => mock.close());

  it('serves the APIs and the control API over https, with a self-signed certificate for localhost, 127.0.0.1 and ::1', async () => {
    expect(mock.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const tls = mock.server.tls!;
    expect(tls.certFile).toBe(path.join(dir, 'localhost.crt'));
    expect(tls.generated).toBe(true);
    const x509 = new X509Certificate(readFileSync(tls.certFile));
    expect(x509.fingerprint256).toBe(tls.fingerprint256);
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x509.issuer).toBe(x509.subject);
    expect(statSync(path.join(dir, 'localhost.key')).mode & 0o777).toBe(0o600);

    const dispatcher = trusting(tls.cert);
    const port = new URL(mock.url).port;
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
      const res = await fetch(`https://${host}:${port}/b2core/api/v2/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(FOO),
        dispatcher,
      } as RequestInit);
      expect(res.status).toBe(200);
    }
    // The control client of startMock trusts the mock's own certificate.
    expect((await mock.control.requests({ api: 'b2core' })).length).toBe(3);
  });

  it('refuses plain http on the https port, and an untrusting client', async () => {
    await expect(fetch(mock.url.replace('https', 'http') + '/__admin/clock')).rejects.toThrow();
    await expect(fetch(`${mock.url}/__admin/clock`)).rejects.toThrow(/fetch failed/);
  });

  it('serves the sama WebSocket as wss://', async () => {
    const login = await fetch(`${mock.urls.sama!}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: 'd1' }),
      dispatcher: trusting(mock.server.tls!.cert),
    } as RequestInit);
    const { access_token: token } = (await login.json()) as { access_token: string };
    const ws = new WebSocket(`${mock.urls.sama!.replace('https', 'wss')}`, { ca: mock.server.tls!.cert });
    const answer = await new Promise<unknown>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ request: { connect: { token, device_id: 'd1' }, id: '7' } })));
      ws.on('message', (m) => resolve(JSON.parse(m.toString())));
      ws.on('error', reject);
    });
    ws.close();
    expect(answer).toEqual({ response: { id: '7', success: true } });
  });

  it('keeps the certificate: the next start serves the same one, so it is trusted once', async () => {
    const again = await startMock({ https: true, tlsDir: dir });
    try {
      expect(again.server.tls!.generated).toBe(false);
      expect(again.server.tls!.fingerprint256).toBe(mock.server.tls!.fingerprint256);
    } finally {
      await again.close();
    }
  });
});

describe('the kept certificate', () => {
  it('is replaced when it is within a week of expiry', async () => {
    const dir = tempDir();
    const first = await localCertificate(dir);
    const inAYear = new Date(Date.now() + 360 * 24 * 3600 * 1000);
    const renewed = await localCertificate(dir, inAYear);
    expect(renewed.generated).toBe(true);
    expect(renewed.fingerprint256).not.toBe(first.fingerprint256);
    expect((await localCertificate(dir, inAYear)).generated).toBe(false);
  });
});

describe('--tls-cert and --tls-key', () => {
  it('serves the certificate given', async () => {
    const made = await localCertificate(tempDir());
    const mock = await startMock({ tlsCert: made.certFile, tlsKey: made.certFile.replace(/crt$/, 'key') });
    try {
      expect(mock.url).toMatch(/^https:/);
      expect(mock.server.tls).toEqual(expect.objectContaining({ certFile: made.certFile, fingerprint256: made.fingerprint256, generated: false }));
      expect(await mock.control.clock.get()).toEqual(expect.objectContaining({ virtual: false }));
    } finally {
      await mock.close();
    }
  });

  it.each([
    ['a certificate without its key', async () => ({ tlsCert: (await localCertificate(tempDir())).certFile }), /give both --tls-cert and --tls-key/],
    ['a file that is not there', async () => ({ tlsCert: '/nonexistent.crt', tlsKey: '/nonexistent.key' }), /cannot read the TLS certificate \/nonexistent\.crt: ENOENT/],
    [
      'a key of another certificate',
      async () => {
        const a = await localCertificate(tempDir());
        const b = await localCertificate(tempDir());
        return { tlsCert: a.certFile, tlsKey: b.certFile.replace(/crt$/, 'key') };
      },
      /is not the key of the certificate/,
    ],
    ['a key file that is no key', async () => ({ tlsCert: (await localCertificate(tempDir())).certFile, tlsKey: __filename }), /is not a PEM private key/],
  ])('refuses %s at start', async (_what, options, message) => {
    const err = await startMock(await options()).then(
      (m) => m.close().then(() => new Error('started')),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(message);
  });
});
