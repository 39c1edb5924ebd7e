import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { StartupError } from '../../src/errors';
import { defaultKeysFile } from '../../src/apis/shared/keys';
import { startTestServer, type TestServer } from '../helpers/server';
import { runCli, serveCli } from '../helpers/cli';

/**
 * Signing keys are made once and kept (a keys file, or the state file), so that tokens issued before
 * a restart still verify after it; no key is made at start-up.
 */

let dir: string;
const servers: TestServer[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-keys-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}
async function stop(server: TestServer): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  await server.close();
}

/** fetch's JSON, loosely typed as tests read it. */
const read = async (res: Response | Promise<Response>): Promise<any> => (await res).json();
const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A b2core access token, a vault one and a fib one, issued by `server`. */
async function issueTokens(server: TestServer): Promise<string[]> {
  const b2core = await read(fetch(`${server.url}/b2core/api/v2/signin`, json({ email: 'foo@bar.com', password: 'Secret123' })));
  const vault = await read(
    fetch(`${server.url}/vault/reg/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&username=user%40example.com&password=A9%23bL8%40z&client_id=haequi3Aah8lie2r',
    }),
  );
  const sama = await read(
    fetch(
      `${server.url}/sama/login`,
      json({ organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: 'keys-test' }),
    ),
  );
  const tokens = [b2core.accessToken?.token, vault.access_token, sama.access_token];
  expect(tokens.every((t) => typeof t === 'string')).toBe(true);
  return tokens as string[];
}

/** Verifies each token against the JWKS the server publishes now. */
async function verifiesAgainst(server: TestServer, tokens: string[]): Promise<boolean[]> {
  const jwks = createLocalJWKSet(await read(fetch(`${server.url}/__admin/keys`)));
  return Promise.all(tokens.map((t) => jwtVerify(t, jwks).then(() => true, () => false)));
}

describe('the keys file', () => {
  it('keeps the keys: tokens issued before a restart verify against the keys served after it', async () => {
    const keysFile = path.join(dir, 'keys.json');
    let server = await start({ keysFile });
    const tokens = await issueTokens(server);
    expect(await verifiesAgainst(server, tokens)).toEqual([true, true, true]);
    await stop(server);

    server = await start({ keysFile });
    expect(await verifiesAgainst(server, tokens)).toEqual([true, true, true]);

    const kept = JSON.parse(readFileSync(keysFile, 'utf8'));
    expect(kept.format).toBe('authdouble-keys');
    expect(Object.keys(kept.keys)).toEqual(expect.arrayContaining(['b2core', 'vault', 'sama']));
    expect(kept.keys.b2core.alg).toBe('RS256');
    expect(kept.keys.sama.alg).toBe('EdDSA');
    // Private keys: readable by the user only.
    if (process.platform !== 'win32') expect(statSync(keysFile).mode & 0o777).toBe(0o600);
  });

  it('makes no key at start-up: an API that never signs leaves the file alone', async () => {
    const keysFile = path.join(dir, 'keys.json');
    const server = await start({ keysFile, apis: ['b2core'] });
    expect(() => statSync(keysFile)).toThrow(/ENOENT/);
    await fetch(`${server.url}/b2core/api/v2/signin`, json({ email: 'foo@bar.com', password: 'Secret123' }));
    expect(Object.keys(JSON.parse(readFileSync(keysFile, 'utf8')).keys)).toEqual(['b2core']);
  });

  it('without a keys file, each server has fresh keys that the next one does not know', async () => {
    let server = await start({ keysFile: path.join(dir, 'one.json') });
    const tokens = await issueTokens(server);
    await stop(server);
    server = await start({ keysFile: path.join(dir, 'two.json') });
    expect(await verifiesAgainst(server, tokens)).toEqual([false, false, false]);
  });

  it('refuses a broken keys file, naming it, and leaves it as it was', async () => {
    const keysFile = path.join(dir, 'keys.json');
    writeFileSync(keysFile, '{"format":"something else"}');
    const err = await start({ keysFile }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toContain(keysFile);
    expect((err as Error).message).toContain('"format" is not "authdouble-keys"');
    expect(readFileSync(keysFile, 'utf8')).toBe('{"format":"something else"}');
  });

  it('refuses a keys file together with a state file', async () => {
    const err = await start({ keysFile: path.join(dir, 'keys.json'), stateFile: path.join(dir, 'state.json') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/keys file or a state file, not both/);
  });

  it('in the tests, defaults to a temporary folder, not the developer\'s cache', () => {
    expect(defaultKeysFile()).toBe(path.join(tmpdir(), 'authdouble-test-cache', 'authdouble', 'keys.json'));
  });

  it('defaults to one file per user in the OS cache folder', () => {
    expect(defaultKeysFile({ XDG_CACHE_HOME: '/x/cache' }, 'linux')).toBe(path.join('/x/cache', 'authdouble', 'keys.json'));
    expect(defaultKeysFile({ XDG_CACHE_HOME: '/x/cache' }, 'darwin')).toBe(path.join('/x/cache', 'authdouble', 'keys.json'));
    expect(defaultKeysFile({}, 'linux')).toMatch(/\.cache[/\\]authdouble[/\\]keys\.json$/);
    expect(defaultKeysFile({}, 'darwin')).toMatch(/Library[/\\]Caches[/\\]authdouble[/\\]keys\.json$/);
  });
});

describe('keys in the state file', () => {
  it('keeps them there: tokens verify after a restart, and the state file holds the keys', async () => {
    const stateFile = path.join(dir, 'state.json');
    let server = await start({ stateFile });
    const tokens = await issueTokens(server);
    await stop(server);
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(Object.keys(saved.keys)).toEqual(expect.arrayContaining(['b2core', 'vault', 'sama']));

    server = await start({ stateFile });
    expect(await verifiesAgainst(server, tokens)).toEqual([true, true, true]);
    // The token itself is still live, too: the state and the key came back together.
    const session = await fetch(`${server.url}/b2core/api/v2/session`, { headers: { authorization: `Bearer ${tokens[0]}` } });
    expect(session.status).toBe(200);
  });

  it('refuses a state file whose keys are not keys', async () => {
    const stateFile = path.join(dir, 'state.json');
    const text = JSON.stringify({ format: 'authdouble-state', version: 1, savedAt: new Date().toISOString(), sessions: [], keys: { b2core: { alg: 'RS256' } } });
    writeFileSync(stateFile, text);
    const err = await start({ stateFile }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toContain('keys.b2core is not {alg, kid, privateKey}');
    expect(readFileSync(stateFile, 'utf8')).toBe(text);
  });
});

describe('the CLI', () => {
  it('--keys-file keeps the keys across a restart; AUTHDOUBLE_KEYS_FILE yields to --state-file', async () => {
    const keysFile = path.join(dir, 'cli-keys.json');
    const first = await serveCli(['--api', 'b2core', '--log-level', 'silent', '--keys-file', keysFile]);
    const signIn = await read(fetch(`${first.url}/api/v2/signin`, json({ email: 'foo@bar.com', password: 'Secret123' })));
    await first.stop();
    const second = await serveCli(['--api', 'b2core', '--log-level', 'silent'], { AUTHDOUBLE_KEYS_FILE: keysFile });
    const jwks = createLocalJWKSet(await read(fetch(`${second.url}/__admin/keys`)));
    await expect(jwtVerify(signIn.accessToken.token, jwks)).resolves.toBeDefined();
    await second.stop();

    // The environment's keys file does not stop a --state-file start (the keys go in the state file).
    const stateFile = path.join(dir, 'cli-state.json');
    const third = await serveCli(['--api', 'b2core', '--log-level', 'silent', '--state-file', stateFile], { AUTHDOUBLE_KEYS_FILE: keysFile });
    await read(fetch(`${third.url}/api/v2/signin`, json({ email: 'foo@bar.com', password: 'Secret123' })));
    expect(await third.stop()).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).keys)).toEqual(['b2core']);
  });

  it('refuses --keys-file together with --state-file, with exit code 2', async () => {
    const run = runCli(['serve', '--port', '0', '--keys-file', path.join(dir, 'k.json'), '--state-file', path.join(dir, 's.json')]);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/keys file or a state file, not both/);
  });
});
