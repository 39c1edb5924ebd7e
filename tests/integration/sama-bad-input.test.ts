import { useTestServer } from '../helpers/server';
import { bearer, login, U1 } from '../helpers/sama';

const server = useTestServer({ apis: ['sama'] });

const BAD_DATA = 'Bad request - invalid data format';

/** Every error of the API is a bare text/plain message, as the real server's. */
const expectText = (res: { headers: Record<string, string>; text: string }, message: string | RegExp): void => {
  expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  if (typeof message === 'string') expect(res.text).toBe(message);
  else expect(res.text).toMatch(message);
};

describe('sama POST /login bad bodies', () => {
  it.each([
    ['malformed JSON', '{"device_id": "d",'],
    ['a JSON string with a trailing comma', '{"login": "a",}'],
  ])('answers 400 for %s', async (_name, raw) => {
    const res = await server.api('sama').post('/login').set('Content-Type', 'application/json').send(raw).expect(400);
    expectText(res, BAD_DATA);
  });

  it.each([
    ['a login that is a number', { ...U1, login: 5 }],
    ['a password that is an object', { ...U1, password: { $ne: '' } }],
    ['a device_id that is a boolean', { ...U1, device_id: true }],
    ['a device_id that is an array', { ...U1, device_id: ['a'] }],
    ['an unknown field', { ...U1, remember_me: true }],
    ['a prototype-polluting field', JSON.parse('{"device_id": "d", "__proto__": {"admin": true}}')],
    ['a device_id longer than 255 characters', { ...U1, device_id: 'd'.repeat(256) }],
  ])('answers 400 for %s', async (_name, body) => {
    const res = await server.api('sama').post('/login').send(body).expect(400);
    expectText(res, BAD_DATA);
  });

  it.each([
    ['a JSON array body', '[]'],
    ['a JSON string body', '"device_id"'],
    ['JSON null', 'null'],
  ])('answers 422 for %s, where device_id cannot be', async (_name, raw) => {
    const res = await server.api('sama').post('/login').set('Content-Type', 'application/json').send(raw).expect(422);
    expectText(res, "'device_id' is required.");
  });

  it.each([
    ['text/plain', 'device_id=d'],
    ['application/x-www-form-urlencoded', 'device_id=d&login=login_u1'],
    ['application/xml', '<login/>'],
  ])('answers 415 for a %s body', async (type, raw) => {
    const res = await server.api('sama').post('/login').set('Content-Type', type).send(raw).expect(415);
    expectText(res, `Content-Type ${type} is not accepted here; send application/json`);
  });

  it('answers 415 for a body without Content-Type', async () => {
    const res = await server.api('sama').post('/login').set('Content-Type', '').send(Buffer.from('{"device_id":"d"}')).expect(415);
    expectText(res, /^the request has a body but no Content-Type/i);
  });

  it('answers 413 for a body over 100 KB, and keeps serving', async () => {
    const res = await server.api('sama').post('/login').send({ ...U1, password: 'x'.repeat(101 * 1024) }).expect(413);
    expectText(res, 'The request body is larger than the limit of 102400 bytes');
    await server.api('sama').post('/login').send(U1).expect(200);
  });

  it('accepts a charset parameter on the JSON media type', async () => {
    await server.api('sama').post('/login').set('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(U1)).expect(200);
  });
});

describe('sama garbage credentials', () => {
  it.each([
    ['Bearer with no token', 'Bearer'],
    ['Bearer with two words', 'Bearer a b'],
  ])('answers 401 for an Authorization header of %s', async (_name, header) => {
    const res = await server.api('sama').post('/login').set('Authorization', header).send({ device_id: 'd' }).expect(401);
    expectText(res, 'Missing authentication credentials.');
  });

  it.each([
    ['a Basic header', 'Basic Zm9vOmJhcg=='],
    ['an unknown scheme', 'Token abc'],
    ['a bare word', 'abc'],
  ])('ignores %s, as if absent (401 with device_id alone, 200 with a password)', async (_name, header) => {
    const res = await server.api('sama').post('/login').set('Authorization', header).send({ device_id: 'd' }).expect(401);
    expectText(res, 'Missing authentication credentials.');
    await server.api('sama').post('/login').set('Authorization', header).send(U1).expect(200);
  });

  it.each([
    ['a garbage cookie header', 'refresh_token'],
    ['an empty refresh_token', 'refresh_token='],
    ['another cookie only', 'session=abc'],
  ])('treats %s as no cookie (401)', async (_name, header) => {
    const res = await server.api('sama').post('/login').set('Cookie', header).send({ device_id: 'd' }).expect(401);
    expectText(res, 'Missing authentication credentials.');
  });

  it('answers 401 for a garbage (unsigned) refresh_token cookie and 422 for a garbage Bearer token', async () => {
    expectText(await server.api('sama').post('/login').set('Cookie', 'refresh_token=%%%').send({ device_id: 'd' }).expect(401), 'Missing authentication credentials.');
    expectText(await server.api('sama').post('/login').set('Cookie', 'refresh_token=s%3Aabc.def').send({ device_id: 'd' }).expect(401), 'Missing authentication credentials.');
    expectText(await server.api('sama').post('/login').set(...bearer('x'.repeat(5000))).send({ device_id: 'd' }).expect(422), 'The token has expired.');
  });

  it('answers 401 on logout for a garbage Authorization header', async () => {
    const { refresh } = await login(server);
    const res = await server.api('sama').post('/logout').set('Authorization', 'Bearer').set('Cookie', `refresh_token=${refresh}`).expect(401);
    expectText(res, 'Missing authentication credentials.');
  });
});

describe('sama routes', () => {
  it('answers 405 with Allow for GET /login, and 404 for unknown paths', async () => {
    const res = await server.api('sama').get('/login').expect(405);
    expect(res.headers.allow).toBe('POST');
    await server.api('sama').post('/register').send({}).expect(404);
  });

  it('ignores a body sent to /logout', async () => {
    const { body, refresh } = await login(server);
    await server
      .api('sama')
      .post('/logout')
      .set(...bearer(body.access_token))
      .set('Cookie', `refresh_token=${refresh}`)
      .set('Content-Type', 'application/json')
      .send('{not json')
      .expect(200);
  });
});
