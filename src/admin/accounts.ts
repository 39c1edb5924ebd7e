import type { B2CoreFixture } from '../apis/b2core/fixture';
import type { FibFixture } from '../apis/fib/fixture';
import { parsePrivateKey, signEmail } from '../apis/fib/signing';
import type { KheFixture } from '../apis/khe/fixture';
import type { SamaFixture } from '../apis/sama/fixture';
import type { VaultFixture } from '../apis/vault/fixture';

/** One fixture user and how to sign in as it (GET /__admin/accounts). */
export interface Account {
  api: string;
  /** What the user signs in with: e-mail, login or username. */
  user: string;
  /** The subject of the user's tokens (as GET /tokens reports it). */
  subject: string;
  password?: string;
  flags: string[];
  /** The sign-in request, inside the API's base URL; `body` is JSON text. */
  signIn: { method: string; path: string; body: string };
  /** A shell command that prints the sign-in body (fib). */
  command?: string;
  note?: string;
}

/**
 * Published test key pairs of fib: the real docs' example pair, and the pair made for authdouble
 * whose private key README.md publishes. A fixture user holding one of these public keys can be
 * given a ready-made signature; any other key's private half is the user's own.
 */
const PUBLISHED_FIB_KEYS: Record<string, string> = {
  '7fbedb314a9b0c00caef967ac5cabb982ec45da828a0c58a9aafc854f32422ac': '413b285d1819a6166b0daa762bb6bef2d082cffb9a13ce041cb0fda5e2f06dc3',
  c878b96c7137a16b88e8b3bba9346aaeb344b6e10808589f14b652ac4f0bb8d5: '89ff288f2df4fa7a3396b92c469e73925b4c17df2c672c8b785f3a76dadf6134',
};

const json = (value: unknown): string => JSON.stringify(value);

/** The accounts of one API's fixture (already validated at start-up). */
export const accountsOf: Record<string, (fixture: unknown) => Account[]> = {
  b2core: (f) =>
    (f as B2CoreFixture).users.map((u) => ({
      api: 'b2core',
      user: u.email,
      subject: u.id,
      password: u.password,
      flags: u.twoFactor ? [u.twoFactorCode ? `2FA, fixed code ${u.twoFactorCode}` : '2FA by e-mail (code in the outbox)'] : [],
      signIn: { method: 'POST', path: '/api/v2/signin', body: json({ email: u.email, password: u.password }) },
    })),
  vault: (f) => {
    const fixture = f as VaultFixture;
    const client = fixture.clients[0]?.id ?? '';
    return fixture.users.map((u) => ({
      api: 'vault',
      user: u.username,
      subject: u.id,
      password: u.password,
      flags: [`scope: ${u.scope.join(' ')}`],
      signIn: {
        method: 'POST',
        path: '/reg/auth/token',
        body: json({ grant_type: 'password', username: u.username, password: u.password, client_id: client }),
      },
    }));
  },
  khe: (f) => {
    const fixture = f as KheFixture;
    const client = fixture.clients[0] ?? '';
    return fixture.users.map((u) => ({
      api: 'khe',
      user: u.email,
      subject: u.key,
      password: u.password,
      flags: [`role ${u.role}`],
      signIn: { method: 'POST', path: '/v1.0/users/token', body: json({ client, email: u.email, password: u.password }) },
    }));
  },
  sama: (f) => {
    const fixture = f as SamaFixture;
    return fixture.users.map((u) => {
      const organization = fixture.organizations.find((o) => o._id === u.organization_id)?.name ?? u.organization_id;
      return {
        api: 'sama',
        user: u.login,
        subject: u._id,
        password: u.password,
        flags: [`organization ${organization}`],
        signIn: {
          method: 'POST',
          path: '/login',
          body: json({ organization_id: u.organization_id, login: u.login, password: u.password, device_id: 'console' }),
        },
      };
    });
  },
  fib: (f) =>
    (f as FibFixture).users.map((u) => {
      const privateKey = PUBLISHED_FIB_KEYS[u.authPublicKeyHex.toLowerCase()];
      const signature = privateKey === undefined ? '<signature>' : signEmail(u.email, parsePrivateKey(privateKey));
      return {
        api: 'fib',
        user: u.email,
        subject: u.email,
        flags: [`role ${u.role}`, `account ${u.account}`],
        signIn: {
          method: 'POST',
          path: '/auth/api/v1/authentication-management/session',
          body: json({ email: u.email, signature, authPublicKeyHex: u.authPublicKeyHex }),
        },
        command: `npx authdouble fib-sign --email ${u.email} --key ${privateKey ?? '<private key>'} --json`,
        ...(privateKey === undefined
          ? { note: "Sign with the private key of this user's Authorization key pair: the fixture holds only the public key." }
          : {}),
      };
    }),
};
