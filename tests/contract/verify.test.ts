// doc-example: npm-run-contract a52b382f (docs/verify.md: this file is what npm run contract runs, TARGET_URL and TARGET_API included)
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
 * Without TARGET_URL the suite runs against authdouble itself, destructive checks included, and a
 * skipped check fails: there, every check must run and pass.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startMock, type StartedMock } from '../../src';
import { loadChecks, prepareVerify, type PreparedSuite } from '../../src/contract';
import type { CheckResult } from '../../src/report';

jest.setTimeout(60_000);

const env = process.env;
const ownMock = !env.TARGET_URL;
const apis = (env.TARGET_API ?? 'b2core,vault,fib,sama,khe').split(',').map((s) => s.trim()).filter(Boolean);
const flows = env.VERIFY_FLOWS ? [env.VERIFY_FLOWS] : [];
const only = env.VERIFY_ONLY ? env.VERIFY_ONLY.split(',') : undefined;

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

beforeAll(async () => {
  if (ownMock) mock = await startMock();
});

afterAll(async () => {
  await mock?.close();
});

describe.each(apis)('verify %s', (api) => {
  let suite: PreparedSuite;

  beforeAll(async () => {
    suite = await prepareVerify({
      api,
      target: baseOf(api, mock),
      fixtures: fixturesOf(api),
      flows,
      only,
      destructive: ownMock || env.VERIFY_DESTRUCTIVE === '1',
      otpCommand: env.VERIFY_OTP_COMMAND,
      adminToken: env.AUTHDOUBLE_ADMIN_TOKEN,
      timeoutMs: env.VERIFY_TIMEOUT_MS ? Number(env.VERIFY_TIMEOUT_MS) : undefined,
    });
  });

  // The names are known before the target is probed, so jest can list every check.
  for (const check of loadChecks(api, flows)) {
    it(`${check.id}: ${check.spec.title}`, async () => {
      const selected = suite.checks.find((c) => c.id === check.id);
      if (!selected) return; // left out by VERIFY_ONLY
      const result = await suite.runCheck(selected);
      if (result.status === 'failed' || (ownMock && result.status === 'skipped')) throw new Error(explain(result));
    });
  }
});
