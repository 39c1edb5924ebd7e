/**
 * Signs with libraries the server does not use (tweetnacl for Ed25519, @noble/hashes for BLAKE2b),
 * following the documented procedure step by step, so that a mistake shared by the server's signing
 * helper and its verifier cannot hide.
 */
import nacl from 'tweetnacl';
import { blake2b } from '@noble/hashes/blake2b';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import { decodeJwt } from 'jose';
import { useTestServer } from '../helpers/server';
import { ALICE, BOB, BOB_CURRENT, DEV, expectError, SESSION, signIn, TEST_PRIVATE_KEY, TEST_PUBLIC_KEY } from '../helpers/fib';

type Form = 'current' | 'older';

/**
 * BLAKE2b-256 of the UTF-8 e-mail: as is in the current FIB docs (`signing-user-email-addresses.md`),
 * or with the last byte's low bit set in the older SDK-based form.
 */
function digestOf(email: string, form: Form = 'current'): Uint8Array {
  const digest = blake2b(new TextEncoder().encode(email), { dkLen: 32 });
  if (form === 'older') digest[31] = digest[31]! | 1;
  return digest;
}

/** `hex(Ed25519-sign(seed, digest))`, with tweetnacl. */
function naclSign(email: string, seedHex: string, form: Form = 'current'): { signature: string; publicKey: string } {
  const digest = digestOf(email, form);
  const pair = nacl.sign.keyPair.fromSeed(hexToBytes(seedHex));
  return { signature: bytesToHex(nacl.sign.detached(digest, pair.secretKey)), publicKey: bytesToHex(pair.publicKey) };
}

const server = useTestServer({ apis: ['fib'] });

describe('fib sign-in with an independent Ed25519 implementation (tweetnacl + @noble/hashes)', () => {
  it('reproduces the published test vectors: alice in the current form (the docs\' vector), bob in the older one', () => {
    expect(naclSign(ALICE.email, TEST_PRIVATE_KEY)).toEqual({ signature: ALICE.signature, publicKey: TEST_PUBLIC_KEY });
    expect(naclSign(BOB.email, TEST_PRIVATE_KEY, 'older')).toEqual({ signature: BOB.signature, publicKey: TEST_PUBLIC_KEY });
    expect(naclSign(BOB.email, TEST_PRIVATE_KEY)).toEqual({ signature: BOB_CURRENT.signature, publicKey: TEST_PUBLIC_KEY });
    expect(BOB_CURRENT.signature).not.toBe(BOB.signature);
  });

  it.each<[string, Form]>([
    ['the current docs\' form (plain digest)', 'current'],
    ['the older form (digest[31] |= 1)', 'older'],
  ])('signs bob and dev in with a signature in %s', async (_name, form) => {
    for (const [email, seed, publicKey] of [
      [BOB.email, TEST_PRIVATE_KEY, TEST_PUBLIC_KEY],
      [DEV.email, DEV.privateKey, DEV.publicKey],
    ] as const) {
      const signed = naclSign(email, seed, form);
      const { accessToken } = await signIn(server, { email, signature: signed.signature, authPublicKeyHex: publicKey });
      expect(decodeJwt(accessToken).sub).toBe(email);
    }
  });

  it('refuses a signature of the digest with the low bit cleared (neither form)', async () => {
    // alice's digest has the low bit set, so clearing it gives a message FIB never signs.
    const digest = digestOf(ALICE.email);
    expect(digest[31]! & 1).toBe(1);
    digest[31] = digest[31]! & 0xfe;
    const pair = nacl.sign.keyPair.fromSeed(hexToBytes(TEST_PRIVATE_KEY));
    const signature = bytesToHex(nacl.sign.detached(digest, pair.secretKey));
    expectError(await server.api('fib').post(SESSION).send({ ...ALICE, signature }), 422, 'invalid_signature');
  });

  it('signs the offline-development user in with the private key published in the README', async () => {
    const { signature, publicKey } = naclSign(DEV.email, DEV.privateKey);
    expect(publicKey).toBe(DEV.publicKey);
    const { accessToken } = await signIn(server, { email: DEV.email, signature, authPublicKeyHex: publicKey });
    expect(decodeJwt(accessToken)).toMatchObject({ sub: DEV.email, acc: 'dev@wonderland', role: 'ROLE_PEER' });
  });

  it('verifies what tweetnacl signs for alice with the test key', async () => {
    const { signature } = naclSign(ALICE.email, TEST_PRIVATE_KEY);
    await signIn(server, { ...ALICE, signature });
  });

  it('refuses a fresh key pair nobody registered, with 422', async () => {
    const seed = bytesToHex(nacl.randomBytes(32));
    const { signature, publicKey } = naclSign(ALICE.email, seed);
    // A good signature, just not by alice's registered key.
    expect(nacl.sign.detached.verify(digestOf(ALICE.email), hexToBytes(signature), hexToBytes(publicKey))).toBe(true);
    expectError(await server.api('fib').post(SESSION).send({ email: ALICE.email, signature, authPublicKeyHex: publicKey }), 422, 'unregistered_public_key');
    expectError(await server.api('fib').post(SESSION).send({ ...ALICE, signature }), 422, 'invalid_signature');
  });
});
