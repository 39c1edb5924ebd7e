#!/usr/bin/env node
/**
 * `npm test`: build, type-check, lint, OpenAPI lint, then jest. Each check step counts as one test,
 * jest's tests count one each, and the last line is the plain summary CI reads:
 * `N passed, N failed`. Extra arguments go to jest (`npm test -- tests/unit`).
 */
const { spawnSync } = require('node:child_process');
const { mkdirSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const specs = readdirSync(path.join(root, 'openapi'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => path.join('openapi', f));

const steps = [
  ['build', 'npm', ['run', '--silent', 'build']],
  ['type-check', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']],
  ['lint', bin('eslint'), ['.', '--max-warnings', '0']],
  ['openapi lint', bin('redocly'), ['lint', '--format', 'stylish', ...specs]],
  // Spectral's spectral:oas ruleset (.spectral.yaml); any finding, down to a hint, fails.
  ['spectral lint', bin('spectral'), ['lint', '--fail-severity', 'hint', '--ruleset', '.spectral.yaml', ...specs]],
];

let passed = 0;
let failed = 0;
const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
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

/** One jest run; its results count into the totals. */
function runJest(title, reportName, args, extraEnv = {}) {
  const report = path.join(root, 'reports', reportName);
  mkdirSync(path.dirname(report), { recursive: true });
  rmSync(report, { force: true });
  process.stdout.write(`\n> ${title}\n`);
  const jest = spawnSync(bin('jest'), ['--json', `--outputFile=${report}`, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...env, ...extraEnv },
  });
  const before = failed;
  try {
    const results = JSON.parse(readFileSync(report, 'utf8'));
    passed += results.numPassedTests;
    failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
  } catch {
    failed++;
    process.stdout.write(`! jest did not report results (exit ${jest.status ?? jest.signal})\n`);
  }
  if (jest.status !== 0 && failed === before) failed++;
}

runJest('jest', 'jest.json', process.argv.slice(2));
// The servers of the integration suites serve through node:http by default; run them once more
// through the Express app of createApp(), so that the two entry points cannot drift apart.
if (process.argv.length <= 2) {
  runJest('jest, integration suites through the Express entry point', 'jest-express.json', ['tests/integration'], {
    AUTHDOUBLE_TEST_ENTRY: 'express',
  });
}

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
