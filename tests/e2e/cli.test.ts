import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, serveCli } from '../helpers/cli';

jest.setTimeout(30_000);

const signIn = (base: string) =>
  fetch(`${base}/api/v2/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'foo@bar.com', password: 'Secret123' }),
  });

describe('authdouble serve (the built CLI)', () => {
  it('serves every API under its prefix and signs in over real HTTP, logging one line per request', async () => {
    const cli = await serveCli([]);
    try {
      expect(cli.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(cli.stdout()).toContain(`b2core   ${cli.url}/b2core`);
      const res = await signIn(`${cli.url}/b2core`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { accessToken: { token: string } };
      const session = await fetch(`${cli.url}/b2core/api/v2/session`, { headers: { authorization: `Bearer ${body.accessToken.token}` } });
      expect(session.status).toBe(200);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    // The process has ended and its pipes are read to the end: every line it logged is here.
    expect(cli.stderr()).toMatch(/info POST \/b2core\/api\/v2\/signin 200 \d+\.\dms/);
  });

  it('serves one API at the root with --api', async () => {
    const cli = await serveCli(['--api', 'b2core', '--log-level', 'silent']);
    try {
      expect((await signIn(cli.url)).status).toBe(200);
      expect((await signIn(`${cli.url}/b2core`)).status).toBe(404);
    } finally {
      await cli.stop();
    }
  });

  it('takes the port from PORT', async () => {
    const { freePort } = await import('../helpers/ports');
    const port = await freePort();
    const run = runCli(['serve', '--log-level', 'silent'], { PORT: String(port) });
    try {
      const { waitFor } = await import('../helpers/ports');
      await waitFor(() => run.stdout().includes(`:${port}`), 10_000, 'the CLI to listen on PORT');
    } finally {
      await run.stop();
    }
  });

  it.each([
    [['serve', '--port', 'abc'], /--port.*must be a whole number/],
    [['serve', '--bogus'], /unknown option '--bogus'/],
    [['serve', '--api', 'nope'], /unknown API "nope"; known: .*b2core/],
    [['serve', '--log-level', 'loud'], /Allowed choices are silent, error, warn, info/],
    [['serve', '--body-limit', 'lots'], /--body-limit.*must be a size/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('exits 2 with a message for bad flags: %j', async (args, message) => {
    const run = runCli(args as string[]);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(message);
  });

  it('exits 2 naming the file, line and path of a broken fixture', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'authdouble-cli-'));
    writeFileSync(path.join(dir, 'b2core.yaml'), 'users:\n  - id: "1"\n    email: foo@bar.com\n    password: 12\n');
    const run = runCli(['serve', '--port', '0', '--fixtures', dir]);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/b2core\.yaml:4:\d+ \/users\/0\/password: must be string/);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
  });

  it('prints help for each flag', async () => {
    const run = runCli(['serve', '--help']);
    expect(await run.exited).toBe(0);
    for (const flag of ['--port', '--host', '--api', '--fixtures', '--strict', '--body-limit', '--log-level']) {
      expect(run.stdout()).toContain(flag);
    }
  });
});
