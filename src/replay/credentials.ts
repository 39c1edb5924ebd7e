/**
 * Fills redacted credentials at replay time from the fixture files: a user's password, a FIB
 * signature made with a published test key, a 2FA code from the mock's outbox (or the fixture's
 * fixed code). Users are matched by e-mail, username or login (`<organization_id>/<login>` where
 * logins repeat across organizations).
 */
import { apiModules } from '../apis';
import { parsePrivateKey, signEmail, type SigningKey } from '../apis/fib/signing';
import type { ControlClient } from '../control/client';
import { fixtureFile, loadFixture } from '../fixtures/load';
import { defaultFixturesDir } from '../paths';
import { PUBLISHED_FIB_KEYS } from './known-keys';

/** The variable `authdouble fib-sign` reads its key from; replay signs with that key too. */
const FIB_KEY_ENV = 'AUTHDOUBLE_FIB_KEY';

export interface FixtureUser {
  /** Every name the user can be found by, lower case. */
  names: string[];
  /** The name to look the user up in the outbox by (the e-mail or login). */
  login: string;
  password?: string;
  twoFactorCode?: string;
  authPublicKeyHex?: string;
}

export class Credentials {
  private readonly users = new Map<string, FixtureUser[]>();
  private keys: Map<string, SigningKey> | undefined;

  /**
   * @param fixtureFiles each API's fixture file (the defaults for the APIs it does not name)
   * @param control the target's control API, for the outbox, when it has one
   */
  constructor(
    private readonly fixtureFiles: Record<string, string>,
    private readonly control: ControlClient | undefined,
  ) {}

  find(api: string, user: string | undefined): FixtureUser | undefined {
    if (user === undefined) return undefined;
    const wanted = user.toLowerCase();
    return this.usersOf(api).find((u) => u.names.includes(wanted));
  }

  password(api: string, user: string | undefined): string | undefined {
    return this.find(api, user)?.password;
  }

  /** The newest code the target's outbox holds for the user. */
  async outboxCode(api: string, user: string | undefined, control = this.control): Promise<string | undefined> {
    if (!control || user === undefined) return undefined;
    const login = this.find(api, user)?.login ?? user;
    try {
      return await control.latestCode(api, login);
    } catch {
      return undefined;
    }
  }

  /** The outbox's code, else the fixture's fixed one. */
  async otp(api: string, user: string | undefined, control = this.control): Promise<string | undefined> {
    return (await this.outboxCode(api, user, control)) ?? this.find(api, user)?.twoFactorCode;
  }

  /** A FIB sign-in signature for the user, when their key is one of the published test keys. */
  signature(api: string, user: string | undefined): string | undefined {
    const found = this.find(api, user);
    const key = found?.authPublicKeyHex ? this.signingKeys().get(found.authPublicKeyHex.toLowerCase()) : undefined;
    return found && key ? signEmail(found.login, key) : undefined;
  }

  private signingKeys(): Map<string, SigningKey> {
    if (!this.keys) {
      this.keys = new Map();
      const extra = process.env[FIB_KEY_ENV];
      for (const hex of [...PUBLISHED_FIB_KEYS, ...(extra ? [extra] : [])]) {
        try {
          const key = parsePrivateKey(hex);
          this.keys.set(key.publicKeyHex, key);
        } catch {
          // A bad key in the environment signs nothing; fib-sign reports it when used directly.
        }
      }
    }
    return this.keys;
  }

  private usersOf(api: string): FixtureUser[] {
    let users = this.users.get(api);
    if (!users) {
      const module = apiModules.find((m) => m.id === api);
      users = module ? readUsers(loadFixture(module, this.fixtureFiles[api] ?? fixtureFile(api, defaultFixturesDir, defaultFixturesDir))) : [];
      this.users.set(api, users);
    }
    return users;
  }
}

/** The `users` of any API's fixture, read by the field names the five fixtures use. */
function readUsers(fixture: unknown): FixtureUser[] {
  const list = (fixture as { users?: unknown }).users;
  if (!Array.isArray(list)) return [];
  return list.flatMap((raw: unknown): FixtureUser[] => {
    if (raw === null || typeof raw !== 'object') return [];
    const u = raw as Record<string, unknown>;
    const str = (k: string) => (typeof u[k] === 'string' ? (u[k] as string) : undefined);
    const login = str('email') ?? str('username') ?? str('login');
    if (login === undefined) return [];
    const org = str('organization_id');
    const names = [login, ...(org ? [`${org}/${login}`] : [])].map((n) => n.toLowerCase());
    return [{ names, login, password: str('password'), twoFactorCode: str('twoFactorCode'), authPublicKeyHex: str('authPublicKeyHex') }];
  });
}

/** The `functions` of a step run (`${password:USER}`, `${otp:USER}`, `${signature:USER}`) for one API. */
export function stepFunctions(credentials: Credentials, api: string) {
  return async (kind: 'password' | 'otp' | 'signature', user: string, control?: ControlClient): Promise<string | undefined> => {
    if (kind === 'password') return credentials.password(api, user);
    if (kind === 'signature') return credentials.signature(api, user);
    return credentials.otp(api, user, control);
  };
}
