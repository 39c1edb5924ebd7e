import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';
import { signIn as b2coreSignIn } from '../helpers/b2core';
import { signIn as fibSignIn } from '../helpers/fib';
import { login as samaLogin, tokenOfCookie } from '../helpers/sama';

/**
 * `GET /__admin/tokens` gives the exact text of every live token, whatever form the token book keeps
 * it in (JWTs are kept packed), over real HTTP, for each API; and so does a restart from a state
 * file, including one saved before tokens were kept under 128-bit digests.
 */

interface Listed {
  api: string;
  kind: string;
  subject: string;
  session: string;
  token: string;
}

/** Every live token, read page by page (`limit`, `cursor`). */
async function listAll(server: TestServer, limit: number): Promise<Listed[]> {
  const all: Listed[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const res = await fetch(`${server.url}/__admin/tokens?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { tokens: Listed[]; next?: string };
    expect(body.tokens.length).toBeLessThanOrEqual(limit);
    all.push(...body.tokens);
    if (!body.next) return all;
    cursor = body.next;
  }
  throw new Error('more than 100 pages');
}

/** Signs in once to each API; returns the tokens each issued, by API. */
async function signInEverywhere(server: TestServer): Promise<Record<string, string[]>> {
  const b2core = await b2coreSignIn(server);
  // A refresh too: the used refresh token leaves the list, the new pair joins it.
  const refreshed = await server.api('b2core').post('/api/v2/refresh').send({ refreshToken: b2core.refreshToken.token }).expect(200);
  const vault = await server
    .api('vault')
    .post('/reg/auth/token')
    .type('form')
    .send({ grant_type: 'password', username: 'user@example.com', password: 'A9#bL8@z', client_id: 'haequi3Aah8lie2r' })
    .expect(200);
  const sama = await samaLogin(server);
  const fib = await fibSignIn(server);
  const khe = await server.api('khe').post('/v1.0/users/token').send({ client: 'khe-web', email: 'hacker@khe.io', password: 'hackathon' }).expect(201);
  return {
    b2core: [b2core.accessToken.token, refreshed.body.accessToken.token, refreshed.body.refreshToken.token],
    vault: [vault.body.access_token, vault.body.refresh_token],
    sama: [sama.body.access_token, tokenOfCookie(sama.refresh)],
    fib: [fib.accessToken, fib.refreshToken],
    khe: [khe.body.token, khe.body.refresh],
  };
}

function byApi(listed: Listed[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of listed) (out[t.api] ??= []).push(t.token);
  for (const tokens of Object.values(out)) tokens.sort();
  return out;
}

const sorted = (issued: Record<string, string[]>) => Object.fromEntries(Object.entries(issued).map(([api, tokens]) => [api, [...tokens].sort()]));

describe('GET /__admin/tokens: the exact text of every live token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('lists each API’s tokens as issued, byte for byte, on one page and paged', async () => {
    const issued = await signInEverywhere(server);
    // Five JWT-issuing or opaque APIs, three parts for each JWT.
    for (const api of ['b2core', 'vault', 'sama', 'fib']) for (const token of issued[api]!) expect(token.split('.')).toHaveLength(3);
    expect(byApi(await listAll(server, 1000))).toEqual(sorted(issued));
    // Pages of 3 (picked from many more each time) give the one page's tokens in its order, oldest first.
    const whole = await listAll(server, 1000);
    expect((await listAll(server, 3)).map((t) => t.token)).toEqual(whole.map((t) => t.token));
    const times = whole.map((t) => Date.parse((t as unknown as { issuedAt: string }).issuedAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // The listed text is a token the API takes: b2core's access token from the list authenticates.
    const listed = (await listAll(server, 1000)).find((t) => t.api === 'b2core' && t.token === issued.b2core![1]);
    expect(listed?.kind).toBe('access');
    await server.api('b2core').get('/api/v2/session').set('Authorization', `Bearer ${listed!.token}`).expect(200);
  });
});

describe('--state-file: tokens listed and usable after a restart', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'authdouble-token-listing-'));
    file = path.join(dir, 'state.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves each token’s text and gives it back after the restart', async () => {
    let server = await startTestServer({ stateFile: file });
    let issued: Record<string, string[]>;
    try {
      issued = await signInEverywhere(server);
    } finally {
      await server.close();
    }
    // The file keeps the plain record with the token's text, as files before packing did.
    const text = readFileSync(file, 'utf8');
    for (const tokens of Object.values(issued)) for (const token of tokens) expect(text).toContain(JSON.stringify(token));
    server = await startTestServer({ stateFile: file });
    try {
      expect(byApi(await listAll(server, 1000))).toEqual(sorted(issued));
      await server.api('b2core').get('/api/v2/session').set('Authorization', `Bearer ${issued.b2core![1]}`).expect(200);
    } finally {
      await server.close();
    }
  });

  it('loads a file saved before 128-bit digests: its tokens check, list and sign out', async () => {
    let server = await startTestServer({ stateFile: file });
    let access: string;
    let refresh: string;
    try {
      const pair = await b2coreSignIn(server);
      access = pair.accessToken.token;
      refresh = pair.refreshToken.token;
    } finally {
      await server.close();
    }
    // Rewrite the file as the previous version saved it: tokens under the whole SHA-256 digest, and
    // the family's list holding those keys.
    const oldKey = (t: string) => `token:${createHash('sha256').update(t).digest('base64url')}`;
    const newKey = (t: string) => `token:${createHash('sha256').update(t).digest().subarray(0, 16).toString('base64url')}`;
    const state = JSON.parse(readFileSync(file, 'utf8')) as { sessions: Array<{ store: Array<[string, any, number | null]> }> };
    let rewritten = 0;
    for (const entry of state.sessions[0]!.store) {
      for (const token of [access, refresh]) {
        if (entry[0] === `b2core:${newKey(token)}`) {
          entry[0] = `b2core:${oldKey(token)}`;
          rewritten++;
        }
      }
      if (entry[0].startsWith('b2core:family:')) entry[1].tokens = [oldKey(access), oldKey(refresh)];
    }
    expect(rewritten).toBe(2);
    writeFileSync(file, JSON.stringify(state));
    server = await startTestServer({ stateFile: file });
    try {
      expect(byApi(await listAll(server, 1000)).b2core).toEqual([access, refresh].sort());
      await server.api('b2core').get('/api/v2/session').set('Authorization', `Bearer ${access}`).expect(200);
      await server.api('b2core').post('/api/v2/signout').set('Authorization', `Bearer ${access}`).expect(200);
      await server.api('b2core').get('/api/v2/session').set('Authorization', `Bearer ${access}`).expect(401);
      await server.api('b2core').post('/api/v2/refresh').send({ refreshToken: refresh }).expect(401);
      expect(byApi(await listAll(server, 1000)).b2core).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
