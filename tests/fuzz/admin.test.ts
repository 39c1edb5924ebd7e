import { fuzzApi, printSummary } from './support/harness';

jest.setTimeout(120_000);

/** The control API from openapi/admin.yaml: reset, clock, outbox, journal, faults, keys and tokens. */
it('the control API survives 10,000 generated and mutated requests: no 5xx, no hang, every answer as its spec says', async () => {
  const summary = await fuzzApi({
    api: 'admin',
    serve: { apis: ['b2core', 'khe'], prefix: '/__admin' },
    seed: 8_007,
    dictionary: {
      fields: { api: ['api'], advance: ['duration'], set: ['instant'], operationId: ['operation'], to: ['email'], path: ['path'], since: ['instant'] },
      bearer: ['none'],
    },
    pools: {
      api: ['b2core', 'khe', 'vault', 'admin', 'B2CORE'],
      duration: ['PT15M', 'P1D', 'PT1.5S', 'PT0S', 'P36500D', 'P99999999D', 'PT99999999999999999999H', 'P1DT2H3M4.5S'],
      instant: ['2030-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2030-02-30T00:00:00Z'],
      operation: ['signIn', 'refreshToken', 'signUp', 'nothing'],
      email: ['foo@bar.com', 'twofa@bar.com'],
      path: ['/api/v2/signin', '/v1.0/users', ''],
    },
    harvest() {
      // The control API issues nothing to reuse.
    },
  });
  printSummary('admin', summary);
  expect(summary.requests).toBeGreaterThanOrEqual(10_000);
});
