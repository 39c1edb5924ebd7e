import type { B2CoreFixture } from '../apis/b2core/fixture';
import type { FibFixture } from '../apis/fib/fixture';
import { parsePrivateKey } from '../apis/fib/signing';
import type { KheFixture } from '../apis/khe/fixture';
import type { SamaFixture } from '../apis/sama/fixture';
import type { VaultFixture } from '../apis/vault/fixture';
import type { TargetFixture } from './fixture-file';

export type Accounts = Record<string, Record<string, unknown>>;

/**
 * fib private keys that are public test data (README, section fib): the documented FIB test key
 * pair, and the key made for authdouble's `dev@wonderland.space`. A fixture user whose public key
 * is one of these can sign in without a `contract.privateKeys` entry.
 */
export const KNOWN_FIB_PRIVATE_KEYS = [
  '413b285d1819a6166b0daa762bb6bef2d082cffb9a13ce041cb0fda5e2f06dc3',
  '89ff288f2df4fa7a3396b92c469e73925b4c17df2c672c8b785f3a76dadf6134',
];

/**
 * The accounts the checks of each API use, by name, taken from the fixture; then the fixture's
 * `contract.accounts` replaces fields or adds accounts. An account the fixture cannot give is
 * absent, and the checks that need it are skipped and say so.
 */
const derive: Record<string, (fixture: never, target: TargetFixture) => Accounts> = {
  b2core: (f: B2CoreFixture) => {
    const plain = f.users.find((u) => !u.twoFactor);
    const twofa = f.users.find((u) => u.twoFactor && u.twoFactorCode === undefined) ?? f.users.find((u) => u.twoFactor);
    return compact({
      user: plain && { email: plain.email, password: plain.password },
      twofa: twofa && { email: twofa.email, password: twofa.password },
    });
  },
  vault: (f: VaultFixture) => {
    const user = f.users[0];
    return compact({
      user: user && { username: user.username, password: user.password },
      client: f.clients[0] && { id: f.clients[0].id },
      otherClient: f.clients[1] && { id: f.clients[1].id },
    });
  },
  fib: (f: FibFixture, target: TargetFixture) => {
    const given = Object.entries(target.contract.privateKeys ?? {}).map(([email, key]) => ({ email: email.toLowerCase(), key }));
    const keyOf = (email: string, publicKey: string): string | undefined =>
      given.find((g) => g.email === email.toLowerCase())?.key ??
      KNOWN_FIB_PRIVATE_KEYS.find((k) => parsePrivateKey(k).publicKeyHex === publicKey.toLowerCase());
    const signers = f.users.flatMap((u) => {
      const privateKey = keyOf(u.email, u.authPublicKeyHex);
      return privateKey ? [{ email: u.email, privateKey, publicKey: u.authPublicKeyHex }] : [];
    });
    return compact({ signer: signers[0] });
  },
  sama: (f: SamaFixture) => {
    const user = f.users[0];
    return compact({ user: user && { organization_id: user.organization_id, login: user.login, password: user.password } });
  },
  khe: (f: KheFixture) => {
    const user = f.users[0];
    return compact({
      user: user && { email: user.email, password: user.password },
      client: f.clients[0] !== undefined ? { id: f.clients[0] } : undefined,
      otherClient: f.clients[1] !== undefined ? { id: f.clients[1] } : undefined,
    });
  },
};

/**
 * The accounts that destructive checks lock out or rate-limit, and the shared account each may
 * borrow when every check runs in its own state session (a target with the control API). Against
 * any other target they must be the fixture's own (`contract.accounts`), or those checks are skipped.
 */
const dedicated: Record<string, Record<string, string>> = {
  b2core: { lockout: 'user', refreshLimit: 'user', confirmLimit: 'twofa' },
};

export function accountsFor(api: string, target: TargetFixture, options: { isolated?: boolean } = {}): Accounts {
  const derived = derive[api]?.(target.fixture as never, target) ?? {};
  const merged: Accounts = { ...derived };
  for (const [name, fields] of Object.entries(target.contract.accounts ?? {})) merged[name] = { ...merged[name], ...fields };
  if (options.isolated) {
    for (const [name, shared] of Object.entries(dedicated[api] ?? {})) {
      const borrowed = merged[shared];
      if (!merged[name] && borrowed) merged[name] = borrowed;
    }
  }
  return merged;
}

function compact(accounts: Record<string, Record<string, unknown> | undefined>): Accounts {
  return Object.fromEntries(Object.entries(accounts).filter((e): e is [string, Record<string, unknown>] => e[1] !== undefined));
}
