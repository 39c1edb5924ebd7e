import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ControlClient } from '../../src/control/client';
import { StartupError } from '../../src/errors';
import { StateFile } from '../../src/state/persist';
import { startTestServer, type TestServer } from '../helpers/server';
import { waitFor } from '../helpers/ports';

/** `--state-file` in-process: what survives a restart, how the file is written, and bad files. */

let dir: string;
let file: string;
const servers: TestServer[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-state-'));
  file = path.join(dir, 'state.json');
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer({ stateFile: file, ...options });
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
const KHE_NEW = { client: 'khe-web', email: 'keeper@khe.io', password: 'keep-me' };

describe('state that survives a restart', () => {
  it('keeps sign-ups, e-mail changes, issued tokens, revocations, the outbox, the clock and named sessions', async () => {
    let server = await start();
    const khe = `${server.url}/khe/v1.0`;
    const b2core = `${server.url}/b2core/api/v2`;

    // khe: a sign-up, and a fixture user's e-mail change.
    const signUp = await read(fetch(`${khe}/users`, json(KHE_NEW)));
    const hacker = await read(fetch(`${khe}/users/token`, json({ client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' })));
    const basic = `Basic ${Buffer.from(`${hacker.key}:${hacker.token}`).toString('base64')}`;
    const patch = await fetch(`${khe}/users`, { method: 'PATCH', headers: { authorization: basic, 'content-type': 'application/json' }, body: '{"email":"renamed@khe.io"}' });
    expect(patch.status).toBe(200);
    // b2core: one live session, one signed out; a 2FA code in the outbox.
    const live = await read(fetch(`${b2core}/signin`, json({ email: 'foo@bar.com', password: 'Secret123' })));
    const ended = await read(fetch(`${b2core}/signin`, json({ email: 'foo@bar.com', password: 'Secret123' })));
    expect((await fetch(`${b2core}/signout`, { method: 'POST', headers: { authorization: `Bearer ${ended.accessToken.token}` } })).status).toBe(200);
    await fetch(`${b2core}/signin`, json({ email: 'twofa@bar.com', password: 'Secret123' }));
    // The clock moved on an hour; another session has its own sign-up.
    const control = new ControlClient(server.url);
    await control.clock.advance('PT1H');
    const other = await fetch(`${khe}/users`, { ...json({ ...KHE_NEW, email: 'other-session@khe.io' }), headers: { 'content-type': 'application/json', 'x-authdouble-session': 'other' } });
    expect(other.status).toBe(201);

    await stop(server);
    server = await start();
    const after = (p: string) => `${server.url}${p}`;

    const signIn = await fetch(after('/khe/v1.0/users/token'), json({ client: 'khe-web', email: KHE_NEW.email, password: KHE_NEW.password }));
    expect(signIn.status).toBe(201);
    expect((await read(signIn)).key).toBe(signUp.key);
    expect((await fetch(after('/khe/v1.0/users/token'), json({ client: 'khe-web', email: 'renamed@khe.io', password: 'hackathon' }))).status).toBe(201);
    expect((await fetch(after('/khe/v1.0/users/token'), json({ client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' }))).status).toBe(400);
    // The khe token issued before the restart still authenticates.
    expect((await fetch(after('/khe/v1.0/users'), { method: 'PATCH', headers: { authorization: basic, 'content-type': 'application/json' }, body: '{}' })).status).toBe(200);
    // b2core: the live token works, the signed-out ones do not, and the refresh token still refreshes.
    const session = await fetch(after('/b2core/api/v2/session'), { headers: { authorization: `Bearer ${live.accessToken.token}` } });
    expect(session.status).toBe(200);
    expect((await fetch(after('/b2core/api/v2/session'), { headers: { authorization: `Bearer ${ended.accessToken.token}` } })).status).toBe(401);
    expect((await fetch(after('/b2core/api/v2/refresh'), json({ refreshToken: ended.refreshToken.token }))).status).toBe(401);
    expect((await fetch(after('/b2core/api/v2/refresh'), json({ refreshToken: live.refreshToken.token }))).status).toBe(200);

    const controlAfter = new ControlClient(server.url);
    expect(await controlAfter.latestCode('b2core', 'twofa@bar.com')).toMatch(/^\d{6}$/);
    const clock = await controlAfter.clock.get();
    expect(clock.virtual).toBe(true);
    expect(clock.now.getTime()).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect((await fetch(after('/khe/v1.0/users/token'), { ...json({ ...KHE_NEW, email: 'other-session@khe.io' }), headers: { 'content-type': 'application/json', 'x-authdouble-session': 'other' } })).status).toBe(201);
    // ... and only in its own session.
    expect((await fetch(after('/khe/v1.0/users/token'), json({ ...KHE_NEW, email: 'other-session@khe.io' }))).status).toBe(400);
  });

  it('leaves out what expired while the server was down', async () => {
    let server = await start();
    const control = new ControlClient(server.url);
    await control.clock.set('2030-01-01T00:00:00Z');
    const pair = await read(fetch(`${server.url}/b2core/api/v2/signin`, json({ email: 'foo@bar.com', password: 'Secret123' })));
    await stop(server);
    // Move the saved clock past the access token's 10 hours, as if the server had been down that long.
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    saved.sessions.find((s: { name: string }) => s.name === 'default').clock.pinnedAt += 10.5 * 3600 * 1000;
    writeFileSync(file, JSON.stringify(saved));
    server = await start();
    const res = await fetch(`${server.url}/b2core/api/v2/session`, { headers: { authorization: `Bearer ${pair.accessToken.token}` } });
    expect(res.status).toBe(401);
    expect((await read(res)).code).toBe('token_expired');
  });
});

describe('how the state file is written', () => {
  it('atomically, as private JSON, with no temporary file left behind', async () => {
    const server = await start();
    await fetch(`${server.url}/khe/v1.0/users`, json(KHE_NEW));
    await stop(server);
    expect(readdirSync(dir)).toEqual(['state.json']);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({ format: 'authdouble-state', version: 1 });
    expect(JSON.stringify(saved)).toContain('keeper@khe.io');
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('periodically while the state changes, and not while it does not', async () => {
    const server = await start({ stateSaveIntervalMs: 150 });
    await fetch(`${server.url}/khe/v1.0/users`, json(KHE_NEW));
    await waitFor(() => {
      try {
        return readFileSync(file, 'utf8').includes('keeper@khe.io');
      } catch {
        return false;
      }
    }, 5000, 'the periodic save');
    // Not while it does not: count the saver's ticks (each asks whether the state is dirty) and wait
    // for three of them, instead of sleeping and hoping some went by.
    const state = server.stateFile!;
    const dirty = Object.getOwnPropertyDescriptor(StateFile.prototype, 'dirty')!.get!;
    await waitFor(() => !dirty.call(state), 5000, 'the state to be saved');
    const mtime = statSync(file).mtimeMs;
    const saves = jest.spyOn(state, 'save');
    let ticks = 0;
    jest.spyOn(state, 'dirty', 'get').mockImplementation(function (this: StateFile) {
      ticks++;
      return dirty.call(this) as boolean;
    });
    await waitFor(() => ticks >= 3, 5000, 'three ticks of the saver');
    expect(saves).not.toHaveBeenCalled();
    expect(statSync(file).mtimeMs).toBe(mtime);
    // And the same ticks do save once the state changes again.
    await fetch(`${server.url}/khe/v1.0/users`, json({ ...KHE_NEW, email: 'second-keeper@khe.io' }));
    await waitFor(() => saves.mock.calls.length > 0, 5000, 'the save of the new change');
    await saves.mock.results[0]!.value;
    expect(readFileSync(file, 'utf8')).toContain('second-keeper@khe.io');
  });

  it('reports a save that fails instead of swallowing it', async () => {
    const server = await start();
    await fetch(`${server.url}/khe/v1.0/users`, json(KHE_NEW));
    rmSync(dir, { recursive: true, force: true });
    await expect(stop(server)).rejects.toThrow(/ENOENT/);
  });

  it('starts empty from an empty file', async () => {
    writeFileSync(file, '');
    const server = await start();
    expect((await fetch(`${server.url}/khe/v1.0/users/token`, json({ client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' }))).status).toBe(201);
  });
});

describe('a state file that cannot be used stops start-up and is left untouched', () => {
  it.each([
    ['not JSON', '{"format":"authdouble-state", "sessi', /not valid JSON/],
    ['JSON of something else', '{"hello":"world"}', /"format" is not "authdouble-state"/],
    ['another version', '{"format":"authdouble-state","version":99,"sessions":[]}', /version 99 is not 1/],
    ['a broken entry', '{"format":"authdouble-state","version":1,"savedAt":"x","sessions":[{"name":"default","clock":{"offsetMs":0},"store":[["k"]],"outbox":{"nextId":1,"messages":[]}}]}', /sessions\[0\]\.store\[0\] is not \[key, value, expiresAt\]/],
  ])('%s', async (_name, text, reason) => {
    writeFileSync(file, text);
    const before = statSync(file).mtimeMs;
    const failure = await startTestServer({ stateFile: file }).then(
      (s) => {
        servers.push(s);
        return undefined;
      },
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as Error).message).toContain(file);
    expect((failure as Error).message).toMatch(reason);
    expect((failure as Error).message).toMatch(/left as it is/);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(statSync(file).mtimeMs).toBe(before);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('a folder that does not exist', async () => {
    await expect(startTestServer({ stateFile: path.join(dir, 'missing', 'state.json') })).rejects.toThrow(/its folder .*missing does not exist/);
  });
});
