import { loadChecks, verify } from '../../src/contract';
import type { RunReport } from '../../src/report';
import { startPrism, type PrismProcess } from '../helpers/prism';

jest.setTimeout(90_000);

const APIS = ['b2core', 'vault', 'fib', 'sama', 'khe'];

/**
 * `prism mock` of the same specs: a static mock answers every request with an example. The schema
 * checks pass against it; the stateful checks fail, each saying why. That is the difference between
 * a static mock and authdouble.
 */
describe('verify against `prism mock` of each spec', () => {
  const prisms = new Map<string, PrismProcess>();
  const reports = new Map<string, RunReport>();

  beforeAll(async () => {
    // One Prism per spec, started together: each takes a second or two.
    const started = await Promise.allSettled(APIS.map(async (api) => [api, await startPrism({ mode: 'mock', spec: `openapi/${api}.yaml` })] as const));
    for (const s of started) if (s.status === 'fulfilled') prisms.set(s.value[0], s.value[1]);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    for (const api of APIS) {
      // A code source for b2core's 2FA checks, so that they run too (Prism accepts any code).
      reports.set(api, await verify({ api, target: prisms.get(api)!.url, otpCommand: 'echo 123456', timeoutMs: 5000 }));
    }
  });

  afterAll(async () => {
    await Promise.all([...prisms.values()].map((p) => p.close()));
  });

  const resultsOf = (api: string, kind: string) => {
    const kinds = new Map(loadChecks(api).map((c) => [c.id, c.spec.kind]));
    return reports.get(api)!.results.filter((r) => kinds.get(r.id) === kind);
  };

  it.each(APIS)('%s: every schema check passes', (api) => {
    const schema = resultsOf(api, 'schema');
    expect(schema.length).toBeGreaterThanOrEqual(2);
    expect(schema.filter((r) => r.status !== 'passed')).toEqual([]);
  });

  it.each(APIS)('%s: every stateful check fails, with the request, what was expected and what came back', (api) => {
    const stateful = resultsOf(api, 'stateful');
    expect(stateful.length).toBeGreaterThanOrEqual(3);
    for (const r of stateful) {
      expect(r).toMatchObject({ status: 'failed', reason: expect.any(String), request: expect.any(String), expected: expect.any(String), actual: expect.any(String) });
    }
  });

  it('names the rule a static mock breaks: a reused refresh token is accepted', () => {
    const reuse = reports.get('vault')!.results.find((r) => r.id === 'vault.stateful.refresh-single-use')!;
    expect(reuse.reason).toBe('the refresh token was accepted a second time (expected status 401, got 200)');
    expect(reuse.request).toMatch(/^POST \/reg\/auth\/token — step 3 \(reuse\)$/);
  });

  it('finds what Prism answers outside the spec: its own body for malformed JSON', () => {
    const malformed = reports.get('b2core')!.results.find((r) => r.id === 'b2core.negative.malformed-json')!;
    expect(malformed.status).toBe('failed');
    expect(malformed.reason).toMatch(/breaks the spec: body\/code is required/);
    expect(malformed.schemaPath).toBe('openapi/b2core.yaml#/paths/~1api~1v2~1signin/post/responses/400/content/application~1json/schema');
  });
});
