import { exitCodeOf, progressLine, summary, toJUnit, toJson, type RunReport } from '../../src/report';

const report: RunReport = {
  suite: 'verify b2core',
  target: 'http://127.0.0.1:1/b2core',
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1234,
  results: [
    { id: 'a.ok', title: 'works', status: 'passed', durationMs: 3 },
    {
      id: 'a.bad',
      title: 'refresh is single-use <&>',
      status: 'failed',
      durationMs: 5,
      reason: 'reused refresh token accepted',
      request: 'POST /api/v2/refresh',
      expected: '401',
      actual: '200',
      schemaPath: '#/x',
    },
    { id: 'a.skip', title: 'expiry', status: 'skipped', durationMs: 0, reason: 'no clock control' },
  ],
};

describe('reports', () => {
  it('exits 1 when a check failed, 0 otherwise', () => {
    expect(exitCodeOf(report)).toBe(1);
    expect(exitCodeOf({ ...report, results: report.results.filter((r) => r.status !== 'failed') })).toBe(0);
  });

  it('prints a line per check and a summary with each failure', () => {
    expect(progressLine(report.results[1]!)).toMatch(/^FAIL a\.bad: .*\(reused refresh token accepted\)/);
    const text = summary(report);
    expect(text).toContain('1 passed, 1 failed, 1 skipped');
    expect(text).toMatch(/request: +POST \/api\/v2\/refresh\n +expected: 401\n +actual: +200\n +schema: +#\/x/);
  });

  it('writes JUnit XML with escaped text and JSON with counts', () => {
    const junit = toJUnit(report);
    expect(junit).toContain('<testsuite name="verify b2core" tests="3" failures="1" skipped="1"');
    expect(junit).toContain('refresh is single-use &lt;&amp;&gt;');
    expect(junit).toContain('<skipped message="no clock control"/>');
    expect(JSON.parse(toJson(report)).counts).toEqual({ passed: 1, failed: 1, skipped: 1 });
  });
});
