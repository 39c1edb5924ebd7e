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
