import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2b';

/**
 * The FIB e-mail signature, hex encoded. The current FIB docs
 * (fraud-intelligence-limited/fil-documentation, src/tutorials-api/signing-user-email-addresses.md)
 * sign the plain digest: `Ed25519(authPrivateKey, BLAKE2b-256(UTF-8(email)))`. Older SDK-based
 * examples set the low bit of the digest's last byte first (`digest[31] |= 1`); signatures of both
 * forms verify. Keys are hex: a public key is 32 bytes; a private key is the 32-byte seed, or the
 * 64-byte "Iroha" form (seed then public key).
 */

const HEX = /^[0-9a-fA-F]*$/;
/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The message FIB signs today: BLAKE2b-256 of the e-mail's UTF-8 bytes. */
export function emailDigest(email: string): Buffer {
  return Buffer.from(blake2b(Buffer.from(email, 'utf8'), { dkLen: 32 }));
}

/** The older form: the same digest with the last byte's low bit set (`digest[31] |= 1`). */
export function lowBitDigest(digest: Buffer): Buffer | undefined {
  if ((digest[31]! & 1) === 1) return undefined; // already set: the same message as the plain form
  const copy = Buffer.from(digest);
  copy[31] = copy[31]! | 1;
  return copy;
}

/** `bytes` of hex (either case), or undefined when `text` is not exactly that. */
export function hexBytes(text: string, bytes: number): Buffer | undefined {
  return text.length === bytes * 2 && HEX.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/** Key objects of public keys already seen: importing one costs more than verifying with it. */
const publicKeys = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE = 1024;

/** A public key object for 32 raw Ed25519 bytes. */
export function ed25519PublicKey(raw: Buffer): KeyObject {
  const x = raw.toString('base64url');
  let key = publicKeys.get(x);
  if (!key) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    if (publicKeys.size >= PUBLIC_KEY_CACHE) publicKeys.clear();
    publicKeys.set(x, key);
  }
  return key;
}

/**
 * Whether `signature` (64 bytes) signs `email` under `publicKey` (32 bytes), in the current form
 * (plain digest) or the older one (`digest[31] |= 1`).
 */
export function verifyEmailSignature(email: string, signature: Buffer, publicKey: Buffer): boolean {
  try {
    const key = ed25519PublicKey(publicKey);
    const digest = emailDigest(email);
    if (verify(null, digest, key, signature)) return true;
    const older = lowBitDigest(digest);
    return older !== undefined && verify(null, older, key, signature);
  } catch {
    return false;
  }
}

export interface SigningKey {
  privateKey: KeyObject;
  /** The public key as 64 lower-case hex characters (what FIB calls `authPublicKeyHex`). */
  publicKeyHex: string;
}

/**
 * Reads a private key given as 64 hex characters (the seed) or 128 (Iroha form: seed then public
 * key). Throws an Error with a message fit for a user when it is neither, or when the public half
 * of the Iroha form does not belong to the seed.
 */
export function parsePrivateKey(hex: string): SigningKey {
  const text = hex.trim();
  const seed = hexBytes(text.slice(0, 64), 32);
  if (!seed || (text.length !== 64 && text.length !== 128) || !HEX.test(text)) {
    throw new Error('the key must be 64 hex characters (private key) or 128 (Iroha form: private key then public key)');
  }
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
  const publicKeyHex = Buffer.from(x ?? '', 'base64url').toString('hex');
  if (text.length === 128 && text.slice(64).toLowerCase() !== publicKeyHex) {
    throw new Error(`the public half of the Iroha key does not belong to its private half (expected ${publicKeyHex})`);
  }
  return { privateKey, publicKeyHex };
}

/** The hex signature of `email` in the form the current FIB docs make (the plain digest). */
export function signEmail(email: string, key: SigningKey): string {
  return sign(null, emailDigest(email), key.privateKey).toString('hex');
}
