import { ALICE, BOB, DEV } from '../helpers/fib';
import { parsePrivateKey, signEmail } from '../../src/apis/fib/signing';
import { fuzzApi, printSummary } from './support/harness';

jest.setTimeout(120_000);

const DEV_SIGNATURE = signEmail(DEV.email, parsePrivateKey(DEV.privateKey));

/** fib from its spec: signature sign-in, refresh in Authorization, logout and session-info, with live tokens. */
it('fib survives 10,000 generated and mutated requests: no 5xx, no hang, every answer as the spec says', async () => {
  const summary = await fuzzApi({
    api: 'fib',
    seed: 8_003,
    dictionary: {
      fields: { email: ['email'], signature: ['signature'], authPublicKeyHex: ['publicKey'] },
      bearer: ['access', 'refresh'],
      apiKey: { authorization: ['refresh', 'access'] },
    },
    pools: {
      email: [ALICE.email, BOB.email, DEV.email, 'ALICE@WONDERLAND.SPACE', 'nobody@wonderland.space'],
      signature: [ALICE.signature, BOB.signature, DEV_SIGNATURE, ALICE.signature.toUpperCase()],
      publicKey: [ALICE.authPublicKeyHex, DEV.publicKey, DEV.publicKey.toUpperCase()],
    },
    harvest(pools, res) {
      const data = (res.json as any)?.data;
      pools.add('access', data?.accessToken);
      pools.add('refresh', data?.refreshToken);
    },
    async warmUp(send, pools) {
      for (const body of [ALICE, { email: DEV.email, signature: DEV_SIGNATURE, authPublicKeyHex: DEV.publicKey }]) {
        const res = await send({
          method: 'POST',
          path: '/auth/api/v1/authentication-management/session',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(200);
        pools.add('access', (res.json as any).data.accessToken);
        pools.add('refresh', (res.json as any).data.refreshToken);
      }
    },
  });
  printSummary('fib', summary);
  expect(summary.requests).toBeGreaterThanOrEqual(10_000);
});
