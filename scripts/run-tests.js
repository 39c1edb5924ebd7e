#!/usr/bin/env node
/**
 * `npm test`: build, type-check, lint, OpenAPI lint, then jest. Each check step counts as one test,
 * jest's tests count one each, and the last line is the plain summary CI reads:
 * `N passed, N failed`. Extra arguments go to jest (`npm test -- tests/unit`).
 *
 * Green means "ran and passed": a skipped test (an `it.skip`, a contract check left out by
 * VERIFY_ONLY, or one the contract suite skipped when it ran) is not a pass. Skips are counted on the
 * line before the summary and count as failures unless VERIFY_ALLOW_SKIP=1 says they are expected.
 * `--jest-only` (first argument) runs jest alone (`npm run contract`).
 */
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const specs = readdirSync(path.join(root, 'openapi'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => path.join('openapi', f));

const jestArgs = process.argv.slice(2);
const jestOnly = jestArgs[0] === '--jest-only';
if (jestOnly) jestArgs.shift();
const allowSkip = process.env.VERIFY_ALLOW_SKIP === '1';

const steps = jestOnly ? [] : [
  ['build', 'npm', ['run', '--silent', 'build']],
  ['type-check', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']],
  ['lint', bin('eslint'), ['.', '--max-warnings', '0']],
  ['openapi lint', bin('redocly'), ['lint', '--format', 'stylish', ...specs]],
  // Spectral's spectral:oas ruleset (.spectral.yaml); any finding, down to a hint, fails.
  ['spectral lint', bin('spectral'), ['lint', '--fail-severity', 'hint', '--ruleset', '.spectral.yaml', ...specs]],
];

let passed = 0;
let failed = 0;
// AUTHDOUBLE_REPORTS_DIR: where the reports go (tests that run this script use their own folder).
const reports = process.env.AUTHDOUBLE_REPORTS_DIR ?? path.join(root, 'reports');
// tests/contract/verify.test.ts appends one JSON line per check it skipped while running.
const skipReport = path.join(reports, 'contract-skipped.jsonl');
const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', VERIFY_SKIP_REPORT: skipReport };
for (const [name, command, args] of steps) {
  process.stdout.write(`\n> ${name}: ${path.basename(command)} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', env });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  process.stdout.write(output);
  // Redocly exits 0 on warnings; the specs are held to none.
  const warnings = /You have (\d+) warnings?/.exec(output);
  if (result.status === 0 && !warnings) passed++;
  else {
    failed++;
    process.stdout.write(`! ${name} failed (exit ${result.status ?? result.signal}${warnings ? `, ${warnings[1]} warnings` : ''})\n`);
  }
}

mkdirSync(reports, { recursive: true });
rmSync(skipReport, { force: true });
let skipped = 0;

/** One jest run; its results count into the totals (a skipped test is not a pass). */
function runJest(title, reportName, args, extraEnv = {}) {
  const report = path.join(reports, reportName);
  rmSync(report, { force: true });
  const skipsBefore = existsSync(skipReport) ? readFileSync(skipReport, 'utf8').split('\n').filter(Boolean).length : 0;
  process.stdout.write(`\n> ${title}\n`);
  const jest = spawnSync(bin('jest'), ['--json', `--outputFile=${report}`, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...env, ...extraEnv },
  });
  const before = failed;
  try {
    const results = JSON.parse(readFileSync(report, 'utf8'));
    // Contract checks skipped while running passed in jest only because VERIFY_ALLOW_SKIP=1 let them.
    const skippedChecks = (existsSync(skipReport) ? readFileSync(skipReport, 'utf8').split('\n').filter(Boolean).length : 0) - skipsBefore;
    passed += results.numPassedTests - skippedChecks;
    skipped += results.numPendingTests + results.numTodoTests + skippedChecks;
    failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
  } catch {
    failed++;
    process.stdout.write(`! jest did not report results (exit ${jest.status ?? jest.signal})\n`);
  }
  if (jest.status !== 0 && failed === before) failed++;
}

runJest('jest', 'jest.json', jestArgs);
// The servers of the integration suites serve through node:http by default; run them once more
// through the Express app of createApp(), so that the two entry points cannot drift apart.
if (!jestOnly && jestArgs.length === 0) {
  runJest('jest, integration suites through the Express entry point', 'jest-express.json', ['tests/integration'], {
    AUTHDOUBLE_TEST_ENTRY: 'express',
  });
  // And once more with the state in Redis (each test server gets a redis-server of its own), so
  // that every behaviour is proven on both stores.
  runJest('jest, integration suites on the Redis store', 'jest-redis.json', ['tests/integration'], {
    AUTHDOUBLE_TEST_STORE: 'redis',
  });
}

if (skipped > 0) {
  if (allowSkip) process.stdout.write(`\n${skipped} skipped (allowed by VERIFY_ALLOW_SKIP=1)`);
  else {
    failed += skipped;
    process.stdout.write(`\n${skipped} skipped, counted as failed (set VERIFY_ALLOW_SKIP=1 if skips are expected)`);
  }
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
