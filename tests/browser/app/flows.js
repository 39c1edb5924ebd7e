/* global document, window, WebSocket, btoa, URLSearchParams, location */
// A browser app's sign-in code, as a frontend team would write it with fetch, against the five APIs
// of an authdouble mock. Loaded by index.html, from another origin (CORS) or through a dev server's
// proxy (same origin). Every step reports what the page could see; nothing here asserts.

/** FIB's published test sign-in (alice, signed with the documented test key). */
const ALICE = {
  email: 'alice@wonderland.space',
  signature:
    '57e7115dfb9faa9add2d2ceb321c20db8c1e7f468d2ffc122793fa61e8ed61581580faaeae83a07fe857894bb33defd61c4ba099b981020146fe8d2be00e630a',
  authPublicKeyHex: '7fbedb314a9b0c00caef967ac5cabb982ec45da828a0c58a9aafc854f32422ac',
};
const SAMA_USER = { organization_id: '680a2fae96cc69d78861f101', login: 'login_u1', password: 'u1_password', device_id: 'browser' };

async function call(url, init = {}) {
  try {
    const res = await fetch(url, init);
    const text = await res.text();
    let body = text;
    try {
      body = JSON.parse(text);
    } catch {
      // text/plain errors (sama) stay text
    }
    return { status: res.status, body, source: res.headers.get('x-authdouble-source') };
  } catch (err) {
    // What a CORS refusal looks like to the page: a TypeError, no status.
    return { status: 0, body: String(err), source: null };
  }
}

const json = (body, headers = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

function wsConnect(wsUrl, token) {
  return new Promise((resolve) => {
    let ws;
    const timer = setTimeout(() => resolve({ status: 0, body: 'no answer within 5 s' }), 5000);
    try {
      ws = new WebSocket(wsUrl);
    } catch (err) {
      clearTimeout(timer);
      resolve({ status: 0, body: String(err) });
      return;
    }
    ws.onopen = () => ws.send(JSON.stringify({ request: { connect: { token, device_id: SAMA_USER.device_id }, id: '1' } }));
    ws.onmessage = (event) => {
      clearTimeout(timer);
      ws.close();
      resolve({ status: 101, body: JSON.parse(event.data) });
    };
    ws.onerror = () => {
      clearTimeout(timer);
      resolve({ status: 0, body: 'WebSocket error' });
    };
  });
}

/** sama: log in (the cookie is set), log in again with the cookie only, then bind a WebSocket. */
async function sama(mock, ws, results) {
  const login = await call(`${mock}/sama/login`, { ...json(SAMA_USER), credentials: 'include' });
  results.push({ api: 'sama', step: 'login', ...login });
  const again = await call(`${mock}/sama/login`, { ...json({ device_id: SAMA_USER.device_id }), credentials: 'include' });
  results.push({ api: 'sama', step: 'login by cookie', ...again });
  const token = again.body?.access_token ?? login.body?.access_token ?? 'none';
  results.push({ api: 'sama', step: 'websocket connect', ...(await wsConnect(`${ws}/sama`, token)) });
}

async function everyApi(mock, ws, session, results) {
  const inSession = { 'x-authdouble-session': session };
  // b2core: sign in, refresh, sign out, then an error the page can read.
  const signin = await call(`${mock}/b2core/api/v2/signin`, json({ email: 'foo@bar.com', password: 'Secret123' }, inSession));
  results.push({ api: 'b2core', step: 'sign in', ...signin });
  const refresh = await call(`${mock}/b2core/api/v2/refresh`, json({ refreshToken: signin.body?.refreshToken?.token }, inSession));
  results.push({ api: 'b2core', step: 'refresh', ...refresh });
  const bearer = { ...inSession, authorization: `Bearer ${refresh.body?.accessToken?.token}` };
  results.push({ api: 'b2core', step: 'sign out', ...(await call(`${mock}/b2core/api/v2/signout`, { method: 'POST', headers: bearer })) });
  results.push({ api: 'b2core', step: 'sign out again', ...(await call(`${mock}/b2core/api/v2/signout`, { method: 'POST', headers: bearer })) });
  results.push({
    api: 'b2core',
    step: 'injected fault',
    ...(await call(`${mock}/b2core/api/v2/signin`, json({ email: 'foo@bar.com', password: 'Secret123' }, { ...inSession, 'x-authdouble-fault': 'status=429' }))),
  });

  // vault: the JSON grant (preflighted) and the form grant (a "simple" request, no preflight).
  const grant = { grant_type: 'password', username: 'user@example.com', password: 'A9#bL8@z', client_id: 'haequi3Aah8lie2r' };
  results.push({ api: 'vault', step: 'JSON grant', ...(await call(`${mock}/vault/reg/auth/token`, json(grant))) });
  results.push({ api: 'vault', step: 'form grant', ...(await call(`${mock}/vault/reg/auth/token`, { method: 'POST', body: new URLSearchParams(grant) })) });

  // khe: sign in, then PATCH the user with Basic key:token.
  const khe = await call(`${mock}/khe/v1.0/users/token`, json({ client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' }));
  results.push({ api: 'khe', step: 'sign in', ...khe });
  const basic = btoa(`${khe.body?.key}:${khe.body?.token}`);
  results.push({
    api: 'khe',
    step: 'PATCH with Basic',
    ...(await call(`${mock}/khe/v1.0/users`, { ...json({ email: 'hacker2@khe.io' }, { authorization: `Basic ${basic}` }), method: 'PATCH' })),
  });

  // fib: sign in with the published signature.
  results.push({ api: 'fib', step: 'sign in', ...(await call(`${mock}/fib/auth/api/v1/authentication-management/session`, json(ALICE))) });

  await sama(mock, ws, results);

  // The control API, read from the page: the journal of this page's b2core session.
  results.push({ api: 'control', step: 'journal', ...(await call(`${mock}/__admin/requests?api=b2core`, { headers: inSession })) });
}

/** Runs the flows named in the page's query (`?mock=<origin>&only=sama`) and shows the results. */
export async function run() {
  const params = new URLSearchParams(location.search);
  const mock = params.get('mock') ?? '';
  const ws = mock ? mock.replace(/^http/, 'ws') : location.origin.replace(/^http/, 'ws');
  const results = [];
  if (params.get('only') === 'sama') await sama(mock, ws, results);
  else await everyApi(mock, ws, params.get('session') ?? 'browser', results);
  const rows = results.map((r) => `<tr class="${r.status >= 200 && r.status < 300 ? 'ok' : 'other'}"><td>${r.api}</td><td>${r.step}</td><td>${r.status}</td><td>${escape(JSON.stringify(r.body)).slice(0, 120)}</td></tr>`);
  document.querySelector('#results').innerHTML = `<tr><th>API</th><th>step</th><th>status</th><th>body</th></tr>${rows.join('')}`;
  window.authdoubleResults = results;
}

function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
