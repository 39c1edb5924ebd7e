import { fixturesFolder, fixtureStartupError, startTestServer, inState } from '../helpers/server';



const GOOD = `clients:
  - id: app
users:
  - id: usr:11111111-2222-4333-8444-555555555555
    username: a@example.com
    password: pw
`;

describe('a broken vault fixture stops start-up with file, line, path and message', () => {
  it.each([
    [
      'a user_id that is not usr:<uuid>',
      GOOD.replace('usr:11111111-2222-4333-8444-555555555555', 'user-1'),
      /:4:9 \/users\/0\/id: must match pattern/,
    ],
    ['a number for the password', GOOD.replace('password: pw', 'password: 1234'), /:6:15 \/users\/0\/password: must be string/],
    ['a missing password', GOOD.replace('    password: pw\n', ''), /:4:5 \/users\/0\/password: is required/],
    ['an unknown user field', `${GOOD}    twoFactor: true\n`, /:7:16 \/users\/0\/twoFactor: is not an allowed field/],
    ['an unknown setting', `${GOOD}issuer: x\n`, /:7:9 \/issuer: is not an allowed field/],
    ['no clients', GOOD.replace('clients:\n  - id: app\n', 'clients: []\n'), /:1:10 \/clients: must NOT have fewer than 1 items/],
    ['a client id with a space', GOOD.replace('id: app', 'id: my app'), /:2:9 \/clients\/0\/id: must match pattern/],
    ['a scope with a space', `${GOOD}    scope: ["accounts read"]\n`, /:7:13 \/users\/0\/scope\/0: must match pattern/],
    ['a zero token lifetime', `tokens:\n  accessTokenSeconds: 0\n${GOOD}`, /:2:23 \/tokens\/accessTokenSeconds: must be >= 1/],
    [
      'a duplicate username (in another case)',
      `${GOOD}  - id: usr:11111111-2222-4333-8444-666666666666\n    username: A@Example.com\n    password: pw\n`,
      /:8:15 \/users\/1\/username: duplicate username "A@Example.com"/,
    ],
    [
      'a duplicate user_id',
      `${GOOD}  - id: usr:11111111-2222-4333-8444-555555555555\n    username: b@example.com\n    password: pw\n`,
      /:7:9 \/users\/1\/id: duplicate id/,
    ],
    ['a duplicate client id', GOOD.replace('  - id: app\n', '  - id: app\n  - id: app\n'), /:3:9 \/clients\/1\/id: duplicate id "app"/],
    ['YAML that does not parse', 'clients: [\n', /:\d+:\d+: the vault fixture is not valid YAML/],
  ])('%s', async (_name, text, expected) => {
    const { message, file } = await fixtureStartupError('vault', text);
    expect(message.startsWith(file)).toBe(true);
    expect(message).toMatch(expected);
  });
});

describe('a custom vault fixture', () => {
  it('sets the lifetimes, the clients, and the seed scope for a user without one', async () => {
    const { dir } = fixturesFolder('vault', `tokens:\n  accessTokenSeconds: 60\n  refreshTokenSeconds: 120\n${GOOD}`);
    const server = await startTestServer({ apis: ['vault'], fixturesDir: dir });
    try {
      const signIn = await server
        .api('vault')
        .post('/reg/auth/token')
        .send({ grant_type: 'password', username: 'a@example.com', password: 'pw', client_id: 'app' })
        .expect(200);
      expect(signIn.body).toMatchObject({ expires_in: 60, user_id: 'usr:11111111-2222-4333-8444-555555555555' });
      expect(signIn.body.scope.split(' ')).toHaveLength(38);
      expect(signIn.body.scope).toMatch(/^accounts:create accounts:read .* counterparty:read$/);
      // The default fixture's client is not in this one.
      await server
        .api('vault')
        .post('/reg/auth/token')
        .send({ grant_type: 'password', username: 'a@example.com', password: 'pw', client_id: 'haequi3Aah8lie2r' })
        .expect(401);

      const advance = (ms: number) => inState(server, (s) => s.clock.advance(ms));
      await advance(60_000);
      await server.api('vault').get('/reg/user/session/current').set('Authorization', `Bearer ${signIn.body.access_token}`).expect(401);
      const refreshed = await server
        .api('vault')
        .post('/reg/auth/token')
        .send({ grant_type: 'refresh_token', refresh_token: signIn.body.refresh_token })
        .expect(200);
      await advance(120_000);
      const expired = await server
        .api('vault')
        .post('/reg/auth/token')
        .send({ grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token })
        .expect(401);
      expect(expired.body.message).toBe('Refresh token has expired');
    } finally {
      await server.close();
    }
  });
});
