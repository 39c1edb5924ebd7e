import { Agent } from 'node:http';
import request from 'supertest';
import WebSocket from 'ws';
import { MAX_SESSIONS } from '../../src/state/sessions';
import { useTestServer } from '../helpers/server';

const TOKEN = 'admin-token-for-tests';
const server = useTestServer({ adminToken: TOKEN }, { reset: false });

const ctl = () => request(`${server.url}/__admin`);
const auth: [string, string] = ['Authorization', `Bearer ${TOKEN}`];

describe('admin-token mode: the token check comes first and a refused call creates nothing', () => {
  it('refused calls with fresh session names neither create sessions nor evict a live one', async () => {
    await ctl().post('/clock').set(...auth).set('X-Authdouble-Session', 'victim').send({ advance: 'P1D' }).expect(200);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const statuses = await Promise.all(
        Array.from({ length: MAX_SESSIONS + 1 }, (_, i) =>
          request(`${server.url}/__admin`).get('/clock').agent(agent).set('X-Authdouble-Session', `attacker-${i}`).then((r) => r.status),
        ),
      );
      expect(new Set(statuses)).toEqual(new Set([401]));
    } finally {
      agent.destroy();
    }
    const victim = await ctl().get('/clock').set(...auth).set('X-Authdouble-Session', 'victim').expect(200);
    expect(victim.body.virtual).toBe(true);
    expect(server.sessions.all().map((s) => s.name).filter((n) => n.startsWith('attacker-'))).toEqual([]);
  });

  it('answers 401, not a validation 400, to a malformed call without the token', async () => {
    const res = await ctl().post('/clock').send({ advance: 'not a duration', extra: 1 }).expect(401);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    await ctl().post('/clock').set('X-Authdouble-Session', 'x'.repeat(9001)).send({}).expect(401);
    await ctl().get('/clock').query({ api: 'nope' }).expect(401);
  });

  it('still validates once the token is right', async () => {
    await ctl().post('/clock').set(...auth).send({ advance: 'not a duration' }).expect(400);
  });
});

describe('the session-name bound holds before anything is created', () => {
  const long = 'n'.repeat(9001);

  it('an API request with an over-long session name gets 400 and leaves no session behind', async () => {
    const res = await server.api('b2core').post('/api/v2/signin').set('X-Authdouble-Session', long).send({ email: 'a@b.c', password: 'x' });
    expect(res.status).toBe(400);
    await server.api('b2core').get('/no/such/route').set('X-Authdouble-Session', long).expect(400);
    expect(server.sessions.all().some((s) => s.name.length > 200)).toBe(false);
  });

  it('a WebSocket upgrade with an over-long session name gets 400 and leaves no session behind', async () => {
    const wsUrl = `${server.url.replace('http', 'ws')}/sama`;
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: { 'X-Authdouble-Session': long } });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('error', reject);
    });
    expect(status).toBe(400);
    expect(server.sessions.all().some((s) => s.name.length > 200)).toBe(false);
  });
});
