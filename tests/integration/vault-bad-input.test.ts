import fc from 'fast-check';
import { useTestServer } from '../helpers/server';

const CLIENT = 'haequi3Aah8lie2r';
const SIGN_IN = { grant_type: 'password', username: 'user@example.com', password: 'A9#bL8@z', client_id: CLIENT };
const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

const server = useTestServer({ apis: ['vault'] });

const post = (body: string | Buffer | undefined, contentType?: string) => {
  const req = server.api('vault').post('/reg/auth/token');
  if (contentType) req.set('Content-Type', contentType);
  return body === undefined ? req : req.send(body);
};
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** Vault's error body with the given status name; returns its `errors` as `field message` lines. */
function vaultError(body: Record<string, unknown>, status: string): string[] {
  expect(Object.keys(body).sort()).toEqual(['errors', 'message', 'status', 'traceId']);
  expect(body.status).toBe(status);
  expect(body.message).toEqual(expect.any(String));
  expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
  // Nothing of the mock's insides leaks to the client.
  expect(JSON.stringify(body)).not.toMatch(/node_modules|at .*\.ts:|\/work\/|Ajv|discriminator|oneOf/);
  return (body.errors as Array<{ field: string; message: string }>).map((e) => `${e.field} ${e.message}`);
}

describe('vault token endpoint: every bad body gets Vault error body, never a 500', () => {
  it.each([
    ['malformed JSON', '{"grant_type": "password",', JSON_TYPE, 400, 'BAD_REQUEST', []],
    ['a JSON array', '[]', JSON_TYPE, 400, 'BAD_REQUEST', [' must be object']],
    ['a JSON string', '"password"', JSON_TYPE, 400, 'BAD_REQUEST', [' must be object']],
    ['JSON null', 'null', JSON_TYPE, 400, 'BAD_REQUEST', [' must be object']],
    ['an empty JSON object', '{}', JSON_TYPE, 400, 'BAD_REQUEST', ['/grant_type is required']],
    ['a number for grant_type', JSON.stringify({ ...SIGN_IN, grant_type: 5 }), JSON_TYPE, 400, 'BAD_REQUEST', ['/grant_type must be string']],
    ['a number for the password', JSON.stringify({ ...SIGN_IN, password: 123 }), JSON_TYPE, 400, 'BAD_REQUEST', ['/password must be string']],
    ['an object for the username', JSON.stringify({ ...SIGN_IN, username: { $ne: '' } }), JSON_TYPE, 400, 'BAD_REQUEST', ['/username must be string']],
    ['a missing password', JSON.stringify({ ...SIGN_IN, password: undefined }), JSON_TYPE, 400, 'BAD_REQUEST', ['/password is required']],
    ['a missing client_id', JSON.stringify({ ...SIGN_IN, client_id: undefined }), JSON_TYPE, 400, 'BAD_REQUEST', ['/client_id is required']],
    ['an empty username', JSON.stringify({ ...SIGN_IN, username: '' }), JSON_TYPE, 400, 'BAD_REQUEST', ['/username must NOT have fewer than 1 characters']],
    ['an unknown field', JSON.stringify({ ...SIGN_IN, remember: true }), JSON_TYPE, 400, 'BAD_REQUEST', ['/remember is not an allowed field']],
    ["Vault's 2FA fields (not modelled)", JSON.stringify({ ...SIGN_IN, twoFactorId: 'x', twoFactorCode: '1' }), JSON_TYPE, 400, 'BAD_REQUEST', ['/twoFactorId is not an allowed field', '/twoFactorCode is not an allowed field']],
    ['a number for client_secret', JSON.stringify({ ...SIGN_IN, client_secret: 0 }), JSON_TYPE, 400, 'BAD_REQUEST', ['/client_secret must be string']],
    ['a __proto__ field', '{"grant_type":"password","username":"a","password":"b","client_id":"c","__proto__":{"polluted":true}}', JSON_TYPE, 400, 'BAD_REQUEST', ['/__proto__ is not an allowed field']],
    ['a refresh without refresh_token', JSON.stringify({ grant_type: 'refresh_token' }), JSON_TYPE, 400, 'BAD_REQUEST', ['/refresh_token is required']],
    ['a refresh with password fields', JSON.stringify({ grant_type: 'refresh_token', refresh_token: 'x', username: 'a' }), JSON_TYPE, 400, 'BAD_REQUEST', ['/username is not an allowed field']],
    ['a form without a password', form({ grant_type: 'password', username: 'a', client_id: CLIENT }), FORM_TYPE, 400, 'BAD_REQUEST', ['/password is required']],
    ['a form with an unknown field', form({ ...SIGN_IN, foo: 'bar' }), FORM_TYPE, 400, 'BAD_REQUEST', ['/foo is not an allowed field']],
    ['a form without grant_type', form({ username: 'a', password: 'b', client_id: CLIENT }), FORM_TYPE, 400, 'BAD_REQUEST', ['/grant_type is required']],
    ['a form with an unknown grant_type', form({ grant_type: 'client_credentials', client_id: CLIENT }), FORM_TYPE, 400, 'BAD_REQUEST', ['/grant_type must be one of "password", "refresh_token"']],
    ['text/plain', JSON.stringify(SIGN_IN), 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE', []],
    ['application/xml', '<grant_type>password</grant_type>', 'application/xml; charset=utf-8', 415, 'UNSUPPORTED_MEDIA_TYPE', []],
    ['multipart/form-data', '--x\r\n\r\n--x--', 'multipart/form-data; boundary=x', 415, 'UNSUPPORTED_MEDIA_TYPE', []],
  ])('%s', async (_name, body, contentType, status, statusName, errors) => {
    const res = await post(body, contentType).expect(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(vaultError(res.body, statusName).sort()).toEqual([...errors].sort());
  });

  it('says what is wrong in the message', async () => {
    const res = await post('{"grant_type":', JSON_TYPE).expect(400);
    expect(res.body.message).toMatch(/^The body is not valid JSON: /);
    const missing = await post(JSON.stringify({ grant_type: 'password' }), JSON_TYPE).expect(400);
    // client_id may come from the appClientId header instead, so the schema no longer requires it.
    expect(missing.body.message).toBe('Invalid request: /username is required; /password is required');
    const type = await post('x', 'text/plain').expect(415);
    expect(type.body.message).toBe('Content-Type text/plain is not accepted here; send application/json or application/x-www-form-urlencoded');
  });

  it('refuses a missing body', async () => {
    const res = await post(undefined).expect(400);
    expect(vaultError(res.body, 'BAD_REQUEST')).toEqual([' a request body is required']);
  });

  it('refuses a body without a Content-Type with 415', async () => {
    const res = await server.api('vault').post('/reg/auth/token').set('Content-Type', '').send(Buffer.from(JSON.stringify(SIGN_IN))).expect(415);
    vaultError(res.body, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it.each([
    ['an empty client_secret in a form', form({ ...SIGN_IN, client_secret: '' }), FORM_TYPE],
    ['a client_secret in JSON', JSON.stringify({ ...SIGN_IN, client_secret: 'anything' }), JSON_TYPE],
  ])('accepts and ignores %s (Vault clients are public)', async (_name, body, contentType) => {
    await post(body, contentType).expect(200);
  });

  it('accepts JSON with a charset parameter', async () => {
    await post(JSON.stringify(SIGN_IN), 'application/json; charset=utf-8').expect(200);
  });

  it.each([
    ['JSON', JSON.stringify({ ...SIGN_IN, password: 'x'.repeat(110 * 1024) }), JSON_TYPE],
    ['a form', form({ ...SIGN_IN, password: 'x'.repeat(110 * 1024) }), FORM_TYPE],
    ['a content type it does not accept', 'x'.repeat(200 * 1024), 'text/plain'],
  ])('refuses %s body over 100 KB with 413 PAYLOAD_TOO_LARGE', async (_name, body, contentType) => {
    const res = await post(body, contentType).expect(413);
    expect(res.body.message).toBe('The request body is larger than the limit of 102400 bytes');
    vaultError(res.body, 'PAYLOAD_TOO_LARGE');
  });

  it('still works after a refused body', async () => {
    await post('{', JSON_TYPE).expect(400);
    await post(JSON.stringify(SIGN_IN), JSON_TYPE).expect(200);
  });

  it('answers any JSON object with 200, 400 or 401 and a valid body (property test)', async () => {
    const field = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));
    const body = fc.record(
      {
        grant_type: fc.oneof(fc.constantFrom('password', 'refresh_token', 'client_credentials'), field),
        username: fc.oneof(fc.constant('user@example.com'), field),
        password: fc.oneof(fc.constant('A9#bL8@z'), field),
        client_id: fc.oneof(fc.constant(CLIENT), field),
        refresh_token: field,
        scope: field,
        extra: field,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (value, asForm) => {
        const res = asForm
          ? await post(form(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]))), FORM_TYPE)
          : await post(JSON.stringify(value), JSON_TYPE);
        expect([200, 400, 401]).toContain(res.status);
        if (res.status === 200) expect(res.body.token_type).toBe('Bearer');
        else vaultError(res.body, res.status === 400 ? 'BAD_REQUEST' : 'UNAUTHORIZED');
      }),
      { numRuns: 150 },
    );
  });
});

describe('vault protected endpoints: bad Authorization headers get 401 UNAUTHORIZED', () => {
  const endpoints = [
    ['GET /reg/user/session/current', () => server.api('vault').get('/reg/user/session/current')],
    ['DELETE /reg/user/session/logout/current', () => server.api('vault').delete('/reg/user/session/logout/current')],
  ] as const;

  describe.each(endpoints)('%s', (_name, call) => {
    it.each([
      ['no Authorization header', undefined, /^Authentication required: an Authorization: Bearer <token> header$/],
      ['Basic credentials', 'Basic dXNlcjpwYXNz', /^Authentication required/],
      ['a token without a scheme', 'eyJhbGciOiJSUzI1NiJ9.e30.x', /^Authentication required/],
      ['"Bearer" alone', 'Bearer', /^The Authorization header must be "Bearer <token>"$/],
      ['"Bearer " and spaces', 'Bearer    ', /^The Authorization header must be "Bearer <token>"$/],
      ['two tokens', 'Bearer a b', /^The Authorization header must be "Bearer <token>"$/],
      ['a garbage token', 'Bearer not-a-token', /^Invalid access token$/],
      ['a forged JWT', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c3I6NzQxNzdjMmQtMTFiNS00NTM2LWFmNGUtNDg1ZGZkMDc4Y2MxIn0.', /^Invalid access token$/],
    ])('%s', async (_case, header, message) => {
      const req = call();
      if (header !== undefined) req.set('Authorization', header);
      const res = await req.expect(401);
      vaultError(res.body, 'UNAUTHORIZED');
      expect(res.body.message).toMatch(message);
    });
  });

  it('accepts the scheme name in any case', async () => {
    const tokens = (await post(JSON.stringify(SIGN_IN), JSON_TYPE).expect(200)).body;
    await server.api('vault').get('/reg/user/session/current').set('Authorization', `bearer ${tokens.access_token}`).expect(200);
  });

  it('ignores a body sent to logout', async () => {
    const tokens = (await post(JSON.stringify(SIGN_IN), JSON_TYPE).expect(200)).body;
    await server
      .api('vault')
      .delete('/reg/user/session/logout/current')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .set('Content-Type', 'application/json')
      .send('{not json')
      .expect(204);
  });
});
