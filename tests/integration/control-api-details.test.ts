import request from 'supertest';
import { useTestServer } from '../helpers/server';
import { FOO, TWOFA } from '../helpers/b2core';

/**
 * Details of the control API and of faults that `npm run mutate` found unchecked (mutants of
 * src/state that survived the suite), over HTTP. Each test starts from a reset, in its own session.
 */
const server = useTestServer({ apis: ['b2core', 'vault'] }, { reset: false });

let n = 0;
let session = '';
beforeEach(() => {
  session = `details-${process.pid}-${++n}`;
});
const b2 = (path: string) => request(`${server.url}/b2core`).post(path).set('X-Authdouble-Session', session);
const ctl = (method: 'get' | 'post', path: string) => request(`${server.url}/__admin`)[method](path).set('X-Authdouble-Session', session);

describe('the X-Authdouble-Fault header', () => {
  it.each(['status=503', 'status = 503 ;', ' status=503, delay=0'])('applies %j', async (value) => {
    await b2('/api/v2/signin').set('X-Authdouble-Fault', value).send(FOO).expect(503);
  });

  it.each([
    ['status=5030', 'cannot read "status=5030"'],
    ['status=x503', 'cannot read "status=x503"'],
    ['delay=60001', 'cannot read "delay=60001"'],
    ['delay=5x', 'cannot read "delay=5x"'],
    [' ; ', 'is empty'],
  ])('refuses %j with 400, saying why', async (value, why) => {
    const res = await b2('/api/v2/signin').set('X-Authdouble-Fault', value).send(FOO).expect(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body.detail).toContain(why);
  });
});

describe('faults set through the control API', () => {
  it('a fault for one operation leaves the other operations alone', async () => {
    await ctl('post', '/faults').send({ api: 'b2core', operationId: 'refreshToken', status: 500 }).expect(201);
    await b2('/api/v2/signin').send(FOO).expect(200);
    await b2('/api/v2/refresh').send({ refreshToken: 'anything' }).expect(500);
  });

  it('a fault for one API leaves the other APIs alone, and stays without `times`', async () => {
    await ctl('post', '/faults').send({ api: 'vault', status: 503 }).expect(201);
    await b2('/api/v2/signin').send(FOO).expect(200);
    const faults = (await ctl('get', '/faults').expect(200)).body.faults;
    expect(faults).toEqual([expect.objectContaining({ api: 'vault', status: 503 })]);
    expect(faults[0]).not.toHaveProperty('times');
  });
});

describe('the outbox', () => {
  it('?api= lists that API’s messages only', async () => {
    await b2('/api/v2/signin').send(TWOFA).expect(200);
    expect((await ctl('get', '/outbox?api=b2core').expect(200)).body.messages).toHaveLength(1);
    expect((await ctl('get', '/outbox?api=vault').expect(200)).body.messages).toEqual([]);
  });
});

describe('the journal', () => {
  it('?path= is a prefix', async () => {
    await b2('/api/v2/signin').send(FOO).expect(200);
    await b2('/api/v2/refresh').send({ refreshToken: 'nope' }).expect(401);
    const paths = (await ctl('get', `/requests?path=/api/v2/`).expect(200)).body.requests.map((r: { path: string }) => r.path);
    expect(paths).toEqual(['/api/v2/signin', '/api/v2/refresh']);
  });

  it('keeps the request’s headers and the answer’s', async () => {
    await b2('/api/v2/signin').set('X-Trace', 'abc').send(FOO).expect(200);
    const [entry] = (await ctl('get', `/requests?path=/api/v2/signin`).expect(200)).body.requests;
    expect(entry.requestHeaders['x-trace']).toBe('abc');
    expect(entry.responseHeaders['content-type']).toMatch(/application\/json/);
  });
});

describe('the rate-limit lockout', () => {
  it('Retry-After and the message count down to the end of the lockout', async () => {
    for (let i = 0; i < 6; i++) await b2('/api/v2/signin').send({ ...FOO, password: 'wrong' });
    await ctl('post', '/clock').send({ advance: 'PT100S' }).expect(200);
    const res = await b2('/api/v2/signin').send(FOO).expect(429);
    expect(res.headers['retry-after']).toBe('200');
    expect(res.body.message).toBe('Too many attempts; try again in 200 seconds');
  });
});
