import { fuzzApi, printSummary } from './support/harness';

jest.setTimeout(120_000);

/** khe from its spec: sign-up, sign-in, refresh, PATCH /users and sign-out, with live keys and tokens over Basic. */
it('khe survives 10,000 generated and mutated requests: no 5xx, no hang, every answer as the spec says', async () => {
  const summary = await fuzzApi({
    api: 'khe',
    seed: 8_004,
    dictionary: {
      fields: { client: ['client'], email: ['email'], password: ['password'], key: ['key'], refresh: ['refresh', 'token'] },
      basic: ['basic'],
    },
    pools: {
      client: ['khe-web', 'khe-android', 'khe-ios', 'KHE-WEB', 'unknown'],
      email: ['hacker@khe.io', 'staff@khe.io', 'admin@khe.io', 'HACKER@KHE.IO', 'new@khe.io'],
      password: ['hackathon', 'organizer', 'superuser'],
      key: ['5f1e0c2ab36d4c0017a3e9d1', '5f1e0c2ab36d4c0017a3e9d2', '5f1e0c2ab36d4c0017a3e9d3'],
    },
    harvest(pools, res) {
      const body = res.json as any;
      pools.add('key', body?.key);
      pools.add('token', body?.token);
      pools.add('refresh', body?.refresh);
      if (typeof body?.key === 'string' && typeof body?.token === 'string') pools.add('basic', `${body.key}:${body.token}`);
    },
    async warmUp(send, pools) {
      for (const [email, password] of [['hacker@khe.io', 'hackathon'], ['admin@khe.io', 'superuser']]) {
        const res = await send({
          method: 'POST',
          path: '/v1.0/users/token',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ client: 'khe-web', email, password }),
        });
        expect(res.status).toBe(201);
        const body = res.json as any;
        pools.add('key', body.key);
        pools.add('token', body.token);
        pools.add('refresh', body.refresh);
        pools.add('basic', `${body.key}:${body.token}`);
      }
    },
  });
  printSummary('khe', summary);
  expect(summary.requests).toBeGreaterThanOrEqual(10_000);
});
