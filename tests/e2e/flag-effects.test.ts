/**
 * Each documented `serve` flag, run against the built CLI, with the effect a user would notice. Every
 * row compares the flag with its absence, so a CLI that ignored the flag fails the row.
 */
import { createServer } from 'node:http';
import { createConnection, type AddressInfo, type Socket } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, serveCli, type CliRun } from '../helpers/cli';
import { specDirTheBehaviourBreaks } from '../helpers/broken-spec';
import { freePort } from '../helpers/ports';
import { startRedis, type TestRedis } from '../helpers/redis';
import { createClient } from '@redis/client';

jest.setTimeout(60_000);

const FOO = { email: 'foo@bar.com', password: 'Secret123' };
const TOKEN = 'flag-table-admin-token';

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const servers: CliRun[] = [];
async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun & { url: string }> {
  const cli = await serveCli(args, env);
  servers.push(cli);
  return cli;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const broken = specDirTheBehaviourBreaks();
// A fixtures folder where foo@bar.com has another password.
const fixtures = mkdtempSync(path.join(tmpdir(), 'authdouble-flag-fixtures-'));
const keysDir = mkdtempSync(path.join(tmpdir(), 'authdouble-flag-keys-'));
writeFileSync(path.join(fixtures, 'b2core.yaml'), readFileSync(path.join(root, 'fixtures', 'b2core.yaml'), 'utf8').replace('password: Secret123', 'password: Changed456'));
afterAll(() => {
  broken.remove();
  rmSync(fixtures, { recursive: true, force: true });
  rmSync(keysDir, { recursive: true, force: true });
});
const PAGE = 'http://localhost:5173';

/** What the user sees, with and without the flag; each row must differ. */
interface Row {
  flag: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** The same server without the flag. */
  without: string[];
  observe(cli: CliRun & { url: string }): Promise<unknown>;
  expected: unknown;
  expectedWithout: unknown;
}

const statusOf = async (res: Response) => {
  await res.arrayBuffer();
  return res.status;
};

const rows: Row[] = [
  {
    flag: '--strict (with --specs holding a spec the behaviour breaks)',
    args: ['--api', 'b2core', '--specs', broken.dir, '--strict'],
    without: ['--api', 'b2core', '--specs', broken.dir],
    async observe(cli) {
      const res = await post(`${cli.url}/api/v2/signin`, FOO);
      const body = (await res.json()) as Record<string, unknown>;
      return { status: res.status, type: res.headers.get('content-type')?.split(';')[0], names: JSON.stringify(body).includes('notSentByTheMock') };
    },
    expected: { status: 500, type: 'application/problem+json', names: true },
    expectedWithout: { status: 200, type: 'application/json', names: false },
  },
  {
    flag: '--admin-token (a changing control call needs it)',
    args: ['--api', 'b2core', '--admin-token', TOKEN],
    without: ['--api', 'b2core'],
    async observe(cli) {
      const bare = await statusOf(await post(`${cli.url}/__admin/reset`, {}));
      const wrong = await statusOf(await post(`${cli.url}/__admin/reset`, {}, { authorization: 'Bearer not-the-token' }));
      const right = await statusOf(await post(`${cli.url}/__admin/reset`, {}, { authorization: `Bearer ${TOKEN}` }));
      return { bare, wrong, right };
    },
    expected: { bare: 401, wrong: 401, right: 200 },
    expectedWithout: { bare: 200, wrong: 200, right: 200 },
  },
  {
    flag: 'AUTHDOUBLE_ADMIN_TOKEN (the same, from the environment)',
    args: ['--api', 'b2core'],
    env: { AUTHDOUBLE_ADMIN_TOKEN: TOKEN },
    without: ['--api', 'b2core'],
    async observe(cli) {
      const bare = await statusOf(await post(`${cli.url}/__admin/clock`, { advance: 'PT1M' }));
      const right = await statusOf(await post(`${cli.url}/__admin/clock`, { advance: 'PT1M' }, { authorization: `Bearer ${TOKEN}` }));
      return { bare, right };
    },
    expected: { bare: 401, right: 200 },
    expectedWithout: { bare: 200, right: 200 },
  },
  {
    flag: '--no-admin',
    args: ['--api', 'b2core', '--no-admin'],
    without: ['--api', 'b2core'],
    async observe(cli) {
      return {
        reset: await statusOf(await post(`${cli.url}/__admin/reset`, {})),
        clock: await statusOf(await fetch(`${cli.url}/__admin/clock`)),
        printed: cli.stdout().includes('/__admin'),
      };
    },
    expected: { reset: 404, clock: 404, printed: false },
    expectedWithout: { reset: 200, clock: 200, printed: true },
  },
  {
    flag: '--body-limit',
    args: ['--api', 'b2core', '--body-limit', '1kb'],
    without: ['--api', 'b2core'],
    async observe(cli) {
      // Valid JSON of 2 KB: under the default 100 KB it reaches validation (unknown field: 400).
      const body = JSON.stringify({ ...FOO, padding: 'x'.repeat(2048) });
      const res = await post(`${cli.url}/api/v2/signin`, body);
      const json = (await res.json()) as { code?: string };
      return { status: res.status, hasCode: typeof json.code === 'string' };
    },
    expected: { status: 413, hasCode: true },
    expectedWithout: { status: 400, hasCode: true },
  },
  {
    flag: '--log-level silent',
    args: ['--api', 'b2core', '--log-level', 'silent'],
    without: ['--api', 'b2core'],
    async observe(cli) {
      await statusOf(await post(`${cli.url}/api/v2/signin`, FOO));
      await statusOf(await post(`${cli.url}/api/v2/signin`, { ...FOO, password: 'wrong' }));
      // Once the process has ended and its pipes are closed, everything it would print is here.
      expect(await cli.stop()).toBe(0);
      return { logged: cli.stderr() };
    },
    expected: { logged: '' },
    expectedWithout: { logged: expect.stringMatching(/info POST \/api\/v2\/signin 200 .*\n.*info POST \/api\/v2\/signin 401 .*SIGTERM: shutting down/s) },
  },
  {
    flag: '--api with several ids (comma-separated and repeated)',
    args: ['--api', 'b2core,vault', '--api', 'khe'],
    without: [],
    async observe(cli) {
      const urls = { b2core: '/b2core/api/v2/signin', vault: '/vault/reg/auth/token', khe: '/khe/v1.0/users/token', fib: '/fib/auth/api/v1/authentication-management/session', sama: '/sama/login' };
      const served: Record<string, boolean> = {};
      for (const [id, p] of Object.entries(urls)) {
        const res = await post(`${cli.url}${p}`, {});
        const type = res.headers.get('content-type') ?? '';
        await res.arrayBuffer();
        // An API that is not served answers the mock's own 404 problem, not the API's own error.
        served[id] = !(res.status === 404 && type.startsWith('application/problem+json'));
      }
      return { served, listed: ['b2core', 'vault', 'khe', 'fib', 'sama'].filter((id) => cli.stdout().includes(`${cli.url}/${id}`)) };
    },
    expected: { served: { b2core: true, vault: true, khe: true, fib: false, sama: false }, listed: ['b2core', 'vault', 'khe'] },
    expectedWithout: { served: { b2core: true, vault: true, khe: true, fib: true, sama: true }, listed: ['b2core', 'vault', 'khe', 'fib', 'sama'] },
  },
  {
    flag: '--fixtures',
    args: ['--api', 'b2core', '--fixtures', fixtures],
    without: ['--api', 'b2core'],
    async observe(cli) {
      return {
        old: await statusOf(await post(`${cli.url}/api/v2/signin`, FOO)),
        changed: await statusOf(await post(`${cli.url}/api/v2/signin`, { ...FOO, password: 'Changed456' })),
      };
    },
    expected: { old: 401, changed: 200 },
    expectedWithout: { old: 200, changed: 401 },
  },
  {
    flag: '--host (another loopback address)',
    args: ['--api', 'b2core', '--host', '127.0.0.2'],
    without: ['--api', 'b2core'],
    async observe(cli) {
      const port = new URL(cli.url).port;
      const reach = (host: string) =>
        post(`http://${host}:${port}/api/v2/signin`, FOO).then(statusOf, (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message);
      return { printed: new URL(cli.url).hostname, on2: await reach('127.0.0.2'), on1: await reach('127.0.0.1') };
    },
    expected: { printed: '127.0.0.2', on2: 200, on1: 'ECONNREFUSED' },
    expectedWithout: { printed: '127.0.0.1', on2: 'ECONNREFUSED', on1: 200 },
  },
  {
    flag: '--port',
    args: ['--api', 'b2core'],
    without: ['--api', 'b2core'],
    async observe(cli) {
      return { port: new URL(cli.url).port === String(wanted) };
    },
    expected: { port: true },
    expectedWithout: { port: false },
  },
  {
    flag: '--no-cors',
    args: ['--api', 'b2core', '--no-cors'],
    without: ['--api', 'b2core'],
    async observe(cli) {
      const res = await post(`${cli.url}/api/v2/signin`, FOO, { origin: PAGE });
      await res.arrayBuffer();
      const pre = await fetch(`${cli.url}/api/v2/signin`, { method: 'OPTIONS', headers: { origin: PAGE, 'access-control-request-method': 'POST' } });
      await pre.arrayBuffer();
      return { allowed: res.headers.get('access-control-allow-origin'), preflightAllowed: pre.headers.get('access-control-allow-origin') };
    },
    expected: { allowed: null, preflightAllowed: null },
    expectedWithout: { allowed: PAGE, preflightAllowed: PAGE },
  },
  {
    flag: '--cors-origin',
    args: ['--api', 'b2core', '--cors-origin', PAGE],
    without: ['--api', 'b2core'],
    async observe(cli) {
      const from = async (origin: string) => {
        const res = await post(`${cli.url}/api/v2/signin`, FOO, { origin });
        await res.arrayBuffer();
        return res.headers.get('access-control-allow-origin');
      };
      return { page: await from(PAGE), other: await from('http://other.example') };
    },
    expected: { page: PAGE, other: null },
    expectedWithout: { page: PAGE, other: 'http://other.example' },
  },
  {
    flag: '--keys-file',
    args: ['--api', 'b2core', '--keys-file', path.join(keysDir, 'keys.json')],
    without: ['--api', 'b2core'],
    async observe(cli) {
      const jwks = (await (await fetch(`${cli.url}/__admin/keys`)).json()) as { keys: { kid: string }[] };
      const file = path.join(keysDir, 'keys.json');
      const kept = existsSync(file) ? readFileSync(file, 'utf8') : '';
      return { inFile: jwks.keys.length > 0 && jwks.keys.every((k) => kept.includes(k.kid)) };
    },
    expected: { inFile: true },
    expectedWithout: { inFile: false },
  },
  {
    flag: '--store (a Redis URL)',
    args: ['--api', 'b2core', '--store', 'REDIS'],
    without: ['--api', 'b2core'],
    async observe(cli) {
      // A sign-in's state lands in Redis, where other instances find it.
      const client = createClient({ url: redis.url });
      await client.connect();
      await client.flushAll();
      await statusOf(await post(`${cli.url}/api/v2/signin`, FOO));
      const keys = await client.keys('authdouble:{default}:b2core:*');
      await client.close();
      return { inRedis: keys.length > 0 };
    },
    expected: { inRedis: true },
    expectedWithout: { inRedis: false },
  },
  {
    flag: '--max-connections',
    args: ['--api', 'b2core', '--max-connections', '2'],
    without: ['--api', 'b2core'],
    async observe(cli) {
      const { port } = new URL(cli.url);
      // Two idle connections hold their places; a third then asks for the clock.
      const held = await Promise.all([connect(port), connect(port)]);
      const third = await connect(port);
      const answer = await new Promise<string>((resolve) => {
        let data = '';
        third.on('error', () => undefined);
        third.on('data', (d: Buffer) => (data += d.toString()));
        third.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
        third.end('GET /__admin/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      });
      held.forEach((s) => s.destroy());
      return { third: answer };
    },
    expected: { third: '' },
    expectedWithout: { third: 'HTTP/1.1 200 OK' },
  },
  {
    flag: '--fallback',
    args: ['--api', 'b2core,vault', '--fallback', 'FALLBACK'],
    without: ['--api', 'b2core,vault'],
    async observe(cli) {
      const res = await fetch(`${cli.url}/not/served/here`);
      return { status: res.status, body: await res.text() };
    },
    expected: { status: 299, body: 'the fallback got GET /not/served/here' },
    expectedWithout: { status: 404, body: expect.stringContaining('/not/served/here') },
  },
];

let wanted = 0;
let fallbackUrl = '';

/** A TCP connection to 127.0.0.1:port, once it is open. */
function connect(port: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

// The upstream --fallback forwards to: it says what it got.
const upstream = createServer((req, res) => {
  res.writeHead(299, { 'content-type': 'text/plain' });
  res.end(`the fallback got ${req.method} ${req.url}`);
});
beforeAll(async () => {
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  fallbackUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => upstream.close(r)));

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.close());

describe('authdouble serve: each flag has its documented effect (the built CLI)', () => {
  it.each(rows.map((r) => [r.flag, r] as const))('%s', async (_flag, row) => {
    wanted = await freePort();
    const args = (row.flag === '--port' ? [...row.args, '--port', String(wanted)] : row.args).map((a) => (a === 'FALLBACK' ? fallbackUrl : a === 'REDIS' ? redis.url : a));
    const withFlag = await serve(args, row.env);
    expect(await row.observe(withFlag)).toEqual(row.expected);
    const without = await serve(row.without);
    expect(await row.observe(without)).toEqual(row.expectedWithout);
  });
});
