/**
 * verify and replay against targets as a team meets them (issue 15): a correct server without a
 * control API, one whose control API needs a token, reports into folders that do not exist yet,
 * `--fixtures` as a file or a folder in every command, and the docs' replay example.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, runCli, serveCli, type CliRun } from '../helpers/cli';

jest.setTimeout(120_000);

const APIS = ['b2core', 'vault', 'fib', 'sama', 'khe'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-real-servers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function finish(run: CliRun): Promise<{ code: number | null; out: string; err: string }> {
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 60_000);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, out: run.stdout(), err: run.stderr() };
}

async function withServer<T>(args: string[], body: (url: string) => Promise<T>): Promise<T> {
  const server = await serveCli(['--log-level', 'silent', ...args]);
  try {
    return await body(server.url);
  } finally {
    await server.stop();
  }
}

function noStack(text: string): void {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('verify --destructive gives honest verdicts on any correct server', () => {
  it.each([
    ['started --no-admin (no control API: shared state, no clock, no outbox)', ['--no-admin']],
    ['started normally (the control API isolates every check)', []],
  ])('exits 0 for all five APIs against one %s', async (_label, args) => {
    await withServer(args, async (url) => {
      for (const api of APIS) {
        const run = await finish(runCli(['verify', '--api', api, '--target', `${url}/${api}`, '--destructive']));
        expect({ api, code: run.code, failures: run.out.split('\n').filter((l) => l.startsWith('FAIL')) }).toEqual({ api, code: 0, failures: [] });
        // Every check either passed or was skipped with its reason.
        for (const line of run.out.split('\n').filter((l) => l.startsWith('skip '))) expect(line).toMatch(/\(.{10,}\) \[\d+ ms\]$/);
      }
    });
  });

  it('without a control API, runs the lockout last and on its own account, so the other checks never see it', async () => {
    await withServer(['--no-admin', '--api', 'b2core'], async (url) => {
      const run = await finish(runCli(['verify', '--api', 'b2core', '--target', url, '--destructive']));
      expect(run.code).toBe(0);
      const ids = run.out.split('\n').filter((l) => /^(ok|skip|FAIL) /.test(l)).map((l) => l.split(' ').filter(Boolean)[1]!.replace(/:$/, ''));
      expect(ids.at(-1)).toBe('b2core.destructive.sign-in-rate-limit');
      expect(run.out).toMatch(/^ok {3}b2core\.destructive\.sign-in-rate-limit: /m);
      expect(run.out).toMatch(/^ok {3}b2core\.destructive\.refresh-rate-limit: /m);
      expect(run.out).toMatch(/^ok {3}b2core\.destructive\.confirm-rate-limit: /m);
      expect(run.out).toContain("no control API: checks share the target's state (destructive checks use their own accounts and run last)");
    });
  });

  it("a window left by an earlier run is a skip that says so; --wait-windows waits it out with progress, then the check passes", async () => {
    const fixtures = path.join(dir, 'short-lockout');
    const yaml = readFileSync(path.join(root, 'fixtures/b2core.yaml'), 'utf8').replace(
      'signIn:  { limit: 5, windowSeconds: 60, lockoutSeconds: 300 }',
      'signIn:  { limit: 5, windowSeconds: 60, lockoutSeconds: 10 }',
    );
    expect(yaml).toContain('lockoutSeconds: 10 }');
    mkdirSync(fixtures);
    writeFileSync(path.join(fixtures, 'b2core.yaml'), yaml);
    await withServer(['--no-admin', '--api', 'b2core', '--fixtures', fixtures], async (url) => {
      const only = ['--only', 'destructive.sign-in-rate-limit'];
      const first = await finish(runCli(['verify', '--api', 'b2core', '--target', url, '--fixtures', fixtures, '--destructive', ...only]));
      expect(first.out).toContain(': 1 passed, 0 failed, 0 skipped');
      // The account is now locked out for 2 s: an immediate rerun cannot tell anything, and says so.
      const again = await finish(runCli(['verify', '--api', 'b2core', '--target', url, '--fixtures', fixtures, '--destructive', ...only]));
      expect(again.code).toBe(0);
      expect(again.out).toMatch(
        /^skip b2core\.destructive\.sign-in-rate-limit: .*\(the target answered 429 \(Retry-After \d+ s\) to POST \/api\/v2\/signin \(step 1 \(wrong passwords up to the limit\)\): a rate-limit window left on its shared state by an earlier check or run, not by this check; run it again later, or pass --wait-windows to wait it out\)/m,
      );
      const waited = await finish(
        runCli(['verify', '--api', 'b2core', '--target', url, '--fixtures', fixtures, '--destructive', '--wait-windows', '30', ...only]),
      );
      expect(waited.code).toBe(0);
      expect(waited.out).toMatch(/^wait b2core\.destructive\.sign-in-rate-limit: a rate-limit window of \d+ s is open on the target; \d+ s left$/m);
      expect(waited.out).toContain(': 1 passed, 0 failed, 0 skipped');
    });
  });
});

describe('verify --generated N prints its seed, and --seed runs the same checks again', () => {
  it('khe, 20 generated checks, twice', async () => {
    await withServer(['--api', 'khe'], async (url) => {
      const first = await finish(runCli(['verify', '--api', 'khe', '--target', url, '--generated', '20', '--only', 'generated']));
      expect(first.code).toBe(0);
      const seed = /^generated 20 checks from the spec with seed (\d+) \(re-run them with --seed \1\)$/m.exec(first.out)?.[1];
      expect(seed).toBeDefined();
      const again = await finish(runCli(['verify', '--api', 'khe', '--target', url, '--generated', '20', '--seed', seed!, '--only', 'generated']));
      const ids = (out: string) => out.split('\n').filter((l) => l.startsWith('ok ')).map((l) => l.split(':')[0]);
      expect(ids(again.out)).toHaveLength(20);
      expect(ids(again.out)).toEqual(ids(first.out));
      const bad = await finish(runCli(['verify', '--api', 'khe', '--target', url, '--generated', 'lots']));
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/--generated <n>' argument 'lots' is invalid/);
    });
  });
});

describe('--admin-token', () => {
  const token = 'sesame-open-1234';

  it('verify: a 401 from /__admin says the control API needs --admin-token (exit 2); with it, the control API is used', async () => {
    await withServer(['--admin-token', token], async (url) => {
      const without = await finish(runCli(['verify', '--api', 'khe', '--target', `${url}/khe`], { AUTHDOUBLE_ADMIN_TOKEN: '' }));
      expect(without.code).toBe(2);
      expect(without.err).toBe(
        `authdouble: verify: the control API needs --admin-token: ${url}/__admin answered 401 (pass --admin-token <token> or set AUTHDOUBLE_ADMIN_TOKEN)\n`,
      );
      noStack(without.err);
      const wrong = await finish(runCli(['verify', '--api', 'khe', '--target', `${url}/khe`, '--admin-token', 'not-the-token']));
      expect(wrong.code).toBe(2);
      expect(wrong.err).toBe(`authdouble: verify: the control API refused the --admin-token given: ${url}/__admin answered 401\n`);
      const right = await finish(runCli(['verify', '--api', 'khe', '--target', `${url}/khe`, '--admin-token', token, '--destructive']));
      expect(right.code).toBe(0);
      expect(right.out.split('\n')[0]).toMatch(new RegExp(`^verify khe against ${url}/khe: \\d+ checks; control API found: each check runs in its own state session$`));
      expect(right.out).toMatch(/: \d+ passed, 0 failed, 0 skipped/);
    });
  });

  it('replay: the same message, and the outbox is used with the token', async () => {
    await withServer(['--admin-token', token], async (url) => {
      const without = await finish(runCli(['replay', 'fixtures/scenarios/b2core-2fa.yaml', '--target', `${url}/b2core`], { AUTHDOUBLE_ADMIN_TOKEN: '' }));
      expect(without.code).toBe(2);
      expect(without.err).toBe(
        `authdouble replay: the control API needs --admin-token: ${url}/__admin answered 401 (pass --admin-token <token> or set AUTHDOUBLE_ADMIN_TOKEN)\n`,
      );
      const right = await finish(runCli(['replay', 'fixtures/scenarios/b2core-2fa.yaml', '--target', `${url}/b2core`, '--admin-token', token]));
      expect(right.code).toBe(0);
      expect(right.out).toMatch(/: 3 passed, 0 failed, 0 skipped/);
    });
  });
});

describe('reports create their folders', () => {
  it('verify --junit/--json into folders that do not exist yet: written, exit 0', async () => {
    await withServer(['--api', 'khe'], async (url) => {
      const junit = path.join(dir, 'fresh-clone', 'reports', 'khe.xml');
      const json = path.join(dir, 'fresh-clone', 'json', 'deeper', 'khe.json');
      const run = await finish(runCli(['verify', '--api', 'khe', '--target', url, '--only', 'schema', '--junit', junit, '--json', json]));
      expect(run.code).toBe(0);
      expect(readFileSync(junit, 'utf8')).toMatch(/<testsuite name="verify khe" tests="4" failures="0"/);
      expect(JSON.parse(readFileSync(json, 'utf8')).counts).toEqual({ passed: 4, failed: 0, skipped: 0 });
    });
  });

  it('replay --junit/--json into folders that do not exist yet: written, exit 0', async () => {
    const junit = path.join(dir, 'replay-reports', 'a', 'r.xml');
    const json = path.join(dir, 'replay-reports', 'b', 'r.json');
    const run = await finish(runCli(['replay', 'fixtures/scenarios/vault-password-grant.yaml', '--junit', junit, '--json', json]));
    expect(run.code).toBe(0);
    expect(existsSync(junit)).toBe(true);
    expect(JSON.parse(readFileSync(json, 'utf8')).counts).toEqual({ passed: 6, failed: 0, skipped: 0 });
  });

  it('a report path under a file is still exit 2, naming the report', async () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    const run = await finish(runCli(['replay', 'fixtures/scenarios/vault-password-grant.yaml', '--json', path.join(file, 'r.json')]));
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^authdouble replay: cannot write the report: .*(ENOTDIR|EEXIST)/);
  });
});

describe('--fixtures is a file or a folder, with the same meaning in every command', () => {
  /** b2core's fixture with one more user, so a test can tell which fixture the server loaded. */
  function extraUserFixture(): string {
    return `${readFileSync(path.join(root, 'fixtures/b2core.yaml'), 'utf8').replace(
      '\ncontract:',
      '\n  - id: "99"\n    email: only-here@bar.com\n    password: Secret123\n\ncontract:',
    )}`;
  }

  async function signIn(url: string, email: string): Promise<number> {
    const res = await fetch(`${url}/api/v2/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'Secret123' }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  it('serve --fixtures some/b2core.yaml serves that file (it used to be ignored)', async () => {
    const some = path.join(dir, 'some');
    mkdirSync(some);
    writeFileSync(path.join(some, 'b2core.yaml'), extraUserFixture());
    await withServer(['--fixtures', path.join(some, 'b2core.yaml')], async (url) => {
      expect(await signIn(`${url}/b2core`, 'only-here@bar.com')).toBe(200);
    });
    // The folder means the same.
    await withServer(['--api', 'b2core', '--fixtures', some], async (url) => {
      expect(await signIn(url, 'only-here@bar.com')).toBe(200);
    });
    // A file with another name is one API's fixture when --api names it.
    const other = path.join(dir, 'staging-accounts.yaml');
    writeFileSync(other, extraUserFixture());
    await withServer(['--api', 'b2core', '--fixtures', other], async (url) => {
      expect(await signIn(url, 'only-here@bar.com')).toBe(200);
    });
  });

  it('verify and replay take the same file and the same folder', async () => {
    const folder = path.join(dir, 'shared');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'b2core.yaml'), extraUserFixture());
    await withServer(['--api', 'b2core', '--fixtures', folder], async (url) => {
      for (const fixtures of [folder, path.join(folder, 'b2core.yaml')]) {
        const run = await finish(runCli(['verify', '--api', 'b2core', '--target', url, '--fixtures', fixtures, '--only', 'schema.sign-in']));
        expect(run.code).toBe(0);
        const replayed = await finish(runCli(['replay', 'fixtures/scenarios/b2core-sign-in.yaml', '--target', url, '--fixtures', fixtures]));
        expect(replayed.code).toBe(0);
      }
    });
    // replay's own mock serves the file too.
    const scenario = path.join(dir, 'only-here.yaml');
    writeFileSync(
      scenario,
      'api: b2core\nsteps:\n  - request: POST /api/v2/signin\n    json: { email: only-here@bar.com, password: "${password:only-here@bar.com}" }\n    expect: { status: 200 }\n',
    );
    const own = await finish(runCli(['replay', scenario, '--fixtures', path.join(folder, 'b2core.yaml')]));
    expect(own.code).toBe(0);
  });

  const missing = () => path.join(dir, 'no-such-thing');
  const strangeName = () => {
    const file = path.join(dir, 'accounts.yaml');
    writeFileSync(file, extraUserFixture());
    return file;
  };
  const vaultOnly = () => {
    const folder = mkdtempSync(path.join(dir, 'vault-only-'));
    writeFileSync(path.join(folder, 'vault.yaml'), readFileSync(path.join(root, 'fixtures/vault.yaml'), 'utf8'));
    return folder;
  };
  const empty = () => mkdtempSync(path.join(dir, 'empty-'));

  it.each([
    ['serve, a path that does not exist', () => ['serve', '--port', '0', '--fixtures', missing()], /--fixtures: the fixtures folder ".*no-such-thing" does not exist, nor a file of that name/],
    ['serve, a file whose API cannot be told', () => ['serve', '--port', '0', '--fixtures', strangeName()], /--fixtures .*accounts\.yaml: cannot tell which API this fixture is for: name the file <api>\.yaml .* or pass --api/],
    ['serve --api b2core, a folder without b2core.yaml', () => ['serve', '--port', '0', '--api', 'b2core', '--fixtures', vaultOnly()], /--fixtures .*vault-only-\w+: the folder has no b2core\.yaml/],
    ['serve, a folder with no fixture file at all', () => ['serve', '--port', '0', '--fixtures', empty()], /--fixtures .*empty-\w+: the folder has no fixture file for/],
    ['verify, a path that does not exist', () => ['verify', '--api', 'b2core', '--target', 'http://127.0.0.1:1', '--fixtures', missing()], /verify: --fixtures: the fixtures folder ".*no-such-thing" does not exist/],
    ['verify, a folder without the API\'s file', () => ['verify', '--api', 'b2core', '--target', 'http://127.0.0.1:1', '--fixtures', vaultOnly()], /the folder has no b2core\.yaml/],
    ['replay, a path that does not exist', () => ['replay', 'fixtures/scenarios/b2core-sign-in.yaml', '--fixtures', missing()], /^authdouble replay: --fixtures: the fixtures folder ".*no-such-thing" does not exist/],
    ['replay, a folder without the API\'s file', () => ['replay', 'fixtures/scenarios/b2core-sign-in.yaml', '--fixtures', vaultOnly()], /the folder has no b2core\.yaml/],
    ['replay, a file whose API cannot be told', () => ['replay', 'fixtures/scenarios/b2core-sign-in.yaml', 'fixtures/scenarios/vault-password-grant.yaml', '--fixtures', strangeName()], /cannot tell which API this fixture is for/],
  ])('exits 2: %s', async (_label, args, message) => {
    const run = await finish(runCli(args()));
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
    noStack(run.err);
  });
});

describe("docs/replay.md's example", () => {
  const scenarios = () => readdirSync(path.join(root, 'fixtures/scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => `fixtures/scenarios/${f}`);

  it('replay fixtures/scenarios/*.yaml --target <origin> passes every step', async () => {
    await withServer([], async (url) => {
      const run = await finish(runCli(['replay', ...scenarios(), '--target', url]));
      expect(run.err).toBe('');
      expect(run.code).toBe(0);
      expect(run.out).toMatch(/: (\d+) passed, 0 failed, 0 skipped/);
    });
  });

  it("several APIs' files with one API's base URL as --target: exit 2 that says what to give, not 35 failed steps", async () => {
    await withServer([], async (url) => {
      const run = await finish(runCli(['replay', ...scenarios(), '--target', `${url}/b2core`]));
      expect(run.code).toBe(2);
      expect(run.err).toBe(
        `authdouble replay: --target ${url}/b2core is the b2core API's base URL, but the files call b2core, fib, khe, sama, vault: with several APIs, --target is the origin of an authdouble serving each under /<api> (${url}), or replay one API's files at a time\n`,
      );
    });
  });
});
