import { request as httpRequest } from 'node:http';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import WebSocket from 'ws';
import { readYamlFile } from '../../src/engine/yaml-file';
import { startTestServer, type TestServer, inState, resetSession } from '../helpers/server';
import { bearer, login, openSocket, U1, U1_ID, USER1, USER1_ID, wsUrl, type SocketClient } from '../helpers/sama';
import { waitFor } from '../helpers/ports';

// The answers are checked against the AsyncAPI document with an Ajv of the test's own.
const asyncapi = readYamlFile(path.join(__dirname, '../../asyncapi/sama.yaml'), 'asyncapi').data as { components: Record<string, unknown> };
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'asyncapi', components: asyncapi.components });
const conforms = (schema: string, message: unknown): void => {
  const validate = ajv.getSchema(`asyncapi#/components/schemas/${schema}`)!;
  expect(validate(message) ? [] : validate.errors).toEqual([]);
};

let server: TestServer;
const sockets: SocketClient[] = [];
const open = async (headers: Record<string, string> = {}): Promise<SocketClient> => {
  const socket = await openSocket(wsUrl(server), headers);
  sockets.push(socket);
  return socket;
};
const bindings = (session = 'default') =>
  inState(server, (s) => s.store.entries<{ userId: string; deviceId: string }>('sama:socket:').map(([, b]) => b), session);

beforeAll(async () => {
  server = await startTestServer({ apis: ['sama'] });
});
afterAll(() => server.close());
beforeEach(() => resetSession(server));
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});

describe('sama WebSocket connect', () => {
  it('binds the socket to the token and device after an HTTP login', async () => {
    const { body } = await login(server);
    const socket = await open();
    const answer = await socket.request({ request: { connect: { token: body.access_token, device_id: 'device_u1' }, id: 'RequestId' } });
    expect(answer).toEqual({ response: { id: 'RequestId', success: true } });
    conforms('ConnectResponse', answer);
    expect(await bindings()).toEqual([expect.objectContaining({ userId: U1_ID, deviceId: 'device_u1' })]);
  });

  it('unbinds the socket when it closes', async () => {
    const { body } = await login(server);
    const socket = await open();
    await socket.request({ request: { connect: { token: body.access_token, device_id: 'device_u1' }, id: 1 } });
    expect(await bindings()).toHaveLength(1);
    await socket.close();
    // The server forgets the binding on its own 'close' event, which may come just after the client's.
    await waitFor(async () => (await bindings()).length === 0, 5000, 'the server to unbind the closed socket');
    expect(await bindings()).toEqual([]);
  });

  it('repeats a numeric request id', async () => {
    const { body } = await login(server);
    const socket = await open();
    expect(await socket.request({ request: { connect: { token: body.access_token, device_id: 'device_u1' }, id: 7 } })).toEqual({
      response: { id: 7, success: true },
    });
  });

  it.each([
    ['an unknown token', async () => 'not-a-token', 'device_u1'],
    ['a token of another device', async () => (await login(server)).body.access_token, 'other-device'],
    ['a refresh token', async () => (await login(server)).refresh, 'device_u1'],
  ])('answers 422 The token has expired. for %s', async (_name, tokenOf, device) => {
    const token = await tokenOf();
    const socket = await open();
    const answer = await socket.request({ request: { connect: { token, device_id: device }, id: 'r1' } });
    expect(answer).toEqual({ response: { id: 'r1', error: { status: 422, message: 'The token has expired.' } } });
    conforms('ErrorResponse', answer);
    expect(await bindings()).toEqual([]);
    // The socket stays open for another try.
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses an expired access token (clock moved 3 hours on)', async () => {
    const { body } = await login(server);
    const socket = await open();
    await inState(server, (s) => s.clock.advance(3 * 3600 * 1000 + 1000));
    const answer = await socket.request({ request: { connect: { token: body.access_token, device_id: 'device_u1' }, id: 'r' } });
    expect(answer.response.error).toEqual({ status: 422, message: 'The token has expired.' });
  });

  it('refuses a token revoked by an HTTP logout, and the logout unbinds the socket', async () => {
    const { body, refresh } = await login(server);
    const socket = await open();
    await socket.request({ request: { connect: { token: body.access_token, device_id: 'device_u1' }, id: 'a' } });
    expect(await bindings()).toHaveLength(1);
    await server.api('sama').post('/logout').set(...bearer(body.access_token)).set('Cookie', `refresh_token=${refresh}`).expect(200);
    expect(await bindings()).toEqual([]);
    const answer = await socket.request({ request: { connect: { token: body.access_token, device_id: 'device_u1' }, id: 'b' } });
    expect(answer.response.error.status).toBe(422);
  });

  it('uses the state session named in the upgrade request', async () => {
    const { body } = await login(server);
    const other = await open({ 'x-authdouble-session': 'ws-other' });
    const refused = await other.request({ request: { connect: { token: body.access_token, device_id: 'device_u1' }, id: 'x' } });
    expect(refused.response.error.status).toBe(422);
    const res = await server.api('sama').post('/login').set('x-authdouble-session', 'ws-other').send(U1).expect(200);
    const ok = await other.request({ request: { connect: { token: res.body.access_token, device_id: 'device_u1' }, id: 'y' } });
    expect(ok).toEqual({ response: { id: 'y', success: true } });
    expect(await bindings('ws-other')).toHaveLength(1);
    expect(await bindings()).toEqual([]);
  });
});

describe('sama WebSocket user_login (deprecated)', () => {
  it('logs in with login and password and answers the documented shape', async () => {
    const socket = await open();
    const answer = await socket.request({ request: { user_login: USER1, id: 'RequestId' } });
    expect(answer).toEqual({
      response: {
        id: 'RequestId',
        user: { _id: USER1_ID, native_id: USER1_ID, login: 'user_1', created_at: '2022-10-13T13:11:04.447Z', updated_at: '2022-10-13T13:11:04.447Z' },
        token: expect.any(String),
      },
    });
    conforms('UserLoginResponse', answer);
    expect(await bindings()).toEqual([expect.objectContaining({ userId: USER1_ID, deviceId: 'xxx-yyy-zzz' })]);
    // The token is an access token the HTTP side accepts.
    await server.api('sama').post('/login').set(...bearer(answer.response.token)).send({ device_id: 'xxx-yyy-zzz' }).expect(200);
  });

  it('logs in later with the token alone, with a new one, leaving the first valid', async () => {
    const socket = await open();
    const first = await socket.request({ request: { user_login: USER1, id: 1 } });
    const second = await socket.request({ request: { user_login: { token: first.response.token }, id: 2 } });
    expect(second.response).toMatchObject({ id: 2, user: { _id: USER1_ID, login: 'user_1' }, token: expect.any(String) });
    expect(second.response.token).not.toBe(first.response.token);
    conforms('UserLoginResponse', second);
    // As the real server, the first token keeps working (its token store never replaces it).
    const reused = await socket.request({ request: { user_login: { token: first.response.token }, id: 3 } });
    expect(reused.response).toMatchObject({ id: 3, token: expect.any(String) });
  });

  it('accepts the token form with the device_id of the token, and refuses another one', async () => {
    const { body } = await login(server);
    const socket = await open();
    const ok = await socket.request({ request: { user_login: { token: body.access_token, device_id: 'device_u1' }, id: 'a' } });
    expect(ok.response.user._id).toBe(U1_ID);
    const wrong = await socket.request({ request: { user_login: { token: ok.response.token, device_id: 'other' }, id: 'b' } });
    expect(wrong.response.error).toEqual({ status: 422, message: 'The token has expired.' });
  });

  it('keeps the refresh cookie of the HTTP session valid', async () => {
    const { refresh } = await login(server);
    const socket = await open();
    await socket.request({ request: { user_login: U1, id: 'a' } });
    await server.api('sama').post('/login').set('Cookie', `refresh_token=${refresh}`).send({ device_id: 'device_u1' }).expect(200);
  });

  it('answers 401 for a wrong password', async () => {
    const socket = await open();
    const answer = await socket.request({ request: { user_login: { ...USER1, password: 'nope' }, id: 'p' } });
    expect(answer).toEqual({ response: { id: 'p', error: { status: 401, message: 'Incorrect username or password.' } } });
    conforms('ErrorResponse', answer);
    expect(await bindings()).toEqual([]);
  });

  it('answers 422 for an expired token', async () => {
    const socket = await open();
    const first = await socket.request({ request: { user_login: USER1, id: 1 } });
    await inState(server, (s) => s.clock.advance(3 * 3600 * 1000 + 1000));
    const answer = await socket.request({ request: { user_login: { token: first.response.token }, id: 2 } });
    expect(answer.response.error).toEqual({ status: 422, message: 'The token has expired.' });
  });
});

describe('sama WebSocket bad input', () => {
  const cases: Array<[string, unknown, unknown]> = [
    ['malformed JSON', '{"request": ', { response: { error: { status: 400, message: 'Bad request - invalid data format' } } }],
    ['a JSON array', '[1,2]', { response: { error: { status: 400, message: 'Bad request - invalid data format' } } }],
    ['no request wrapper', { connect: { token: 't', device_id: 'd' }, id: 'q' }, { response: { error: { status: 400, message: 'Bad request - invalid data format' } } }],
    ['an unknown request type', { request: { message_list: {}, id: 'q' } }, { response: { id: 'q', error: { status: 400, message: "Unsupported request 'message_list'." } } }],
    ['a request type from the prototype', { request: { toString: {}, id: 'q' } }, { response: { id: 'q', error: { status: 400, message: "Unsupported request 'toString'." } } }],
    ['two request types', { request: { connect: {}, user_login: {}, id: 'q' } }, { response: { id: 'q', error: { status: 400, message: 'Bad request - invalid data format' } } }],
    ['a missing id', { request: { connect: { token: 't', device_id: 'd' } } }, { response: { error: { status: 400, message: 'Bad request - invalid data format' } } }],
    ['an id of the wrong type', { request: { connect: { token: 't', device_id: 'd' }, id: { x: 1 } } }, { response: { error: { status: 400, message: 'Bad request - invalid data format' } } }],
    ['connect without device_id', { request: { connect: { token: 't' }, id: 'q' } }, { response: { id: 'q', error: { status: 422, message: "'device_id' is required." } } }],
    ['connect with an empty device_id', { request: { connect: { token: 't', device_id: '' }, id: 'q' } }, { response: { id: 'q', error: { status: 422, message: "'device_id' is required." } } }],
    ['connect without token', { request: { connect: { device_id: 'd' }, id: 'q' } }, { response: { id: 'q', error: { status: 400, message: 'Bad request - invalid data format' } } }],
    ['connect with a token of the wrong type', { request: { connect: { token: 5, device_id: 'd' }, id: 'q' } }, { response: { id: 'q', error: { status: 400, message: 'Bad request - invalid data format' } } }],
    ['connect with an unknown field', { request: { connect: { token: 't', device_id: 'd', extra: 1 }, id: 'q' } }, { response: { id: 'q', error: { status: 400, message: 'Bad request - invalid data format' } } }],
    ['connect params that are not an object', { request: { connect: 'token', id: 'q' } }, { response: { id: 'q', error: { status: 400, message: 'Bad request - invalid data format' } } }],
    ['user_login by password without device_id', { request: { user_login: { organization_id: USER1.organization_id, login: 'user_1', password: 'x' }, id: 'q' } }, { response: { id: 'q', error: { status: 422, message: "'device_id' is required." } } }],
    ['user_login with token and login both', { request: { user_login: { token: 't', login: 'user_1', password: 'x', device_id: 'd' }, id: 'q' } }, { response: { id: 'q', error: { status: 400, message: 'Bad request - invalid data format' } } }],
    ['user_login with login and no password', { request: { user_login: { login: 'user_1', device_id: 'd' }, id: 'q' } }, { response: { id: 'q', error: { status: 400, message: 'Bad request - invalid data format' } } }],
  ];

  it.each(cases)('answers %s with an error message and keeps the socket open', async (_name, frame, expected) => {
    const socket = await open();
    const answer = await socket.request(frame);
    expect(answer).toEqual(expected);
    conforms('ErrorResponse', answer);
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    // Still serving: a good request on the same socket works.
    const good = await socket.request({ request: { user_login: USER1, id: 'after' } });
    expect(good.response.user._id).toBe(USER1_ID);
  });

  it('reads a binary frame as UTF-8 JSON', async () => {
    const socket = await open();
    socket.ws.send(Buffer.from(JSON.stringify({ request: { user_login: USER1, id: 'bin' } })), { binary: true });
    expect((await socket.next()).response.id).toBe('bin');
  });

  it('answers a frame over the limit (64 KiB) with 413 and keeps the socket open', async () => {
    const socket = await open();
    const big = JSON.stringify({ request: { user_login: { ...USER1, password: 'x'.repeat(70 * 1024) }, id: 'big' } });
    const answer = await socket.request(big);
    expect(answer).toEqual({ response: { error: { status: 413, message: 'The message is larger than the limit of 65536 bytes.' } } });
    conforms('ErrorResponse', answer);
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    expect((await socket.request({ request: { user_login: USER1, id: 'ok' } })).response.id).toBe('ok');
  });

  it('closes the connection with 1009 for a frame over the hard limit (1 MiB), and keeps serving others', async () => {
    const socket = await open();
    socket.ws.on('error', () => undefined);
    socket.ws.send('x'.repeat(1024 * 1024 + 1));
    expect((await socket.closed).code).toBe(1009);
    const other = await open();
    expect((await other.request({ request: { user_login: USER1, id: 'alive' } })).response.id).toBe('alive');
  });

  it('answers many requests on one socket, in any order, each with its own id', async () => {
    const socket = await open();
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const id of ids) socket.ws.send(JSON.stringify({ request: { user_login: { ...USER1, device_id: id }, id } }));
    const answers = await Promise.all(ids.map(() => socket.next()));
    expect(answers.map((a) => a.response.id).sort()).toEqual([...ids].sort());
    expect(await bindings()).toHaveLength(1);
  });
});

describe('sama WebSocket upgrade routing', () => {
  const upgrade = (urlPath: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(`${server.url}${urlPath}`, {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, body: '' });
      });
      req.on('error', reject);
      req.end();
    });

  it('upgrades at the prefix, with or without a trailing slash and query', async () => {
    expect((await upgrade('/sama')).status).toBe(101);
    expect((await upgrade('/sama/?x=1')).status).toBe(101);
  });

  it.each(['/', '/samax', '/sama/login', '/b2core', '/nothing/here'])('answers a plain 404 at %s', async (p) => {
    const res = await upgrade(p);
    expect(res.status).toBe(404);
    expect(res.body).toMatch(/Nothing is served at .* over WebSocket/);
  });

  it('still serves HTTP at the same port', async () => {
    await server.api('sama').post('/login').send(U1).expect(200);
  });
});

describe('sama WebSocket at the root', () => {
  it('is at / when sama is the only API served at the root', async () => {
    const root = await startTestServer({ apis: ['sama'], root: true });
    try {
      const socket = await openSocket(root.url.replace(/^http/, 'ws'));
      const answer = await socket.request({ request: { user_login: USER1, id: 'root' } });
      expect(answer.response.user._id).toBe(USER1_ID);
      await socket.close();
    } finally {
      await root.close();
    }
  });

  it('closes open sockets when the server closes', async () => {
    const other = await startTestServer({ apis: ['sama'] });
    const socket = await openSocket(`${other.url.replace(/^http/, 'ws')}/sama`);
    await other.close();
    expect((await socket.closed).code).toBe(1006);
  });
});

// The requests the official web SDK sends (sama-client packages/sdk/src/api/api.ts sendRequest:
// `{request: {[action]: data, id}}`), answered as sama-server's controllers do.
describe('sama WebSocket ping, user_create and user_logout (sama-server, used by the official SDK)', () => {
  it('answers ping without auth, with an empty pong', async () => {
    const socket = await open();
    const answer = await socket.request({ request: { ping: {}, id: 'ping_1' } });
    expect(JSON.stringify(answer)).toBe('{"response":{"id":"ping_1","pong":{}}}');
    conforms('PingResponse', answer);
  });

  it('creates a user (no auth) who can then log in over HTTP, with visibleParams()', async () => {
    const socket = await open();
    const created = await socket.request({
      request: { user_create: { organization_id: U1.organization_id, login: 'new_user', email: 'new@example.com', password: 'new_password' }, id: 'c1' },
    });
    conforms('UserCreateResponse', created);
    const user = created.response.user;
    expect(Object.keys(created.response)).toEqual(['id', 'user']);
    expect(user).toEqual({
      _id: expect.stringMatching(/^[0-9a-f]{24}$/),
      native_id: user._id,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      login: 'new_user',
      email: 'new@example.com',
    });
    expect(user).not.toHaveProperty('password');
    const res = await server
      .api('sama')
      .post('/login')
      .send({ organization_id: U1.organization_id, login: 'new_user', password: 'new_password', device_id: 'd' })
      .expect(200);
    expect(res.body.user._id).toBe(user._id);
    // The same login again, in any case: the real server's 422.
    const again = await socket.request({
      request: { user_create: { organization_id: U1.organization_id, login: 'NEW_USER', email: 'other@example.com', password: 'xyz' }, id: 'c2' },
    });
    expect(again).toEqual({ response: { id: 'c2', error: { status: 422, message: 'The provided data is already associated with an existing user account.' } } });
    // Forgotten on reset, with the rest of the session's state.
    await resetSession(server);
    await server.api('sama').post('/login').send({ organization_id: U1.organization_id, login: 'new_user', password: 'new_password', device_id: 'd' }).expect(401);
  });

  it.each<[string, Record<string, unknown>, unknown]>([
    ['an unknown organization', { organization_id: '680a2fae96cc69d78861f1ff', login: 'abc', email: 'e', password: 'abc' }, { status: 404, message: 'Organization not found' }],
    ['a login of 2 characters', { organization_id: '680a2fae96cc69d78861f101', login: 'ab', email: 'e', password: 'abc' }, { status: 422, message: 'The login provided is incorrect.' }],
    ['a password of 41 characters', { organization_id: '680a2fae96cc69d78861f101', login: 'abc', email: 'e', password: 'p'.repeat(41) }, { status: 422, message: 'The password entered is incorrect.' }],
    // Joi's own errors have no cause, so the real server answers the bare message (a string).
    ['no e-mail', { organization_id: '680a2fae96cc69d78861f101', login: 'abc', password: 'abc' }, '"email" is required'],
    ['no organization', { login: 'abc', email: 'e', password: 'abc' }, '"organization_id" is required'],
    ['an unknown field', { organization_id: '680a2fae96cc69d78861f101', login: 'abc', email: 'e', password: 'abc', role: 'admin' }, '"role" is not allowed'],
  ])('refuses user_create with %s, with the real error shape, id first', async (_name, params, error) => {
    const socket = await open();
    const answer = await socket.request({ request: { user_create: params, id: 'x' } });
    expect(JSON.stringify(answer)).toBe(JSON.stringify({ response: { id: 'x', error } }));
    conforms('ErrorResponse', answer);
  });

  it('logs the device out with user_logout: success, then its tokens are dead and the socket unbound', async () => {
    const { body, refresh } = await login(server);
    const socket = await open();
    await socket.request({ request: { connect: { token: body.access_token, device_id: 'device_u1' }, id: 1 } });
    const answer = await socket.request({ request: { user_logout: {}, id: 2 } });
    expect(answer).toEqual({ response: { id: 2, success: true } });
    conforms('UserLogoutResponse', answer);
    expect(await bindings()).toEqual([]);
    await server.api('sama').post('/login').set(...bearer(body.access_token)).send({ device_id: 'device_u1' }).expect(422);
    await server.api('sama').post('/login').set('Cookie', `refresh_token=${refresh}`).send({ device_id: 'device_u1' }).expect(422);
    // Now unbound: the auth guard answers 401 Unauthorized.
    const after = await socket.request({ request: { user_logout: {}, id: 3 } });
    expect(after).toEqual({ response: { id: 3, error: { status: 401, message: 'Unauthorized.' } } });
  });

  it('refuses user_logout on a socket that never connected', async () => {
    const socket = await open();
    expect(await socket.request({ request: { user_logout: {}, id: 'l' } })).toEqual({ response: { id: 'l', error: { status: 401, message: 'Unauthorized.' } } });
  });
});

describe('sama GET /health', () => {
  it('answers {status: "ok", hostname}, as the real server', async () => {
    const res = await server.api('sama').get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', hostname: expect.any(String) });
  });
});
