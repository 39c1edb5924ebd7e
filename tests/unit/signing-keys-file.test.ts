import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { createJwtSigner } from '../../src/apis/shared/jwt';
import { KeyRing, defaultKeysFile, type KeyKeeper, type StoredKey } from '../../src/apis/shared/keys';
import { StartupError } from '../../src/errors';
import { recorder } from '../helpers/logger';

/**
 * The keys file's rules that `npm run mutate` found unchecked: which files are refused at start-up
 * (and why, as the message says), which are accepted, where the default file lives, and what happens
 * when a key cannot be kept. A refused `--keys-file` stops start-up (the CLI exits 2 with the message);
 * the default file is only a cache, so its problems are warnings.
 */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'authdouble-keys-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
const validKey: StoredKey = { alg: 'EdDSA', kid: 'sama-0001', privateKey: pem };
const keysText = (keys: unknown, version: unknown = 1) => JSON.stringify({ format: 'authdouble-keys', version, keys });

/** The start-up error for `text` as an explicit --keys-file, and the file afterwards. */
function refusal(text: string): { message: string; after: string } {
  const file = path.join(dir, 'keys.json');
  writeFileSync(file, text);
  let caught: unknown;
  try {
    KeyRing.fromFile(file, { explicit: true, logger: recorder() });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StartupError);
  return { message: (caught as Error).message, after: readFileSync(file, 'utf8') };
}

describe('an explicit --keys-file is refused at start-up, saying why, and left as it was', () => {
  it.each<[string, string, string]>([
    ['another version', keysText({}, 2), 'version 2 is not 1'],
    ['no version', JSON.stringify({ format: 'authdouble-keys', keys: {} }), 'version undefined is not 1'],
    ['keys that are a list', keysText([]), '"keys" is not a mapping'],
    ['keys that are null', keysText(null), '"keys" is not a mapping'],
    ['keys that are a string', keysText('abc'), '"keys" is not a mapping'],
    ['a key that is null', keysText({ b2core: null }), 'keys.b2core is not {alg, kid, privateKey}'],
    ['a key of an algorithm the mock does not sign with', keysText({ b2core: { ...validKey, alg: 'HS256' } }), 'keys.b2core is not {alg, kid, privateKey}'],
    ['a key without a kid', keysText({ b2core: { alg: 'EdDSA', privateKey: pem } }), 'keys.b2core is not {alg, kid, privateKey}'],
    ['a kid that is a number', keysText({ b2core: { ...validKey, kid: 7 } }), 'keys.b2core is not {alg, kid, privateKey}'],
    ['a private key that is a number', keysText({ b2core: { ...validKey, privateKey: 42 } }), 'keys.b2core is not {alg, kid, privateKey}'],
    ['a private key that is not PEM', keysText({ b2core: { ...validKey, privateKey: 'MC4CAQAwBQYDK2VwBCIEI' } }), 'keys.b2core is not {alg, kid, privateKey}'],
  ])('%s', (_label, text, reason) => {
    const { message, after } = refusal(text);
    expect(message).toContain(path.join(dir, 'keys.json'));
    expect(message).toContain(reason);
    expect(message).toContain('Fix it, move it away or point --keys-file elsewhere');
    expect(after).toBe(text);
  });

  it('a path that cannot be read as a file, with the system\'s reason', () => {
    const file = path.join(dir, 'a-folder');
    mkdirSync(file);
    expect(() => KeyRing.fromFile(file, { explicit: true, logger: recorder() })).toThrow(/a-folder: EISDIR/);
  });
});

describe('keys files that are accepted', () => {
  it.each([
    ['an empty file', ''],
    ['a file of blank lines', '  \n\n'],
  ])('%s holds no key yet', (_label, text) => {
    const file = path.join(dir, 'keys.json');
    writeFileSync(file, text);
    const ring = KeyRing.fromFile(file, { explicit: true, logger: recorder() });
    expect(ring.export()).toEqual({});
  });

  it('keys of both algorithms the mock signs with, each kept as it is', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const file = path.join(dir, 'keys.json');
    writeFileSync(file, keysText({ sama: validKey, b2core: { alg: 'RS256', kid: 'b2core-0002', privateKey: rsa } }));
    const ring = KeyRing.fromFile(file, { explicit: true, logger: recorder() });
    expect((await ring.get('sama', 'EdDSA')).kid).toBe('sama-0001');
    expect((await ring.get('b2core', 'RS256')).kid).toBe('b2core-0002');
  });

  it('a --keys-file that does not exist yet is created, private, at the first key', async () => {
    const file = path.join(dir, 'new-keys.json');
    const ring = KeyRing.fromFile(file, { explicit: true, logger: recorder() });
    const key = await ring.get('sama', 'EdDSA');
    const kept = JSON.parse(readFileSync(file, 'utf8'));
    expect(kept).toMatchObject({ format: 'authdouble-keys', version: 1 });
    expect(kept.keys.sama.kid).toBe(key.kid);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('servers sharing one keys file sign with one key', () => {
  it('a server that needs a key another one has just kept uses that one, not its own', async () => {
    const file = path.join(dir, 'keys.json');
    // Both read the (missing) file at start-up; the first to sign keeps its key.
    const first = KeyRing.fromFile(file, { explicit: true, logger: recorder() });
    const second = KeyRing.fromFile(file, { explicit: true, logger: recorder() });
    const mine = await first.get('sama', 'EdDSA');
    const theirs = await second.get('sama', 'EdDSA');
    expect(theirs.kid).toBe(mine.kid);
    expect(JSON.parse(readFileSync(file, 'utf8')).keys.sama.kid).toBe(mine.kid);
  });

  it('a kept key of the other algorithm is replaced, in the file too', async () => {
    const file = path.join(dir, 'keys.json');
    writeFileSync(file, keysText({ sama: validKey }));
    const ring = KeyRing.fromFile(file, { explicit: true, logger: recorder() });
    const key = await ring.get('sama', 'RS256');
    expect(key.alg).toBe('RS256');
    expect(key.kid).not.toBe('sama-0001');
    expect(JSON.parse(readFileSync(file, 'utf8')).keys.sama).toMatchObject({ alg: 'RS256', kid: key.kid });
  });
});

describe('a key that cannot be kept still signs, and says so once', () => {
  it('an explicit --keys-file in a folder that does not exist: the folder is not made; an error', async () => {
    const file = path.join(dir, 'missing', 'keys.json');
    const logger = recorder();
    const ring = KeyRing.fromFile(file, { explicit: true, logger });
    const key = await ring.get('sama', 'EdDSA');
    expect(key.kid).toMatch(/^sama-[0-9a-f]{8}$/);
    await ring.get('khe', 'EdDSA');
    expect(() => statSync(path.join(dir, 'missing'))).toThrow(/ENOENT/);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(/^error cannot keep signing keys in .*missing[/\\]keys\.json: .*ENOENT.*; tokens issued now will not verify after a restart$/);
  });

  it('the default file in a folder that cannot be made: a warning that points at --keys-file', async () => {
    const blocker = path.join(dir, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const logger = recorder();
    const ring = KeyRing.fromFile(path.join(blocker, 'authdouble', 'keys.json'), { explicit: false, logger });
    // Reading it already warned (ENOTDIR); then keeping the first key warns, and the second is not tried.
    expect(logger.lines).toHaveLength(1);
    await ring.get('sama', 'EdDSA');
    await ring.get('khe', 'EdDSA');
    expect(logger.lines).toHaveLength(2);
    expect(logger.lines[1]).toMatch(/^warn cannot keep signing keys in .*a-file.*: .*; tokens issued now will not verify after a restart \(set --keys-file\)$/);
  });

  it('the default file\'s folder is made when it does not exist yet', async () => {
    const file = path.join(dir, 'cache', 'authdouble', 'keys.json');
    const logger = recorder();
    const key = await KeyRing.fromFile(file, { explicit: false, logger }).get('sama', 'EdDSA');
    expect(JSON.parse(readFileSync(file, 'utf8')).keys.sama.kid).toBe(key.kid);
    expect(logger.lines).toEqual([]);
  });

  it('a broken default file is a warning, and is replaced by a good one at the first key', async () => {
    const file = path.join(dir, 'keys.json');
    writeFileSync(file, '{ not json');
    const logger = recorder();
    const ring = KeyRing.fromFile(file, { explicit: false, logger });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(/^warn keys file .*keys\.json: not an authdouble keys file \(.*\); it will be replaced when a key is made$/);
    const key = await ring.get('sama', 'EdDSA');
    expect(JSON.parse(readFileSync(file, 'utf8')).keys.sama.kid).toBe(key.kid);
  });
});

describe('a failure to read a kept key is retried at the next use', () => {
  /** A keeper (the Redis store, say) that fails its first read. */
  function flakyKeeper(): KeyKeeper & { reads: number } {
    const keeper = {
      reads: 0,
      find: async () => {
        keeper.reads++;
        if (keeper.reads === 1) throw new Error('store unavailable');
        return undefined;
      },
      add: async () => undefined,
    };
    return keeper;
  }

  it('by the ring', async () => {
    const ring = new KeyRing(flakyKeeper());
    await expect(ring.get('sama', 'EdDSA')).rejects.toThrow('store unavailable');
    await expect(ring.get('sama', 'EdDSA')).resolves.toMatchObject({ alg: 'EdDSA' });
  });

  it('by a signer: the next sign-in gets a token', async () => {
    const signer = createJwtSigner(new KeyRing(flakyKeeper()), 'EdDSA', 'sama');
    await expect(signer.sign({ sub: 'u1' }, Date.UTC(2030, 0, 1), 60)).rejects.toThrow('store unavailable');
    const token = await signer.sign({ sub: 'u1' }, Date.UTC(2030, 0, 1), 60);
    expect(token.split('.')).toHaveLength(3);
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())).toMatchObject({ sub: 'u1', iat: 1893456000, exp: 1893456060 });
  });
});

describe('keys restored from a state file', () => {
  it('replace keys not used yet, never one already signing', async () => {
    const ring = new KeyRing();
    const inUse = await ring.get('sama', 'EdDSA');
    ring.restore({ sama: validKey, khe: { ...validKey, kid: 'khe-0003' } });
    expect(ring.export().sama!.kid).toBe(inUse.kid);
    expect(ring.export().khe!.kid).toBe('khe-0003');
    expect((await ring.get('khe', 'EdDSA')).kid).toBe('khe-0003');
  });
});

describe('the default keys file', () => {
  it('on Windows: under LOCALAPPDATA, else under the profile\'s AppData\\Local', () => {
    expect(defaultKeysFile({ LOCALAPPDATA: '/l/appdata' }, 'win32')).toBe(path.join('/l/appdata', 'authdouble', 'keys.json'));
    expect(defaultKeysFile({}, 'win32')).toBe(path.join(os.homedir(), 'AppData', 'Local', 'authdouble', 'keys.json'));
  });

  it('a relative XDG_CACHE_HOME is ignored, as the XDG rules say', () => {
    expect(defaultKeysFile({ XDG_CACHE_HOME: 'cache' }, 'linux')).toBe(path.join(os.homedir(), '.cache', 'authdouble', 'keys.json'));
  });
});
