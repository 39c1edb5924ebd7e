/**
 * `authdouble serve --watch` and `--fallback <url>`, through the built CLI over real HTTP.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, serveCli, type CliRun } from '../helpers/cli';
import { waitFor } from '../helpers/ports';

jest.setTimeout(60_000);

const signIn = (base: string, email: string, password = 'Secret123') =>
  fetch(`${base}/api/v2/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
const fixture = (email: string) => `users:\n  - id: "1"\n    email: ${email}\n    password: Secret123\n`;
const count = (text: string, needle: string) => text.split(needle).length - 1;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-watch-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('--watch', () => {
  let cli: CliRun & { url: string };
  afterEach(() => cli?.stop());

  it('applies a good fixture edit (state reset, logged), and keeps the last good version on a broken one', async () => {
    const file = path.join(dir, 'b2core.yaml');
    writeFileSync(file, fixture('first@example.com'));
    cli = await serveCli(['--api', 'b2core', '--fixtures', dir, '--watch']);
    const before = await signIn(cli.url, 'first@example.com');
    expect(before.status).toBe(200);
    const token = ((await before.json()) as { accessToken: { token: string } }).accessToken.token;
    expect((await signIn(cli.url, 'second@example.com')).status).toBe(401);

    writeFileSync(file, fixture('second@example.com'));
    await waitFor(() => cli.stderr().includes('watch: reloaded b2core'), 15_000, 'the reload to be logged');
    expect((await signIn(cli.url, 'second@example.com')).status).toBe(200);
    expect((await signIn(cli.url, 'first@example.com')).status).toBe(401);
    // Live state was reset to the new fixture: the token issued before the edit is gone.
    const session = await fetch(`${cli.url}/api/v2/session`, { headers: { authorization: `Bearer ${token}` } });
    expect(session.status).toBe(401);

    writeFileSync(file, 'userz:\n  - id: "1"\n');
    await waitFor(() => cli.stderr().includes('not reloaded'), 15_000, 'the broken edit to be reported');
    expect(cli.stderr()).toMatch(/watch: b2core not reloaded, the last good version keeps serving: .*b2core\.yaml.*\n.*\/userz: is not an allowed field \(did you mean "users"\?\)/);
    expect((await signIn(cli.url, 'second@example.com')).status).toBe(200);
    expect(cli.child.exitCode).toBeNull();
  });

  it('reloads an edited spec from --specs, and survives a broken one', async () => {
    const specs = path.join(dir, 'specs');
    cpSync(path.join(root, 'openapi'), specs, { recursive: true });
    const spec = path.join(specs, 'b2core.yaml');
    const original = readFileSync(spec, 'utf8');
    expect(original).toContain('\n  /api/v2/signin:\n');
    cli = await serveCli(['--api', 'b2core', '--specs', specs, '--watch']);
    expect((await signIn(cli.url, 'foo@bar.com')).status).toBe(200);

    writeFileSync(spec, `${original}\n  : broken: [\n`);
    await waitFor(() => cli.stderr().includes('not reloaded'), 15_000, 'the broken spec to be reported');
    expect((await signIn(cli.url, 'foo@bar.com')).status).toBe(200);

    writeFileSync(spec, original.replace('\n  /api/v2/signin:\n', '\n  /api/v2/login:\n'));
    await waitFor(() => cli.stderr().includes('watch: reloaded b2core'), 15_000, 'the spec reload');
    const renamed = await fetch(`${cli.url}/api/v2/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'foo@bar.com', password: 'Secret123' }),
    });
    expect(renamed.status).toBe(200);
    expect((await signIn(cli.url, 'foo@bar.com')).status).toBe(404);
  });
});

describe('--fallback', () => {
  let upstream: Server;
  let upstreamUrl: string;
  let hits = 0;
  let cli: CliRun & { url: string };

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      hits++;
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(418, { 'content-type': 'application/json', 'x-upstream': 'yes', 'access-control-allow-origin': 'https://evil.example' });
        res.end(JSON.stringify({ method: req.method, url: req.url, custom: req.headers['x-custom'], host: req.headers.host, body }));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    cli = await serveCli(['--fallback', `${upstreamUrl}/base`, '--log-level', 'warn']);
  });
  afterAll(async () => {
    await cli?.stop();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('forwards a request no API serves, unchanged, and returns the upstream answer', async () => {
    const res = await fetch(`${cli.url}/other/thing?x=1&y=two`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain', 'x-custom': 'kept', origin: 'http://localhost:5173' },
      body: 'payload',
    });
    expect(res.status).toBe(418);
    expect(res.headers.get('x-upstream')).toBe('yes');
    // CORS applies to forwarded requests as to the APIs: the mock's headers, not the upstream's.
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(await res.json()).toEqual({
      method: 'PUT',
      url: '/base/other/thing?x=1&y=two',
      custom: 'kept',
      host: new URL(upstreamUrl).host,
      body: 'payload',
    });
  });

  it('does not forward what an API serves, and marks forwarded requests in the journal', async () => {
    const before = hits;
    expect((await signIn(`${cli.url}/b2core`, 'foo@bar.com')).status).toBe(200);
    expect(hits).toBe(before);
    await fetch(`${cli.url}/elsewhere`);
    const journal = (await (await fetch(`${cli.url}/__admin/requests`)).json()) as { requests: Record<string, unknown>[] };
    const forwarded = journal.requests.filter((e) => e.api === 'fallback');
    expect(forwarded.at(-1)).toMatchObject({ api: 'fallback', method: 'GET', path: '/base/elsewhere', status: 418, forwardedTo: upstreamUrl });
    expect(journal.requests.find((e) => e.api === 'b2core')).not.toHaveProperty('forwardedTo');
  });

  it('answers 502 with a problem when the upstream cannot be reached', async () => {
    const down = await serveCli(['--fallback', 'http://127.0.0.1:1', '--log-level', 'silent']);
    try {
      const res = await fetch(`${down.url}/nowhere`);
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(count(JSON.stringify(await res.json()), 'could not be reached')).toBe(1);
    } finally {
      await down.stop();
    }
  });
});
