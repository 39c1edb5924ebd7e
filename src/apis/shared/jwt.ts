import { randomUUID } from 'node:crypto';
import type { KeyRing, SigningAlg, SigningKey } from './keys';
import { signOnThread } from './signing-threads';

export type JwtClaims = Record<string, unknown>;

export interface JwtSigner {
  alg: string;
  /** Signs `claims`, adding `iat`, `exp` (seconds) and a fresh `jti` unless the claims carry them. */
  sign(claims: JwtClaims, issuedAtMs: number, lifetimeSeconds: number): Promise<string>;
  publicJwk(): Promise<Record<string, unknown>>;
}

/**
 * A JWS compact signer (RS256 or EdDSA) over the API's key from `keys`. The key is read (or made)
 * at the first signature, not at start-up.
 */
export function createJwtSigner(keys: KeyRing, alg: SigningAlg, name: string): JwtSigner {
  let prepared: Promise<{ key: SigningKey; header: string }> | undefined;
  const prepare = () =>
    (prepared ??= keys.get(name, alg).then(
      (key) => ({ key, header: base64url(JSON.stringify({ alg, typ: 'JWT', kid: key.kid })) }),
      (err: unknown) => {
        prepared = undefined;
        throw err;
      },
    ));
  return {
    alg,
    async sign(claims, issuedAtMs, lifetimeSeconds) {
      const { key, header } = await prepare();
      const iat = Math.floor(issuedAtMs / 1000);
      const input = `${header}.${base64url(JSON.stringify({ jti: randomUUID(), ...claims, iat, exp: iat + lifetimeSeconds }))}`;
      const signature = await signOnThread(alg === 'RS256' ? 'sha256' : null, input, key.privateKey);
      return `${input}.${signature.toString('base64url')}`;
    },
    async publicJwk() {
      const { key } = await prepare();
      return { ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, alg, use: 'sig' };
    },
  };
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
