/**
 * `verify --generated N` (issue 15): negative checks derived from each operation's schema, drawn by
 * fast-check from a seed. Against our mock every one gets a documented 4xx in the documented error
 * body; a server that answers 500 to a malformed body is caught; the hand-written checks still catch
 * every other broken variant when generated checks run beside them; a seed gives the same checks.
 */
import { verify } from '../../src/contract';
import fc from 'fast-check';
import { drawn, generatedChecks } from '../../src/contract/generated';
import { startBrokenProxy } from '../helpers/broken-proxy';
import { brokenVariants } from '../helpers/broken-variants';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(120_000);

const APIS = ['b2core', 'vault', 'fib', 'sama', 'khe'];
const SEED = Number(process.env.VERIFY_SEED ?? 20261127);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('against our own mock', () => {
  it.each(APIS)('%s: 200 generated checks, every one a documented 4xx in the documented error body', async (api) => {
    const report = await verify({ api, target: `${server.url}/${api}`, generated: 200, seed: SEED, only: ['generated'] });
    expect(report.results).toHaveLength(200);
    // Printed on failure, so the seed can be re-run: VERIFY_SEED=<seed> or `verify --generated 200 --seed <seed>`.
    expect({ seed: SEED, failed: report.results.filter((r) => r.status !== 'passed').map((r) => `${r.id}: ${r.reason} [${r.actual}]`) }).toEqual({ seed: SEED, failed: [] });
  });

  it('covers every kind of mutation the issue lists, somewhere in the five APIs', () => {
    const kinds = new Set(APIS.flatMap((api) => generatedChecks(api, 200, SEED).map((c) => c.id.split('.').at(-1))));
    expect([...kinds].sort()).toEqual(['extra-field', 'garbled-auth', 'malformed-json', 'missing-auth', 'missing-required', 'oversized-string', 'wrong-type']);
  });

  it('the same seed gives the same checks; another seed other values', () => {
    const a = generatedChecks('b2core', 50, 7).map((c) => [c.id, c.spec.steps]);
    expect(generatedChecks('b2core', 50, 7).map((c) => [c.id, c.spec.steps])).toEqual(a);
    expect(generatedChecks('b2core', 50, 8).map((c) => [c.id, c.spec.steps])).not.toEqual(a);
  });

  it('draws no value holding `${`, which a step would read as a placeholder (a correct server once failed a check so)', () => {
    const values = Array.from({ length: 50 }, (_, seed) => drawn(fc.oneof(fc.constant('x ${run.id} y'), fc.constant({ a: '${' }), fc.string()), seed));
    expect(values.filter((v) => JSON.stringify(v).includes('${'))).toEqual([]);
  });

  it('each generated check expects only 4xx statuses the spec documents for its operation', () => {
    for (const check of generatedChecks('b2core', 40, 3)) {
      const step = check.spec.steps[0] as { request: string; expect: { status: number[] } };
      expect(step.expect.status.length).toBeGreaterThan(0);
      expect(step.expect.status.every((s) => s >= 400 && s <= 499)).toBe(true);
      if (step.request === 'POST /api/v2/signout') expect(step.expect.status).toEqual(expect.arrayContaining([401]));
    }
  });
});

describe('against broken implementations', () => {
  it('a server that answers 500 to a malformed body on refresh: a generated check fails, no hand-written one does', async () => {
    const variant = brokenVariants.find((v) => v.name.startsWith('answers 500 to a malformed JSON body'))!;
    const proxy = await startBrokenProxy(server.url, variant.defect());
    try {
      const without = await verify({ api: 'b2core', target: `${proxy.url}/b2core` });
      expect(without.results.filter((r) => r.status === 'failed')).toEqual([]);
      const report = await verify({ api: 'b2core', target: `${proxy.url}/b2core`, generated: 200, seed: SEED, only: ['generated'] });
      const failed = report.results.filter((r) => r.status === 'failed');
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((r) => /^b2core\.generated\.\d+\.refresh-token\.malformed-json$/.test(r.id))).toBe(true);
      expect(failed[0]!.actual).toMatch(/^500 /);
    } finally {
      await proxy.close();
    }
  });

  it.each(brokenVariants.filter((v) => !v.generated).map((v) => [v.name, v] as const))(
    'with 50 generated checks beside them, the hand-written checks still catch a server that %s',
    async (_name, variant) => {
      const proxy = await startBrokenProxy(server.url, variant.defect());
      try {
        const report = await verify({ api: variant.api, target: `${proxy.url}/${variant.api}`, destructive: variant.destructive, generated: 50, seed: SEED, timeoutMs: 5000 });
        expect(report.results.find((r) => r.id === variant.caughtBy)).toMatchObject({ status: 'failed' });
      } finally {
        await proxy.close();
      }
    },
  );
});
