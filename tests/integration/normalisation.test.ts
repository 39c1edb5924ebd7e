/**
 * Every rule the specs state in prose about letter case, one test each, in a state session of its
 * own (so no test depends on another's counters or sign-ups).
 */
import { randomUUID } from 'node:crypto';
import { parsePrivateKey, signEmail } from '../../src/apis/fib/signing';
import { useTestServer } from '../helpers/server';
import { FOO } from '../helpers/b2core';
import { DEV, SESSION } from '../helpers/fib';
import { ORG, ORG2, U1 } from '../helpers/sama';

const server = useTestServer({}, { reset: false });

/** Sends to `/<api><path>` in a fresh state session, or the one named. */
function inSession(session = `case-${randomUUID()}`) {
  return async (api: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${server.url}/${api}${path}`, {
      method,
      headers: { 'x-authdouble-session': session, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };
}

describe('b2core: sign-in attempts are counted per e-mail, case-insensitively (openapi/b2core.yaml)', () => {
  it('five failures in five spellings of one e-mail lock out the sixth, correct, sign-in', async () => {
    const send = inSession();
    for (const email of ['FOO@bar.com', 'Foo@Bar.com', 'foo@BAR.COM', 'fOo@bAr.CoM', 'FOO@BAR.COM']) {
      expect((await send('b2core', 'POST', '/api/v2/signin', { email, password: 'wrong' })).status).toBe(401);
    }
    const locked = await send('b2core', 'POST', '/api/v2/signin', FOO);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('rate_limited');
    // The lock is the e-mail's, not the caller's: another user still signs in.
    expect((await send('b2core', 'POST', '/api/v2/signin', { email: 'fixed2fa@bar.com', password: 'Secret123' })).status).toBe(200);
  });

  it('a success under another spelling counts against the same e-mail', async () => {
    const send = inSession();
    for (let i = 0; i < 5; i++) expect((await send('b2core', 'POST', '/api/v2/signin', { ...FOO, email: i % 2 ? 'FOO@BAR.COM' : 'foo@bar.com' })).status).toBe(200);
    expect((await send('b2core', 'POST', '/api/v2/signin', { ...FOO, email: 'Foo@Bar.Com' })).status).toBe(429);
  });
});

describe('vault: the username is compared without regard to case (openapi/vault.yaml)', () => {
  it('signs in as the same user in any case', async () => {
    const send = inSession();
    const body = { grant_type: 'password', password: 'A9#bL8@z', client_id: 'haequi3Aah8lie2r' };
    const lower = await send('vault', 'POST', '/reg/auth/token', { ...body, username: 'user@example.com' });
    const upper = await send('vault', 'POST', '/reg/auth/token', { ...body, username: 'USER@Example.COM' });
    expect(lower.status).toBe(200);
    expect(upper.status).toBe(200);
    expect(upper.body.user_id).toBe(lower.body.user_id);
  });
});

describe('fib: the e-mail is matched case-insensitively, the signature verifies over the e-mail as sent (openapi/fib.yaml)', () => {
  const key = parsePrivateKey(DEV.privateKey);
  const shouted = DEV.email.toUpperCase();

  it('signs in with the e-mail in another case when the signature is over that spelling', async () => {
    const send = inSession();
    const res = await send('fib', 'POST', SESSION, { email: shouted, signature: signEmail(shouted, key), authPublicKeyHex: DEV.publicKey });
    expect(res.status).toBe(200);
  });

  it('refuses a signature over another spelling of the e-mail than the one sent', async () => {
    const send = inSession();
    const res = await send('fib', 'POST', SESSION, { email: shouted, signature: signEmail(DEV.email, key), authPublicKeyHex: DEV.publicKey });
    expect(res.status).toBe(422);
    expect(res.body.data.error).toBe('invalid_signature');
  });

  it('accepts the signature and the public key in upper-case hex', async () => {
    const send = inSession();
    const res = await send('fib', 'POST', SESSION, {
      email: DEV.email,
      signature: signEmail(DEV.email, key).toUpperCase(),
      authPublicKeyHex: DEV.publicKey.toUpperCase(),
    });
    expect(res.status).toBe(200);
  });
});

describe('khe: e-mails are compared without regard to case and stored in lower case (openapi/khe.yaml)', () => {
  it('signs up in mixed case, signs in in lower case, and refuses the same e-mail in another case with 409', async () => {
    const send = inSession();
    const local = `mixed-${randomUUID().slice(0, 8)}`;
    const signUp = await send('khe', 'POST', '/v1.0/users', { client: 'khe-web', email: `${local.toUpperCase()}@KHE.io`, password: 'first-hack' });
    expect(signUp.status).toBe(201);
    const signIn = await send('khe', 'POST', '/v1.0/users/token', { client: 'khe-web', email: `${local}@khe.io`, password: 'first-hack' });
    expect(signIn.status).toBe(201);
    expect(signIn.body.key).toBe(signUp.body.key);
    const again = await send('khe', 'POST', '/v1.0/users', { client: 'khe-web', email: `${local}@khe.IO`, password: 'other-pass' });
    expect(again.status).toBe(409);
  });

  it('stores a changed e-mail in lower case', async () => {
    const session = `case-${randomUUID()}`;
    const send = inSession(session);
    const signIn = await send('khe', 'POST', '/v1.0/users/token', { client: 'khe-web', email: 'HACKER@khe.io', password: 'hackathon' });
    expect(signIn.status).toBe(201);
    const res = await fetch(`${server.url}/khe/v1.0/users`, {
      method: 'PATCH',
      headers: {
        'x-authdouble-session': session,
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${signIn.body.key as string}:${signIn.body.token as string}`).toString('base64')}`,
      },
      body: JSON.stringify({ email: 'Hacker.Renamed@KHE.io' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { email: string }).email).toBe('hacker.renamed@khe.io');
    expect((await send('khe', 'POST', '/v1.0/users/token', { client: 'khe-web', email: 'hacker.renamed@khe.io', password: 'hackathon' })).status).toBe(201);
  });
});

describe('sama: logins are compared case-insensitively, within the organization (openapi/sama.yaml)', () => {
  it('logs in with the login in another case, and each organization keeps its own user', async () => {
    const send = inSession();
    const upper = await send('sama', 'POST', '/login', { ...U1, login: U1.login.toUpperCase() });
    expect(upper.status).toBe(200);
    expect(upper.body.user.login).toBe(U1.login);
    expect(upper.body.user.organization_id ?? ORG).toBe(ORG);
    // The same login in the second organization has another password.
    expect((await send('sama', 'POST', '/login', { ...U1, organization_id: ORG2, login: 'LOGIN_U1' })).status).toBe(401);
    expect((await send('sama', 'POST', '/login', { ...U1, organization_id: ORG2, login: 'LOGIN_U1', password: 'other_password' })).status).toBe(200);
  });
});

describe('control API: the outbox recipient filter is case-insensitive (openapi/admin.yaml)', () => {
  it('finds the 2FA message under any spelling of the address', async () => {
    const session = `case-${randomUUID()}`;
    const send = inSession(session);
    expect((await send('b2core', 'POST', '/api/v2/signin', { email: 'TwoFA@Bar.com', password: 'Secret123' })).status).toBe(200);
    for (const to of ['twofa@bar.com', 'TWOFA@BAR.COM']) {
      const res = await fetch(`${server.url}/__admin/outbox?api=b2core&to=${encodeURIComponent(to)}`, { headers: { 'x-authdouble-session': session } });
      expect(((await res.json()) as { messages: unknown[] }).messages).toHaveLength(1);
    }
  });
});
