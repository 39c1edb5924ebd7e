import { randomUUID, sign as signAsync, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import type { KeyRing, SigningAlg, SigningKey } from './keys';

export type JwtClaims = Record<string, unknown>;

export interface JwtSigner {
  alg: string;
  /** Signs `claims`, adding `iat`, `exp` (seconds) and a fresh `jti` unless the claims carry them. */
  sign(claims: JwtClaims, issuedAtMs: number, lifetimeSeconds: number): Promise<string>;
  publicJwk(): Promise<Record<string, unknown>>;
}

/** One-shot signing on libuv's thread pool, off the event loop. */
const oneShotSign = promisify(signAsync) as (algorithm: string | null, data: Buffer, key: KeyObject) => Promise<Buffer>;

/**
 * Signatures computed at once on the thread pool: one fewer than the machine's cores (at least one).
 * Without a cap, a burst of sign-ins (250 at once) put 500 RS256 signatures on libuv's 4 pool
 * threads, which took every core from the event loop: on 2 cores, the loop stalled for 120-250 ms
 * per burst while it had nothing of its own to do but answer (issue 13's soak). With the cap, the
 * loop keeps a core, and signing still runs beside it; the rest wait in order.
 */
export const SIGNING_SLOTS = Math.max(1, availableParallelism() - 1);

let signing = 0;
let mostSigning = 0;
const waiting: Array<() => void> = [];

/** Signs on the pool within SIGNING_SLOTS; a finished signature hands its slot to the next in line. */
async function signInTurn(algorithm: string | null, data: Buffer, key: KeyObject): Promise<Buffer> {
  if (signing < SIGNING_SLOTS) signing++;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  mostSigning = Math.max(mostSigning, signing);
  try {
    return await oneShotSign(algorithm, data, key);
  } finally {
    const next = waiting.shift();
    if (next) next();
    else signing--;
  }
}

/** Signatures on the pool now, the most at once since the last call, and those waiting (for tests). */
export function signingLoad(): { now: number; most: number; waiting: number } {
  const load = { now: signing, most: mostSigning, waiting: waiting.length };
  mostSigning = signing;
  return load;
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
      const signature = await signInTurn(alg === 'RS256' ? 'sha256' : null, Buffer.from(input), key.privateKey);
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
