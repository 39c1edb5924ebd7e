import { serveCli, runCli } from '../helpers/cli';

describe('--host', () => {
  it('takes an IPv6 address in brackets, as in a URL', async () => {
    const run = await serveCli(['--host', '[::]', '--api', 'vault', '--log-level', 'error']);
    try {
      expect(run.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      const res = await fetch(`${run.url}/.well-known/openid-configuration`).catch(() => fetch(`${run.url}/__admin/clock`));
      expect(res.status).toBeLessThan(500);
    } finally {
      await run.stop();
    }
  });

  it('an unknown host name is a usage error (exit 2, one line, no stack trace)', async () => {
    const run = runCli(['serve', '--port', '0', '--host', 'no-such-host.invalid']);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/^authdouble: cannot listen: .*no-such-host\.invalid/m);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
  });
});
