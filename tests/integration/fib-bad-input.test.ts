import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestServer, useTestServer } from '../helpers/server';
import { ALICE, expectError, LOGOUT, SESSION, SESSION_INFO, signIn } from '../helpers/fib';

const server = useTestServer({ apis: ['fib'] });

const post = () => server.api('fib').post(SESSION);

describe('fib sign-in with a bad body', () => {
  it('answers 400 invalid_json for malformed JSON, in the envelope', async () => {
    const res = await post().set('Content-Type', 'application/json').send('{"email": "alice@wonderland.space",');
    expectError(res, 400, 'invalid_json');
    expect(res.body.status.name).toBe('BAD_REQUEST');
    expect(res.body.status.message).toMatch(/^The body is not valid JSON/);
  });

  it.each<[string, unknown, string]>([
    ['a number for the e-mail', { ...ALICE, email: 42 }, '/email'],
    ['null for the signature', { ...ALICE, signature: null }, '/signature'],
    ['an array for the public key', { ...ALICE, authPublicKeyHex: [ALICE.authPublicKeyHex] }, '/authPublicKeyHex'],
    ['a missing signature', { email: ALICE.email, authPublicKeyHex: ALICE.authPublicKeyHex }, '/signature'],
    ['a missing e-mail', { signature: ALICE.signature, authPublicKeyHex: ALICE.authPublicKeyHex }, '/email'],
    ['a missing public key', { email: ALICE.email, signature: ALICE.signature }, '/authPublicKeyHex'],
    ['an unknown field', { ...ALICE, password: 'x' }, '/password'],
    ['an empty e-mail', { ...ALICE, email: '' }, '/email'],
    ['a signature longer than the limit', { ...ALICE, signature: 'a'.repeat(1025) }, '/signature'],
    ['a JSON array', [ALICE], ''],
    ['a JSON string', 'alice', ''],
  ])('answers 400 validation_failed for %s, naming the field', async (_name, body, field) => {
    const res = await post().set('Content-Type', 'application/json').send(JSON.stringify(body));
    expectError(res, 400, 'validation_failed');
    expect(res.body.data.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
  });

  it('answers 400 for an empty body', async () => {
    expectError(await post().set('Content-Type', 'application/json'), 400, 'validation_failed');
  });

  it.each([
    ['text/plain', JSON.stringify(ALICE)],
    ['application/x-www-form-urlencoded', new URLSearchParams(ALICE).toString()],
    // JSON as curl --data-raw labels it: b2core's spec opts in to reading it, fib's does not.
    ['application/x-www-form-urlencoded', JSON.stringify(ALICE)],
  ])('answers 415 for a %s body', async (type, body) => {
    const res = await post().set('Content-Type', type).send(body);
    expectError(res, 415, 'unsupported_media_type');
    expect(res.body.status.name).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 415 for a body without Content-Type', async () => {
    const res = await post().serialize((b) => b as string).unset('Content-Type').send(Buffer.from(JSON.stringify(ALICE)));
    expectError(res, 415, 'unsupported_media_type');
  });

  it('answers 413 for a body over the 100 KB limit, and still serves the next request', async () => {
    const res = await post().send({ ...ALICE, email: 'a'.repeat(110 * 1024) });
    expectError(res, 413, 'payload_too_large');
    expect(res.body.status.name).toBe('PAYLOAD_TOO_LARGE');
    await post().send(ALICE).expect(200);
  });
});

describe('fib bad credentials', () => {
  it.each([
    ['logout', () => server.api('fib').post(LOGOUT)],
    ['session-info', () => server.api('fib').get(SESSION_INFO)],
  ])('%s without Authorization is 401 missing_credentials', async (_name, call) => {
    const res = await call();
    expectError(res, 401, 'missing_credentials');
    expect(res.body.status.name).toBe('UNAUTHORIZED');
  });

  it.each([
    ['Bearer with no token', 'Bearer', 'invalid_authorization_header'],
    ['Bearer with two words', 'Bearer a b', 'invalid_authorization_header'],
    ['Basic credentials', 'Basic YWxpY2U6eA==', 'missing_credentials'],
    ['a bare token', 'abc', 'missing_credentials'],
    ['a garbage Bearer token', 'Bearer abc.def.ghi', 'invalid_token'],
  ])('logout with %s (%s) is 401 %s', async (_name, header, error) => {
    expectError(await server.api('fib').post(LOGOUT).set('Authorization', header), 401, error);
  });

  it('ignores a body sent to logout', async () => {
    const { accessToken } = await signIn(server);
    await server.api('fib').post(LOGOUT).set('Authorization', `Bearer ${accessToken}`).send({ anything: true }).expect(200);
  });

  it('answers a problem document for a method the path does not have, and 404 for an unknown path', async () => {
    const res = await server.api('fib').delete(SESSION).expect(405);
    expect(res.headers.allow).toBe('POST, PATCH');
    await server.api('fib').get('/auth/api/v1/nothing').expect(404);
  });
});

describe('fib fixture errors stop start-up', () => {
  const original = readFileSync(path.join(__dirname, '../../fixtures/fib.yaml'), 'utf8');
  const withFixture = (text: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fib-fixture-'));
    const file = path.join(dir, 'fib.yaml');
    writeFileSync(file, text);
    return { dir, file };
  };

  it('names the file, line, path and problem of a bad public key', async () => {
    const { dir, file } = withFixture(original.replace('authPublicKeyHex: c878b96c', 'authPublicKeyHex: xyz8b96c'));
    const line = original.split('\n').findIndex((l) => l.includes('authPublicKeyHex: c878b96c')) + 1;
    await expect(startTestServer({ apis: ['fib'], fixturesDir: dir })).rejects.toThrow(
      new RegExp(`${escape(file)}: the fib fixture is invalid:\\n\\s+${escape(file)}:${line}:\\d+ /users/2/authPublicKeyHex: must match pattern`),
    );
  });

  it('names a duplicate e-mail', async () => {
    const { dir, file } = withFixture(original.replace('email: alice@wonderland.space', 'email: Bob@wonderland.space'));
    await expect(startTestServer({ apis: ['fib'], fixturesDir: dir })).rejects.toThrow(
      new RegExp(`${escape(file)}:\\d+:\\d+ /users/1/email: duplicate email "Bob@wonderland.space"`),
    );
  });

  it('names a missing field and an unknown one', async () => {
    const { dir } = withFixture('users:\n  - email: x@y.z\n    authPublicKeyHex: 7fbedb314a9b0c00caef967ac5cabb982ec45da828a0c58a9aafc854f32422ac\n    password: x\n');
    const failure = startTestServer({ apis: ['fib'], fixturesDir: dir });
    await expect(failure).rejects.toThrow(/fib\.yaml:2:\d+ \/users\/0\/account: is required/);
    await expect(failure).rejects.toThrow(/fib\.yaml:4:\d+ \/users\/0\/password: is not an allowed field/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
