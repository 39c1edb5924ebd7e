// doc-example: fuzz-seed f39f9a51 (docs/hardening.md: the fuzz suite, seed and runs from FUZZ_SEED / FUZZ_RUNS)
import { fuzzApi, printSummary } from './support/harness';

jest.setTimeout(120_000);

/** b2core from its spec: sign-in, 2FA confirm, refresh, sign-out and session, with live tokens mixed in. */
it('b2core survives 10,000 generated and mutated requests: no 5xx, no hang, every answer as the spec says', async () => {
  const summary = await fuzzApi({
    api: 'b2core',
    seed: 8_001,
    dictionary: {
      fields: { email: ['email'], password: ['password'], refreshToken: ['refresh', 'access'], token: ['twofa'], code: ['code'] },
      bearer: ['access', 'refresh', 'twofa'],
    },
    pools: {
      email: ['foo@bar.com', 'twofa@bar.com', 'fixed2fa@bar.com', 'FOO@BAR.COM', 'nobody@bar.com'],
      password: ['Secret123', 'secret123'],
      code: ['123456', '000000'],
    },
    harvest(pools, res) {
      const body = res.json as any;
      pools.add('access', body?.accessToken?.token);
      pools.add('refresh', body?.refreshToken?.token);
      pools.add('twofa', body?.['2faDetails']?.token);
    },
    async warmUp(send, pools) {
      for (const email of ['foo@bar.com', 'fixed2fa@bar.com']) {
        const res = await send({
          method: 'POST',
          path: '/api/v2/signin',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: 'Secret123' }),
        });
        expect(res.status).toBe(200);
        const body = res.json as any;
        pools.add('access', body.accessToken?.token);
        pools.add('refresh', body.refreshToken?.token);
        pools.add('twofa', body['2faDetails']?.token);
      }
    },
  });
  printSummary('b2core', summary);
  expect(summary.requests).toBeGreaterThanOrEqual(10_000);
});
