import { fuzzApi, printSummary, type FuzzResponse } from './support/harness';
import type { Pools } from './support/pools';

jest.setTimeout(120_000);

function harvest(pools: Pools, res: FuzzResponse): void {
  pools.add('access', (res.json as any)?.access_token);
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  for (const c of cookies) pools.add('refresh', /^refresh_token=([^;]+)/.exec(c)?.[1]);
}

/** sama's HTTP side from its spec: login by password, Bearer or refresh cookie, and logout. */
it('sama survives 10,000 generated and mutated requests: no 5xx, no hang, every answer as the spec says', async () => {
  const summary = await fuzzApi({
    api: 'sama',
    seed: 8_005,
    dictionary: {
      fields: { organization_id: ['org'], login: ['login'], password: ['password'], device_id: ['device'] },
      bearer: ['access', 'refresh'],
      apiKey: { refresh_token: ['refresh', 'access'] },
    },
    pools: {
      org: ['680a2fae96cc69d78861f101', '680a2fae96cc69d78861f102', '000000000000000000000000'],
      login: ['login_u1', 'user_1', 'LOGIN_U1'],
      password: ['u1_password', 'user_paswword_1', 'other_password'],
      device: ['device_u1', 'xxx-yyy-zzz', '1'],
    },
    harvest,
    async warmUp(send, pools) {
      const res = await send({
        method: 'POST',
        path: '/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: 'device_u1' }),
      });
      expect(res.status).toBe(200);
      harvest(pools, res);
    },
  });
  printSummary('sama', summary);
  expect(summary.requests).toBeGreaterThanOrEqual(10_000);
});
