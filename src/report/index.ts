/**
 * Results of a run of checks (the `verify` contract suite, a HAR or scenario replay) and the ways
 * they are reported: a progress line per check, a summary table, JUnit XML, JSON, and the exit code.
 */

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  /** Stable id, e.g. `b2core.refresh.single-use`; what `--only` selects. */
  id: string;
  title: string;
  status: CheckStatus;
  durationMs: number;
  /** Why it failed or was skipped. */
  reason?: string;
  /** The request that showed it, e.g. `POST /api/v2/refresh`. */
  request?: string;
  expected?: string;
  actual?: string;
  /** Where in the schema a body broke it, e.g. `#/components/schemas/TokenPair/required`. */
  schemaPath?: string;
}

export interface RunReport {
  /** What ran: `verify b2core`, `replay session.har`. */
  suite: string;
  target: string;
  startedAt: string;
  durationMs: number;
  results: CheckResult[];
}

/** 0: everything that ran passed; 1: a check failed; 2: the run could not happen at all. */
export const EXIT_PASSED = 0;
export const EXIT_FAILED = 1;
export const EXIT_CANNOT_RUN = 2;

export function exitCodeOf(report: RunReport): number {
  return report.results.some((r) => r.status === 'failed') ? EXIT_FAILED : EXIT_PASSED;
}

export function counts(report: RunReport): Record<CheckStatus, number> {
  const c = { passed: 0, failed: 0, skipped: 0 };
  for (const r of report.results) c[r.status]++;
  return c;
}

const MARK: Record<CheckStatus, string> = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' };

/** One line per check, printed as it finishes. */
export function progressLine(result: CheckResult): string {
  const why = result.status === 'passed' ? '' : ` (${result.reason ?? result.status})`;
  return `${MARK[result.status]} ${result.id}: ${result.title}${why} [${Math.round(result.durationMs)} ms]`;
}

/** The human summary: counts, then every failure with request, expected, actual and schema path. */
export function summary(report: RunReport): string {
  const c = counts(report);
  const lines = [
    '',
    `${report.suite} against ${report.target}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped in ${(report.durationMs / 1000).toFixed(1)} s`,
  ];
  const failed = report.results.filter((r) => r.status === 'failed');
  if (failed.length > 0) {
    lines.push('', 'Failures:');
    for (const r of failed) {
      lines.push(`  ${r.id}: ${r.title}`);
      if (r.reason) lines.push(`    reason:   ${r.reason}`);
      if (r.request) lines.push(`    request:  ${r.request}`);
      if (r.expected) lines.push(`    expected: ${r.expected}`);
      if (r.actual) lines.push(`    actual:   ${r.actual}`);
      if (r.schemaPath) lines.push(`    schema:   ${r.schemaPath}`);
    }
  }
  const skipped = report.results.filter((r) => r.status === 'skipped');
  if (skipped.length > 0) {
    lines.push('', 'Skipped:');
    for (const r of skipped) lines.push(`  ${r.id}: ${r.reason ?? ''}`);
  }
  return lines.join('\n');
}

export function toJson(report: RunReport): string {
  return `${JSON.stringify({ ...report, counts: counts(report) }, null, 2)}\n`;
}

/** JUnit XML, as CI systems read it: one testsuite, one testcase per check. */
export function toJUnit(report: RunReport): string {
  const c = counts(report);
  const cases = report.results.map((r) => {
    const head = `    <testcase classname="${xml(report.suite)}" name="${xml(`${r.id}: ${r.title}`)}" time="${(r.durationMs / 1000).toFixed(3)}"`;
    if (r.status === 'passed') return `${head}/>`;
    if (r.status === 'skipped') return `${head}>\n      <skipped message="${xml(r.reason ?? '')}"/>\n    </testcase>`;
    const detail = [
      r.request && `request: ${r.request}`,
      r.expected && `expected: ${r.expected}`,
      r.actual && `actual: ${r.actual}`,
      r.schemaPath && `schema: ${r.schemaPath}`,
    ]
      .filter(Boolean)
      .join('\n');
    return `${head}>\n      <failure message="${xml(r.reason ?? 'failed')}">${xml(detail)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${report.results.length}" failures="${c.failed}" skipped="${c.skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(report.suite)}" tests="${report.results.length}" failures="${c.failed}" skipped="${c.skipped}" timestamp="${report.startedAt}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `    <properties><property name="target" value="${xml(report.target)}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // Characters XML 1.0 cannot carry at all.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
