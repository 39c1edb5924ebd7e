import { verify } from '../../src/contract';
import { summary, type RunReport } from '../../src/report';
import { startBrokenProxy } from '../helpers/broken-proxy';
import { brokenVariants } from '../helpers/broken-variants';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(60_000);

/** Runs the whole suite of `api` (destructive checks when asked) through a proxy in front of `server`. */
async function verifyThrough(
  server: TestServer,
  api: string,
  defect: Parameters<typeof startBrokenProxy>[1],
  destructive = false,
  generated?: { count: number; seed: number },
): Promise<RunReport> {
  const proxy = await startBrokenProxy(server.url, defect);
  try {
    return await verify({ api, target: `${proxy.url}/${api}`, destructive, timeoutMs: 5000, generated: generated?.count, seed: generated?.seed });
  } finally {
    await proxy.close();
  }
}

const failedIds = (report: RunReport) => report.results.filter((r) => r.status === 'failed').map((r) => r.id);

describe('verify against deliberately broken implementations (a defect in a proxy in front of our mock)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each(['b2core', 'vault', 'fib', 'sama', 'khe'])('passes every check of %s through the proxy without a defect', async (api) => {
    const report = await verifyThrough(server, api, undefined, true);
    expect(failedIds(report)).toEqual([]);
    expect(report.results.filter((r) => r.status === 'skipped')).toEqual([]);
  });

  it.each(brokenVariants.map((v) => [v.name, v] as const))('fails on a server that %s, naming the check', async (_name, variant) => {
    const report = await verifyThrough(server, variant.api, variant.defect(), variant.destructive, variant.generated);
    const caught = report.results.find((r) => r.id === variant.caughtBy);
    expect(caught).toMatchObject({ status: 'failed' });
    expect(caught!.reason).toEqual(expect.any(String));
    expect(caught!.request).toEqual(expect.any(String));
    expect(summary(report)).toContain(`  ${variant.caughtBy}: `);
  });

  it('has at least eight defects, across all five APIs', () => {
    expect(brokenVariants.length).toBeGreaterThanOrEqual(8);
    expect(new Set(brokenVariants.map((v) => v.api))).toEqual(new Set(['b2core', 'vault', 'fib', 'sama', 'khe']));
  });
});
