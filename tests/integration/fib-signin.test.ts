import { createPrivateKey, sign } from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2b';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { inState, useTestServer } from '../helpers/server';
import { ALICE, BOB, BOB_CURRENT, DEV, expectError, fibJwks, SESSION, SESSION_INFO, signIn, TEST_PRIVATE_KEY } from '../helpers/fib';

const server = useTestServer({ apis: ['fib'] });

/** Signs `message` with a raw 32-byte Ed25519 seed (hex), via node:crypto; for building bad signatures. */
function rawSign(message: Uint8Array, seedHex: string): string {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]);
  return sign(null, message, createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).toString('hex');
}

describe('fib sign-in with the published signatures', () => {
  it.each([
    ['alice', ALICE],
    ['bob (published, in the older digest[31] |= 1 form)', BOB],
    ['bob (in the current docs\' form, plain digest)', BOB_CURRENT],
  ])('signs %s in and answers with the documented envelope', async (_name, body) => {
    const res = await server.api('fib').post(SESSION).send(body).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      status: { code: 200, name: 'OK', message: 'User authorization has been successful.' },
      data: { accessToken: expect.any(String), refreshToken: expect.any(String), expirationTime: 300 },
    });
  });

  it('issues EdDSA JWTs with the documented claims, verified against the server key', async () => {
    const { accessToken, refreshToken } = await signIn(server);
    const jwks = await fibJwks(server);
    for (const token of [accessToken, refreshToken]) {
      expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'JWT', alg: 'EdDSA' });
    }
    const access = await jwtVerify(accessToken, jwks, { algorithms: ['EdDSA'] });
    expect(access.payload).toEqual({
      acc: 'alice@wonderland',
      sub: 'alice@wonderland.space',
      role: 'ROLE_PEER',
      exp: expect.any(Number),
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: expect.any(Number),
    });
    expect(access.payload.exp! - access.payload.iat!).toBe(300);
    const refresh = await jwtVerify(refreshToken, jwks, { algorithms: ['EdDSA'] });
    expect(refresh.payload).toEqual({
      sub: 'alice@wonderland.space',
      acjti: access.payload.jti,
      exp: expect.any(Number),
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: expect.any(Number),
    });
    expect(refresh.payload.jti).not.toBe(access.payload.jti);
    expect(refresh.payload.exp! - refresh.payload.iat!).toBe(86400);
    // The time comes from the session clock.
    expect(Math.abs(access.payload.iat! * 1000 - (await inState(server, (s) => s.clock.now())))).toBeLessThan(2000);
  });

  it('gives each sign-in distinct tokens, and the access token works', async () => {
    const [a, b] = await Promise.all([signIn(server), signIn(server)]);
    expect(a.accessToken).not.toBe(b.accessToken);
    const res = await server.api('fib').get(SESSION_INFO).set('Authorization', `Bearer ${a.accessToken}`).expect(200);
    expect(res.body.data).toEqual({
      email: 'alice@wonderland.space',
      account: 'alice@wonderland',
      role: 'ROLE_PEER',
      expiresAt: decodeJwt(a.accessToken).exp,
    });
  });

  it('finds the user whatever the case of the e-mail, and verifies the e-mail as sent', async () => {
    const email = 'Alice@Wonderland.Space';
    const signature = rawSign(digestWithBit(email), TEST_PRIVATE_KEY);
    const { accessToken } = await signIn(server, { ...ALICE, email, signature });
    expect(decodeJwt(accessToken).sub).toBe('alice@wonderland.space');
    // The lower-case e-mail's signature is not a signature of the upper-case one.
    const res = await server.api('fib').post(SESSION).send({ ...ALICE, email });
    expectError(res, 422, 'invalid_signature');
  });

  it('accepts upper-case hex', async () => {
    await signIn(server, { ...ALICE, signature: ALICE.signature.toUpperCase(), authPublicKeyHex: ALICE.authPublicKeyHex.toUpperCase() });
  });
});

function digestWithBit(email: string): Uint8Array {
  const d = blake2b(Buffer.from(email, 'utf8'), { dkLen: 32 });
  d[31] = d[31]! | 1;
  return d;
}

function digestWithBitCleared(email: string): Uint8Array {
  const d = blake2b(Buffer.from(email, 'utf8'), { dkLen: 32 });
  d[31] = d[31]! & 0xfe;
  return d;
}

it('accepts a sign-in signed as the current FIB docs do (no low bit), for an e-mail whose digest has it clear', async () => {
  const email = 'bob@wonderland.space';
  const plain = blake2b(Buffer.from(email, 'utf8'), { dkLen: 32 });
  expect(plain[31]! & 1).toBe(0);
  await signIn(server, { ...BOB, signature: rawSign(plain, TEST_PRIVATE_KEY) });
});

describe('fib sign-in refusals', () => {
  it('answers 404 for an unknown e-mail (the seed document’s own example is such a one)', async () => {
    const res = await server.api('fib').post(SESSION).send({
      email: 'alice@mail.com',
      signature:
        '0b458f758eeca3d7a2a64de0648c9b7dccaee146202257cd8ebaeb4690aa48b464108111d8cf0e7f3b0ace1b51dcda89e76d372233514f324e00d64c6b899c0e',
      authPublicKeyHex: '8a53d297bc406c63396967388ecc2ebc8abd701d195a43bbb4751ac5a86eac1b',
    });
    expectError(res, 404, 'user_not_found');
    expect(res.body.status).toEqual({ code: 404, name: 'NOT_FOUND', message: 'User not found' });
  });

  const devSignatureOfAlice = () => rawSign(digestWithBit(ALICE.email), DEV.privateKey);

  it.each<[string, () => object, string]>([
    ['a public key that is not hex', () => ({ ...ALICE, authPublicKeyHex: 'z'.repeat(64) }), 'malformed_public_key'],
    ['a public key of the wrong length', () => ({ ...ALICE, authPublicKeyHex: ALICE.authPublicKeyHex.slice(2) }), 'malformed_public_key'],
    ['an empty public key', () => ({ ...ALICE, authPublicKeyHex: '' }), 'malformed_public_key'],
    [
      "another user's key with a good signature by it (not alice's registered key)",
      () => ({ ...ALICE, authPublicKeyHex: DEV.publicKey, signature: devSignatureOfAlice() }),
      'unregistered_public_key',
    ],
    ['a signature that is not hex', () => ({ ...ALICE, signature: `${ALICE.signature.slice(0, 126)}zz` }), 'malformed_signature'],
    ['a signature of the wrong length', () => ({ ...ALICE, signature: ALICE.signature.slice(0, 126) }), 'malformed_signature'],
    ['an empty signature', () => ({ ...ALICE, signature: '' }), 'malformed_signature'],
    ["bob's signature for alice", () => ({ ...ALICE, signature: BOB.signature }), 'invalid_signature'],
    [
      'a signature by the wrong private key',
      () => ({ ...ALICE, signature: devSignatureOfAlice() }),
      'invalid_signature',
    ],
    [
      // The plain digest is accepted now (current FIB docs); alice's has the low bit set, so clearing it is neither form.
      'a signature over the digest with the low bit cleared (alice)',
      () => ({ ...ALICE, signature: rawSign(digestWithBitCleared(ALICE.email), TEST_PRIVATE_KEY) }),
      'invalid_signature',
    ],
    [
      'a signature over the raw e-mail (the older scheme)',
      () => ({ ...BOB, signature: rawSign(Buffer.from(BOB.email), TEST_PRIVATE_KEY) }),
      'invalid_signature',
    ],
    ['a signature with one bit flipped', () => ({ ...ALICE, signature: `${ALICE.signature.slice(0, 10)}${ALICE.signature[10] === '0' ? '1' : '0'}${ALICE.signature.slice(11)}` }), 'invalid_signature'],
  ])('answers 422 for %s', async (_name, body, error) => {
    const res = await server.api('fib').post(SESSION).send(body());
    expectError(res, 422, error);
    expect(res.body.status.name).toBe('UNPROCESSABLE_ENTITY');
    expect(typeof res.body.status.message).toBe('string');
  });

  it('issues no tokens on a refused sign-in', async () => {
    await server.api('fib').post(SESSION).send({ ...ALICE, signature: BOB.signature }).expect(422);
    expect(await inState(server, (s) => s.store.entries(''))).toEqual([]);
  });
});
