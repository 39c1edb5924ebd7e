import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { TestServer } from './server';

/** Paths of the fib API, under its base URL. */
export const SESSION = '/auth/api/v1/authentication-management/session';
export const LOGOUT = '/auth/api/v1/authentication-management/logout';
export const SESSION_INFO = '/auth/api/v1/authentication-management/session-info';

/** The documented test key pair (public example data of the real FIB docs). */
export const TEST_PRIVATE_KEY = '413b285d1819a6166b0daa762bb6bef2d082cffb9a13ce041cb0fda5e2f06dc3';
export const TEST_PUBLIC_KEY = '7fbedb314a9b0c00caef967ac5cabb982ec45da828a0c58a9aafc854f32422ac';

/** The two published sign-in bodies; the fixture registers the test key for both users. */
export const ALICE = {
  email: 'alice@wonderland.space',
  signature:
    '57e7115dfb9faa9add2d2ceb321c20db8c1e7f468d2ffc122793fa61e8ed61581580faaeae83a07fe857894bb33defd61c4ba099b981020146fe8d2be00e630a',
  authPublicKeyHex: TEST_PUBLIC_KEY,
};
export const BOB = {
  email: 'bob@wonderland.space',
  signature:
    'c7126087ca5b91fe0466dee18cdcf9a084c03458691a77da84c5d05a869e1285af9082f915e6546f529363035329e6f9ea94c4098e92c633eb095e351ebbc30c',
  authPublicKeyHex: TEST_PUBLIC_KEY,
};
/**
 * bob signed as FIB's current docs do (plain BLAKE2b-256 digest, no `digest[31] |= 1`): the
 * published BOB signature was made in the older form, and bob's digest has the low bit clear, so the
 * two forms differ for him (for alice they coincide).
 */
export const BOB_CURRENT = {
  ...BOB,
  signature:
    '61cb00a8d98b6e0727fe945849649ae909809b87fed826bddad208fd67837af27aefca5d120a92157cd8ccec119aaa9c76735f155e3cac1f5331e972ec475502',
};

/** The fixture user whose private key is published in README.md (section fib). */
export const DEV = {
  email: 'dev@wonderland.space',
  privateKey: '89ff288f2df4fa7a3396b92c469e73925b4c17df2c672c8b785f3a76dadf6134',
  publicKey: 'c878b96c7137a16b88e8b3bba9346aaeb344b6e10808589f14b652ac4f0bb8d5',
};

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  expirationTime: number;
}

export async function signIn(server: TestServer, body: object = ALICE): Promise<Tokens> {
  const res = await server.api('fib').post(SESSION).send(body).expect(200);
  return res.body.data as Tokens;
}

export async function fibJwks(server: TestServer): Promise<JWTVerifyGetKey> {
  return createLocalJWKSet({ keys: (await server.engines.get('fib')!.runtime.publicJwks!()) as never });
}

/** The envelope every fib error has; `status.code` repeats the HTTP status. */
export function expectError(res: { status: number; body: unknown }, status: number, error: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ status: { code: status }, data: { error } });
}
