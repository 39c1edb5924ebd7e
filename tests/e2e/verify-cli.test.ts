// doc-example: verify-cli ddda9f3e (README: verify with --target, --fixtures, --junit, run here against a local server)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBrokenProxy } from '../helpers/broken-proxy';
import { brokenVariants } from '../helpers/broken-variants';
import { runCli, serveCli, type CliRun } from '../helpers/cli';
import { freePort } from '../helpers/ports';

jest.setTimeout(30_000);

async function finished(run: CliRun): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('authdouble verify (the built CLI)', () => {
  let server: CliRun & { url: string };
  let dir: string;
  beforeAll(async () => {
    server = await serveCli(['--log-level', 'silent']);
    dir = mkdtempSync(path.join(tmpdir(), 'verify-cli-'));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('passes against our own server: a line per check, a summary, JUnit and JSON reports, exit 0', async () => {
    const junit = path.join(dir, 'b2core.xml');
    const json = path.join(dir, 'b2core.json');
    const run = await finished(runCli(['verify', '--api', 'b2core', '--target', `${server.url}/b2core`, '--junit', junit, '--json', json]));
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`verify b2core against ${server.url}/b2core: 24 checks; control API found: each check runs in its own state session`);
    expect(lines).toContainEqual(expect.stringMatching(/^ok {3}b2core\.stateful\.refresh-single-use: A refresh token works once; reusing it gets 401 invalid_token \[\d+ ms\]$/));
    expect(lines).toContainEqual(expect.stringMatching(/^skip b2core\.destructive\.sign-in-rate-limit: .* \(needs --destructive \(it locks test accounts or moves the clock\)\) \[\d+ ms\]$/));
    expect(run.stdout).toMatch(new RegExp(`verify b2core against ${server.url}/b2core: 19 passed, 0 failed, 5 skipped in \\d+\\.\\d s`));
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="verify b2core" tests="24" failures="0" skipped="5"/);
    expect(xml.match(/<testcase /g)).toHaveLength(24);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.counts).toEqual({ passed: 19, failed: 0, skipped: 5 });
    expect(report.target).toBe(`${server.url}/b2core`);
  });

  it('runs the destructive checks with --destructive, and only what --only names', async () => {
    const run = await finished(runCli(['verify', '-a', 'b2core', '-t', `${server.url}/b2core`, '--destructive', '--only', 'destructive,stateful.refresh-single-use']));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/: 6 passed, 0 failed, 0 skipped in /);
  });

  it('fails (exit 1) against a broken implementation, naming the check, the request, the expected and the actual', async () => {
    const variant = brokenVariants.find((v) => v.caughtBy === 'vault.stateful.logout-revokes')!;
    const proxy = await startBrokenProxy(server.url, variant.defect());
    const junit = path.join(dir, 'vault.xml');
    try {
      const run = await finished(runCli(['verify', '--api', 'vault', '--target', `${proxy.url}/vault`, '--junit', junit]));
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('FAIL vault.stateful.logout-revokes: Logging out revokes the access token and the session\'s refresh token (the access token still works after logout (expected status 401, got 204))');
      const failures = run.stdout.slice(run.stdout.indexOf('Failures:'));
      expect(failures).toContain(
        [
          '  vault.stateful.logout-revokes: Logging out revokes the access token and the session\'s refresh token',
          '    reason:   the access token still works after logout (expected status 401, got 204)',
          '    request:  DELETE /reg/user/session/logout/current — step 3 (use the logged-out access token)',
          '    expected: status 401, body with {"status":"UNAUTHORIZED","message":"Invalid access token"}',
          '    actual:   204 (no body)',
        ].join('\n'),
      );
      expect(readFileSync(junit, 'utf8')).toContain('<failure message="the access token still works after logout (expected status 401, got 204)">');
    } finally {
      await proxy.close();
    }
  });

  it('exits 2 when the target does not answer, saying so without a stack trace', async () => {
    const port = await freePort();
    const run = await finished(runCli(['verify', '--api', 'khe', '--target', `http://127.0.0.1:${port}/khe`]));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`authdouble: verify: cannot reach the target: GET http://127.0.0.1:${port}/khe: ECONNREFUSED\n`);
    expect(run.stdout).toBe('');
  });

  it.each([
    [['verify', '--api', 'b2core'], /required option '-t, --target <url>' not specified/],
    [['verify', '--api', 'nope', '--target', 'http://127.0.0.1:1'], /option '-a, --api <id>' argument 'nope' is invalid. Allowed choices are b2core, fib, vault, khe, sama/],
    [['verify', '--api', 'b2core', '--target', 'http://127.0.0.1:1', '--timeout', 'soon'], /option '--timeout <ms>' argument 'soon' is invalid/],
    [['verify', '--api', 'b2core', '--target', 'not a url'], /authdouble: verify: --target "not a url" is not a URL/],
  ])('exits 2 on bad flags: %j', async (args, message) => {
    const run = await finished(runCli(args));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    noStackTrace(run.stderr);
  });

  it('exits 2 on a bad fixtures file, naming the file and line', async () => {
    const file = path.join(dir, 'sama.yaml');
    writeFileSync(file, 'organizations: []\nusers:\n  - login: 5\n');
    const run = await finished(runCli(['verify', '--api', 'sama', '--target', `${server.url}/sama`, '--fixtures', file]));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^authdouble: verify: ${file}: the sama fixture is invalid:\n`));
    expect(run.stderr).toContain(`  ${file}:3:12 /users/0/login: must be string\n`);
    noStackTrace(run.stderr);
  });

  // Issue 15: a missing folder is now created (mkdir -p); a report under a file still cannot be written.
  it('exits 2 when a report cannot be written', async () => {
    const file = path.join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const run = await finished(runCli(['verify', '--api', 'khe', '--target', `${server.url}/khe`, '--only', 'schema', '--json', path.join(file, 'such', 'dir.json')]));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/authdouble: verify: cannot write the --json report to .*dir\.json: (ENOTDIR|EEXIST)/);
  });
});
