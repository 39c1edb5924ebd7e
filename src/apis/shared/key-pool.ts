import { generateKeyPair, type KeyObject } from 'node:crypto';

export type SigningAlg = 'RS256' | 'EdDSA';

interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * Key pairs made ahead of need. RSA key generation takes 50-250 ms (it searches for primes), so the
 * CLI starts it before it loads anything else, and the APIs take the keys when they set up.
 */
const ready: Record<SigningAlg, Array<Promise<KeyPair>>> = { RS256: [], EdDSA: [] };

function generate(alg: SigningAlg): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject) =>
      err ? reject(err) : resolve({ publicKey, privateKey });
    if (alg === 'RS256') generateKeyPair('rsa', { modulusLength: 2048 }, done);
    else generateKeyPair('ed25519', undefined, done);
  });
}

/** Starts making `count` key pairs for `alg` on the thread pool. */
export function prepareKeyPairs(alg: SigningAlg, count: number): void {
  for (let i = 0; i < count; i++) {
    const pair = generate(alg);
    pair.catch(() => undefined); // a failure surfaces when the pair is taken
    ready[alg].push(pair);
  }
}

/** A fresh key pair: one made ahead if there is one, else made now. Each is handed out once. */
export function takeKeyPair(alg: SigningAlg): Promise<KeyPair> {
  return ready[alg].shift() ?? generate(alg);
}
