import nacl from 'tweetnacl';
import { useTestServer } from '../helpers/server';
import { bearer, login, openSocket, tokenOfCookie, U1, wsUrl } from '../helpers/sama';

/**
 * The server's tokens checked with an Ed25519 implementation of its own (tweetnacl), not jose nor
 * the server's helper; and tokens signed by tweetnacl with keys the server never issued.
 */
const server = useTestServer({ apis: ['sama'] }, { reset: false });

const b64url = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');
const fromB64url = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64url'));

async function serverPublicKey(): Promise<Uint8Array> {
  const [jwk] = (await server.engines.get('sama')!.runtime.publicJwks!()) as Array<{ kty: string; crv: string; x: string }>;
  expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  return fromB64url(jwk!.x);
}

/** A compact JWS signed by tweetnacl with `secretKey`. */
function naclJwt(header: object, payload: object, secretKey: Uint8Array): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(nacl.sign.detached(Buffer.from(input), secretKey))}`;
}

describe('sama tokens under an independent Ed25519 implementation', () => {
  it('verifies the access token and refresh token signatures with tweetnacl', async () => {
    const { body, refresh } = await login(server);
    const key = await serverPublicKey();
    for (const token of [body.access_token, tokenOfCookie(refresh)]) {
      const [h, p, s] = token.split('.') as [string, string, string];
      expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
      expect(nacl.sign.detached.verify(Buffer.from(`${h}.${p}`), fromB64url(s), key)).toBe(true);
      // A changed payload no longer verifies: the check above can fail.
      const forged = b64url(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), login: 'admin' }));
      expect(nacl.sign.detached.verify(Buffer.from(`${h}.${forged}`), fromB64url(s), key)).toBe(false);
    }
  });

  it('refuses a well-formed token signed by a key the server never issued, over HTTP and WebSocket', async () => {
    const { body } = await login(server);
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const header = JSON.parse(Buffer.from(body.access_token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    const foreign = nacl.sign.keyPair();
    const forged = naclJwt(header, { ...claims, jti: 'forged' }, foreign.secretKey);
    // The forged token really is a valid signature, for the foreign key.
    const [h, p, s] = forged.split('.') as [string, string, string];
    expect(nacl.sign.detached.verify(Buffer.from(`${h}.${p}`), fromB64url(s), foreign.publicKey)).toBe(true);

    const res = await server.api('sama').post('/login').set(...bearer(forged)).send({ device_id: U1.device_id }).expect(422);
    expect(res.text).toBe('The token has expired.');
    const socket = await openSocket(wsUrl(server));
    try {
      const answer = await socket.request({ request: { connect: { token: forged, device_id: U1.device_id }, id: 'f' } });
      expect(answer).toEqual({ response: { id: 'f', error: { status: 422, message: 'The token has expired.' } } });
    } finally {
      await socket.close();
    }
    // The genuine token still works.
    await server.api('sama').post('/login').set(...bearer(body.access_token)).send({ device_id: U1.device_id }).expect(200);
  });
});
