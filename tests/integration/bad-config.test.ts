/**
 * Every bad configuration, from every place configuration enters (CLI flags, startMock(), fixture
 * files, the control API), is refused with a message that names what is wrong: exit 2 for the CLI,
 * a rejected promise for startMock(), a 400 problem for the control API. One row per input.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMock, type MockOptions, type StartedMock } from '../../src/index';
import { runCli } from '../helpers/cli';

jest.setTimeout(60_000);

type Row =
  | { via: 'cli'; args: string[]; files?: Record<string, string>; message: RegExp; exit: number }
  | { via: 'startMock'; options: MockOptions; files?: Record<string, string>; message: RegExp }
  | { via: 'control'; path: string; body: unknown; message: RegExp; status: number };

const TYPO_FIXTURE = 'userz:\n  - id: "1"\n    email: a@b.co\n    password: Secret123\n';
const NESTED_TYPO = 'users:\n  - id: "1"\n    emial: a@b.co\n    password: Secret123\n';

const rows: [string, Row][] = [
  ['CLI: missing fixtures folder', { via: 'cli', args: ['serve', '--fixtures', '$DIR/missing'], message: /the fixtures folder ".*missing" does not exist/, exit: 2 }],
  // Issue 15: --fixtures may name one API's file; a file whose API cannot be told is the error now.
  ['CLI: fixtures given as a file of no API', { via: 'cli', args: ['serve', '--fixtures', '$DIR/accounts.yaml'], files: { 'accounts.yaml': 'users: []\n' }, message: /accounts\.yaml: cannot tell which API this fixture is for/, exit: 2 }],
  ['CLI: a file named for no API', { via: 'cli', args: ['serve', '--fixtures', '$DIR'], files: { 'b2cor.yaml': 'users: []\n' }, message: /holds b2cor\.yaml, which is no API's file \(did you mean "b2core"\?\)/, exit: 2 }],
  ['CLI: .yml fixture is read, not ignored', { via: 'cli', args: ['serve', '--fixtures', '$DIR'], files: { 'b2core.yml': TYPO_FIXTURE }, message: /b2core\.yml:2:3 \/userz: is not an allowed field \(did you mean "users"\?\)/, exit: 2 }],
  ['CLI: both .yaml and .yml', { via: 'cli', args: ['serve', '--fixtures', '$DIR'], files: { 'b2core.yml': 'users: []\n', 'b2core.yaml': 'users: []\n' }, message: /has both b2core\.yaml and b2core\.yml/, exit: 2 }],
  ['CLI: missing specs folder', { via: 'cli', args: ['serve', '--specs', '$DIR/nope'], message: /the specs folder ".*nope" does not exist/, exit: 2 }],
  ['CLI: unresolvable host', { via: 'cli', args: ['serve', '--host', 'no-such-host.invalid'], message: /^authdouble: cannot listen on no-such-host\.invalid:0: the host name does not resolve \((ENOTFOUND|EAI_AGAIN)\)\n$/, exit: 2 }],
  ['CLI: busy port', { via: 'cli', args: ['serve', '--port', '$BUSY'], message: /^authdouble: cannot listen on 127\.0\.0\.1:\d+: the port is already in use .*\(EADDRINUSE\)\n$/, exit: 2 }],
  ['CLI: unknown command', { via: 'cli', args: ['verfiy'], message: /unknown command 'verfiy' \(did you mean "verify"\?\)/, exit: 2 }],
  ['CLI: unknown option', { via: 'cli', args: ['serve', '--fixture', 'x'], message: /unknown option '--fixture'/, exit: 2 }],
  ['CLI: fallback not http(s)', { via: 'cli', args: ['serve', '--fallback', 'ftp://files.example'], message: /fallback "ftp:\/\/files\.example" must be an http:\/\/ or https:\/\/ URL/, exit: 2 }],
  // Issue 17: the store, and what cannot go with a Redis store.
  ['CLI: store neither memory nor a Redis URL', { via: 'cli', args: ['serve', '--store', 'redis:/localhost'], message: /store "redis:\/localhost" is neither "memory" nor a Redis URL/, exit: 2 }],
  ['CLI: Redis store database not a number', { via: 'cli', args: ['serve', '--store', 'redis://localhost:6379/main'], message: /the database after the host must be a number, got "main"/, exit: 2 }],
  ['CLI: Redis that cannot be reached', { via: 'cli', args: ['serve', '--store', 'redis://127.0.0.1:1'], message: /^authdouble: --store redis:\/\/127\.0\.0\.1:1: cannot reach Redis \(.+\)\n$/, exit: 2 }],
  ['CLI: Redis store with a state file', { via: 'cli', args: ['serve', '--store', 'redis://127.0.0.1:6379', '--state-file', '$DIR/state.json'], message: /give a state file or a Redis store, not both/, exit: 2 }],
  ['startMock: Redis store with a keys file', { via: 'startMock', options: { store: 'redis://127.0.0.1:6379', keysFile: '$DIR/keys.json' }, message: /give a keys file or a Redis store, not both/ }],
  ['startMock: store not a URL', { via: 'startMock', options: { store: 'mysql://db' }, message: /store "mysql:\/\/db" is neither "memory" nor a Redis URL/ }],
  ['startMock: fallback not a URL', { via: 'startMock', options: { fallback: 'localhost:8080' }, message: /fallback "localhost:8080" must be an http:\/\/ or https:\/\/ URL|fallback "localhost:8080" is not a URL/ }],
  ['startMock: missing fixtures folder', { via: 'startMock', options: { fixturesDir: '$DIR/missing' }, message: /the fixtures folder ".*missing" does not exist/ }],
  ['startMock: fixture key typo, nested', { via: 'startMock', options: { apis: ['b2core'], fixturesDir: '$DIR' }, files: { 'b2core.yaml': NESTED_TYPO }, message: /\/users\/0\/emial: is not an allowed field \(did you mean "email"\?\)/ }],
  ['startMock: fixture typo is not reported as a missing key', { via: 'startMock', options: { apis: ['b2core'], fixturesDir: '$DIR' }, files: { 'b2core.yaml': TYPO_FIXTURE }, message: /^(?![\s\S]*\/users: is required)[\s\S]*\/userz: is not an allowed field/ }],
  ['startMock: unresolvable host', { via: 'startMock', options: { host: 'no-such-host.invalid' }, message: /^cannot listen on no-such-host\.invalid:0: the host name does not resolve/ }],
  ['startMock: busy port', { via: 'startMock', options: { port: -1 /* replaced */ }, message: /^cannot listen on 127\.0\.0\.1:\d+: the port is already in use/ }],
  ['startMock: bad log level', { via: 'startMock', options: { logLevel: 'loud' as never }, message: /logLevel must be one of silent, error, warn, info, got "loud"/ }],
  ['startMock: fixturesDir not a string', { via: 'startMock', options: { fixturesDir: 42 as never }, message: /fixturesDir \(--fixtures\) must be the path of a folder, got 42/ }],
  ['control: fault operationId in the wrong case', { via: 'control', path: '/faults', body: { api: 'b2core', operationId: 'signin', status: 503 }, message: /operationId "signin" is not an operation of the b2core API; operationIds are case-sensitive \(did you mean "signIn"\?\)/, status: 400 }],
  ['control: fault operationId of no API', { via: 'control', path: '/faults', body: { operationId: 'nothingLikeIt', status: 503 }, message: /operationId "nothingLikeIt" is not an operation of any API this server serves/, status: 400 }],
  ['control: duration not in ISO 8601', { via: 'control', path: '/clock', body: { advance: '10m' }, message: /advance: "10m" is not a duration; write an ISO 8601 duration: .*PT10M for ten minutes/, status: 400 }],
];

let dir: string;
let busy: Server;
let busyPort: number;
let mock: StartedMock;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
  mock = await startMock();
});
afterAll(async () => {
  await mock.close();
  await new Promise((resolve) => busy.close(resolve));
});
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-bad-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fill = (s: string) => s.replace('$DIR', dir).replace('$BUSY', String(busyPort));

describe('bad configuration is refused with a message naming it', () => {
  it.each(rows)('%s', async (_name, row) => {
    if ('files' in row && row.files) {
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of Object.entries(row.files)) writeFileSync(path.join(dir, name), text);
    }
    if (row.via === 'cli') {
      const run = runCli(row.args.map(fill).concat(row.args.includes('--port') ? [] : ['--port', '0']));
      const exit = await run.exited;
      expect(run.stderr()).toMatch(row.message);
      expect(run.stderr()).not.toMatch(/\n\s+at /); // no stack trace
      expect(exit).toBe(row.exit);
    } else if (row.via === 'startMock') {
      const options = Object.fromEntries(
        Object.entries(row.options).map(([k, v]) => [k, typeof v === 'string' ? fill(v) : v]),
      ) as MockOptions;
      if (options.port === -1) options.port = busyPort;
      const started = startMock(options);
      await expect(started).rejects.toThrow(row.message);
    } else {
      const res = await fetch(`${mock.url}/__admin${row.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(row.body),
      });
      expect(res.status).toBe(row.status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { detail: string }).detail).toMatch(row.message);
    }
  });

  it('a fault with the right operationId is accepted and fires', async () => {
    const add = await mock.control.faults.add({ api: 'b2core', operationId: 'signIn', status: 503, times: 1 });
    expect(add).toHaveLength(1);
    const res = await fetch(`${mock.urls.b2core}/api/v2/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'foo@bar.com', password: 'Secret123' }),
    });
    expect(res.status).toBe(503);
  });

  it('a .yml fixture that is valid is served', async () => {
    writeFileSync(path.join(dir, 'b2core.yml'), 'users:\n  - id: "9"\n    email: yml@example.com\n    password: Secret123\n');
    const started = await startMock({ apis: ['b2core'], fixturesDir: dir });
    try {
      const res = await fetch(`${started.urls.b2core}/api/v2/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'yml@example.com', password: 'Secret123' }),
      });
      expect(res.status).toBe(200);
    } finally {
      await started.close();
    }
  });
});

describe('CLI conventions', () => {
  it('--version and -V print the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = runCli([flag]);
      expect(await run.exited).toBe(0);
      expect(run.stdout().trim()).toBe(version);
    }
  });

  it('--help lists every command on one line each', async () => {
    const run = runCli(['--help']);
    expect(await run.exited).toBe(0);
    const commands = run.stdout().split('Commands:\n')[1]!.trimEnd().split('\n');
    expect(commands.map((l) => l.trim().split(/\s/)[0])).toEqual(['serve', 'fib-sign', 'verify', 'record', 'replay', 'help']);
    for (const line of commands) expect(line).toMatch(/^ {2}\S.*\S {2,}\S/);
  });
});
