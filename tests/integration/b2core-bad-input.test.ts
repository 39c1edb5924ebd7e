import { startTestServer, useTestServer } from '../helpers/server';
import { FOO } from '../helpers/b2core';

const server = useTestServer({ apis: ['b2core'] });

const post = (path: string, body: string | Buffer | undefined, contentType?: string) => {
  const req = server.api('b2core').post(path);
  if (contentType) req.set('Content-Type', contentType);
  return body === undefined ? req : req.send(body);
};

describe('b2core: every bad request gets the API error body, never a 500', () => {
  it.each([
    ['malformed JSON', '{"email": "foo@bar.com",', 'application/json', 400, 'invalid_json'],
    ['a JSON array', '[]', 'application/json', 400, 'validation_failed'],
    ['a JSON string', '"hello"', 'application/json', 400, 'validation_failed'],
    ['null', 'null', 'application/json', 400, 'validation_failed'],
    ['a missing password', JSON.stringify({ email: FOO.email }), 'application/json', 400, 'validation_failed'],
    ['a number for the e-mail', JSON.stringify({ email: 42, password: 'x' }), 'application/json', 400, 'validation_failed'],
    ['an unknown field', JSON.stringify({ ...FOO, remember: true }), 'application/json', 400, 'validation_failed'],
    ['an empty e-mail', JSON.stringify({ email: '', password: 'x' }), 'application/json', 400, 'validation_failed'],
    ['a __proto__ field', '{"email":"a","password":"b","__proto__":{"polluted":true}}', 'application/json', 400, 'validation_failed'],
    ['text/plain', JSON.stringify(FOO), 'text/plain', 415, 'unsupported_media_type'],
    ['a form body', 'email=foo%40bar.com&password=Secret123', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
    ['a content type with parameters it does not accept', JSON.stringify(FOO), 'application/xml; charset=utf-8', 415, 'unsupported_media_type'],
  ])('%s', async (_name, body, contentType, status, code) => {
    const res = await post('/api/v2/signin', body, contentType).expect(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.code).toBe(code);
    expect(res.body.message).toEqual(expect.any(String));
    expect(JSON.stringify(res.body)).not.toMatch(/node_modules|at .*\.ts:|\/work\//);
  });

  it('names each bad field', async () => {
    const res = await post('/api/v2/signin', JSON.stringify({ email: 1, extra: 2 }), 'application/json').expect(400);
    const paths = (res.body.errors as Array<{ path: string }>).map((e) => e.path).sort();
    expect(paths).toEqual(['/email', '/extra', '/password']);
  });

  // The document's own curl examples send JSON with --data-raw and no Content-Type, which curl
  // labels application/x-www-form-urlencoded; the spec's x-authdouble-json-when-labelled reads it as JSON.
  it("accepts the document's curl examples: JSON labelled application/x-www-form-urlencoded", async () => {
    const FORM = 'application/x-www-form-urlencoded';
    const signedIn = await post('/api/v2/signin', JSON.stringify(FOO), FORM).expect(200);
    expect(signedIn.body['2faRequired']).toBe(false);
    const refreshed = await post('/api/v2/refresh', JSON.stringify({ refreshToken: signedIn.body.refreshToken.token }), FORM).expect(200);
    expect(refreshed.body.accessToken.token).toEqual(expect.any(String));
    // Still validated as the JSON body: a missing field is a 400, not a silent pass.
    const invalid = await post('/api/v2/signin', JSON.stringify({ email: FOO.email }), FORM).expect(400);
    expect(invalid.body.code).toBe('validation_failed');
    // 2FA confirm takes it too (an unknown token, so 401, not 415).
    const confirm = await post('/api/v2/2fa/confirm', JSON.stringify({ token: 'nope', code: '123456' }), FORM);
    expect(confirm.status).not.toBe(415);
  });

  it('still refuses a real form body, and JSON under other labels', async () => {
    const res = await post('/api/v2/signin', 'email=foo%40bar.com&password=Secret123', 'application/x-www-form-urlencoded').expect(415);
    expect(res.body.code).toBe('unsupported_media_type');
    await post('/api/v2/signin', JSON.stringify(FOO), 'text/plain').expect(415);
  });

  it('refuses a missing body', async () => {
    const res = await post('/api/v2/signin', undefined).expect(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it('accepts JSON with a charset parameter', async () => {
    await post('/api/v2/signin', JSON.stringify(FOO), 'application/json; charset=utf-8').expect(200);
  });

  it('refuses a body over 100 KB with 413', async () => {
    const big = JSON.stringify({ email: FOO.email, password: 'x'.repeat(110 * 1024) });
    const res = await post('/api/v2/signin', big, 'application/json').expect(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  it('does not let a __proto__ payload change other objects', async () => {
    await post('/api/v2/signin', '{"__proto__":{"polluted":true},"email":"a","password":"b"}', 'application/json');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await post('/api/v2/signin', JSON.stringify(FOO), 'application/json').expect(200);
  });

  it('answers an unknown path with a problem document', async () => {
    const res = await server.api('b2core').get('/api/v2/nothing').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'No such operation' });
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const res = await server.api('b2core').get('/api/v2/signin').expect(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('does not send X-Powered-By', async () => {
    const res = await post('/api/v2/signin', JSON.stringify(FOO), 'application/json');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('body limit option', () => {
  it('follows --body-limit', async () => {
    const small = await startTestServer({ apis: ['b2core'], bodyLimit: 64 });
    try {
      const res = await small
        .api('b2core')
        .post('/api/v2/signin')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ ...FOO, password: 'x'.repeat(100) }))
        .expect(413);
      expect(res.body.message).toContain('64 bytes');
    } finally {
      await small.close();
    }
  });
});
