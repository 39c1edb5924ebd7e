// doc-example: state-file-start 35c15299 (docs/hardening.md: serve with --state-file)
import { Agent, request } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, serveCli } from '../helpers/cli';
import { waitFor } from '../helpers/ports';

jest.setTimeout(60_000);

/** `authdouble serve --state-file` as users run it: signals, restarts, a broken file. */

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-state-cli-'));
  file = path.join(dir, 'state.json');
});

interface Answer {
  status: number;
  body: any;
}

function post(agent: Agent, url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request(url, { method: 'POST', agent, timeout: 10_000, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers } }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString()));
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : undefined });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(text);
  });
}

interface SignUp {
  email: string;
  password: string;
  key: string;
}

it('SIGTERM in the middle of a stream of sign-ups: after a restart, every sign-up that got a 2xx is there', async () => {
  const args = ['--api', 'khe', '--state-file', file, '--log-level', 'silent'];
  const cli = await serveCli(args);
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const accepted: SignUp[] = [];
  let failed = 0;
  let sent = 0;

  // Eight clients sign up one user after another, over keep-alive connections, until the server is gone.
  const stream = async (lane: number) => {
    for (let i = 0; failed < 50 && i < 5000; i++) {
      const user = { email: `u${lane}-${i}@stream.io`, password: `pw-${lane}-${i}` };
      sent++;
      try {
        const res = await post(agent, `${cli.url}/v1.0/users`, { client: 'khe-web', ...user });
        if (res.status === 201) accepted.push({ ...user, key: res.body.key });
        else failed++;
      } catch {
        failed++;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  const lanes = Array.from({ length: 8 }, (_, lane) => stream(lane));
  // A slow sign-up (an injected 1.5 s delay) is in flight when the signal arrives: it must finish and be kept.
  // It runs in a state session of its own, whose one-off fault is gone once the request has met it.
  const slowUser = { email: 'slow@stream.io', password: 'slow-pass' };
  const slowSession = { 'x-authdouble-session': 'slow-one' };
  await waitFor(() => accepted.length > 20, 20_000, 'the stream of sign-ups to flow');
  const fault = await post(new Agent(), `${cli.url}/__admin/faults`, { api: 'khe', operationId: 'signUp', delayMs: 1500, times: 1 }, slowSession);
  expect(fault.status).toBe(201);
  const slow = post(new Agent(), `${cli.url}/v1.0/users`, { client: 'khe-web', ...slowUser }, slowSession);
  await waitFor(
    async () => ((await (await fetch(`${cli.url}/__admin/faults`, { headers: slowSession })).json()) as { faults: unknown[] }).faults.length === 0,
    10_000,
    'the slow sign-up to reach the server',
  );
  const acceptedAtSignal = accepted.length;
  cli.child.kill('SIGTERM');
  const [slowAnswer] = await Promise.all([slow, ...lanes]);
  expect(await cli.exited).toBe(0);
  agent.destroy();

  expect(slowAnswer.status).toBe(201);
  // It really was mid-stream: sign-ups went through before the signal, and some were refused after it.
  expect(acceptedAtSignal).toBeGreaterThan(20);
  expect(failed).toBeGreaterThan(0);
  expect(readdirSync(dir)).toEqual(['state.json']);

  const again = await serveCli(args);
  try {
    const check = new Agent({ keepAlive: true, maxSockets: 8 });
    const missing: string[] = [];
    for (let i = 0; i < accepted.length; i += 50) {
      await Promise.all(
        accepted.slice(i, i + 50).map(async (u) => {
          const res = await post(check, `${again.url}/v1.0/users/token`, { client: 'khe-web', email: u.email, password: u.password });
          if (res.status !== 201 || res.body.key !== u.key) missing.push(`${u.email}: ${res.status}`);
        }),
      );
    }
    check.destroy();
    expect(missing).toEqual([]);
    const slowAgain = await post(new Agent(), `${again.url}/v1.0/users/token`, { client: 'khe-web', ...slowUser }, slowSession);
    expect([slowAgain.status, slowAgain.body.key]).toEqual([201, slowAnswer.body.key]);
    process.stderr.write(`state-file e2e: ${sent} sign-ups sent, ${accepted.length} accepted (${acceptedAtSignal} before SIGTERM), all found after restart\n`);
  } finally {
    expect(await again.stop()).toBe(0);
  }
});

it('SIGINT saves too', async () => {
  const args = ['--api', 'khe', '--state-file', file, '--log-level', 'silent'];
  const cli = await serveCli(args);
  const user = { client: 'khe-web', email: 'ctrl-c@khe.io', password: 'ctrl-c' };
  expect((await post(new Agent(), `${cli.url}/v1.0/users`, user)).status).toBe(201);
  expect(await cli.stop('SIGINT')).toBe(0);
  const again = await serveCli(args);
  try {
    expect((await post(new Agent(), `${again.url}/v1.0/users/token`, user)).status).toBe(201);
  } finally {
    await again.stop();
  }
});

it('a corrupt state file stops start-up with exit 2 and a clear message, and is not overwritten', async () => {
  const text = '{"format":"authdouble-state","version":1,"sessions":[{"name":';
  writeFileSync(file, text);
  const run = runCli(['serve', '--port', '0', '--state-file', file]);
  expect(await run.exited).toBe(2);
  expect(run.stderr()).toContain(`authdouble: state file ${file} is not an authdouble state file (not valid JSON`);
  expect(run.stderr()).toMatch(/left as it is/);
  expect(run.stderr()).not.toMatch(/\n\s+at /);
  expect(readFileSync(file, 'utf8')).toBe(text);
  expect(readdirSync(dir)).toEqual(['state.json']);
});

it('lists --state-file in the help', async () => {
  const run = runCli(['serve', '--help']);
  expect(await run.exited).toBe(0);
  expect(run.stdout()).toMatch(/--state-file <file>/);
});
