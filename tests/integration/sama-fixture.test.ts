import { fixturesFolder, fixtureStartupError, startTestServer } from '../helpers/server';
import { samaFixtureText } from '../helpers/sama';


const original = samaFixtureText();
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');


describe('sama fixture errors stop start-up with file, line, path and message', () => {
  it.each([
    ['a user _id that is not an ObjectId', ['_id: 63480e68f4794709f802a2fb', '_id: user-2'], '_id: user-2', '/users/1/_id', 'must match pattern'],
    ['a password that is not a string', ['password: u1_password', 'password: [1, 2]'], 'password: [1, 2]', '/users/0/password', 'must be string'],
    ['an unknown field', ['    password: u1_password', '    password: u1_password\n    admin: true'], 'admin: true', '/users/0/admin', 'is not an allowed field'],
    ['a cookie setting of the wrong type', ['secure: false', 'secure: "no"'], 'secure: "no"', '/cookie/secure', 'must be boolean'],
    ['a WebSocket limit too small', ['maxMessageBytes: 65536', 'maxMessageBytes: 10'], 'maxMessageBytes: 10', '/websocket/maxMessageBytes', 'must be >= 64'],
    ['a zero token lifetime', ['accessTokenSeconds: 10800', 'accessTokenSeconds: 0'], 'accessTokenSeconds: 0', '/tokens/accessTokenSeconds', 'must be >= 1'],
  ])('%s', async (_name, [from, to], needle, pointer, problem) => {
    const text = original.replace(from!, to!);
    expect(text).not.toBe(original);
    const { message, file } = await fixtureStartupError('sama', text);
    expect(message).toMatch(new RegExp(`^${escape(file)}: the sama fixture is invalid:\\n`));
    expect(message).toMatch(new RegExp(`${escape(file)}:${lineOf(text, needle)}:\\d+ ${escape(pointer)}: ${escape(problem)}`));
  });

  it('names a user of an organization that does not exist', async () => {
    const text = original.replace('organization_id: 680a2fae96cc69d78861f102', 'organization_id: 680a2fae96cc69d78861f1ff');
    const { message, file } = await fixtureStartupError('sama', text);
    expect(message).toContain(`${file}:${lineOf(text, '680a2fae96cc69d78861f1ff')}:`);
    expect(message).toContain('/users/2/organization_id: no organization has _id "680a2fae96cc69d78861f1ff"');
  });

  it('names a login repeated in the same organization, in another case', async () => {
    const text = original.replace('login: user_1', 'login: LOGIN_U1');
    const { message } = await fixtureStartupError('sama', text);
    expect(message).toMatch(/sama\.yaml:\d+:\d+ \/users\/1\/login: duplicate login "LOGIN_U1" in organization 680a2fae96cc69d78861f101/);
  });

  it('names a duplicate user _id and a duplicate organization', async () => {
    const text = original.replace('_id: 63480e68f4794709f802a2fb', '_id: 63480e68f4794709f802a2fa').replace('_id: 680a2fae96cc69d78861f102', '_id: 680a2fae96cc69d78861f101');
    const { message } = await fixtureStartupError('sama', text);
    expect(message).toMatch(/\/users\/1\/_id: duplicate _id "63480e68f4794709f802a2fa"/);
    expect(message).toMatch(/\/organizations\/1\/_id: duplicate _id "680a2fae96cc69d78861f101"/);
  });

  it('names missing lists', async () => {
    const { message } = await fixtureStartupError('sama', 'tokens:\n  accessTokenSeconds: 60\n');
    expect(message).toMatch(/sama\.yaml:1:1 \/organizations: is required/);
    expect(message).toMatch(/sama\.yaml:1:1 \/users: is required/);
  });

  it('reports YAML that does not parse, with its line', async () => {
    const { message, file } = await fixtureStartupError('sama', 'users:\n  - _id: [unclosed\n');
    expect(message).toMatch(new RegExp(`^${escape(file)}:\\d+:\\d+: the sama fixture is not valid YAML`));
  });

  it('starts on a minimal fixture, with every default filled in', async () => {
    const { dir } = fixturesFolder('sama', 'organizations:\n  - { _id: "0123456789abcdef01234567", name: O }\nusers:\n  - { _id: "0123456789abcdef01234568", organization_id: "0123456789abcdef01234567", login: a, password: b }\n');
    const server = await startTestServer({ apis: ['sama'], fixturesDir: dir });
    try {
      const res = await server.api('sama').post('/login').send({ organization_id: '0123456789abcdef01234567', login: 'a', password: 'b', device_id: 'd' }).expect(200);
      expect(res.body.user).toEqual({ _id: '0123456789abcdef01234568', native_id: '0123456789abcdef01234568', login: 'a', created_at: '2022-10-13T13:11:04.447Z', updated_at: '2022-10-13T13:11:04.447Z' });
      expect(String(res.headers['set-cookie'])).toMatch(/Max-Age=1209600; HttpOnly; SameSite=Lax$/);
    } finally {
      await server.close();
    }
  });
});
