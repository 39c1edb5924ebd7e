/**
 * One step format (issue 15): verify's flows and replay's scenarios are files of the same kind,
 * checked by one JSON Schema (the one editors use through `$schema`) and run by one runner, so
 * `verify --flows DIR` and `replay DIR` accept the same files.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { verify } from '../../src/contract';
import { runReplay } from '../../src/replay/run';
import { startTestServer, type TestServer } from '../helpers/server';

const root = path.join(__dirname, '../..');
const schemaFile = path.join(root, 'contract/steps.schema.json');
const shipped = [
  ...readdirSync(path.join(root, 'contract/flows')).map((f) => path.join(root, 'contract/flows', f)),
  ...readdirSync(path.join(root, 'fixtures/scenarios')).map((f) => path.join(root, 'fixtures/scenarios', f)),
].filter((f) => f.endsWith('.yaml'));

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-one-format-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the JSON Schema editors use', () => {
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(schemaFile, 'utf8')));

  it.each(shipped.map((f) => [path.relative(root, f), f]))('%s names it in $schema and is valid against it', (_name, file) => {
    const data = parse(readFileSync(file, 'utf8')) as { $schema?: string };
    expect(data.$schema).toBeDefined();
    expect(path.resolve(path.dirname(file), data.$schema!)).toBe(schemaFile);
    expect(validate(data) ? [] : validate.errors).toEqual([]);
  });

  it('refuses what the loader refuses: a typo, a step of two kinds, a file with both steps and checks', () => {
    expect(validate({ api: 'b2core', steps: [{ request: 'GET /x', expct: {} }] })).toBe(false);
    expect(validate({ api: 'b2core', steps: [{ request: 'GET /x', do: 'otp' }] })).toBe(false);
    expect(validate({ api: 'b2core', steps: [{ request: 'GET /x' }], checks: [] })).toBe(false);
    expect(validate({ api: 'b2core', steps: [{ request: 'GET /x', expect: { status: 'documented' } }] })).toBe(true);
  });
});

describe('verify --flows DIR and replay DIR take the same files', () => {
  let folder: string;
  beforeAll(() => {
    folder = path.join(dir, 'mixed');
    mkdirSync(folder);
    // A scenario (one sequence of steps), as shipped for replay...
    copyFileSync(path.join(root, 'fixtures/scenarios/b2core-sign-in.yaml'), path.join(folder, 'b2core-sign-in.yaml'));
    // ...and a file of named checks, as verify's flows are.
    writeFileSync(
      path.join(folder, 'custom.yaml'),
      `$schema: ../../contract/steps.schema.json
api: b2core
checks:
  - id: custom.upper-case-email
    title: An e-mail in upper case signs in
    kind: flow
    steps:
      - request: POST /api/v2/signin
        json: { email: FOO@BAR.COM, password: "\${password:foo@bar.com}" }
        expect: { status: 200, body: { 2faRequired: false }, present: [body.accessToken.token] }
        save: { access: body.accessToken.token }
      - request: POST /api/v2/signout
        bearer: \${access}
        expect: { status: 200 }
`,
    );
  });

  it('verify runs both: the scenario as one check named after its file', async () => {
    const report = await verify({ api: 'b2core', target: `${server.url}/b2core`, flows: [folder], only: ['b2core-sign-in', 'custom'] });
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ['b2core.b2core-sign-in', 'passed'],
      ['b2core.custom.upper-case-email', 'passed'],
    ]);
  });

  it('replay runs both: each step of the scenario, and each check of the other', async () => {
    const outcome = await runReplay({ files: [folder], target: `${server.url}/b2core` });
    expect(outcome.ok).toBe(true);
    const results = outcome.ok ? outcome.report.results : [];
    expect(results.filter((r) => r.status !== 'passed')).toEqual([]);
    expect(results.map((r) => r.id)).toEqual([...[1, 2, 3, 4, 5, 6, 7].map((n) => `b2core-sign-in.${n}`), 'custom.custom.upper-case-email']);
  });

  it("replay runs verify's own flow file, every check (expiry included, on the mock's clock)", async () => {
    const outcome = await runReplay({ files: [path.join(root, 'contract/flows/b2core.yaml')], target: `${server.url}/b2core` });
    expect(outcome.ok).toBe(true);
    const results = outcome.ok ? outcome.report.results : [];
    expect(results.length).toBeGreaterThan(20);
    expect(results.filter((r) => r.status !== 'passed').map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
  });

  it('a failing check of a scenario fails verify too, naming the step and its line', async () => {
    const bad = path.join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'wrong.yaml'), 'api: b2core\nsteps:\n  - request: POST /api/v2/signin\n    json: { email: foo@bar.com, password: nope }\n');
    const report = await verify({ api: 'b2core', target: `${server.url}/b2core`, flows: [bad], only: ['wrong'] });
    expect(report.results[0]).toMatchObject({ id: 'b2core.wrong', status: 'failed', reason: 'expected a 2xx status, got 401' });
  });
});
