import { fuzzApi, printSummary } from './support/harness';

jest.setTimeout(120_000);

/** vault from its spec: both grants (JSON and form bodies), logout and session, with live tokens mixed in. */
it('vault survives 10,000 generated and mutated requests: no 5xx, no hang, every answer as the spec says', async () => {
  const summary = await fuzzApi({
    api: 'vault',
    seed: 8_002,
    dictionary: {
      fields: {
        username: ['username'],
        password: ['password'],
        client_id: ['client'],
        refresh_token: ['refresh', 'access'],
        grant_type: ['grant'],
      },
      bearer: ['access', 'refresh'],
    },
    pools: {
      username: ['user@example.com', 'viewer@example.com', 'VIEWER@EXAMPLE.COM', 'nobody@example.com'],
      password: ['A9#bL8@z', 'V1ewer#2024', 'a9#bl8@z'],
      client: ['haequi3Aah8lie2r', 'vault-mobile-app', 'unknown-client'],
      grant: ['password', 'refresh_token', 'client_credentials', 'authorization_code'],
    },
    harvest(pools, res) {
      const body = res.json as any;
      pools.add('access', body?.access_token);
      pools.add('refresh', body?.refresh_token);
    },
    async warmUp(send, pools) {
      const res = await send({
        method: 'POST',
        path: '/reg/auth/token',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'password', username: 'viewer@example.com', password: 'V1ewer#2024', client_id: 'haequi3Aah8lie2r' }),
      });
      expect(res.status).toBe(200);
      pools.add('access', (res.json as any).access_token);
      pools.add('refresh', (res.json as any).refresh_token);
    },
  });
  printSummary('vault', summary);
  expect(summary.requests).toBeGreaterThanOrEqual(10_000);
});
