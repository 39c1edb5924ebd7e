import request from 'supertest';
import { useTestServer } from '../helpers/server';

const server = useTestServer({ apis: ['vault', 'b2core'] }, { reset: false });

describe('JSON parser messages', () => {
  it.each([
    ['a bare word', 'hunter2-is-my-password'],
    ['a broken object', '{"password": hunter2-is-my-password}'],
    ['a long broken object', `{"client_id": "x", "password": "${'p'.repeat(50)}hunter2-is-my-password" nope}`],
  ])('never echo the body (%s)', async (_label, body) => {
    const res = await server.api('vault').post('/reg/auth/token').set('content-type', 'application/json').send(body).expect(400);
    expect(res.body.message).toMatch(/^The body is not valid JSON: /);
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
  });
});

describe('HEAD on a GET route', () => {
  it('answers as GET does, without a body', async () => {
    const get = await server.api('b2core').get('/api/v2/session').expect(401);
    const head = await server.api('b2core').head('/api/v2/session');
    expect(head.status).toBe(401);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.text ?? '').toBe('');
  });

  it('still answers 405 to a method the route does not have', async () => {
    await server.api('b2core').delete('/api/v2/session').expect(405);
  });
});

describe('an absolute-form request target', () => {
  it('is served as its path (RFC 9112 §3.2.2)', async () => {
    const { connect } = await import('node:net');
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(`GET http://127.0.0.1:${port}/b2core/api/v2/session HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
  });
});

describe('faults per session', () => {
  it('are capped at 100; one more is a 400 that says why', async () => {
    const ctl = () => request.agent(`${server.url}/__admin`).set('X-Authdouble-Session', 'fault-cap');
    for (let i = 0; i < 100; i++) await ctl().post('/faults').send({ api: 'b2core', operationId: 'signIn', status: 503 }).expect(201);
    const res = await ctl().post('/faults').send({ status: 503 }).expect(400);
    expect(res.body.detail).toMatch(/100 faults/);
    await ctl().delete('/faults').expect(204);
    await ctl().post('/faults').send({ status: 503 }).expect(201);
  });
});
