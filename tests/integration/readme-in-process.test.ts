/**
 * The README's "In-process, from your own tests" snippet, step by step, with what each step should
 * have done checked.
 */
// doc-example: in-process 45c8bb6f
import { startMock } from '../../src/index';

it('does what the README snippet shows', async () => {
  const mock = await startMock({ apis: ['b2core'] });
  try {
    const base = mock.urls.b2core;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/b2core$/);
    await mock.control.reset();
    const signIn = await fetch(`${base}/api/v2/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'twofa@bar.com', password: 'Secret123' }),
    });
    expect(((await signIn.json()) as { '2faRequired': boolean })['2faRequired']).toBe(true);
    const code = await mock.control.latestCode('b2core', 'twofa@bar.com');
    expect(code).toMatch(/^\d{6}$/);
    const before = (await mock.control.clock.get()).now.getTime();
    await mock.control.clock.advance('PT10H1S');
    expect((await mock.control.clock.get()).now.getTime() - before).toBeGreaterThanOrEqual(10 * 3600_000 + 1000);
    await mock.control.faults.add({ api: 'b2core', operationId: 'signIn', status: 503, times: 1 });
    const faulted = await fetch(`${base}/api/v2/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'foo@bar.com', password: 'Secret123' }),
    });
    expect(faulted.status).toBe(503);
    const other = mock.control.session('another-test-file');
    expect(await other.outbox()).toEqual([]);
  } finally {
    await mock.close();
  }
});
