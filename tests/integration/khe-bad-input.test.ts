import type { Response } from 'supertest';
import { startTestServer, type TestServer, resetSession } from '../helpers/server';
import { basic, HACKER, HACKER_KEY, LOGGED_OUT } from '../helpers/khe';

let server: TestServer;
let auth: string;
beforeAll(async () => {
  server = await startTestServer({ apis: ['khe'] });
});
afterAll(() => server.close());
beforeEach(async () => {
  await resetSession(server);
  const res = await server.api('khe').post('/v1.0/users/token').send(HACKER).expect(201);
  auth = basic(res.body.key, res.body.token);
});

// Invalid fields are validate 3.0.x Error objects serialised: only their path.
const EMAIL = { path: 'email' };
const PASSWORD = { path: 'password' };
const CLIENT = { path: 'client' };
const b64 = (s: string) => Buffer.from(s).toString('base64');

type Op = 'signUp' | 'signIn' | 'refresh' | 'patch' | 'signOut';
const OPS: Record<Op, { method: 'post' | 'patch' | 'delete'; path: string; authed: boolean; good: () => object }> = {
  signUp: { method: 'post', path: '/v1.0/users', authed: false, good: () => ({ ...HACKER, email: 'newbie@khe.io' }) },
  signIn: { method: 'post', path: '/v1.0/users/token', authed: false, good: () => HACKER },
  refresh: { method: 'post', path: '/v1.0/users/token/refresh', authed: false, good: () => ({ client: 'khe-web', key: HACKER_KEY, refresh: 'x' }) },
  patch: { method: 'patch', path: '/v1.0/users', authed: true, good: () => ({ email: 'new.hacker@khe.io' }) },
  signOut: { method: 'delete', path: '/v1.0/users/token', authed: true, good: () => ({ client: 'khe-web' }) },
};
const ALL = Object.keys(OPS) as Op[];

function send(op: Op, body?: string | Buffer, contentType?: string, authorization: string | null = auth) {
  const { method, path, authed } = OPS[op];
  const req = server.api('khe')[method](path);
  if (authed && authorization !== null) req.set('Authorization', authorization);
  if (contentType !== undefined) req.set('Content-Type', contentType);
  return body === undefined ? req : req.send(body);
}

/**
 * Every error of this API: JSON `{errors: [...]}` and nothing else, never a stack or a 500. Items are
 * strings, or `{path}` objects for invalid fields.
 */
function expectErrorBody(res: Response, status: number): Array<string | { path: string }> {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body)).toEqual(['errors']);
  expect(res.body.errors.length).toBeGreaterThan(0);
  for (const item of res.body.errors) {
    if (typeof item !== 'string') expect(Object.keys(item)).toEqual(['path']);
  }
  expect(JSON.stringify(res.body)).not.toMatch(/node_modules|at .*\.ts:|\/work\//);
  return res.body.errors as Array<string | { path: string }>;
}

/** The status a good body gets, so that an ignored extra field can be told from a refused one. */
const GOOD_STATUS: Record<Op, number> = { signUp: 201, signIn: 201, refresh: 400, patch: 200, signOut: 200 };

describe('khe: bad bodies get 400/413/415 with {errors}, never a 500', () => {
  describe.each(ALL)('%s', (op) => {
    const json = (value: unknown) => send(op, JSON.stringify(value), 'application/json');

    it('refuses malformed JSON with 400', async () => {
      const errors = expectErrorBody(await send(op, '{"client": "khe-web",', 'application/json'), 400);
      expect(errors[0]).toMatch(/^The body is not valid JSON/);
    });

    it.each([
      ['an array', []],
      ['a string', 'hello'],
      ['a number', 42],
      ['null', null],
    ])('refuses %s instead of an object with 400', async (_name, value) => {
      expect(expectErrorBody(await json(value), 400)).toEqual(['Malformed request (body): must be object']);
    });

    it('ignores an unknown field, as the real server strips it', async () => {
      const res = await json({ ...OPS[op].good(), admin: true, role: 'admin' });
      expect(res.status).toBe(GOOD_STATUS[op]);
      if (res.status === 201) expect(res.body.role).toBe('attendee');
      if (res.status === 400) expect(res.body).toEqual({ errors: ['Invalid refresh token'] });
    });

    it('ignores a __proto__ field and is not polluted by it', async () => {
      const body = `{"__proto__":{"polluted":true},${JSON.stringify(OPS[op].good()).slice(1)}`;
      expect((await send(op, body, 'application/json')).status).toBe(GOOD_STATUS[op]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it.each([
      ['text/plain', 415],
      ['application/xml; charset=utf-8', 415],
      ['multipart/form-data; boundary=x', 415],
    ])('refuses a %s body with %i', async (type, status) => {
      const errors = expectErrorBody(await send(op, JSON.stringify(OPS[op].good()), type), status);
      expect(errors[0]).toMatch(/is not accepted here; send application\/json or application\/x-www-form-urlencoded/);
    });

    it('refuses a body over 100 KB with 413', async () => {
      const big = JSON.stringify({ ...OPS[op].good(), padding: 'x'.repeat(110 * 1024) });
      const errors = expectErrorBody(await send(op, big, 'application/json'), 413);
      expect(errors).toEqual(['The request body is larger than the limit of 102400 bytes']);
    });
  });

  // The real server's validation (validate 3.0.1, typecast on): one {path} per bad field, in the
  // order email, password, client.
  const fields: Array<[Op, object, Array<string | { path: string }>]> = [
    ['signUp', {}, [EMAIL, PASSWORD, CLIENT]],
    ['signUp', { client: 'khe-web', email: 'a@b.io' }, [PASSWORD]],
    ['signUp', { client: '', email: 'not-an-email', password: 'x' }, [PASSWORD, CLIENT]],
    ['signUp', { client: null, email: '', password: 'a\nb' }, [EMAIL, PASSWORD, CLIENT]],
    // Typecast: 42 and true become strings and pass; the client "42" is then unknown.
    ['signUp', { client: 42, email: true, password: ['x', 'y'] }, ['Invalid client ID']],
    ['signIn', { email: HACKER.email, password: HACKER.password }, [CLIENT]],
    ['signIn', { client: 'khe-web', email: HACKER.email, password: 7 }, [PASSWORD]],
    ['signIn', { client: 'khe-web', email: null, password: 'hackathon' }, [EMAIL]],
    ['signIn', { client: 'khe-web', email: { toString: 1 }, password: 'hackathon' }, [EMAIL]],
    // No validation on refresh: the client comes first, as the real server.
    ['refresh', {}, ['Invalid client ID']],
    ['refresh', { client: 'khe-web', key: 1, refresh: false }, ['Invalid refresh token']],
    ['refresh', { client: 'khe-web', key: '', refresh: '' }, ['Invalid refresh token']],
    ['patch', { email: 42 }, [EMAIL]],
    ['signOut', { client: 5 }, [CLIENT]],
  ];
  it.each(fields)('%s %j: 400 with the real server\'s errors', async (op, body, errors) => {
    const res = await send(op, JSON.stringify(body), 'application/json');
    expect(expectErrorBody(res, 400)).toEqual(errors);
  });

  it('gives the same errors for a URL-encoded form', async () => {
    const res = await send('signUp', 'client=khe-web&email=nope&password=x', 'application/x-www-form-urlencoded');
    expect(expectErrorBody(res, 400)).toEqual([PASSWORD]);
  });

  it.each<[Op, Array<string | { path: string }>]>([
    ['signUp', [EMAIL, PASSWORD, CLIENT]],
    ['signIn', [EMAIL, PASSWORD, CLIENT]],
    ['refresh', ['Invalid client ID']],
  ])('%s checks a missing body like {}', async (op, errors) => {
    expect(expectErrorBody(await send(op), 400)).toEqual(errors);
  });

  it('answers an unknown path with a problem document, and a wrong method with 405', async () => {
    const missing = await server.api('khe').get('/v1.0/nothing').expect(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    const wrong = await server.api('khe').get('/v1.0/users/token').expect(405);
    expect(wrong.headers.allow).toBe('POST, DELETE');
  });
});

describe('khe: missing or garbage Authorization gets 401 with the documented body', () => {
  const cases: Array<[string, () => string | null]> = [
    ['no Authorization header', () => null],
    ['an empty header', () => ''],
    ['"Basic" alone', () => 'Basic'],
    ['Basic with text that is not base64', () => 'Basic this is not base64!'],
    ['Basic with bad base64 padding', () => 'Basic abc'],
    ['Basic of a value without a colon', () => `Basic ${b64('no-colon-here')}`],
    ['Basic of an unknown key and token (the real server crashes here)', () => basic('no-such-key', 'no-such-token')],
    ['Basic of the right key and a wrong token', () => basic(HACKER_KEY, '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f')],
    ['Basic of an empty key and token', () => `Basic ${b64(':')}`],
    ['two parts that are not base64 of key:token', () => `Basic ${auth.slice(6)} garbage`],
    ['Basic of the token and the key swapped', () => {
      const [key, token] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      return basic(token!, key!);
    }],
  ];
  describe.each(['patch', 'signOut'] as Op[])('%s', (op) => {
    it.each(cases)('%s', async (_name, header) => {
      const res = await send(op, JSON.stringify(OPS[op].good()), 'application/json', header());
      expectErrorBody(res, 401);
      expect(res.body).toEqual(LOGGED_OUT);
    });

    it('checks the credentials before the body', async () => {
      const res = await send(op, '{not json', 'application/json', null);
      expect(res.status).toBe(401);
      expect(res.body).toEqual(LOGGED_OUT);
    });
  });

  // The real server takes the last whitespace-separated part of the header and never looks at the
  // scheme word (app/users/model.js parseAuthHeader).
  it.each<[string, () => string]>([
    ['the scheme name in any case', () => auth.replace('Basic', 'bAsIc')],
    ['a Bearer scheme', () => `Bearer ${auth.slice(6)}`],
    ['no scheme at all', () => auth.slice(6)],
    ['several spaces and a tab', () => `Basic  \t${auth.slice(6)}`],
    ['a trailing extra field after the token', () => `Basic ${b64(`${Buffer.from(auth.slice(6), 'base64').toString()}:extra`)}`],
  ])('accepts %s', async (_name, header) => {
    await send('patch', '{}', 'application/json', header()).expect(200);
  });

  it('left the session working through all of that', async () => {
    await send('patch', '{}', 'application/json').expect(200);
  });
});
