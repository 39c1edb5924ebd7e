import { randomUUID } from 'node:crypto';
import { exportJWK, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import { takeKeyPair } from './key-pool';

export interface JwtSigner {
  alg: string;
  kid: string;
  /** Signs `claims`, adding `iat`, `exp` (seconds) and a fresh `jti` unless the claims carry them. */
  sign(claims: JWTPayload, issuedAtMs: number, lifetimeSeconds: number): Promise<string>;
  publicJwk(): Promise<Record<string, unknown>>;
  publicKey: KeyLike;
}

/** A key pair made at start-up and a signer over it (RS256, EdDSA, ...), via jose. */
export async function createJwtSigner(alg: 'RS256' | 'EdDSA', kidPrefix: string): Promise<JwtSigner> {
  const { privateKey, publicKey } = await takeKeyPair(alg);
  const kid = `${kidPrefix}-${randomUUID().slice(0, 8)}`;
  const header = { alg, typ: 'JWT', kid };
  return {
    alg,
    kid,
    publicKey,
    sign(claims, issuedAtMs, lifetimeSeconds) {
      const iat = Math.floor(issuedAtMs / 1000);
      return new SignJWT({ jti: randomUUID(), ...claims, iat, exp: iat + lifetimeSeconds })
        .setProtectedHeader(header)
        .sign(privateKey);
    },
    async publicJwk() {
      return { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    },
  };
}

