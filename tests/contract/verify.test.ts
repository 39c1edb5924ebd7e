// doc-example: npm-run-contract 0889e698 (docs/verify.md: this file is what npm run contract runs, TARGET_URL and TARGET_API included)
/**
 * The contract suite as jest tests: one test per check, for each API.
 *
 *   TARGET_URL=https://staging.example.com/b2core TARGET_API=b2core npm run contract
 *   TARGET_URL=http://127.0.0.1:4600 npm run contract        (every API, each under /<id>)
 *   npm run contract                                          (our own mock, started here)
 *
 * TARGET_API: one API id (TARGET_URL is then its base URL) or several, comma-separated (TARGET_URL
 * is then a server serving each under /<id>); all five by default. Also read: VERIFY_ONLY (as
 * --only), VERIFY_FIXTURES_DIR (a folder of <api>.yaml, as --fixtures), VERIFY_FLOWS (a folder, as
 * --flows), VERIFY_OTP_COMMAND, VERIFY_DESTRUCTIVE=1, VERIFY_TIMEOUT_MS, AUTHDOUBLE_ADMIN_TOKEN.
 * Without TARGET_URL the suite runs against authdouble itself, destructive checks included.
 *
 * Green means "ran and passed":
 * - VERIFY_ONLY selects checks when jest collects them; the others are `it.skip`, shown as skipped.
 * - A check the suite skips when it runs (no control API on the target, no account for it, ...)
 *   fails its test, unless VERIFY_ALLOW_SKIP=1 says skips are expected. Then it passes in jest but is
 *   written to VERIFY_SKIP_REPORT (a JSON file; `npm test` reads it and counts those checks as
 *   skipped, not passed) and listed at the end of the run.
 */
import { appendFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { startMock, type StartedMock } from '../../src';
import { loadChecks, prepareVerify, selectChecks, type PreparedSuite } from '../../src/contract';
import type { CheckResult } from '../../src/report';

jest.setTimeout(60_000);

const env = process.env;
const ownMock = !env.TARGET_URL;
const apis = (env.TARGET_API ?? 'b2core,vault,fib,sama,khe').split(',').map((s) => s.trim()).filter(Boolean);
const flows = env.VERIFY_FLOWS ? [env.VERIFY_FLOWS] : [];
const only = env.VERIFY_ONLY ? env.VERIFY_ONLY.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
const allowSkip = env.VERIFY_ALLOW_SKIP === '1';
const known = ['b2core', 'vault', 'fib', 'sama', 'khe'];

/**
 * The VERIFY_ONLY entries that concern `api`: unqualified ones, `*` patterns and `<api>.` ones
 * (an entry qualified with another API's id is that API's). Undefined when VERIFY_ONLY is unset.
 */
function onlyFor(api: string): string[] | undefined {
  if (!only) return undefined;
  return only.filter((entry) => !known.some((other) => other !== api && entry.startsWith(`${other}.`)));
}

function baseOf(api: string, mock: StartedMock | undefined): string {
  if (mock) return mock.urls[api]!;
  const url = env.TARGET_URL!.replace(/\/+$/, '');
  return apis.length === 1 ? url : `${url}/${api}`;
}

function fixturesOf(api: string): string | undefined {
  if (!env.VERIFY_FIXTURES_DIR) return undefined;
  const file = path.join(env.VERIFY_FIXTURES_DIR, `${api}.yaml`);
  return existsSync(file) ? file : undefined;
}

function explain(result: CheckResult): string {
  return [
    `${result.id} ${result.status}: ${result.reason ?? ''}`,
    result.request && `request:  ${result.request}`,
    result.expected && `expected: ${result.expected}`,
    result.actual && `actual:   ${result.actual}`,
    result.schemaPath && `schema:   ${result.schemaPath}`,
  ]
    .filter(Boolean)
    .join('\n');
}

let mock: StartedMock | undefined;
const skippedAtRun: string[] = [];

beforeAll(async () => {
  if (ownMock) mock = await startMock();
});

afterAll(async () => {
  await mock?.close();
  if (skippedAtRun.length > 0) {
    process.stderr.write(`\nverify: ${skippedAtRun.length} check(s) skipped, not passed (VERIFY_ALLOW_SKIP=1):\n  ${skippedAtRun.join('\n  ')}\n`);
  }
});

describe.each(apis)('verify %s', (api) => {
  const all = loadChecks(api, flows);
  const wanted = onlyFor(api);
  // Selected when jest collects the tests, as the CLI's --only selects (same rules, same errors);
  // an API that VERIFY_ONLY does not mention at all has every check skipped.
  const selected = new Set(
    wanted === undefined ? all.map((c) => c.id) : wanted.length === 0 ? [] : selectChecks(all, api, wanted).map((c) => c.id),
  );
  let suite: PreparedSuite;

  beforeAll(async () => {
    if (selected.size === 0) return;
    suite = await prepareVerify({
      api,
      target: baseOf(api, mock),
      fixtures: fixturesOf(api),
      flows,
      only: [...selected],
      destructive: ownMock || env.VERIFY_DESTRUCTIVE === '1',
      otpCommand: env.VERIFY_OTP_COMMAND,
      adminToken: env.AUTHDOUBLE_ADMIN_TOKEN,
      timeoutMs: env.VERIFY_TIMEOUT_MS ? Number(env.VERIFY_TIMEOUT_MS) : undefined,
    });
  });

  // The names are known before the target is probed, so jest can list every check.
  for (const check of all) {
    const test = selected.has(check.id) ? it : it.skip;
    test(`${check.id}: ${check.spec.title}`, async () => {
      const prepared = suite.checks.find((c) => c.id === check.id);
      if (!prepared) throw new Error(`${check.id} was selected but the suite did not prepare it`);
      const result = await suite.runCheck(prepared);
      if (result.status === 'failed') throw new Error(explain(result));
      if (result.status === 'skipped') {
        if (!allowSkip) throw new Error(`${explain(result)}\n(a skipped check is not a pass; set VERIFY_ALLOW_SKIP=1 if skips are expected)`);
        skippedAtRun.push(`${result.id}: ${result.reason ?? ''}`);
        if (env.VERIFY_SKIP_REPORT) appendFileSync(env.VERIFY_SKIP_REPORT, `${JSON.stringify({ id: result.id, reason: result.reason ?? '' })}\n`);
        return;
      }
      expect(result.status).toBe('passed');
    });
  }
});
