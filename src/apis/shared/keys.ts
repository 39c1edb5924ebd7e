import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StartupError } from '../../errors';
import type { Logger } from '../../logger';
import { writeFileAtomically } from '../../state/persist';

export type SigningAlg = 'RS256' | 'EdDSA';

/** A signing key as it is kept: in the keys file, or in the state file's `keys`. */
export interface StoredKey {
  alg: SigningAlg;
  kid: string;
  /** PKCS#8, PEM. */
  privateKey: string;
}

export interface SigningKey {
  alg: SigningAlg;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Where a ring keeps the keys it makes: the keys file, or the shared store (Redis). */
export interface KeyKeeper {
  /** The key kept under `name`, if any (read when the ring does not hold one yet). */
  find?(name: string): Promise<StoredKey | undefined>;
  /** Keeps `key` under `name`, unless one of that algorithm is kept already: then returns that one. */
  add(name: string, key: StoredKey): Promise<StoredKey | undefined>;
}

export const KEYS_FORMAT = 'authdouble-keys';
export const KEYS_VERSION = 1;

/**
 * The signing keys of one server, by API. A key is read (or, the first time ever, generated) when
 * the API first signs or publishes its keys, never at start-up: RSA key generation takes 50-250 ms.
 * Keys are kept, so that tokens issued before a restart still verify after it:
 * - with `--state-file`, in the state file (the ring starts empty and the state file fills it);
 * - with a Redis store, in Redis (the first instance to make one wins; every instance signs with it);
 * - otherwise in a keys file (`--keys-file`; by default one per user, under the OS cache folder).
 */
export class KeyRing {
  private readonly loaded = new Map<string, Promise<SigningKey>>();
  private stored: Record<string, StoredKey>;
  /** Counts keys made here, so the state file knows to save them. */
  changes = 0;

  constructor(
    private readonly file?: KeyKeeper,
    initial: Record<string, StoredKey> = {},
  ) {
    this.stored = { ...initial };
  }

  /** A ring whose keys live in `file`, read now (a broken file is a StartupError). */
  static fromFile(file: string, options: { explicit: boolean; logger: Logger }): KeyRing {
    const keysFile = new KeysFile(file, options.explicit, options.logger);
    return new KeyRing(keysFile, keysFile.read());
  }

  /** The key `name` signs with: the kept one for `alg`, else a new one, kept from now on. */
  get(name: string, alg: SigningAlg): Promise<SigningKey> {
    let key = this.loaded.get(name);
    if (!key) {
      key = this.load(name, alg);
      this.loaded.set(name, key);
      key.catch(() => this.loaded.delete(name)); // a failure is retried at the next use
    }
    return key;
  }

  /** Every key kept, for the state file. */
  export(): Record<string, StoredKey> {
    return { ...this.stored };
  }

  /** Keys restored from a state file; they replace keys not used yet. */
  restore(keys: Record<string, StoredKey>): void {
    for (const [name, key] of Object.entries(keys)) {
      if (!this.loaded.has(name)) this.stored[name] = key;
    }
  }

  private async load(name: string, alg: SigningAlg): Promise<SigningKey> {
    const kept = this.stored[name] ?? (await this.file?.find?.(name));
    if (kept?.alg === alg) {
      this.stored[name] = kept;
      return fromStored(kept);
    }
    const made = await generate(name, alg);
    // Another process may have kept one meanwhile (tests start many mocks at once): use that one.
    const theirs = this.file ? await this.file.add(name, made) : undefined;
    const key = theirs ?? made;
    this.stored[name] = key;
    this.changes++;
    return fromStored(key);
  }
}

function fromStored(kept: StoredKey): SigningKey {
  const privateKey = createPrivateKey(kept.privateKey);
  return { alg: kept.alg, kid: kept.kid, privateKey, publicKey: createPublicKey(privateKey) };
}

function generate(name: string, alg: SigningAlg): Promise<StoredKey> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _publicKey: KeyObject, privateKey: KeyObject) => {
      if (err) return reject(err);
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
      resolve({ alg, kid: `${name}-${randomBytes(4).toString('hex')}`, privateKey: pem });
    };
    if (alg === 'RS256') generateKeyPair('rsa', { modulusLength: 2048 }, done);
    else generateKeyPair('ed25519', undefined, done);
  });
}

/**
 * The default keys file: one per user, in the OS's cache folder (`$XDG_CACHE_HOME` when it is set,
 * on any OS, so that a test run can point it at a temporary folder).
 */
export function defaultKeysFile(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  let cache: string;
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) cache = env.XDG_CACHE_HOME;
  else if (platform === 'win32') cache = env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local');
  else if (platform === 'darwin') cache = path.join(home, 'Library', 'Caches');
  else cache = path.join(home, '.cache');
  return path.join(cache, 'authdouble', 'keys.json');
}

/**
 * The keys file: `{format, version, keys: {<api>: StoredKey}}`, private to the user (mode 600),
 * replaced atomically. A file given with `--keys-file` must be readable (else start-up stops); the
 * default one is only a cache: when it cannot be used, keys live in memory, with a warning.
 */
class KeysFile implements KeyKeeper {
  private usable = true;

  constructor(
    readonly file: string,
    private readonly explicit: boolean,
    private readonly logger: Logger,
  ) {}

  read(): Record<string, StoredKey> {
    try {
      return parseKeys(readFileSync(this.file, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return {};
      const why = code ? (err as Error).message : `not an authdouble keys file (${(err as Error).message})`;
      if (this.explicit) throw new StartupError(`keys file ${this.file}: ${why}. Fix it, move it away or point --keys-file elsewhere.`);
      this.logger.warn(`keys file ${this.file}: ${why}; it will be replaced when a key is made`);
      return {};
    }
  }

  /**
   * Keeps `key` under `name`, unless the file already has a key of that algorithm under that name
   * (another process was first): then that one is returned.
   */
  async add(name: string, key: StoredKey): Promise<StoredKey | undefined> {
    if (!this.usable) return undefined;
    try {
      let current: Record<string, StoredKey> = {};
      try {
        current = parseKeys(readFileSync(this.file, 'utf8'));
      } catch {
        // missing or broken: replaced below
      }
      const theirs = current[name];
      if (theirs?.alg === key.alg) return theirs;
      if (!this.explicit) mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const text = JSON.stringify({ format: KEYS_FORMAT, version: KEYS_VERSION, keys: { ...current, [name]: key } }, null, 2);
      await writeFileAtomically(this.file, `${text}\n`);
      return undefined;
    } catch (err) {
      const why = `cannot keep signing keys in ${this.file}: ${(err as Error).message}`;
      if (this.explicit) this.logger.error(`${why}; tokens issued now will not verify after a restart`);
      else this.logger.warn(`${why}; tokens issued now will not verify after a restart (set --keys-file)`);
      this.usable = false;
      return undefined;
    }
  }
}

/** The keys of a keys file's text; throws with what is wrong. */
export function parseKeys(text: string): Record<string, StoredKey> {
  if (text.trim() === '') return {};
  const data = JSON.parse(text) as unknown;
  if (!isRecord(data) || data.format !== KEYS_FORMAT) throw new Error(`"format" is not "${KEYS_FORMAT}"`);
  if (data.version !== KEYS_VERSION) throw new Error(`version ${JSON.stringify(data.version)} is not ${KEYS_VERSION}`);
  return checkKeys(data.keys, 'keys');
}

/** `keys` as a map of stored keys; throws naming the first entry that is not one. */
export function checkKeys(keys: unknown, where: string): Record<string, StoredKey> {
  if (!isRecord(keys)) throw new Error(`"${where}" is not a mapping`);
  for (const [name, key] of Object.entries(keys)) {
    if (
      !isRecord(key) ||
      (key.alg !== 'RS256' && key.alg !== 'EdDSA') ||
      typeof key.kid !== 'string' ||
      typeof key.privateKey !== 'string' ||
      !key.privateKey.startsWith('-----BEGIN PRIVATE KEY-----')
    ) {
      throw new Error(`${where}.${name} is not {alg, kid, privateKey}`);
    }
  }
  return keys as Record<string, StoredKey>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
