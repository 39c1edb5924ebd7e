import { randomUUID } from 'node:crypto';
import { parsePrivateKey, signEmail } from '../../src/apis/fib/signing';
import { jsonOf, withJson, withJsonBody, type Defect, type ProxyResponse } from './broken-proxy';
import { TEST_PRIVATE_KEY } from './fib';
import { U1 } from './sama';

/**
 * Broken implementations of the five APIs, each one defect in a proxy in front of our mock, and the
 * check of `authdouble verify` that must name it.
 */
export interface BrokenVariant {
  name: string;
  api: string;
  /** The check that must fail because of the defect. */
  caughtBy: string;
  /** The check needs --destructive. */
  destructive?: boolean;
  /** The check is one of `verify --generated <count> --seed <seed>`. */
  generated?: { count: number; seed: number };
  /** A new defect (with fresh state) for each run. */
  defect(): Defect;
}

const empty = (status: number): ProxyResponse => ({ status, headers: {}, body: Buffer.alloc(0) });
const isJsonPost = (method: string, url: string, path: string) => method === 'POST' && url === path;

export const brokenVariants: BrokenVariant[] = [
  {
    // No hand-written check sends malformed JSON to refresh: only the generated checks find this.
    name: 'answers 500 to a malformed JSON body on refresh (b2core)',
    api: 'b2core',
    caughtBy: 'b2core.generated.16.refresh-token.malformed-json',
    generated: { count: 17, seed: 1 },
    defect: () => async (req, forward) => {
      if (req.method !== 'POST' || req.url !== '/b2core/api/v2/refresh' || jsonOf(req) !== undefined) return forward();
      return { status: 500, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"code":"internal","message":"Unexpected token"}') };
    },
  },
  {
    name: 'accepts a reused refresh token (b2core)',
    api: 'b2core',
    caughtBy: 'b2core.stateful.refresh-single-use',
    defect: () => {
      const answered = new Map<string, ProxyResponse>();
      return async (req, forward) => {
        if (!isJsonPost(req.method, req.url, '/b2core/api/v2/refresh')) return forward();
        const token = String(jsonOf(req)?.refreshToken);
        const res = await forward();
        if (res.status === 200) answered.set(token, res);
        return res.status === 401 && answered.has(token) ? answered.get(token)! : res;
      };
    },
  },
  {
    name: 'forgets to revoke on logout (vault)',
    api: 'vault',
    caughtBy: 'vault.stateful.logout-revokes',
    defect: () => async (req, forward) =>
      req.method === 'DELETE' && req.url === '/vault/reg/user/session/logout/current' && req.headers.authorization ? empty(204) : forward(),
  },
  {
    name: 'returns a field with the wrong type: expires as a number (khe)',
    api: 'khe',
    caughtBy: 'khe.schema.sign-in',
    defect: () => async (req, forward) => {
      const res = await forward();
      if (!isJsonPost(req.method, req.url, '/khe/v1.0/users/token') || res.status !== 201) return res;
      const body = jsonOf(res);
      return withJson(res, { ...body, expires: Date.parse(body.expires) });
    },
  },
  {
    name: 'drops a required field: data.refreshToken (fib)',
    api: 'fib',
    caughtBy: 'fib.schema.sign-in',
    defect: () => async (req, forward) => {
      const res = await forward();
      if (!isJsonPost(req.method, req.url, '/fib/auth/api/v1/authentication-management/session') || res.status !== 200) return res;
      const body = jsonOf(res);
      delete body.data.refreshToken;
      return withJson(res, body);
    },
  },
  {
    name: 'answers 403 where 401 is documented (b2core)',
    api: 'b2core',
    caughtBy: 'b2core.negative.missing-auth',
    defect: () => async (req, forward) => {
      const res = await forward();
      return req.url.startsWith('/b2core/') && res.status === 401 ? { ...res, status: 403 } : res;
    },
  },
  {
    name: 'returns 200 for a wrong password (sama)',
    api: 'sama',
    caughtBy: 'sama.negative.wrong-password',
    defect: () => async (req, forward) => {
      if (!isJsonPost(req.method, req.url, '/sama/login')) return forward();
      const body = jsonOf(req);
      if (body?.login !== U1.login || typeof body.password !== 'string') return forward();
      return forward(withJsonBody(req, { ...body, password: U1.password }));
    },
  },
  {
    name: 'ignores the sign-in rate limit (b2core)',
    api: 'b2core',
    caughtBy: 'b2core.destructive.sign-in-rate-limit',
    destructive: true,
    defect: () => async (req, forward) => {
      const res = await forward();
      if (!isJsonPost(req.method, req.url, '/b2core/api/v2/signin') || res.status !== 429) return res;
      return withJson({ ...res, status: 401, headers: { 'content-type': 'application/json' } }, { code: 'invalid_credentials', message: 'Wrong e-mail or password' });
    },
  },
  {
    name: 'sends the wrong content type: text/plain for JSON (vault)',
    api: 'vault',
    caughtBy: 'vault.schema.password-grant',
    defect: () => async (req, forward) => {
      const res = await forward();
      if (!isJsonPost(req.method, req.url, '/vault/reg/auth/token') || res.status !== 200) return res;
      return { ...res, headers: { ...res.headers, 'content-type': 'text/plain; charset=utf-8' } };
    },
  },
  {
    name: 'accepts a signature made with the wrong key (fib)',
    api: 'fib',
    caughtBy: 'fib.negative.wrong-key',
    defect: () => {
      const key = parsePrivateKey(TEST_PRIVATE_KEY);
      return async (req, forward) => {
        if (!isJsonPost(req.method, req.url, '/fib/auth/api/v1/authentication-management/session')) return forward();
        const body = jsonOf(req);
        // Whatever the signature, the "server" checks one made with the user's own key.
        if (body?.authPublicKeyHex !== key.publicKeyHex || typeof body.email !== 'string') return forward();
        return forward(withJsonBody(req, { ...body, signature: signEmail(body.email, key) }));
      };
    },
  },
  {
    name: 'signs up without storing the user (khe)',
    api: 'khe',
    caughtBy: 'khe.flow.sign-up-then-sign-in',
    defect: () => async (req, forward) => {
      if (!isJsonPost(req.method, req.url, '/khe/v1.0/users')) return forward();
      return withJson(
        { status: 201, headers: { 'content-type': 'application/json' }, body: Buffer.alloc(0) },
        { role: 'attendee', key: randomUUID(), token: randomUUID(), refresh: randomUUID(), expires: new Date(Date.parse('2030-01-01T00:00:00Z')).toISOString() },
      );
    },
  },
  {
    name: 'keeps accepting an expired access token (vault)',
    api: 'vault',
    caughtBy: 'vault.destructive.access-token-expiry',
    destructive: true,
    defect: () => async (req, forward) => {
      const res = await forward();
      return res.status === 401 && /Access token has expired/.test(res.body.toString()) ? empty(204) : res;
    },
  },
  {
    name: 'does not replace the refresh cookie on a cookie login (sama)',
    api: 'sama',
    caughtBy: 'sama.stateful.refresh-cookie-replaced',
    defect: () => async (req, forward) => {
      const res = await forward();
      const body = jsonOf(req);
      const cookieLogin = isJsonPost(req.method, req.url, '/sama/login') && body && !body.login && !req.headers.authorization;
      if (!cookieLogin || res.status !== 200) return res;
      const headers = { ...res.headers };
      delete headers['set-cookie'];
      return { ...res, headers };
    },
  },
];
