// doc-example: many-instances-replicas f426e996 (README "Many instances": two replicas on one Redis)
// doc-example: redis-durable 68e91cf2 (README "Many instances": Redis with the append-only file and a memory bound)
/**
 * The README's "Many instances" commands, run as written (the built CLI for `npx authdouble`, a Redis
 * of the test's own for `redis://127.0.0.1:6379`, free ports for fixed ones, a temporary folder for
 * Redis's `--dir`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, type CliRun } from '../helpers/cli';
import { exampleById } from '../helpers/doc-examples';
import { freePort, waitFor } from '../helpers/ports';
import { REDIS_SERVER, startRedis } from '../helpers/redis';

jest.setTimeout(60_000);

/** The commands of a shell block: continuation lines joined, `&` and comments dropped, split into words. */
function commands(id: string): string[][] {
  return exampleById(id)
    .text.replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').replace(/&\s*$/, '').trim())
    .filter(Boolean)
    .map((line) => line.split(/\s+/));
}

/** `npx authdouble serve ...` from the README, on a free port and the test's Redis. */
async function serveAsWritten(words: string[], redisUrl: string): Promise<CliRun & { url: string }> {
  expect(words.slice(0, 3)).toEqual(['npx', 'authdouble', 'serve']);
  const args = words.slice(2).map((w, i, all) => (w === 'redis://127.0.0.1:6379' ? redisUrl : all[i - 1] === '--port' ? '0' : w));
  const run = runCli([...args, '--log-level', 'warn']);
  let exited = false;
  void run.exited.then(() => (exited = true));
  await waitFor(() => exited || /listening on http/.test(run.stdout()), 15_000, 'the CLI to listen');
  const url = /listening on (http:\/\/\S+)/.exec(run.stdout())?.[1];
  if (!url) throw new Error(`did not start:\n${run.stdout()}\n${run.stderr()}`);
  return { ...run, url };
}

async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/b2core/api/v2/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'foo@bar.com', password: 'Secret123' }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { accessToken: { token: string } }).accessToken.token;
}

async function session(url: string, token: string): Promise<number> {
  const res = await fetch(`${url}/b2core/api/v2/session`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

it('many-instances-replicas: a token from one replica is accepted, refreshed and signed out on the other', async () => {
  const redis = await startRedis();
  const started: CliRun[] = [];
  try {
    const lines = commands('many-instances-replicas');
    expect(lines).toHaveLength(2);
    const [a, b] = [await serveAsWritten(lines[0]!, redis.url), await serveAsWritten(lines[1]!, redis.url)];
    started.push(a, b);
    const token = await signIn(a.url);
    expect(await session(b.url, token)).toBe(200);
    const signOut = await fetch(`${b.url}/b2core/api/v2/signout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await signOut.arrayBuffer();
    expect(signOut.status).toBeLessThan(300);
    expect(await session(a.url, token)).toBe(401);
  } finally {
    for (const run of started) expect(await run.stop()).toBe(0);
    await redis.close();
  }
});

describe('redis-durable', () => {
  /** redis-server as the README starts it, on a free port and in `dir`. */
  async function redisAsWritten(dir: string, port: number): Promise<ChildProcess> {
    const [words] = commands('redis-durable');
    expect(words?.[0]).toBe('redis-server');
    const args = words!.slice(1).map((w, i, all) => (all[i - 1] === '--port' ? String(port) : all[i - 1] === '--dir' ? dir : w));
    const child = spawn(REDIS_SERVER, [...args, '--bind', '127.0.0.1', '--save', ''], { stdio: 'ignore' });
    let gone = false;
    child.once('exit', () => (gone = true));
    await waitFor(async () => gone || (await answers(port)), 10_000, 'redis-server to answer');
    if (gone) throw new Error(`redis-server ${args.join(' ')} exited at once`);
    return child;
  }

  async function answers(port: number): Promise<boolean> {
    const { connect } = await import('node:net');
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const done = (ok: boolean) => (socket.destroy(), resolve(ok));
      socket.setTimeout(500, () => done(false));
      socket.once('error', () => done(false));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    });
  }

  function kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid!, 'SIGKILL');
    return gone;
  }

  it('with the append-only file, a token and the signing keys outlive a crash of Redis (SIGKILL) and of every instance', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-aof-'));
    const port = await freePort();
    let redis = await redisAsWritten(dir, port);
    try {
      const first = await serveAsWritten(['npx', 'authdouble', 'serve', '--store', 'redis://127.0.0.1:6379'], `redis://127.0.0.1:${port}`);
      const token = await signIn(first.url);
      expect(await first.stop()).toBe(0);
      // Redis has written the sign-in to its append-only file (the OS has it; SIGKILL loses nothing written).
      const aofDir = path.join(dir, 'appendonlydir');
      const aofText = () => (existsSync(aofDir) ? readdirSync(aofDir).map((f) => readFileSync(path.join(aofDir, f), 'latin1')).join('') : '');
      await waitFor(() => aofText().includes('authdouble:keys') && aofText().includes('b2core'), 10_000, 'the AOF to hold the sign-in');
      await kill(redis);
      redis = await redisAsWritten(dir, port);
      const second = await serveAsWritten(['npx', 'authdouble', 'serve', '--store', 'redis://127.0.0.1:6379'], `redis://127.0.0.1:${port}`);
      try {
        expect(await session(second.url, token)).toBe(200);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      await kill(redis);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without it (the test Redis: no persistence), the same crash loses the token', async () => {
    const redis = await startRedis();
    try {
      const first = await serveAsWritten(['npx', 'authdouble', 'serve', '--store', 'redis://127.0.0.1:6379'], redis.url);
      const token = await signIn(first.url);
      expect(await first.stop()).toBe(0);
      await redis.stop();
      await redis.restart();
      const second = await serveAsWritten(['npx', 'authdouble', 'serve', '--store', 'redis://127.0.0.1:6379'], redis.url);
      try {
        expect(await session(second.url, token)).toBe(401);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      await redis.close();
    }
  });

  it('sets the memory bound and the policy that evicts only entries with a TTL', () => {
    const [words] = commands('redis-durable');
    const flag = (name: string) => words![words!.indexOf(name) + 1];
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--appendfsync')).toBe('everysec');
    expect(flag('--maxmemory-policy')).toBe('volatile-lru');
    expect(flag('--maxmemory')).toMatch(/^\d+mb$/);
  });
});
