import { inState, useTestServer } from '../helpers/server';
import { bearer, TWOFA } from '../helpers/b2core';

const server = useTestServer({ apis: ['b2core'] });

const outbox = (filter?: { api?: string; to?: string }) => inState(server, (s) => s.outbox.list(filter));

async function startTwoFactor(creds = TWOFA): Promise<string> {
  const res = await server.api('b2core').post('/api/v2/signin').send(creds).expect(200);
  expect(res.body['2faRequired']).toBe(true);
  return res.body['2faDetails'].token as string;
}

describe('b2core 2FA by e-mail', () => {
  it('sends a six-digit code to the outbox, and the right code returns a working token pair', async () => {
    const token = await startTwoFactor();
    const [message] = (await outbox({ api: 'b2core', to: TWOFA.email }));
    expect(message?.code).toMatch(/^\d{6}$/);
    expect(message?.text).toContain(message!.code!);
    const res = await server.api('b2core').post('/api/v2/2fa/confirm').send({ token, code: message!.code }).expect(200);
    expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'refreshToken']);
    const session = await server.api('b2core').get('/api/v2/session').set(...bearer(res.body.accessToken.token)).expect(200);
    expect(session.body.email).toBe(TWOFA.email);
  });

  it('refuses a wrong code with 401 invalid_2fa_code and keeps the 2FA token usable', async () => {
    const token = await startTwoFactor();
    const code = (await outbox())[0]!.code!;
    const wrong = code === '000000' ? '111111' : '000000';
    const res = await server.api('b2core').post('/api/v2/2fa/confirm').send({ token, code: wrong }).expect(401);
    expect(res.body.code).toBe('invalid_2fa_code');
    await server.api('b2core').post('/api/v2/2fa/confirm').send({ token, code }).expect(200);
  });

  it('makes the 2FA token single-use', async () => {
    const token = await startTwoFactor();
    const code = (await outbox())[0]!.code!;
    await server.api('b2core').post('/api/v2/2fa/confirm').send({ token, code }).expect(200);
    const again = await server.api('b2core').post('/api/v2/2fa/confirm').send({ token, code }).expect(401);
    expect(again.body.code).toBe('invalid_2fa_token');
  });

  it('expires the 2FA token after ten minutes (virtual clock)', async () => {
    const token = await startTwoFactor();
    const code = (await outbox())[0]!.code!;
    await inState(server, (s) => s.clock.advance(10 * 60 * 1000 + 1000));
    try {
      const res = await server.api('b2core').post('/api/v2/2fa/confirm').send({ token, code }).expect(401);
      expect(res.body.code).toBe('invalid_2fa_token');
    } finally {
      await inState(server, (s) => s.clock.reset());
    }
  });

  it('refuses an unknown 2FA token', async () => {
    const res = await server.api('b2core').post('/api/v2/2fa/confirm').send({ token: 'nope', code: '123456' }).expect(401);
    expect(res.body.code).toBe('invalid_2fa_token');
  });

  it('uses the fixed code of a fixture user that has one', async () => {
    const token = await startTwoFactor({ email: 'fixed2fa@bar.com', password: 'Secret123' });
    expect((await outbox({ to: 'fixed2fa@bar.com' }))[0]?.code).toBe('123456');
    await server.api('b2core').post('/api/v2/2fa/confirm').send({ token, code: '123456' }).expect(200);
  });

  it('sends a fresh code for each sign-in', async () => {
    await startTwoFactor();
    await startTwoFactor();
    expect((await outbox({ to: TWOFA.email }))).toHaveLength(2);
  });
});
