// doc-example: many-instances-workers dc95c67c (README "Many instances": --workers 2 over a Redis store)
/**
 * `authdouble serve --workers <n>` through the built CLI: refused without a shared store, n processes
 * on one port sharing one Redis (a token from one worker is accepted by the other), a clean stop on
 * SIGTERM, and crashed workers replaced up to a limit. Which worker answered a request is read from
 * the log line it writes (`info [pid N] GET /path 200`), so each request carries a `probe` query.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { runCli, serveCli, type CliRun } from '../helpers/cli';
import { waitFor } from '../helpers/ports';
import { startRedis, type TestRedis } from '../helpers/redis';

jest.setTimeout(60_000);

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.close();
});

interface Answer {
  status: number;
  body: any;
}

/** One request on a connection of its own (so that the cluster hands each to a worker in turn). */
function send(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent: false,
        timeout: 10_000,
        headers: { connection: 'close', ...(text ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}), ...headers },
      },
      (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : undefined }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(text);
  });
}

/** The pids the banner names: `workers  2 processes share the port: pids 1, 2`. */
function workerPids(stdout: string): number[] {
  const m = /workers\s+(\d+) processes share the port: pids ([\d, ]+)/.exec(stdout);
  if (!m) throw new Error(`no workers line in the banner:\n${stdout}`);
  const pids = m[2]!.split(',').map((p) => Number(p.trim()));
  expect(pids).toHaveLength(Number(m[1]));
  return pids;
}

/** The pid that logged the request carrying `probe`, once it has. */
async function servedBy(run: CliRun, probe: string): Promise<number> {
  const pattern = new RegExp(`\\[pid (\\d+)\\] \\w+ \\S+[?&]probe=${probe}(?:[& ]|$)`, 'm');
  await waitFor(() => pattern.test(run.stderr()), 10_000, `the log line of probe ${probe}`);
  return Number(pattern.exec(run.stderr())![1]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('refused or rejected', () => {
  it.each([
    ['2', 'memory'],
    ['auto', 'memory'],
  ])('--workers %s with the %s store exits 2 and says why', async (workers, store) => {
    const run = runCli(['serve', '--port', '0', '--workers', workers, '--store', store]);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain(`--workers ${workers} needs a shared store, and the state is in memory`);
    expect(run.stderr()).toContain('--store redis://');
    expect(run.stdout()).not.toMatch(/listening/);
  });

  it.each(['0', '-1', 'abc', '1.5', '65'])('--workers %s exits 2 and says what it takes', async (value) => {
    const run = runCli(['serve', '--port', '0', '--workers', value, '--store', redis.url]);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(value === '65' ? /must be at most 64/ : /must be a whole number, at least 1, or auto/);
    expect(run.stdout()).not.toMatch(/listening/);
  });

  it('--workers 1 with the memory store is the ordinary single process', async () => {
    const cli = await serveCli(['--workers', '1', '--store', 'memory']);
    try {
      expect(cli.stdout()).not.toMatch(/workers/);
      expect((await send(`${cli.url}/b2core/api/v2/signin`, 'POST', { email: 'foo@bar.com', password: 'Secret123' })).status).toBe(200);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});

it('--workers 2: both workers serve the one port, a token from one is accepted by the other, SIGTERM stops them all', async () => {
  const cli = await serveCli(['--workers', '2', '--store', redis.url]);
  let pids: number[] = [];
  try {
    pids = workerPids(cli.stdout());
    expect(pids).toHaveLength(2);
    expect(cli.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    // The banner is printed once, with the real port (0 was asked for).
    expect(cli.stdout().match(/listening on/g)).toHaveLength(1);

    const signins: { probe: string; token: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const probe = `s${i}`;
      const answer = await send(`${cli.url}/b2core/api/v2/signin?probe=${probe}`, 'POST', { email: 'foo@bar.com', password: 'Secret123' });
      expect(answer.status).toBe(200);
      signins.push({ probe, token: answer.body.accessToken.token as string });
    }
    const checks: { signedBy: number; checkedBy: number }[] = [];
    for (const [i, signin] of signins.entries()) {
      const signedBy = await servedBy(cli, signin.probe);
      for (let j = 0; j < 3; j++) {
        const probe = `g${i}x${j}`;
        const answer = await send(`${cli.url}/b2core/api/v2/session?probe=${probe}`, 'GET', undefined, { authorization: `Bearer ${signin.token}` });
        expect(answer.status).toBe(200);
        expect(answer.body.email).toBe('foo@bar.com');
        checks.push({ signedBy, checkedBy: await servedBy(cli, probe) });
      }
    }
    const serving = new Set(checks.flatMap((c) => [c.signedBy, c.checkedBy]));
    expect([...serving].sort()).toEqual([...pids].sort());
    // Tokens signed by one worker and accepted (200 above) by the other.
    expect(checks.filter((c) => c.signedBy !== c.checkedBy).length).toBeGreaterThan(0);
  } finally {
    const code = await cli.stop('SIGTERM');
    expect(code).toBe(0);
  }
  expect(cli.stderr()).toMatch(/SIGTERM: stopping 2 workers/);
  for (const pid of pids) expect(cli.stderr()).toContain(`[pid ${pid}] SIGTERM: shutting down`);
  // Each worker is a standalone server: it keeps V8's old generation small, as `serve` does (src/heap.ts).
  for (const pid of pids) expect(cli.stderr()).toContain(`[pid ${pid}] memory: V8's old generation grows by 30%`);
  await waitFor(() => pids.every((pid) => !alive(pid)), 5000, 'the workers to be gone');
});

it.each(['SIGINT', 'SIGHUP'] as const)('%s to the primary stops every worker too, with exit 0', async (signal) => {
  const cli = await serveCli(['--workers', '2', '--store', redis.url]);
  const pids = workerPids(cli.stdout());
  expect(await cli.stop(signal)).toBe(0);
  expect(cli.stderr()).toContain(`${signal}: stopping 2 workers`);
  for (const pid of pids) expect(cli.stderr()).toContain(`[pid ${pid}] ${signal}: shutting down`);
  await waitFor(() => pids.every((pid) => !alive(pid)), 5000, 'the workers to be gone');
});

it('a worker that dies is replaced; after 3 deaths within a minute the primary stops the others and exits 1', async () => {
  const cli = await serveCli(['--workers', '2', '--store', redis.url]);
  const started = workerPids(cli.stdout());
  const replacements: number[] = [];
  try {
    let current = [...started];
    for (let death = 1; death <= 2; death++) {
      const victim = current[0]!;
      process.kill(victim, 'SIGKILL');
      const logged = new RegExp(`worker ${victim} was killed by SIGKILL; starting another[\\s\\S]*worker (\\d+) is serving`);
      await waitFor(() => logged.test(cli.stderr()), 15_000, `a worker to replace ${victim}`);
      const replacement = Number(logged.exec(cli.stderr())![1]);
      replacements.push(replacement);
      current = [...current.slice(1), replacement];
      // Still one mock on the same port: a sign-in and its token work.
      const signin = await send(`${cli.url}/b2core/api/v2/signin`, 'POST', { email: 'foo@bar.com', password: 'Secret123' }, { 'x-authdouble-session': `crash-${death}` });
      expect(signin.status).toBe(200);
    }
    process.kill(current[0]!, 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([cli.exited, new Promise((r) => (timer = setTimeout(() => r('still running'), 20_000)))]);
    clearTimeout(timer);
    expect(outcome).toBe(1);
    expect(cli.stderr()).toMatch(/3 workers ended unexpectedly within 60 s, so authdouble gives up/);
  } finally {
    await cli.stop('SIGKILL');
  }
  const all = [...started, ...replacements];
  await waitFor(() => all.every((pid) => !alive(pid)), 5000, 'every worker to be gone');
});

it('--https: the certificate is made once, by the primary, and every worker serves it', async () => {
  const tlsDir = mkdtempSync(path.join(tmpdir(), 'authdouble-workers-tls-'));
  const cli = await serveCli(['--workers', '2', '--store', redis.url, '--https', '--tls-dir', tlsDir, '--log-level', 'warn']);
  try {
    const printed = /SHA-256 (\S+)/.exec(cli.stdout())?.[1];
    expect(cli.stdout()).toMatch(/TLS certificate \S+localhost\.crt \(made now, self-signed\)/);
    const { port } = new URL(cli.url);
    const served = new Set<string>();
    // Connections go to the workers in turn: four reach both.
    for (let i = 0; i < 4; i++) {
      served.add(
        await new Promise<string>((resolve, reject) => {
          const socket = tlsConnect({ host: '127.0.0.1', port: Number(port), rejectUnauthorized: false }, () => {
            resolve(socket.getPeerCertificate().fingerprint256);
            socket.destroy();
          });
          socket.once('error', reject);
        }),
      );
    }
    expect([...served]).toEqual([printed]);
  } finally {
    expect(await cli.stop()).toBe(0);
    rmSync(tlsDir, { recursive: true, force: true });
  }
});

it('a worker that cannot start stops the start-up with its message and exit 2, once', async () => {
  const busy = await serveCli(['--store', redis.url, '--log-level', 'silent']);
  try {
    const port = new URL(busy.url).port;
    const run = runCli(['serve', '--port', port, '--workers', '2', '--store', redis.url]);
    expect(await run.exited).toBe(2);
    expect(run.stderr().match(/port is already in use/g)).toHaveLength(1);
  } finally {
    await busy.stop();
  }
});
