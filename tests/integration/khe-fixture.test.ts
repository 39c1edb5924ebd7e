import { fixturesFolder, fixtureStartupError, startTestServer, inState } from '../helpers/server';


const USER = (key: string, email: string, extra = '') =>
  `  - key: ${key}\n    email: ${email}\n    password: hackathon\n${extra}`;
const KEY_A = '5f1e0c2ab36d4c0017a3e9d1';
const KEY_B = '5f1e0c2ab36d4c0017a3e9d2';


describe('khe fixture validation at start-up', () => {
  it.each([
    [
      'a key that is not a UUIDv4',
      `clients: [khe-web]\nusers:\n${USER(KEY_A, 'a@khe.io')}${USER('not-a-uuid', 'b@khe.io')}`,
      ':6:', '/users/1/key', 'must match pattern',
    ],
    [
      'an unknown role',
      `clients: [khe-web]\nusers:\n${USER(KEY_A, 'a@khe.io', '    role: superhero\n')}`,
      ':6:', '/users/0/role', 'must be one of "attendee", "staff", "admin"',
    ],
    [
      'a password too short for the real server',
      `clients: [khe-web]\nusers:\n  - key: ${KEY_A}\n    email: a@khe.io\n    password: x\n`,
      ':5:', '/users/0/password', 'must NOT have fewer than 2 characters',
    ],
    [
      'an e-mail that is not one',
      `clients: [khe-web]\nusers:\n${USER(KEY_A, 'not-an-email')}`,
      ':4:', '/users/0/email', 'must match format "email"',
    ],
    [
      'a missing clients list',
      `users:\n${USER(KEY_A, 'a@khe.io')}`,
      ':1:', '/clients', 'is required',
    ],
    [
      'a lifetime of zero',
      `clients: [khe-web]\ntokens:\n  lifetimeSeconds: 0\nusers:\n${USER(KEY_A, 'a@khe.io')}`,
      ':3:', '/tokens/lifetimeSeconds', 'must be >= 1',
    ],
    [
      'an unknown setting',
      `clients: [khe-web]\nrateLimits: {}\nusers:\n${USER(KEY_A, 'a@khe.io')}`,
      ':2:', '/rateLimits', 'is not an allowed field',
    ],
    [
      'a duplicate e-mail (in another case)',
      `clients: [khe-web]\nusers:\n${USER(KEY_A, 'a@khe.io')}${USER(KEY_B, 'A@khe.io')}`,
      ':7:', '/users/1/email', 'duplicate email "A@khe.io"',
    ],
    [
      'a duplicate key',
      `clients: [khe-web]\nusers:\n${USER(KEY_A, 'a@khe.io')}${USER(KEY_A, 'b@khe.io')}`,
      ':6:', '/users/1/key', `duplicate key "${KEY_A}"`,
    ],
    [
      'a duplicate client',
      `clients:\n  - khe-web\n  - khe-ios\n  - khe-web\nusers:\n${USER(KEY_A, 'a@khe.io')}`,
      ':4:', '/clients/2', 'duplicate client "khe-web"',
    ],
  ])('refuses %s, naming file, line, path and problem', async (_name, yaml, line, pointer, problem) => {
    const { message, file } = await fixtureStartupError('khe', yaml);
    expect(message).toContain(`${file}: the khe fixture is invalid`);
    const detail = message.split('\n').find((l) => l.includes(` ${pointer}: `));
    expect(detail).toBeDefined();
    expect(detail).toContain(`${file}${line}`);
    expect(detail).toContain(problem);
  });

  it('refuses a file that is not YAML, with its line', async () => {
    const { message, file } = await fixtureStartupError('khe', 'clients: [khe-web\nusers: {\n');
    expect(message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: the khe fixture is not valid YAML`));
  });

  it('fills in the 30-day default lifetime', async () => {
    const { dir } = fixturesFolder('khe', `clients: [khe-web]\nusers:\n${USER(KEY_A, 'a@khe.io')}`);
    const server = await startTestServer({ apis: ['khe'], fixturesDir: dir });
    try {
      const now = Date.UTC(2021, 5, 1);
      await inState(server, (s) => s.clock.set(now));
      const res = await server.api('khe').post('/v1.0/users/token').send({ client: 'khe-web', email: 'a@khe.io', password: 'hackathon' }).expect(201);
      expect(res.body).toMatchObject({ role: 'attendee', key: KEY_A, expires: new Date(now + 30 * 86400_000).toISOString() });
    } finally {
      await server.close();
    }
  });
});
