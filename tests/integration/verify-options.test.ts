import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { verify, type VerifyOptions } from '../../src/contract';
import { StartupError } from '../../src/errors';
import type { RunReport } from '../../src/report';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(30_000);

const root = path.resolve(__dirname, '../..');
const byId = (report: RunReport) => new Map(report.results.map((r) => [r.id, r]));
const statusOf = (report: RunReport, id: string) => byId(report).get(id)?.status;

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'verify-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function cannotRun(options: VerifyOptions): Promise<string> {
  const err = await verify(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StartupError);
  return (err as Error).message;
}

describe('verify options', () => {
  let server: TestServer;
  const target = (api: string) => `${server.url}/${api}`;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('--flows: testers add their own checks as data', () => {
    it('runs the checks of a folder of flow files for the API, after the shipped ones, and ignores files of other APIs', async () => {
      const flows = tempDir({
        'mine.yaml': [
          'api: b2core',
          'checks:',
          '  - id: custom.upper-case-email',
          '    title: An e-mail in upper case signs in',
          '    kind: flow',
          '    steps:',
          '      - request: POST /api/v2/signin',
          "        json: { email: 'FOO@BAR.COM', password: '${accounts.user.password}' }",
          '        expect: { status: 200, body: { 2faRequired: false } }',
          '  - id: custom.impossible',
          '    title: A check that fails, to show it is really run',
          '    kind: negative',
          '    steps:',
          '      - request: POST /api/v2/signout',
          '        expect: { status: 418 }',
        ].join('\n'),
        'other.yaml': 'api: vault\nchecks: []\n',
      });
      const report = await verify({ api: 'b2core', target: target('b2core'), flows: [flows], only: ['custom'] });
      expect(report.results.map((r) => [r.id, r.status])).toEqual([
        ['b2core.custom.upper-case-email', 'passed'],
        ['b2core.custom.impossible', 'failed'],
      ]);
      expect(byId(report).get('b2core.custom.impossible')).toMatchObject({
        reason: 'expected status 418, got 401',
        request: 'POST /api/v2/signout — step 1',
      });
    });

    it('refuses a broken flow file, naming the file, the line and what is wrong', async () => {
      const flows = tempDir({
        'bad.yaml': [
          'api: b2core',
          'checks:',
          '  - id: custom.bad',
          '    title: Two kinds of step in one',
          '    kind: sideways',
          '    steps:',
          '      - request: GET /x',
          '        do: otp',
        ].join('\n'),
      });
      const message = await cannotRun({ api: 'b2core', target: target('b2core'), flows: [flows] });
      expect(message).toContain(`${path.join(flows, 'bad.yaml')}: the flow file is invalid:`);
      expect(message).toMatch(/bad\.yaml:5:11 \/checks\/0\/kind: must be one of "schema", "flow", "negative", "stateful", "destructive"/);
    });

    it('refuses a step that is two kinds at once', async () => {
      const flows = tempDir({
        'bad.yaml': ['api: b2core', 'checks:', '  - id: x', '    title: t', '    kind: flow', '    steps:', '      - request: GET /x', '        do: otp'].join('\n'),
      });
      expect(await cannotRun({ api: 'b2core', target: target('b2core'), flows: [flows] })).toMatch(
        /bad\.yaml:7:9 \/checks\/0\/steps\/0: a step has exactly one of request, do or assert/,
      );
    });

    it('refuses a check id that the shipped flows already use', async () => {
      const flows = tempDir({
        'dup.yaml': ['api: b2core', 'checks:', '  - id: schema.sign-in', '    title: again', '    kind: schema', '    steps:', '      - request: POST /api/v2/signout'].join('\n'),
      });
      expect(await cannotRun({ api: 'b2core', target: target('b2core'), flows: [flows] })).toMatch(
        /dup\.yaml:3:9: the check b2core\.schema\.sign-in is already defined at .*contract[/\\]flows[/\\]b2core\.yaml:\d+:\d+/,
      );
    });
  });

  describe('--only', () => {
    it('selects by kind, by prefix, by full id and by glob', async () => {
      const ids = async (only: string[]) => (await verify({ api: 'vault', target: target('vault'), only })).results.map((r) => r.id);
      expect(await ids(['schema'])).toEqual(['vault.schema.password-grant', 'vault.schema.password-grant-form', 'vault.schema.refresh-grant', 'vault.schema.logout']);
      expect(await ids(['vault.stateful.refresh-single-use', 'negative.unknown-client'])).toEqual(['vault.negative.unknown-client', 'vault.stateful.refresh-single-use']);
      expect(await ids(['*.refresh-*'])).toEqual(['vault.schema.refresh-grant', 'vault.stateful.refresh-single-use', 'vault.stateful.refresh-other-client', 'vault.destructive.refresh-token-expiry']);
    });

    it('refuses a name that selects nothing, listing the checks', async () => {
      const message = await cannotRun({ api: 'vault', target: target('vault'), only: ['stateful.nope'] });
      expect(message).toMatch(/^--only: no vault check is called stateful\.nope; the checks are:\n {2}vault\.schema\.password-grant\n/);
    });
  });

  describe('--fixtures: the target\'s test accounts', () => {
    it('refuses a broken fixture with file:line', async () => {
      const dir = tempDir({ 'b2core.yaml': 'users:\n  - id: "1"\n    email: foo@bar.com\n    password: 12\n' });
      expect(await cannotRun({ api: 'b2core', target: target('b2core'), fixtures: path.join(dir, 'b2core.yaml') })).toBe(
        `${path.join(dir, 'b2core.yaml')}: the b2core fixture is invalid:\n  ${path.join(dir, 'b2core.yaml')}:4:15 /users/0/password: must be string`,
      );
    });

    it('takes a fib private key from the contract section, for a user whose key is not published', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const publicHex = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
      const privateHex = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('hex');
      const users = `users:\n  - email: carol@wonderland.space\n    account: carol@wonderland\n    authPublicKeyHex: ${publicHex}\n`;
      const serverFixtures = tempDir({ 'fib.yaml': users });
      // One file serves both: the mock ignores the contract section.
      const verifyFixtures = tempDir({ 'fib.yaml': `${users}contract:\n  privateKeys:\n    carol@wonderland.space: ${privateHex}\n` });
      const fibServer = await startTestServer({ apis: ['fib'], fixturesDir: verifyFixtures });
      try {
        const report = await verify({ api: 'fib', target: `${fibServer.url}/fib`, fixtures: path.join(verifyFixtures, 'fib.yaml') });
        expect(report.results.filter((r) => r.status !== 'passed').map((r) => r.id)).toEqual(['fib.destructive.access-token-expiry']);
        // Without the key, the checks that sign in cannot run, and say why.
        const without = await verify({ api: 'fib', target: `${fibServer.url}/fib`, fixtures: path.join(serverFixtures, 'fib.yaml'), only: ['schema.sign-in'] });
        expect(without.results[0]).toMatchObject({
          status: 'skipped',
          reason: 'the fixture gives no accounts.signer.email (add the account "signer" under contract.accounts in --fixtures)',
        });
      } finally {
        await fibServer.close();
      }
    });
  });

  describe('a target without the control API', () => {
    it('skips the 2FA and expiry checks and says why; the rest runs against the shared state', async () => {
      const bare = await startTestServer({ apis: ['b2core'], admin: false });
      try {
        const report = await verify({ api: 'b2core', target: `${bare.url}/b2core`, destructive: true, only: ['flow', 'stateful', 'destructive.access-token-expiry'] });
        expect(byId(report).get('b2core.flow.sign-in-2fa')).toMatchObject({
          status: 'skipped',
          reason: 'no way to read the 2FA code: the target has no control API (outbox) and no --otp-command was given',
        });
        expect(byId(report).get('b2core.destructive.access-token-expiry')?.reason).toBe(
          `the target offers no clock control (no control API at ${bare.url}/__admin), so expiry cannot be reached without waiting`,
        );
        expect(statusOf(report, 'b2core.stateful.refresh-single-use')).toBe('passed');
        expect(report.results.filter((r) => r.status === 'failed')).toEqual([]);
      } finally {
        await bare.close();
      }
    });

    it('reads 2FA codes from --otp-command (here the fixed-code user, named in the contract section)', async () => {
      const bare = await startTestServer({ apis: ['b2core'], admin: false });
      // The shipped fixture already has a contract section (the destructive checks' accounts): add to it.
      const fixture = readFileSync(path.join(root, 'fixtures/b2core.yaml'), 'utf8').replace('\ncontract:\n  accounts:\n', '\ncontract:\n  accounts:\n    twofa: { email: fixed2fa@bar.com }\n');
      expect(fixture).toContain('twofa: { email: fixed2fa@bar.com }');
      const dir = tempDir({ 'b2core.yaml': fixture });
      try {
        const report = await verify({
          api: 'b2core',
          target: `${bare.url}/b2core`,
          fixtures: path.join(dir, 'b2core.yaml'),
          otpCommand: 'test "$AUTHDOUBLE_OTP_EMAIL" = fixed2fa@bar.com && echo 123456',
          only: ['flow.sign-in-2fa', 'stateful.2fa-token-single-use'],
        });
        expect(report.results.map((r) => r.status)).toEqual(['passed', 'passed']);
        const broken = await verify({ api: 'b2core', target: `${bare.url}/b2core`, fixtures: path.join(dir, 'b2core.yaml'), otpCommand: 'exit 3', only: ['flow.sign-in-2fa'] });
        expect(broken.results[0]).toMatchObject({ status: 'failed', reason: '--otp-command exited with 3' });
      } finally {
        await bare.close();
      }
    });

    it('uses a control API protected by --admin-token when given the token', async () => {
      const guarded = await startTestServer({ apis: ['b2core'], adminToken: 'verify-secret-token' });
      try {
        const only = ['flow.sign-in-2fa'];
        const withToken = await verify({ api: 'b2core', target: `${guarded.url}/b2core`, adminToken: 'verify-secret-token', only });
        expect(withToken.results[0]!.status).toBe('passed');
        // Issue 15: a 401 from /__admin is not "no control API" (which skipped the check): the run stops and says why.
        expect(await cannotRun({ api: 'b2core', target: `${guarded.url}/b2core`, only })).toBe(
          `the control API needs --admin-token: ${guarded.url}/__admin answered 401 (pass --admin-token <token> or set AUTHDOUBLE_ADMIN_TOKEN)`,
        );
      } finally {
        await guarded.close();
      }
    });
  });

  describe('a target that cannot be checked', () => {
    it('says which: not a URL, unreachable, unknown API', async () => {
      expect(await cannotRun({ api: 'b2core', target: 'nonsense' })).toBe('--target "nonsense" is not a URL (e.g. http://127.0.0.1:4600/b2core)');
      const { freePort } = await import('../helpers/ports');
      const port = await freePort();
      expect(await cannotRun({ api: 'b2core', target: `http://127.0.0.1:${port}/b2core` })).toBe(
        `cannot reach the target: GET http://127.0.0.1:${port}/b2core: ECONNREFUSED`,
      );
      expect(await cannotRun({ api: 'nope', target: target('b2core') })).toMatch(/^unknown API "nope"; known: /);
    });
  });
});
