import { resetSession, useTestServer } from '../helpers/server';
import { basic, HACKER, HACKER_KEY } from '../helpers/khe';

const server = useTestServer({ apis: ['khe'] });

const api = () => server.api('khe');

const signIn = async (body: Record<string, string> = HACKER): Promise<string> => {
  const res = await api().post('/v1.0/users/token').send(body).expect(201);
  return basic(res.body.key, res.body.token);
};
const signInStatus = async (body: Record<string, string>): Promise<number> =>
  (await api().post('/v1.0/users/token').send(body)).status;

describe('khe PATCH /v1.0/users', () => {
  it('changes the e-mail: the new one signs in, the old one does not', async () => {
    const auth = await signIn();
    const res = await api().patch('/v1.0/users').set('Authorization', auth).send({ email: 'new.hacker@khe.io' }).expect(200);
    expect(res.body).toEqual({ _id: HACKER_KEY, email: 'new.hacker@khe.io' });
    expect(await signInStatus({ ...HACKER, email: 'new.hacker@khe.io' })).toBe(201);
    const old = await api().post('/v1.0/users/token').send(HACKER).expect(400);
    expect(old.body).toEqual({ errors: ['Email or password incorrect'] });
  });

  it('keeps the token working after the change', async () => {
    const auth = await signIn();
    await api().patch('/v1.0/users').set('Authorization', auth).send({ email: 'new.hacker@khe.io' }).expect(200);
    const me = await api().patch('/v1.0/users').set('Authorization', auth).send({}).expect(200);
    expect(me.body.email).toBe('new.hacker@khe.io');
  });

  it('changes the e-mail of a signed-up user too', async () => {
    const up = await api().post('/v1.0/users').send({ client: 'khe-web', email: 'newbie@khe.io', password: 'first-hack' }).expect(201);
    await api().patch('/v1.0/users').set('Authorization', basic(up.body.key, up.body.token)).send({ email: 'renamed@khe.io' }).expect(200);
    expect(await signInStatus({ client: 'khe-ios', email: 'renamed@khe.io', password: 'first-hack' })).toBe(201);
    expect(await signInStatus({ client: 'khe-ios', email: 'newbie@khe.io', password: 'first-hack' })).toBe(400);
  });

  it('frees the old e-mail for someone else', async () => {
    const auth = await signIn();
    await api().patch('/v1.0/users').set('Authorization', auth).send({ email: 'new.hacker@khe.io' }).expect(200);
    const up = await api().post('/v1.0/users').send(HACKER).expect(201);
    expect(up.body.key).not.toBe(HACKER_KEY);
  });

  it('stores the new e-mail in lower case', async () => {
    const auth = await signIn();
    const res = await api().patch('/v1.0/users').set('Authorization', auth).send({ email: 'New.Hacker@KHE.io' }).expect(200);
    expect(res.body.email).toBe('new.hacker@khe.io');
  });

  it('changes the password', async () => {
    const auth = await signIn();
    await api().patch('/v1.0/users').set('Authorization', auth).send({ password: 'new-secret' }).expect(200);
    expect(await signInStatus({ ...HACKER, password: 'new-secret' })).toBe(201);
    expect(await signInStatus(HACKER)).toBe(400);
  });

  it('refuses another user\'s e-mail with 409 and changes nothing', async () => {
    const auth = await signIn();
    const res = await api().patch('/v1.0/users').set('Authorization', auth).send({ email: 'Staff@khe.io', password: 'new-secret' }).expect(409);
    expect(res.body).toEqual({ errors: ['That email is already taken'] });
    expect(await signInStatus(HACKER)).toBe(201);
  });

  it('accepts the user\'s own e-mail, and an empty body, changing nothing', async () => {
    const auth = await signIn();
    await api().patch('/v1.0/users').set('Authorization', auth).send({ email: 'HACKER@khe.io' }).expect(200);
    await api().patch('/v1.0/users').set('Authorization', auth).expect(200);
    expect(await signInStatus(HACKER)).toBe(201);
  });

  it('forgets the change on reset', async () => {
    const auth = await signIn();
    await api().patch('/v1.0/users').set('Authorization', auth).send({ email: 'new.hacker@khe.io' }).expect(200);
    await resetSession(server);
    expect(await signInStatus(HACKER)).toBe(201);
    expect(await signInStatus({ ...HACKER, email: 'new.hacker@khe.io' })).toBe(400);
  });

  // The real PATCH /users validates nothing (app/users/controller.js, patch).
  it('takes any new e-mail and password, as the real server, which validates nothing here', async () => {
    const auth = await signIn();
    const res = await api().patch('/v1.0/users').set('Authorization', auth).send({ email: 'Not-An-Email', password: 'x', role: 'admin' }).expect(200);
    expect(res.body).toEqual({ _id: '5f1e0c2ab36d4c0017a3e9d1', email: 'not-an-email' });
    expect(await signInStatus(HACKER)).toBe(400);
    // A one-character password is stored, but sign-in's own rule (/.{2,32}/) refuses it.
    expect(await signInStatus({ ...HACKER, email: 'not-an-email', password: 'x' })).toBe(400);
    await api().patch('/v1.0/users').set('Authorization', auth).send({ password: 'y'.repeat(40) }).expect(200);
    expect(await signInStatus({ ...HACKER, email: 'not-an-email', password: 'y'.repeat(40) })).toBe(201);
  });

  it('changes nothing for empty values', async () => {
    const auth = await signIn();
    await api().patch('/v1.0/users').set('Authorization', auth).send({ email: '', password: '' }).expect(200);
    expect(await signInStatus(HACKER)).toBe(201);
  });
});
