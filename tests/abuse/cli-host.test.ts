import { serveCli } from '../helpers/cli';

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
});

describe('--max-connections', () => {
  it('takes a whole number and refuses anything else (exit 2)', async () => {
    const { runCli } = await import('../helpers/cli');
    const run = runCli(['serve', '--port', '0', '--max-connections', 'lots']);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/--max-connections/);
    const ok = await serveCli(['--max-connections', '50', '--api', 'vault', '--log-level', 'error']);
    await ok.stop();
  });
});
