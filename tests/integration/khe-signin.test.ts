import { inState, resetSession, useTestServer } from '../helpers/server';
import { basic, HACKER, HACKER_KEY, signIn as signInAs, type SignedIn } from '../helpers/khe';

const server = useTestServer({ apis: ['khe'] });

const api = () => server.api('khe');
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DAY = 24 * 3600 * 1000;

const signIn = (body: Record<string, string> = HACKER): Promise<SignedIn> => signInAs(server, body);

/** Whether key:token opens an authenticated operation (PATCH with an empty body changes nothing). */
const works = async (s: { key: string; token: string }): Promise<boolean> => {
  const res = await api().patch('/v1.0/users').set('Authorization', basic(s.key, s.token)).send({});
  return res.status === 200;
};

describe('khe sign-in (POST /v1.0/users/token)', () => {
  it('answers 201 with the role, the key and UUIDv4 token and refresh token, expiring in 30 days', async () => {
    const now = Date.UTC(2016, 9, 7, 18, 30);
    await inState(server, (s) => s.clock.set(now));
    const res = await api().post('/v1.0/users/token').send(HACKER).expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['expires', 'key', 'refresh', 'role', 'token']);
    expect(res.body).toMatchObject({ role: 'attendee', key: HACKER_KEY, expires: new Date(now + 30 * DAY).toISOString() });
    expect(res.body.token).toMatch(UUID4);
    expect(res.body.refresh).toMatch(UUID4);
    expect(res.body.refresh).not.toBe(res.body.token);
  });

  it('issues a key and token that authenticate as HTTP Basic', async () => {
    const s = await signIn();
    const res = await api().patch('/v1.0/users').set('Authorization', basic(s.key, s.token)).send({}).expect(200);
    expect(res.body).toEqual({ _id: HACKER_KEY, email: 'hacker@khe.io' });
  });

  it('gives each user their role', async () => {
    expect((await signIn({ ...HACKER, email: 'staff@khe.io', password: 'organizer' })).role).toBe('staff');
    expect((await signIn({ ...HACKER, email: 'admin@khe.io', password: 'superuser' })).role).toBe('admin');
  });

  it('accepts the e-mail in any case', async () => {
    expect((await signIn({ ...HACKER, email: 'Hacker@KHE.io' })).key).toBe(HACKER_KEY);
  });

  it('accepts a URL-encoded form, as the real server does', async () => {
    const res = await api()
      .post('/v1.0/users/token')
      .type('form')
      .send('client=khe-web&email=hacker%40khe.io&password=hackathon')
      .expect(201);
    expect(res.body.key).toBe(HACKER_KEY);
  });

  it.each([
    ['a wrong password', { ...HACKER, password: 'wrong-one' }, 'Email or password incorrect'],
    ['an unknown e-mail', { ...HACKER, email: 'nobody@khe.io' }, 'Email or password incorrect'],
    ['an unknown client ID', { ...HACKER, client: 'khe-toaster' }, 'Invalid client ID'],
    ['a client ID in another case', { ...HACKER, client: 'KHE-WEB' }, 'Invalid client ID'],
  ])('refuses %s with 400 and the documented message', async (_name, body, message) => {
    const res = await api().post('/v1.0/users/token').send(body).expect(400);
    expect(res.body).toEqual({ errors: [message] });
  });

  it('returns the same token to a second sign-in with the same client, with its expiry pushed back', async () => {
    const first = await signIn();
    await inState(server, (s) => s.clock.advance(DAY));
    const second = await signIn();
    expect(second).toMatchObject({ key: first.key, token: first.token, refresh: first.refresh });
    expect(Date.parse(second.expires) - Date.parse(first.expires)).toBeGreaterThanOrEqual(DAY);
    // Past the first sign-in's 30 days the token still works: the second sign-in extended it.
    await inState(server, (s) => s.clock.advance(29.5 * DAY));
    expect(await works(second)).toBe(true);
  });

  it('gives another client its own token, and both work', async () => {
    const web = await signIn();
    const ios = await signIn({ ...HACKER, client: 'khe-ios' });
    expect(ios.key).toBe(web.key);
    expect(ios.token).not.toBe(web.token);
    expect(await works(web)).toBe(true);
    expect(await works(ios)).toBe(true);
  });

  it('does not let one user\'s token stand for another user\'s key', async () => {
    const hacker = await signIn();
    const staff = await signIn({ ...HACKER, email: 'staff@khe.io', password: 'organizer' });
    expect(await works({ key: staff.key, token: hacker.token })).toBe(false);
  });

  it('does not accept a refresh token as a token', async () => {
    const s = await signIn();
    expect(await works({ key: s.key, token: s.refresh })).toBe(false);
  });
});

describe('khe sign-up (POST /v1.0/users)', () => {
  const NEW = { client: 'khe-web', email: 'newbie@khe.io', password: 'first-hack' };

  it('creates an attendee, signed in, who can then sign in with the same e-mail and password', async () => {
    const res = await api().post('/v1.0/users').send(NEW).expect(201);
    expect(res.body.role).toBe('attendee');
    // The key is a MongoDB ObjectId, as the real `key: user._id`; its first 4 bytes are the seconds of the session clock.
    expect(res.body.key).toMatch(/^[0-9a-f]{24}$/);
    expect(parseInt(res.body.key.slice(0, 8), 16)).toBe(Math.floor((await inState(server, (s) => s.clock.now())) / 1000));
    for (const field of ['token', 'refresh']) expect(res.body[field]).toMatch(UUID4);
    expect(await works(res.body)).toBe(true);
    // Another client, so a new token: the user really exists, this is not an echo of the sign-up.
    const again = await signIn({ ...NEW, client: 'khe-android' });
    expect(again.key).toBe(res.body.key);
    expect(again.token).not.toBe(res.body.token);
    await api().post('/v1.0/users/token').send({ ...NEW, password: 'wrong-one' }).expect(400);
  });

  // The real server's validation: typecast on, /.{2,32}/ unanchored, the e-mail only present.
  it.each<[string, Record<string, unknown>, unknown]>([
    ['a numeric password (typecast)', { password: 12345 }, '12345'],
    ['a password over 32 characters (the rule has no anchors)', { password: 'p'.repeat(50) }, 'p'.repeat(50)],
    ['an e-mail that is not an address (only checked to be present)', { email: 'just-a-name' }, 'first-hack'],
  ])('signs up and in with %s', async (_name, change, password) => {
    const body = { ...NEW, ...change };
    await api().post('/v1.0/users').send(body).expect(201);
    await api().post('/v1.0/users/token').send({ ...body, client: 'khe-android', password }).expect(201);
  });

  it('signs in with the sign-up client to the sign-up token', async () => {
    const up = (await api().post('/v1.0/users').send(NEW).expect(201)).body as SignedIn;
    const again = await signIn(NEW);
    expect(again).toMatchObject({ key: up.key, token: up.token, refresh: up.refresh });
  });

  it('gives every sign-up a new key', async () => {
    const a = await api().post('/v1.0/users').send(NEW).expect(201);
    const b = await api().post('/v1.0/users').send({ ...NEW, email: 'other@khe.io' }).expect(201);
    expect(a.body.key).not.toBe(b.body.key);
  });

  it('stores the e-mail in lower case and refuses it again in any case with 409', async () => {
    const up = await api().post('/v1.0/users').send({ ...NEW, email: 'NewBie@KHE.io' }).expect(201);
    const me = await api().patch('/v1.0/users').set('Authorization', basic(up.body.key, up.body.token)).send({}).expect(200);
    expect(me.body.email).toBe('newbie@khe.io');
    const res = await api().post('/v1.0/users').send(NEW).expect(409);
    expect(res.body).toEqual({ errors: ['That email is already in use'] });
  });

  it('refuses the e-mail of a fixture user with 409', async () => {
    const res = await api().post('/v1.0/users').send({ ...NEW, email: 'HACKER@khe.io' }).expect(409);
    expect(res.body).toEqual({ errors: ['That email is already in use'] });
  });

  it('refuses an unknown client ID with 400, and creates no user', async () => {
    const res = await api().post('/v1.0/users').send({ ...NEW, client: 'nope' }).expect(400);
    expect(res.body).toEqual({ errors: ['Invalid client ID'] });
    await api().post('/v1.0/users/token').send(NEW).expect(400);
  });

  it('lets exactly one of many concurrent sign-ups with one e-mail through', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => api().post('/v1.0/users').send(NEW)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
  });

  it('forgets sign-ups on reset', async () => {
    await api().post('/v1.0/users').send(NEW).expect(201);
    await resetSession(server);
    const res = await api().post('/v1.0/users/token').send(NEW).expect(400);
    expect(res.body).toEqual({ errors: ['Email or password incorrect'] });
  });

  it('keeps a sign-up inside its state session', async () => {
    await api().post('/v1.0/users').set('X-Authdouble-Session', 'khe-a').send(NEW).expect(201);
    await api().post('/v1.0/users/token').set('X-Authdouble-Session', 'khe-a').send(NEW).expect(201);
    await api().post('/v1.0/users/token').set('X-Authdouble-Session', 'khe-b').send(NEW).expect(400);
    await api().post('/v1.0/users/token').send(NEW).expect(400);
  });
});
