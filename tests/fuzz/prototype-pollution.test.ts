import WebSocket from 'ws';
import { useTestServer } from '../helpers/server';
import { ALICE } from '../helpers/fib';

/**
 * Prototype-pollution payloads, sent every way a client can (JSON and form bodies, query strings,
 * cookies, headers, WebSocket frames, the control API), change nothing outside their request: the
 * server runs in this process, so its Object.prototype is this test's, and every API behaves the
 * same afterwards as before.
 */

const server = useTestServer({}, { reset: false });

/** Keys of the payloads below, which must never show up on a plain object. */
const MARKERS = ['polluted', 'role', 'twoFactor', 'status', 'isAdmin', 'advance', 'delayMs', 'drop'];
const EVIL = { polluted: 'yes', role: 'admin', twoFactor: true, status: 503, isAdmin: true, advance: 'PT100H', delayMs: 5000, drop: true };

/** `{...body}` with `__proto__`, `constructor.prototype` and `prototype` fields, as JSON text. */
function jsonVariants(body: Record<string, unknown>): string[] {
  const inner = JSON.stringify(body).slice(1, -1);
  const evil = JSON.stringify(EVIL);
  const sep = inner ? ',' : '';
  return [
    `{"__proto__":${evil}${sep}${inner}}`,
    `{"constructor":{"prototype":${evil}}${sep}${inner}}`,
    `{${inner}${sep}"__proto__":${evil}}`,
    `{"prototype":${evil}${sep}${inner}}`,
    `{"__proto__":{"__proto__":${evil}}${sep}${inner}}`,
  ];
}

function formVariants(body: Record<string, unknown>): string[] {
  const base = new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const amp = base ? '&' : '';
  return [
    `__proto__[polluted]=yes&__proto__[role]=admin${amp}${base}`,
    `constructor[prototype][polluted]=yes${amp}${base}`,
    `__proto__=polluted${amp}${base}`,
    `${base}${amp}__proto__.polluted=yes`,
  ];
}

interface Target {
  api: string;
  method: string;
  path: string;
  body?: Record<string, unknown>;
  form?: boolean;
}

const TARGETS: Target[] = [
  { api: 'b2core', method: 'POST', path: '/api/v2/signin', body: { email: 'foo@bar.com', password: 'Secret123' } },
  { api: 'b2core', method: 'POST', path: '/api/v2/refresh', body: { refreshToken: 'x' } },
  { api: 'b2core', method: 'GET', path: '/api/v2/session' },
  { api: 'vault', method: 'POST', path: '/reg/auth/token', form: true, body: { grant_type: 'password', username: 'viewer@example.com', password: 'V1ewer#2024', client_id: 'haequi3Aah8lie2r' } },
  { api: 'fib', method: 'POST', path: '/auth/api/v1/authentication-management/session', body: { ...ALICE } },
  { api: 'khe', method: 'POST', path: '/v1.0/users', form: true, body: { client: 'khe-web', email: 'proto@khe.io', password: 'proto-pass' } },
  { api: 'khe', method: 'POST', path: '/v1.0/users/token', form: true, body: { client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' } },
  { api: 'sama', method: 'POST', path: '/login', body: { organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: 'device_u1' } },
  { api: 'admin', method: 'POST', path: '/faults', body: { api: 'b2core', times: 1 } },
  { api: 'admin', method: 'POST', path: '/clock', body: { advance: 'PT1S' } },
  { api: 'admin', method: 'POST', path: '/reset', body: {} },
];

const urlOf = (api: string, path: string) => `${server.url}${api === 'admin' ? '/__admin' : (server.prefixes.get(api) ?? '')}${path}`;

const QUERY = '?__proto__[polluted]=yes&constructor[prototype][polluted]=yes&__proto__.polluted=yes';
const HEADERS = { cookie: '__proto__=polluted; constructor=polluted; refresh_token=x', 'x-authdouble-session': '__proto__' };

async function send(target: Target, body: string | undefined, type: string | undefined, extra: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${urlOf(target.api, target.path)}${QUERY}`, {
    method: target.method,
    headers: { ...(type ? { 'content-type': type } : {}), ...HEADERS, ...extra },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** What a fresh client sees from each API: the status and the shape of the answer to a normal sign-in. */
async function baseline(session: string): Promise<Record<string, unknown>> {
  const post = async (api: string, path: string, body: unknown, type = 'application/json') => {
    const res = await fetch(urlOf(api, path), {
      method: 'POST',
      headers: { 'content-type': type, 'x-authdouble-session': session },
      body: type === 'application/json' ? JSON.stringify(body) : new URLSearchParams(body as Record<string, string>).toString(),
    });
    const json = (await res.json()) as Record<string, unknown>;
    return { status: res.status, keys: Object.keys(json).sort(), role: json.role, twoFactor: json['2faRequired'] };
  };
  return {
    b2core: await post('b2core', '/api/v2/signin', { email: 'foo@bar.com', password: 'Secret123' }),
    b2coreWrong: await post('b2core', '/api/v2/signin', { email: 'foo@bar.com', password: 'wrong' }),
    vault: await post('vault', '/reg/auth/token', { grant_type: 'password', username: 'viewer@example.com', password: 'V1ewer#2024', client_id: 'haequi3Aah8lie2r' }),
    fib: await post('fib', '/auth/api/v1/authentication-management/session', ALICE),
    khe: await post('khe', '/v1.0/users/token', { client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' }),
    kheSignUp: await post('khe', '/v1.0/users', { client: 'khe-web', email: `fresh-${session}@khe.io`, password: 'fresh-pass' }),
    sama: await post('sama', '/login', { organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: 'device_u1' }),
    faults: (await (await fetch(`${server.url}/__admin/faults`, { headers: { 'x-authdouble-session': session } })).json()) as unknown,
    clock: ((await (await fetch(`${server.url}/__admin/clock`, { headers: { 'x-authdouble-session': session } })).json()) as { virtual: boolean }).virtual,
  };
}

function prototypeSnapshot(): Record<string, string[]> {
  return {
    object: Object.getOwnPropertyNames(Object.prototype).sort(),
    array: Object.getOwnPropertyNames(Array.prototype).sort(),
    function: Object.getOwnPropertyNames(Function.prototype).sort(),
    string: Object.getOwnPropertyNames(String.prototype).sort(),
  };
}

it('a prototype-pollution payload, sent every way a client can, changes nothing outside its request', async () => {
  const before = await baseline('before');
  const prototypes = prototypeSnapshot();
  const statuses: number[] = [];

  for (const target of TARGETS) {
    if (target.body) {
      for (const text of jsonVariants(target.body)) statuses.push(await send(target, text, 'application/json'));
      if (target.form) for (const text of formVariants(target.body)) statuses.push(await send(target, text, 'application/x-www-form-urlencoded'));
    } else {
      statuses.push(await send(target, undefined, undefined, { authorization: 'Bearer __proto__' }));
    }
  }
  // A signed-in khe user tries to make itself admin through PATCH /users.
  const kheSignIn = await fetch(urlOf('khe', '/v1.0/users/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' }),
  });
  const { key, token } = (await kheSignIn.json()) as { key: string; token: string };
  const basic = `Basic ${Buffer.from(`${key}:${token}`).toString('base64')}`;
  for (const text of [...jsonVariants({}), ...jsonVariants({ password: 'hackathon' })]) {
    statuses.push(await send({ api: 'khe', method: 'PATCH', path: '/v1.0/users' }, text, 'application/json', { authorization: basic }));
  }
  // The same over the WebSocket.
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/sama`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const frames = [
    '{"__proto__":{"polluted":"yes"},"request":{"user_login":{"organization_id":"680a2fae96cc69d78861f101","login":"user_1","password":"user_paswword_1","device_id":"d"},"id":"a"}}',
    '{"request":{"__proto__":{"polluted":"yes"},"id":"b"}}',
    '{"request":{"constructor":{"prototype":{"polluted":"yes"}},"id":"c"}}',
    '{"request":{"connect":{"token":"t","device_id":"d","__proto__":{"polluted":"yes"}},"id":"d"}}',
  ];
  for (const frame of frames) {
    ws.send(frame);
    await new Promise((resolve) => ws.once('message', resolve));
  }
  ws.close();

  // Nothing outside the requests changed: the prototypes of this (the server's) process ...
  expect(prototypeSnapshot()).toEqual(prototypes);
  const plain: Record<string, unknown> = {};
  for (const marker of MARKERS) expect(plain[marker]).toBeUndefined();
  expect(statuses.every((s) => s < 500)).toBe(true);
  // ... and every API answers a fresh client as it did before.
  expect(await baseline('after')).toEqual(before);
  // The khe user is still an attendee, in the session the payloads went to.
  const again = await fetch(urlOf('khe', '/v1.0/users/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' }),
  });
  expect(((await again.json()) as { role: string }).role).toBe('attendee');
});
