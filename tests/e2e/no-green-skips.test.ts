/**
 * `npm test` and `npm run contract` (scripts/run-tests.js) count a skip as a skip, never a pass: it
 * fails the run unless VERIFY_ALLOW_SKIP=1, and the last line stays `N passed, N failed`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadChecks } from '../../src/contract';
import { root, serveCli } from '../helpers/cli';

jest.setTimeout(120_000);

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `authdouble-${name}-`));
  dirs.push(dir);
  return dir;
}

/** Runs `node scripts/run-tests.js --jest-only ...args`; resolves with its exit code and last two lines. */
function runTests(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'run-tests.js'), '--jest-only', ...args], {
      cwd: root,
      env: { ...process.env, VERIFY_ALLOW_SKIP: '', VERIFY_ONLY: '', TARGET_URL: '', TARGET_API: '', AUTHDOUBLE_REPORTS_DIR: tempDir('reports'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.resume();
    child.once('close', (code) => resolve({ code, lines: out.trimEnd().split('\n').slice(-2) }));
  });
}

describe('no green skips', () => {
  const suite = tempDir('skips');
  writeFileSync(path.join(suite, 'one-skipped.test.ts'), "it('runs', () => expect(1).toBe(1));\nit.skip('is skipped', () => expect(1).toBe(2));\n");
  const jestArgs = ['--roots', suite, '--rootDir', root];

  it('an it.skip counts as a failure, on the line before the summary', async () => {
    const run = await runTests(jestArgs, {});
    expect(run.lines).toEqual(['1 skipped, counted as failed (set VERIFY_ALLOW_SKIP=1 if skips are expected)', '1 passed, 1 failed']);
    expect(run.code).toBe(1);
  });

  it('VERIFY_ALLOW_SKIP=1 lets the run pass, still counting the skip apart from the passes', async () => {
    const run = await runTests(jestArgs, { VERIFY_ALLOW_SKIP: '1' });
    expect(run.lines).toEqual(['1 skipped (allowed by VERIFY_ALLOW_SKIP=1)', '1 passed, 0 failed']);
    expect(run.code).toBe(0);
  });

  it('a contract check skipped while running (2FA against a target without a control API) is a failure, or a skip when allowed', async () => {
    const target = await serveCli(['--api', 'b2core', '--no-admin', '--log-level', 'silent']);
    try {
      const b2core = { TARGET_URL: target.url, TARGET_API: 'b2core' };
      // One check selected; the others are skipped at collection.
      const others = loadChecks('b2core', []).length - 1;
      const env = { ...b2core, VERIFY_ONLY: 'flow.sign-in-2fa' };
      const refused = await runTests(['--roots', 'tests/contract'], env);
      expect(refused.lines).toEqual([`${others} skipped, counted as failed (set VERIFY_ALLOW_SKIP=1 if skips are expected)`, `0 passed, ${others + 1} failed`]);
      expect(refused.code).toBe(1);
      const allowed = await runTests(['--roots', 'tests/contract'], { ...env, VERIFY_ALLOW_SKIP: '1' });
      expect(allowed.lines).toEqual([`${others + 1} skipped (allowed by VERIFY_ALLOW_SKIP=1)`, '0 passed, 0 failed']);
      expect(allowed.code).toBe(0);
      // A check that ran and passed is a pass.
      const ran = await runTests(['--roots', 'tests/contract'], { ...b2core, VERIFY_ONLY: 'schema.sign-in', VERIFY_ALLOW_SKIP: '1' });
      expect(ran.lines[1]).toBe('1 passed, 0 failed');
    } finally {
      await target.stop();
    }
  });
});
