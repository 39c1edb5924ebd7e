/**
 * Fixture scenarios: every example in fixtures/scenarios/ passes against a fresh server; a step
 * whose answer does not match fails and names the field; a broken file names its line.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runReplay } from '../../src/replay/run';
import type { RunReport } from '../../src/report';
import { startTestServer, type TestServer } from '../helpers/server';

const scenarioDir = path.join(__dirname, '../../fixtures/scenarios');
const examples = readdirSync(scenarioDir).filter((f) => f.endsWith('.yaml'));
let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-scenario-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function scenario(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function run(files: string[], target?: string): Promise<RunReport> {
  const outcome = await runReplay({ files, target, timeoutMs: 5000 });
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.report;
}

it('there is an example for every API', () => {
  expect(new Set(examples.map((f) => f.split('-')[0]))).toEqual(new Set(['b2core', 'vault', 'fib', 'sama', 'khe']));
});

it.each(examples)('%s passes against a fresh server, twice in a row (each run has its own state session)', async (file) => {
  const api = file.split('-')[0]!;
  for (let i = 0; i < 2; i++) {
    const report = await run([path.join(scenarioDir, file)], `${server.url}/${api}`);
    expect(report.results.filter((r) => r.status !== 'passed').map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
    expect(report.results.length).toBeGreaterThan(2);
  }
});

it('all of them in one run, against the default in-process mock', async () => {
  const report = await run(examples.map((f) => path.join(scenarioDir, f)));
  expect(report.results.filter((r) => r.status !== 'passed')).toEqual([]);
});

describe('a step that does not match', () => {
  it('names the field, what was expected and what came', async () => {
    const file = scenario(
      'wrong-role.yaml',
      `api: khe
steps:
  - name: sign in as staff
    request: POST /v1.0/users/token
    json: { client: khe-web, email: staff@khe.io, password: "\${password:staff@khe.io}" }
    expect: { status: 201, body: { role: attendee } }
`,
    );
    const [result] = (await run([file], `${server.url}/khe`)).results;
    // Issue 15: scenarios run on verify's runner, so failures are worded as verify's are.
    expect(result).toMatchObject({
      id: 'wrong-role.1',
      status: 'failed',
      reason: 'body/role is "staff", expected "attendee"',
      expected: 'status 201, body with {"role":"attendee"}',
    });
    expect(result!.actual).toMatch(/^201 application\/json.*"role":"staff"/);
    expect(result!.request).toMatch(/^POST \/v1\.0\/users\/token — step 1 \(sign in as staff\) at .*wrong-role\.yaml:3:5$/);
  });

  it('a wrong status shows the body that came instead', async () => {
    const file = scenario('wrong-status.yaml', `api: b2core\nsteps:\n  - request: POST /api/v2/signin\n    json: { email: foo@bar.com, password: nope }\n`);
    const [result] = (await run([file], `${server.url}/b2core`)).results;
    expect(result!.reason).toBe('expected a 2xx status, got 401');
    expect(result!.actual).toBe('401 application/json; charset=utf-8 {"code":"invalid_credentials","message":"Wrong e-mail or password"}');
  });

  it('a value no earlier step saved fails the step before sending it', async () => {
    const file = scenario('unsaved.yaml', `api: b2core\nsteps:\n  - request: GET /api/v2/session\n    bearer: \${access}\n`);
    const [result] = (await run([file], `${server.url}/b2core`)).results;
    expect(result!.reason).toMatch(/^step 1 at .*unsaved\.yaml:3:5 needs \$\{access\}, which no earlier step saved$/);
  });

  it('absent and present fields', async () => {
    const file = scenario(
      'fields.yaml',
      `api: b2core
steps:
  - request: POST /api/v2/signin
    json: { email: foo@bar.com, password: Secret123 }
    expect: { absent: [body.accessToken], present: [body.nothing] }
`,
    );
    const [result] = (await run([file], `${server.url}/b2core`)).results;
    expect(result!.reason).toMatch(/^body\.nothing is missing; body\.accessToken is present \(\{"token":"eyJ.*\), expected it absent$/);
  });
});

describe('a broken scenario file is not run', () => {
  it.each([
    ['no-steps.yaml', 'api: b2core\nsteps: []\n', /no-steps\.yaml:2:8 \/steps: must NOT have fewer than 1 items/],
    ['bad-request.yaml', 'api: b2core\nsteps:\n  - request: signin\n', /bad-request\.yaml:3:14 \/steps\/0\/request: must be "METHOD \/path"/],
    ['typo.yaml', 'api: b2core\nsteps:\n  - request: GET /api/v2/session\n    expct: { status: 200 }\n', /typo\.yaml:4:12 \/steps\/0\/expct: is not an allowed field/],
    ['unknown-api.yaml', 'api: nope\nsteps:\n  - request: GET /x\n', /unknown-api\.yaml:1:6 \/api: unknown API "nope"; known: b2core/],
    ['not-yaml.yaml', 'api: b2core\nsteps: [\n', /not-yaml\.yaml:\d+:\d+: the scenario is not valid YAML/],
  ])('%s', async (name, text, message) => {
    const outcome = await runReplay({ files: [scenario(name, text)] });
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.message).toMatch(message);
  });
});
